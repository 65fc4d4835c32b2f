"""One poll of one feed, end to end: fetch -> parse -> store -> fetch articles -> extract -> store.

Every failure is caught at the level of the feed or the article and recorded; nothing a server
sends can stop the other feeds of a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aggregator.config.model import Config, FeedConfig, feed_settings
from aggregator.extract.article import Extractor
from aggregator.extract.articles import ArticleFetcher, FetchedArticle
from aggregator.fetch.client import Fetcher
from aggregator.models import ParsedFeed
from aggregator.parse.feeds import FeedParseError
from aggregator.poll.schedule import (
    Bounds,
    adaptive_interval,
    at,
    cache_lifetime,
    error_delay,
    publishing_rate,
    success_delay,
    with_jitter,
)
from aggregator.store import Archive, ExtractedArticle, PendingArticle, PollRecord
from aggregator.store.gaps import KnownEntry
from aggregator.urls import redact_url

log = logging.getLogger("aggregator.poll.pipeline")
# A new post naming a previous post that is not archived is a gap only in feeds whose posts link to each other:
# a category feed's neighbours are usually other categories' posts.
LINKED_SHARE = 0.8
NO_NETWORK = "no network"
REFETCH_PER_POLL = 20  # pages fetched again per poll at most (refetch_after), oldest first
# Feeds whose writes (entries, extracted articles, poll state) share one commit: at most this many, and for at
# most this long (a crash loses at most that much work, which the next poll fetches again: a feed's entries never
# commit after its state). Each commit writes every page it dirtied to the WAL, index pages included: one a second
# instead of one per feed's articles writes less and takes less of the main process's CPU.
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
    refetched: int = 0
    gaps: int = 0  # gaps detected by this poll
    unresolved: bool = False  # the feed's host name could not be resolved
    offline: bool = False  # ... and no host resolves: no network, which is not the feed's fault
    open_gaps: bool = False  # the feed has open gaps after this poll (looked up on success only)
    duration_ms: int = 0


class Poller:
    """Polls feeds with one shared fetcher and extractor, writing to one archive."""

    def __init__(self, config: Config, archive: Archive, fetcher: Fetcher, extractor: Extractor,
                 articles: ArticleFetcher | None = None) -> None:
        self.config = config
        self.archive = archive
        self.clock = archive.clock
        self.fetcher = fetcher
        self.extractor = extractor
        self.articles = articles or ArticleFetcher(config.settings, fetcher, extractor)
        self.feed_ids = archive.sync_feeds(feed_settings(config))
        self._config_urls = _config_urls(self.feed_ids)
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

    def reload(self, config: Config) -> None:
        """Take a new configuration's feeds (settings apply at the next start)."""
        self.config = config
        self.feed_ids = self.archive.sync_feeds(feed_settings(config))
        self._config_urls = _config_urls(self.feed_ids)

    def fetch_url(self, feed_id: int, stored_url: str) -> str:
        """The URL to fetch: the config's own (credentials and all) while the feed has not moved; the archive
        keeps it redacted."""
        url = self._config_urls.get(feed_id)
        # redact_url returns at once for a URL without user-info or query, nearly every feed
        return url if url is not None and redact_url(url) == stored_url else stored_url

    def bounds(self, feed: FeedConfig, times: list[str] | None = None) -> Bounds:
        settings = self.config.settings
        bounds = Bounds(self.config.feed_interval(feed), settings.min_interval, settings.max_interval)
        if feed.interval is None and settings.adaptive:
            if times is None:
                times = self.archive.recent_publish_times(self.feed_ids[feed.url])
            bounds = Bounds(adaptive_interval(times, bounds, self.clock.now()), settings.min_interval,
                            settings.max_interval)
        return bounds

    async def poll_feed(self, feed: FeedConfig) -> FeedReport:
        feed_id = self.feed_ids[feed.url]
        state = self.archive.feed_state(feed_id)
        started_at = self.archive.now()
        started = time.monotonic()
        report = FeedReport(feed_id=feed_id, url=state.url)

        url = self.fetch_url(feed_id, state.url)
        fetched = await self.fetcher.fetch(url, etag=state.etag, last_modified=state.last_modified)
        report.http_status = fetched.status
        parsed: ParsedFeed | None = None
        body_sha256: str | None = None
        error = fetched.error
        report.unresolved = fetched.unresolved
        # Before any server has answered, a host that does not resolve is presumed to be the network's fault;
        # the caller settles it at the end of its round (Aggregator.poll).
        report.offline = fetched.unresolved and (self.fetcher.offline or not self.fetcher.answered)
        if report.offline:
            error = f"{NO_NETWORK}: {error}"
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
        newest_before = self.archive.newest_entry(feed_id) if parsed is not None else None
        if parsed is not None:
            self._share_commit()
            # Full text: new entries enter the search index once, with their page's text (see _extract_all).
            counts = self.archive.store_entries(feed_id, parsed.entries, defer_index=state.full_text)
            report.new_entries, report.updated_entries = counts.new, counts.updated

        if error is None and state.full_text:
            await self.extract_pending(feed_id, report)
        if parsed and newest_before is not None and parsed.entries and report.new_entries == len(parsed.entries):
            report.gaps += self._window_gap(feed_id, parsed, newest_before)
        if error is None and state.full_text:
            if newest_before is not None and report.new_entries:
                report.gaps += self._link_gaps(feed_id, started_at, newest_before)
            await self._refetch(feed_id, report)

        report.error = error
        # Being asked to slow down is not a broken feed: it waits as told but keeps its error count.
        throttled = report.offline or fetched.status == 429 or (
            fetched.status == 503 and fetched.retry_after_seconds is not None)
        report.duration_ms = int((time.monotonic() - started) * 1000)
        times = self.archive.recent_publish_times(feed_id)
        bounds = self.bounds(feed, times)
        if error is None:
            delay = success_delay(
                bounds,
                parsed.ttl_seconds if parsed else state.ttl_seconds,
                parsed.update_period_seconds if parsed else state.update_period_seconds,
                cache_lifetime(fetched.headers, self.clock.now()),
                own_interval=feed.interval is not None,
                window=len(parsed.entries) if parsed else state.window_size,
                rate=publishing_rate(times, self.clock.now()),
            )
            report.open_gaps = bool(report.gaps) or self.archive.has_open_gaps(feed_id)
            if report.open_gaps:
                delay = bounds.min_interval  # posts went by unseen: look again soon
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
                final_url=fetched.url if fetched.url != url else None,
                permanent_redirect=fetched.permanent_redirect,
                throttled=throttled,
            ),
            parsed=parsed,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
            body_sha256=body_sha256,
            next_poll_at=at(with_jitter(delay), self.clock.now()),
        )
        self._feed_written()
        _log_report(report)
        return report

    def record_crash(self, feed: FeedConfig, exc: Exception) -> FeedReport:
        feed_id = self.feed_ids[feed.url]
        error = f"internal error: {type(exc).__name__}: {exc}"
        state = self.archive.feed_state(feed_id)
        self.archive.record_poll(
            PollRecord(feed_id=feed_id, started_at=self.archive.now(), duration_ms=0, error=error),
            next_poll_at=at(error_delay(self.bounds(feed), state.error_count + 1), self.clock.now()),
        )
        return FeedReport(feed_id=feed_id, url=state.url, error=error)

    async def extract_pending(self, feed_id: int, report: FeedReport) -> None:
        """Extract the feed's entries that wait for their page (new, or failed fewer than extract_retries)."""
        pending = self.archive.pending_articles(feed_id, self.config.settings.extract_retries)
        await self._extract_all(feed_id, pending, report)

    async def _extract_all(self, feed_id: int, pending: Sequence[PendingArticle], report: FeedReport) -> None:
        """Extract the given articles, then store them (and the failures) in one transaction, which also
        indexes whatever of the feed still waits for the search index."""
        done, failed = await self._fetch_articles(pending)
        self._share_commit()
        unstored = self.archive.store_extractions(
            done, [(entry_id, error) for entry_id, _url, error in failed], feed_id=feed_id
        )
        urls = {article.entry_id: article.url for article in pending}
        report.extracted += len(done) - len(unstored)
        report.extraction_errors += [f"{url}: {error}" for _entry_id, url, error in failed]
        report.extraction_errors += [f"{urls[entry_id]}: {error}" for entry_id, error in unstored]

    async def _fetch_articles(
        self, articles: Sequence[PendingArticle]
    ) -> tuple[list[ExtractedArticle], list[tuple[int, str, str]]]:
        """Fetch and extract the pages at once: (the extracted ones, (entry id, URL, error) of the others)."""
        results = await asyncio.gather(*(self.articles.fetch(article.url) for article in articles))
        done: list[ExtractedArticle] = []
        failed: list[tuple[int, str, str]] = []
        for article, result in zip(articles, results, strict=True):
            if isinstance(result, FetchedArticle):
                done.append(ExtractedArticle(article.entry_id, result.article, result.final_url, result.page))
            else:
                failed.append((article.entry_id, article.url, result))
        return done, failed

    async def _refetch(self, feed_id: int, report: FeedReport) -> None:
        """Fetch pages once more after refetch_after: the newest post's page gains its Next link later, and
        pages get corrected (the former text is kept in entry_revisions). A failed refetch keeps what is stored."""
        after = self.config.settings.refetch_after
        if after is None:
            return
        due = self.archive.refetch_due(feed_id, at(-after, self.clock.now()), REFETCH_PER_POLL)
        if not due:
            return
        done, _failed = await self._fetch_articles(due)
        self._share_commit()
        unstored = {entry_id for entry_id, _error in self.archive.store_extractions(done)} if done else set()
        self.archive.mark_refetched([article.entry_id for article in due])
        report.refetched += len(done) - len(unstored)

    def _window_gap(self, feed_id: int, parsed: ParsedFeed, newest_before: KnownEntry) -> int:
        """Every entry of the window is new and the newest post known before is gone from it: posts may have
        scrolled out between two polls."""
        dated = [e for e in parsed.entries if e.published_at]
        oldest = min(dated, key=lambda e: e.published_at or "") if dated else parsed.entries[-1]
        if newest_before.published_at and oldest.published_at and oldest.published_at <= newest_before.published_at:
            return 0  # the window reaches back past the newest known post: nothing can be missing between
        seen = self.archive.entry_by_guid(feed_id, oldest.guid)
        if seen is None or self.archive.joined(seen.id, newest_before.id, max_steps=2):
            return 0  # exactly a window's worth of new posts: the pages say nothing lies between
        self.archive.record_gap(feed_id, "every entry of the window was new", newest_before, seen)
        return 1

    def _link_gaps(self, feed_id: int, since: str, newest_before: KnownEntry) -> int:
        """New posts whose page names a previous post that is neither archived nor in the feed."""
        unresolved = self.archive.unresolved_previous(feed_id, since)
        if not unresolved or self.archive.linked_share(feed_id, since) < LINKED_SHARE:
            return 0
        found = 0
        for entry in unresolved:
            if newest_before.published_at and entry.published_at and entry.published_at < newest_before.published_at:
                continue  # older than what the archive already held: history, the backfill's business
            self.archive.record_gap(feed_id, "a new post names a previous post that is not archived", newest_before,
                                    entry)
            found += 1
        return found


def _config_urls(feed_ids: dict[str, int]) -> dict[int, str]:
    """feed id -> its URL in the config (its redacted form is cheap to make again; a pair per feed is not, at
    100,000 feeds)."""
    return {feed_id: url for url, feed_id in feed_ids.items()}


def _log_report(report: FeedReport) -> None:
    """One line per poll; the fields also go to JSON log lines (--log-json) as keys."""
    if not log.isEnabledFor(logging.WARNING if report.error and not report.offline else logging.INFO):
        return  # nothing to build: a poll of many feeds calls this once per feed
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
    if report.offline:  # said once per round by the caller, not once per feed
        log.info("poll %s: %s", report.url, report.error, extra={"fields": fields})
    elif report.error:
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


def prune_pages(config: Config, archive: Archive) -> int:
    """Apply the page_retention setting; returns how many kept pages were dropped."""
    retention = config.settings.page_retention
    if retention is None:
        return 0
    return archive.prune_pages(at(-retention, archive.clock.now()))
