"""Backfill: follow each feed's previous-post links past the feed window and archive the older posts.

The archive itself is the state: the frontier is the oldest entry whose previous post is named but not
archived, so an interrupted run resumes where it stopped. A URL that keeps failing is given up after
`extract_retries` attempts (kept in `backfill_failures`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aggregator.config.model import Config
from aggregator.extract.articles import ArticleFetcher, FetchedArticle
from aggregator.store import Archive


@dataclass(slots=True)
class BackfillReport:
    feed_id: int
    added: int = 0
    failed: int = 0
    reached_start: bool = False  # no unarchived previous post is left: the chain is complete


class Backfiller:
    def __init__(self, config: Config, archive: Archive, articles: ArticleFetcher) -> None:
        self.config = config
        self.archive = archive
        self.articles = articles

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
            result = await self.articles.fetch(url)
            if isinstance(result, FetchedArticle):
                self.archive.add_found_entry(feed_id, result.final_url, result.article, result.page, "backfill")
                report.added += 1
            else:
                report.failed += 1
                self.archive.record_backfill_failure(feed_id, url, result)
            if on_page is not None:
                on_page(url, isinstance(result, FetchedArticle))
        return report
