"""One poll of one feed, end to end: fetch -> parse -> store -> fetch articles -> extract -> store.

Every failure is caught at the level of the feed or the article and recorded; nothing a server
sends can stop the other feeds of a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aggregator.config import Config, FeedConfig, feed_settings
from aggregator.extract import ExtractionError, Extractor, is_html
from aggregator.fetch import PAGE_ACCEPT, Fetcher, FetchResult
from aggregator.models import ParsedFeed
from aggregator.parse import FeedParseError
from aggregator.polite import HostPacer, RobotsCache
from aggregator.schedule import Bounds, adaptive_interval, at, cache_lifetime, error_delay, success_delay, with_jitter
from aggregator.store import Archive, ExtractedArticle, PendingArticle, PollRecord, utcnow

log = logging.getLogger("aggregator.poll")
# Feeds whose writes (entries, extracted articles, poll state) share one commit: at most this many, and for at
# most this long (a crash loses at most that much work, which the next poll fetches again: a feed's entries never
# commit after its state). Each commit writes every page it dirtied to the WAL, index pages included: one a second
# instead of one per feed's articles writes a third less and takes 15% less of the main process's CPU.
SHARED_COMMIT_FEEDS = 50
SHARED_COMMIT_SECONDS = 1.0


@dataclass(slots=True)
class FeedReport:
    feed_id: int
    url: str
    http_status: int | None = None
    error: str | None = None
    new_entries: int = 0
    updated_entries: int = 0
    not_modified: bool = False
    unchanged_body: bool = False
    extracted: int = 0
    extraction_errors: list[str] = field(default_factory=list)
    duration_ms: int = 0


class Poller:
    """Polls feeds with one shared fetcher and extractor, writing to one archive."""

    def __init__(self, config: Config, archive: Archive, fetcher: Fetcher, extractor: Extractor) -> None:
        self.config = config
        self.archive = archive
        self.fetcher = fetcher
        self.extractor = extractor
        self.feed_ids = archive.sync_feeds(feed_settings(config))
        self.robots = RobotsCache(fetcher)
        self.pacer = HostPacer(config.settings.article_delay)
        # Article pages fetched but not yet extracted, at most. Fetching outpaces extraction, so without a
        # bound a large poll holds thousands of pages in memory (660 MiB at 10,000 articles); this many still
        # keep every worker busy while slow sites answer.
        self._pages_in_hand = asyncio.Semaphore(32 * (config.settings.extract_workers or os.cpu_count() or 1))
        self._shared_feeds = 0
        self._shared_timer: asyncio.TimerHandle | None = None

    def _share_commit(self) -> None:
        """Let the next writes join the open shared transaction (see Archive.begin_shared)."""
        self.archive.begin_shared()
        if self._shared_timer is None:
            self._shared_timer = asyncio.get_running_loop().call_later(SHARED_COMMIT_SECONDS, self.commit)

    def _feed_written(self) -> None:
        self._shared_feeds += 1
        if self._shared_feeds >= SHARED_COMMIT_FEEDS:
            self.commit()

    def commit(self) -> None:
        """Commit the writes of the feeds polled since the last commit."""
        if self._shared_timer is not None:
            self._shared_timer.cancel()
            self._shared_timer = None
        self._shared_feeds = 0
        self.archive.commit_shared()

    def bounds(self, feed: FeedConfig) -> Bounds:
        settings = self.config.settings
        bounds = Bounds(self.config.feed_interval(feed), settings.min_interval, settings.max_interval)
        if feed.interval is None and settings.adaptive:
            times = self.archive.recent_publish_times(self.feed_ids[feed.url])
            bounds = Bounds(adaptive_interval(times, bounds), settings.min_interval, settings.max_interval)
        return bounds

    async def poll_feed(self, feed: FeedConfig) -> FeedReport:
        feed_id = self.feed_ids[feed.url]
        state = self.archive.feed_state(feed_id)
        started_at = utcnow()
        started = time.monotonic()
        report = FeedReport(feed_id=feed_id, url=state.url)

        fetched = await self.fetcher.fetch(state.url, etag=state.etag, last_modified=state.last_modified)
        report.http_status = fetched.status
        parsed: ParsedFeed | None = None
        body_sha256: str | None = None
        error = fetched.error
        if error is None and fetched.not_modified:
            report.not_modified = True
        elif error is None:
            body = fetched.body or b""
            body_sha256 = hashlib.sha256(body).hexdigest()
            if body_sha256 == state.body_sha256:
                # Same bytes as last time (server without conditional GET): nothing to parse.
                report.unchanged_body = True
            else:
                try:
                    parsed = await self.extractor.parse(
                        body, fetched.url, fetched.headers.get("content-type"), fetched.headers.get("content-location")
                    )
                except FeedParseError as exc:
                    error = str(exc)
        if parsed is not None:
            self._share_commit()
            # Full text: new entries enter the search index once, with their page's text (see _extract_all).
            counts = self.archive.store_entries(feed_id, parsed.entries, defer_index=state.full_text)
            report.new_entries, report.updated_entries = counts.new, counts.updated

        if error is None and state.full_text:
            pending = self.archive.pending_articles(feed_id, self.config.settings.extract_retries)
            await self._extract_all(feed_id, pending, report)

        report.error = error
        # Being asked to slow down is not a broken feed: it waits as told but keeps its error count.
        throttled = fetched.status == 429 or (fetched.status == 503 and fetched.retry_after_seconds is not None)
        report.duration_ms = int((time.monotonic() - started) * 1000)
        bounds = self.bounds(feed)
        if error is None:
            delay = success_delay(
                bounds,
                parsed.ttl_seconds if parsed else state.ttl_seconds,
                parsed.update_period_seconds if parsed else state.update_period_seconds,
                cache_lifetime(fetched.headers),
            )
        else:
            errors = state.error_count + (0 if throttled else 1)
            delay = error_delay(bounds, max(errors, 1), fetched.retry_after_seconds)
        self._share_commit()
        self.archive.record_poll(
            PollRecord(
                feed_id=feed_id,
                started_at=started_at,
                duration_ms=report.duration_ms,
                http_status=fetched.status,
                bytes=len(fetched.body or b""),
                new_entries=report.new_entries,
                updated_entries=report.updated_entries,
                extracted=report.extracted,
                not_modified=report.not_modified,
                error=error,
                final_url=fetched.url if fetched.url != state.url else None,
                permanent_redirect=fetched.permanent_redirect,
                throttled=throttled,
            ),
            parsed=parsed,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
            body_sha256=body_sha256,
            next_poll_at=at(with_jitter(delay)),
        )
        self._feed_written()
        _log_report(report)
        return report

    def record_crash(self, feed: FeedConfig, exc: Exception) -> FeedReport:
        feed_id = self.feed_ids[feed.url]
        error = f"internal error: {type(exc).__name__}: {exc}"
        state = self.archive.feed_state(feed_id)
        self.archive.record_poll(
            PollRecord(feed_id=feed_id, started_at=utcnow(), duration_ms=0, error=error),
            next_poll_at=at(error_delay(self.bounds(feed), state.error_count + 1)),
        )
        return FeedReport(feed_id=feed_id, url=state.url, error=error)

    async def _extract_all(self, feed_id: int, pending: Sequence[PendingArticle], report: FeedReport) -> None:
        """Extract the feed's pending articles, then store them (and the failures) in one transaction, which
        also indexes whatever of the feed still waits for the search index."""
        results = await asyncio.gather(*(self._extract_one(article) for article in pending))
        done = [result for result in results if isinstance(result, ExtractedArticle)]
        failed = [result for result in results if isinstance(result, tuple)]
        self._share_commit()
        unstored = self.archive.store_extractions(
            done, [(entry_id, error) for entry_id, _url, error in failed], feed_id=feed_id
        )
        urls = {article.entry_id: article.url for article in pending}
        report.extracted += len(done) - len(unstored)
        report.extraction_errors += [f"{url}: {error}" for _entry_id, url, error in failed]
        report.extraction_errors += [f"{urls[entry_id]}: {error}" for entry_id, error in unstored]

    async def _extract_one(self, pending: PendingArticle) -> ExtractedArticle | tuple[int, str, str]:
        """The extracted article, or (entry id, URL, error)."""
        if self.config.settings.respect_robots and not await self.robots.allowed(pending.url):
            return pending.entry_id, pending.url, "article page: disallowed by the site's robots.txt"
        await self.pacer.wait(pending.url)  # outside the bound: a paced host must not hold the others' places
        async with self._pages_in_hand:
            # Left compressed: the worker decodes it (within the same limit) and keeps a server's gzip as is.
            max_bytes = self.config.settings.max_page_bytes
            page = await self.fetcher.fetch(pending.url, accept=PAGE_ACCEPT, max_bytes=max_bytes, decompress=False)
            error = page_problem(page)
            if error is None:
                try:
                    article, packed = await self.extractor.extract_page(
                        page.body or b"", page.url, page.headers.get("content-type"), self.config.settings.keep_pages,
                        page.encoding, max_bytes,
                    )
                except ExtractionError as exc:
                    error = str(exc)
                else:
                    return ExtractedArticle(pending.entry_id, article, page.url, packed)
        return pending.entry_id, pending.url, error


def page_problem(page: FetchResult) -> str | None:
    if page.error is not None:
        return f"article page: {page.error}"
    content_type = page.headers.get("content-type")
    if not is_html(content_type):
        return f"article page is not HTML but {content_type.split(';')[0]}" if content_type else None
    if not page.body:
        return "article page is empty"
    return None


def _log_report(report: FeedReport) -> None:
    """One line per poll; the fields also go to JSON log lines (--log-json) as keys."""
    fields = {
        "feed": report.url,
        "status": report.http_status,
        "duration_ms": report.duration_ms,
        "new_entries": report.new_entries,
        "updated_entries": report.updated_entries,
        "extracted": report.extracted,
        "extraction_errors": len(report.extraction_errors),
        "not_modified": report.not_modified,
        "error": report.error,
    }
    if report.error:
        log.warning(
            "poll %s status=%s error=%r duration_ms=%d", report.url, report.http_status, report.error,
            report.duration_ms, extra={"fields": fields},
        )
    else:
        log.info(
            "poll %s status=%s new=%d updated=%d extracted=%d extraction_errors=%d duration_ms=%d%s",
            report.url, report.http_status, report.new_entries, report.updated_entries, report.extracted,
            len(report.extraction_errors), report.duration_ms, " (not modified)" if report.not_modified else "",
            extra={"fields": fields},
        )


async def poll_once(
    config: Config,
    archive: Archive,
    feeds: Sequence[FeedConfig] | None = None,
    on_done: Callable[[FeedReport], None] | None = None,
) -> list[FeedReport]:
    """Poll the given (default: every enabled) feed once, concurrently."""
    selected = [f for f in (feeds if feeds is not None else config.feeds) if f.enabled]
    articles = any(config.feed_full_text(feed) for feed in selected)
    async with (
        Fetcher(config.settings) as fetcher,
        Extractor(config.settings.extract_workers, articles=articles) as extractor,
    ):
        poller = Poller(config, archive, fetcher, extractor)

        async def one(feed: FeedConfig) -> FeedReport:
            try:
                report = await poller.poll_feed(feed)
            except Exception as exc:  # a bug met by one feed is recorded, the others go on
                log.exception("poll %s failed", feed.url)
                report = poller.record_crash(feed, exc)
            if on_done is not None:
                on_done(report)
            return report

        try:
            reports = list(await asyncio.gather(*(one(feed) for feed in selected)))
        finally:
            poller.commit()
    prune_pages(config, archive)
    return reports


def prune_pages(config: Config, archive: Archive) -> int:
    """Apply the page_retention setting; returns how many kept pages were dropped."""
    retention = config.settings.page_retention
    if retention is None:
        return 0
    return archive.prune_pages(at(-retention))
