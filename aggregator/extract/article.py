"""Article extraction: trafilatura for text and metadata, our own parser for previous/next links.

Extraction is CPU-bound and trafilatura is not thread-safe, so it runs in a pool of processes while
the event loop keeps fetching. Pages waiting for a worker go to it in batches (see batching).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import lxml.html
import py3langid
import trafilatura
from trafilatura.meta import reset_caches
from trafilatura.settings import Document
from trafilatura.utils import load_html

from aggregator.extract.adjacent import PageScan, find_adjacent, scan_page
from aggregator.extract.dedupe import text_simhash
from aggregator.fetch.bodies import BodyError, decode_body
from aggregator.models import Article, PackedPage, ParsedFeed, RawPage, pack_page
from aggregator.parse.dates import iso_utc, names_time
from aggregator.workers.batching import PoolBatcher
from aggregator.workers.feedjobs import ParseBatcher
from aggregator.workers.heap import trim_heap
from aggregator.workers.ondemand import OnDemandPool

log = logging.getLogger("aggregator.extract.article")
T = TypeVar("T")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MAX_DECODED_BYTES = 15 * 1024 * 1024  # when the caller gives no limit (the default max_page_bytes)
# trafilatura's module caches are bounded, but reset now and then as its docs advise for long runs; the reset
# also drops what the forkserver warmed (jusText's stoplist set), so not often.
_TASKS_PER_CACHE_RESET = 2000
# Jobs per worker (a job: up to _PAGES_PER_JOB pages or parsebatch.MAX_BATCH feeds) before its pool is
# replaced by a fresh one: a safety net against slow growth (heap fragmentation, a library's leak). A worker's
# memory stays flat without it (tests/test_extract_memory.py checks that no page outlives its extraction, the
# README's Performance section has the figures); each renewal costs a fork, so not often.
_JOBS_PER_WORKER = 1000
# Article pages waiting for a worker go to it together, up to this many (see batching): a job of four pages
# stays short next to the job timeout, and the main process pays the pool's hand-offs once per job, not per page.
_PAGES_PER_JOB = 4
_tasks_done = 0
_LANGUAGE_SAMPLE = 1000
_CONFIRM_SAMPLE = 300


class ExtractionError(Exception):
    pass


def is_html(content_type: str | None) -> bool:
    """A missing type is given the benefit of the doubt; anything else must say HTML."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES


def extract_article(body: bytes, url: str) -> Article:
    """Text, metadata and adjacent-post links of one article page. Runs in a worker process."""
    global _tasks_done
    _tasks_done += 1
    if _tasks_done % _TASKS_PER_CACHE_RESET == 0:
        reset_caches()
    tree = load_html(body)
    if tree is None:
        raise ExtractionError("page could not be parsed as HTML")
    scan = scan_page(tree)
    published, published_source = _published_from_page(scan)
    adjacent = find_adjacent(tree, url, published, scan)
    _wrap_orphan_list_items(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
    )
    # A Document, or None; a dict only with as_dict=True, which is not asked for.
    text = (document.text or "").strip() if isinstance(document, Document) else ""
    if not isinstance(document, Document) or not text:
        raise ExtractionError("no article text found on the page")
    language = _language(tree, text)
    if published is None and document.date:
        # trafilatura gives the day only; midnight UTC keeps the column one sortable format
        published, published_source = f"{document.date[:10]}T00:00:00Z", "page-day"
    return Article(
        full_text=text,
        title=document.title or None,
        author=document.author or None,
        published_at=published,
        published_source=published_source,
        site_name=document.sitename or None,
        image_url=document.image or None,
        categories=list(document.categories or []),
        tags=list(document.tags or []),
        language=language,
        description=document.description or None,
        word_count=len(text.split()),
        adjacent=adjacent,
        simhash=text_simhash(text),
    )


def extract_for_archive(
    body: bytes,
    url: str,
    content_type: str | None,
    keep_page: bool,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> tuple[Article, PackedPage | None]:
    """extract_article plus the page packed for keeping (gzip and hash), all in the worker process.

    encoding: the body's Content-Encoding still applied (fetch(decompress=False)), undone here within
    max_bytes; a server's complete gzip stream is kept as the packed page instead of compressing again."""
    sent_gzip = None
    if encoding is not None:
        try:
            body, sent_gzip = decode_body(body, encoding, max_bytes or _MAX_DECODED_BYTES)
        except BodyError as exc:
            raise ExtractionError(f"article page: {exc}") from None
        if not body:
            raise ExtractionError("article page is empty")
    article = extract_article(body, url)
    if not keep_page:
        return article, None
    return article, pack_page(RawPage(url, content_type, body), sent_gzip)


@dataclass(frozen=True, slots=True)
class ExtractJob:
    """One article page for a worker: extract_for_archive's arguments."""

    body: bytes
    url: str
    content_type: str | None
    keep_page: bool
    encoding: str | None = None
    max_bytes: int | None = None


def extract_batch(jobs: list[ExtractJob]) -> list[tuple[bool, tuple[Article, PackedPage | None] | Exception]]:
    """In a worker: extract_for_archive over each job, each result (True, its value) or (False, ExtractionError)."""
    results: list[tuple[bool, tuple[Article, PackedPage | None] | Exception]] = []
    for job in jobs:
        try:
            results.append((True, extract_for_archive(job.body, job.url, job.content_type, job.keep_page,
                                                      job.encoding, job.max_bytes)))
        except ExtractionError as exc:
            results.append((False, exc))
        except Exception as exc:  # trafilatura/lxml failures on hostile pages: the page's own error, picklable
            results.append((False, ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}")))
    trim_heap()
    return results


def _wrap_orphan_list_items(tree: lxml.html.HtmlElement) -> None:
    """Put <li> elements that have no list parent into a <ul>.

    Browsers render them as list items, but trafilatura drops them, losing article text
    (the reference page of this project has such a list).
    """
    for item in list(tree.iter("li")):
        parent = item.getparent()
        if parent is None or parent.tag in ("ul", "ol", "menu", "dir"):
            continue
        wrapper = lxml.html.Element("ul")
        parent.insert(parent.index(item), wrapper)
        current: lxml.html.HtmlElement | None = item
        while current is not None and current.tag == "li":
            following = current.getnext()
            tail = current.tail
            wrapper.append(current)
            if tail and tail.strip():
                break
            current = following


def _published_from_page(scan: PageScan) -> tuple[str | None, str | None]:
    """The page's own publication time and where it is given: the first published-time meta, else JSON-LD
    datePublished, that names a date and time."""
    for values, source in ((scan.published, "page-meta"), (scan.json_ld_published, "page-json-ld")):
        for value in values:
            if names_time(value) and (when := iso_utc(value)):
                return when, source
    return None, None


def _language(tree: lxml.html.HtmlElement, text: str) -> str | None:
    """The page's language: detected from the text, else the declared one."""
    declared = (tree.get("lang") or "").split("-")[0].lower() or None
    if len(text) >= 200:
        # The opening is enough, and py3langid's time grows with the text: its first 1,000 characters give the
        # answer of the first 2,500 on every ScrapingHub page and every long entry of the shared real feeds. When
        # the first 300 already confirm the page's declared language, that is the answer (the same as the first
        # 1,000's on all 981 pages of the bench corpus, the ScrapingHub pages and the previous/next corpus).
        quick, _score = py3langid.classify(text[:_CONFIRM_SAMPLE])
        if quick == declared:
            return quick
        detected, _score = py3langid.classify(text[:_LANGUAGE_SAMPLE])
        return detected
    return declared


class Extractor:
    """Async front of the worker pool: article extraction, and feed parsing (CPU-bound as well), run in
    processes so that both use every core while the event loop keeps fetching.

    The pool starts with the first job and, with `idle` set, is let go (its forkserver too) that many seconds
    after the last job ended (see ondemand). Feeds share it: a feed that changed usually brings articles to
    extract, and a pool of its own would mean a second forkserver and more processes at the peak."""

    def __init__(self, workers: int | None = None, timeout: float = 120.0, articles: bool = True,
                 idle: float | None = None) -> None:
        """articles: whether article pages will be extracted (see pool.new_pool); False when no feed
        has full text on, which starts the workers sooner and smaller. idle: None keeps the pool until exit."""
        workers = workers or os.cpu_count() or 1
        self._timeout = timeout
        self.pool = OnDemandPool(workers, articles, idle, _JOBS_PER_WORKER)
        self._entered = False
        # Two batches per worker in the pool at once, one running and one ready for it: bounded so that a job's
        # timeout measures its own run, not its wait behind thousands of others.
        self._parser = ParseBatcher(self._run_in_pool, workers * 2, timeout, self._kill_pool)
        self._extracter: PoolBatcher[ExtractJob, tuple[Article, PackedPage | None]] = PoolBatcher(
            self._run_in_pool, workers * 2, self._kill_pool, extract_batch, self._failure, _PAGES_PER_JOB
        )

    async def __aenter__(self) -> Extractor:
        self._entered = True
        return self

    async def _warm(self) -> ProcessPoolExecutor:
        """The pool with its workers up, started if there is none (tests use it to start one first)."""
        return await self.pool.ready()

    @property
    def _pool(self) -> ProcessPoolExecutor | None:
        return self.pool.current

    @property
    def _jobs_on_pool(self) -> int:
        return self.pool.jobs_on_pool

    def _kill_pool(self) -> None:
        """Stop the current pool's workers at once (jobs still on it fail); the next job starts a new pool."""
        self.pool.kill()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._parser.close()
        self._extracter.close()
        await self.pool.close()

    async def parse(
        self, body: bytes, url: str, content_type: str | None, content_location: str | None
    ) -> ParsedFeed:
        """parse_feed in a worker (batched with other feeds, see parsebatch); raises FeedParseError like it."""
        return await self._parser.parse((body, url, content_type, content_location))

    async def _run_in_pool(self, function: Callable[..., T], *args: object) -> T:
        """function(*args) in a worker, within the timeout; a crashed pool is replaced before the error is raised."""
        if not self._entered:
            raise RuntimeError("Extractor used outside 'async with'")
        return await self.pool.run(function, *args, timeout=self._timeout)

    async def extract(self, body: bytes, url: str) -> Article:
        """Raises ExtractionError with a readable reason when the page yields no article."""
        article, _page = await self.extract_page(body, url, None, keep_page=False)
        return article

    async def extract_page(
        self,
        body: bytes,
        url: str,
        content_type: str | None,
        keep_page: bool,
        encoding: str | None = None,
        max_bytes: int | None = None,
    ) -> tuple[Article, PackedPage | None]:
        """The article and, when kept, the page compressed in the worker. Raises ExtractionError.

        encoding/max_bytes: a body fetched with decompress=False is decoded in the worker (extract_for_archive)."""
        if not self.pool.articles:
            self.pool.articles = True  # say it once; the forkserver started after the next release loads them
            log.info("article extraction was off when the workers started: each worker now loads trafilatura and "
                     "the language model itself (shared again once the idle pool has been let go, or after a restart)")
        return await self._extracter.submit(ExtractJob(body, url, content_type, keep_page, encoding, max_bytes))

    def _failure(self, exc: Exception) -> ExtractionError:
        """The error of a page whose job failed as a whole (see batching: after a retry of the page alone)."""
        if isinstance(exc, TimeoutError):
            return ExtractionError(f"extraction took longer than {self._timeout:g} s")
        if isinstance(exc, BrokenProcessPool):
            # A worker died (a crash in native code, killed for memory, or the pool killed for another job
            # that hung) on this page's job twice: the page is to blame.
            return ExtractionError("extraction worker crashed on this page")
        return ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}")
