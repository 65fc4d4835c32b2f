"""Article extraction: trafilatura for text and metadata, our own parser for previous/next links.

Extraction is CPU-bound and trafilatura is not thread-safe, so it runs in a pool of processes while
the event loop keeps fetching. Pages waiting for a worker go to it in batches (see batching).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import zlib
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

from aggregator.extract.adjacent import find_adjacent
from aggregator.extract.dedupe import text_simhash
from aggregator.models import Article, PackedPage, ParsedFeed, RawPage, pack_page
from aggregator.parse.dates import iso_utc
from aggregator.workers.batching import PoolBatcher
from aggregator.workers.feedjobs import ParseBatcher
from aggregator.workers.pool import kill_workers, new_pool, start_workers

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
_LANGUAGE_SAMPLE = 2500
_PUBLISHED_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time' "
    "or @itemprop='datePublished' or @name='date' or @name='dc.date' or @name='DC.date.issued']/@content"
)


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
        _trim_heap()
    tree = load_html(body)
    if tree is None:
        raise ExtractionError("page could not be parsed as HTML")
    published = _published_from_meta(tree)
    adjacent = find_adjacent(tree, url, published)
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
        published = f"{document.date[:10]}T00:00:00Z"
    return Article(
        full_text=text,
        title=document.title or None,
        author=document.author or None,
        published_at=published,
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
    return results


class BodyError(Exception):
    """decode_body() could not decode the body; the message is the one fetch() gives for the same body."""


def decode_body(body: bytes, encoding: str | None, limit: int) -> tuple[bytes, bytes | None]:
    """The body with its Content-Encoding undone, at most `limit` bytes (a gzip bomb stops at the limit), and
    the body as sent when it is a complete gzip stream (to keep as is). Raises BodyError."""
    if encoding is None:
        if len(body) > limit:
            raise BodyError(f"response body exceeds the limit of {limit} bytes")
        return body, None
    if encoding not in ("gzip", "deflate"):
        raise BodyError(f"broken response body: cannot decode content-encoding {encoding}")
    # deflate: zlib-wrapped as the RFC says, or raw as some servers send it (aiohttp accepts both)
    wbits = 31 if encoding == "gzip" else (15 if body[:1] and body[0] & 0xF == 8 else -15)
    inflater = zlib.decompressobj(wbits)
    try:
        decoded = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyError(f"broken response body: cannot decode content-encoding {encoding}: {exc}") from None
    if len(decoded) > limit:
        raise BodyError(f"response body exceeds the limit of {limit} bytes")
    if encoding == "deflate" and not inflater.eof:
        raise BodyError("broken response body: truncated deflate stream")
    whole_gzip = encoding == "gzip" and inflater.eof and not inflater.unused_data
    return decoded, body if whole_gzip else None


def _trim_heap() -> None:
    """Give freed heap back to the system: lxml's trees are freed to glibc's malloc, which keeps the pages
    (and a worker's memory grows with them over a few hundred pages)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


_libc = _load_libc()


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


def _published_from_meta(tree: lxml.html.HtmlElement) -> str | None:
    for value in tree.xpath(_PUBLISHED_XPATH, smart_strings=False):
        if when := iso_utc(value):
            return when
    return None


def _language(tree: lxml.html.HtmlElement, text: str) -> str | None:
    """The page's language: detected from the text, else the declared one."""
    declared = (tree.get("lang") or "").split("-")[0].lower() or None
    if len(text) >= 200:
        # The opening is enough: on the ScrapingHub pages it gives the whole text's answer on every page, and
        # py3langid's time grows with the text.
        detected, _score = py3langid.classify(text[:_LANGUAGE_SAMPLE])
        return detected
    return declared


class Extractor:
    """Async front of the worker pool: article extraction, and feed parsing (CPU-bound as well), run in
    processes so that both use every core while the event loop keeps fetching."""

    def __init__(self, workers: int | None = None, timeout: float = 120.0, articles: bool = True) -> None:
        """articles: whether article pages will be extracted (see workerpool.new_pool); False when no feed
        has full text on, which starts the workers sooner and smaller."""
        self._workers = workers or os.cpu_count() or 1
        self._articles = articles
        self._timeout = timeout
        # Two batches per worker in the pool at once, one running and one ready for it: bounded so that a job's
        # timeout measures its own run, not its wait behind thousands of others.
        self._parser = ParseBatcher(self._run_in_pool, self._workers * 2, timeout, self._kill_pool)
        self._extracter: PoolBatcher[ExtractJob, tuple[Article, PackedPage | None]] = PoolBatcher(
            self._run_in_pool, self._workers * 2, self._kill_pool, extract_batch, self._failure, _PAGES_PER_JOB
        )
        self._pool: ProcessPoolExecutor | None = None
        self._jobs_on_pool = 0
        self._warming: asyncio.Future[None] | None = None
        self._entered = False

    def _new_pool(self) -> ProcessPoolExecutor:
        return new_pool(self._workers, self._articles)

    async def __aenter__(self) -> Extractor:
        # The pool is made by the first job (_warm): a poll answered 304 throughout needs none, and making one
        # costs the main process its multiprocessing imports, queues and the resource tracker's start.
        self._entered = True
        self._jobs_on_pool = 0
        return self

    async def _warm(self) -> None:
        """Wait until the first pool's workers are up, starting them (in a thread) on the first call.

        ProcessPoolExecutor starts workers inside submit(), and the first start waits for the forkserver's
        preload: done on the event loop, that stalled every fetch of a poll meanwhile. Jobs wait here
        instead; later pools (rotation, replacement) fork from the running forkserver at once.
        """
        if self._warming is None:
            if not self._entered:
                raise RuntimeError("Extractor used outside 'async with'")
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
            self._warming = asyncio.get_running_loop().run_in_executor(None, start_workers, pool, self._workers)
        if not self._warming.done():
            await asyncio.shield(self._warming)

    def _current_pool(self) -> ProcessPoolExecutor:
        """The pool for the next job, rotated every _JOBS_PER_WORKER jobs per worker to bound memory.

        Not max_tasks_per_child (see _new_pool): the old pool is shut down without waiting, which lets its
        submitted jobs finish (their futures resolve as usual) before its workers exit; new workers fork
        from the forkserver, where everything is already imported and the language model loaded.
        """
        if self._pool is None:
            raise RuntimeError("Extractor used outside 'async with'")
        self._jobs_on_pool += 1
        if self._jobs_on_pool > _JOBS_PER_WORKER * self._workers:
            self._pool.shutdown(wait=False)
            self._pool = self._new_pool()
            self._jobs_on_pool = 1
        return self._pool

    def _kill_pool(self) -> None:
        """Stop the current pool's workers at once and start a new pool (jobs still on the old one fail)."""
        if self._pool is not None:
            kill_workers(self._pool)
            self._replace_broken(self._pool)

    def _replace_broken(self, pool: ProcessPoolExecutor) -> None:
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:  # not already replaced (by a rotation or another job's failure)
            self._pool = self._new_pool()
            self._jobs_on_pool = 0

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._parser.close()
        self._extracter.close()
        if self._warming is not None and not self._warming.done():
            await asyncio.gather(self._warming, return_exceptions=True)  # its thread is still submitting
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._entered, self._warming = False, None

    async def parse(
        self, body: bytes, url: str, content_type: str | None, content_location: str | None
    ) -> ParsedFeed:
        """parse_feed in a worker (batched with other feeds, see parsebatch); raises FeedParseError like it."""
        return await self._parser.parse((body, url, content_type, content_location))

    async def _run_in_pool(self, function: Callable[..., T], *args: object) -> T:
        """function(*args) in a worker, within the timeout; a crashed pool is replaced before the error is raised."""
        loop = asyncio.get_running_loop()
        await self._warm()
        pool = self._current_pool()
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, function, *args), self._timeout)
        except BrokenProcessPool:
            self._replace_broken(pool)
            raise

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
        if not self._articles:
            self._articles = True  # say it once
            log.info("article extraction was off when the workers started: each worker now loads trafilatura and "
                     "the language model itself (restart to share them between workers)")
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
