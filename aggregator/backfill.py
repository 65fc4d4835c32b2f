"""Backfill: follow each feed's previous-post links past the feed window and archive the older posts.

The archive itself is the state: the frontier is the oldest entry whose previous post is named but not
archived, so an interrupted run resumes where it stopped. A URL that keeps failing is given up after
`extract_retries` attempts (kept in `backfill_failures`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aggregator.config import Config
from aggregator.extract import ExtractionError, Extractor
from aggregator.fetch import PAGE_ACCEPT, Fetcher
from aggregator.pipeline import page_problem
from aggregator.polite import HostPacer, RobotsCache
from aggregator.store import Archive
from aggregator.urls import normalize_url


@dataclass(slots=True)
class BackfillReport:
    feed_id: int
    added: int = 0
    failed: int = 0
    reached_start: bool = False  # no unarchived previous post is left: the chain is complete


class Backfiller:
    def __init__(self, config: Config, archive: Archive, fetcher: Fetcher, extractor: Extractor) -> None:
        self.config = config
        self.archive = archive
        self.fetcher = fetcher
        self.extractor = extractor
        self.robots = RobotsCache(fetcher)
        self.pacer = HostPacer(config.settings.article_delay)

    async def backfill_feed(
        self, feed_id: int, max_pages: int, on_page: Callable[[str, bool], None] | None = None
    ) -> BackfillReport:
        report = BackfillReport(feed_id)
        settings = self.config.settings
        while report.added < max_pages:
            frontier = self.archive.backfill_frontier(feed_id, max(settings.extract_retries, 1))
            if frontier is None:
                report.reached_start = True
                break
            _entry_id, url = frontier
            error = await self._archive_one(feed_id, url)
            if error is None:
                report.added += 1
            else:
                report.failed += 1
                self.archive.record_backfill_failure(feed_id, url, error)
            if on_page is not None:
                on_page(url, error is None)
        return report

    async def _archive_one(self, feed_id: int, url: str) -> str | None:
        settings = self.config.settings
        if settings.respect_robots and not await self.robots.allowed(url):
            return "disallowed by the site's robots.txt"
        await self.pacer.wait(url)
        page = await self.fetcher.fetch(url, accept=PAGE_ACCEPT, max_bytes=settings.max_page_bytes)
        problem = page_problem(page)
        if problem is not None:
            return problem
        final_url = normalize_url(page.url) or url
        try:
            article, packed = await self.extractor.extract_page(
                page.body or b"", page.url, page.headers.get("content-type"), settings.keep_pages
            )
        except ExtractionError as exc:
            return str(exc)
        if packed is not None:
            packed.url = final_url
        self.archive.add_backfilled_entry(feed_id, final_url, article, packed)
        return None


async def backfill(
    config: Config,
    archive: Archive,
    feed_ids: list[int],
    max_pages: int,
    on_page: Callable[[str, bool], None] | None = None,
) -> list[BackfillReport]:
    """Backfill the given feeds one after another (their pages are usually on one host: be polite)."""
    async with Fetcher(config.settings) as fetcher, Extractor(config.settings.extract_workers) as extractor:
        backfiller = Backfiller(config, archive, fetcher, extractor)
        return [await backfiller.backfill_feed(feed_id, max_pages, on_page) for feed_id in feed_ids]
