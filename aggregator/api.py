"""The Python API: one object that owns an archive and everything that fills it.

    import asyncio
    from aggregator import open_archive

    async def main() -> None:
        async with open_archive("config/feeds.yaml", "archive.db") as agg:
            for report in await agg.poll():
                print(report.url, report.new_entries, report.error)
            print(agg.search("climate", limit=5))

    asyncio.run(main())

The CLI, the daemon, the demo and the benchmarks all go through it. Tests inject a fake fetcher, a fake
extractor or a simulated clock (``open_archive(..., fetcher=..., extractor=..., clock=...)``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

from aggregator.clock import Clock
from aggregator.config.model import Config, FeedConfig, load_config
from aggregator.extract.article import Extractor
from aggregator.extract.articles import ArticleFetcher
from aggregator.fetch.client import Fetcher
from aggregator.poll.backfill import Backfiller, BackfillReport
from aggregator.poll.gapfill import GapFiller, GapReport
from aggregator.poll.pipeline import NO_NETWORK, FeedReport, Poller, prune_pages
from aggregator.store import Archive

log = logging.getLogger("aggregator.api")

BACKFILL_SOURCES = ("links", "feed", "sitemap")


class Aggregator:
    """An archive with its fetcher, worker pool, article path (robots.txt cache, per-host pacer), poller,
    backfiller and gap filler. Use it as an async context manager; every method is safe to call from one event
    loop."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        own_archive: bool = False,
        articles: bool | None = None,
    ) -> None:
        self.config = config
        self.archive = archive
        self._fetcher = fetcher
        self._extractor = extractor
        self._own_archive = own_archive
        # Whether the worker pool loads trafilatura (any feed extracts article pages); None: from the config.
        self._articles = config.extracts_articles() if articles is None else articles
        self._stack: AsyncExitStack | None = None
        self.poller: Poller | None = None
        self.backfiller: Backfiller | None = None
        self.gapfiller: GapFiller | None = None

    @property
    def clock(self) -> Clock:
        return self.archive.clock

    async def __aenter__(self) -> Aggregator:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            fetcher = self._fetcher
            if fetcher is None:
                fetcher = await stack.enter_async_context(Fetcher(self.config.settings))
            extractor = self._extractor
            if extractor is None:
                extractor = await stack.enter_async_context(
                    Extractor(self.config.settings.extract_workers, articles=self._articles,
                              idle=self.config.settings.extract_idle)
                )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        articles = ArticleFetcher(self.config.settings, fetcher, extractor)
        self.poller = Poller(self.config, self.archive, fetcher, extractor, articles)
        self.backfiller = Backfiller(self.config, self.archive, articles)
        self.gapfiller = GapFiller(self.poller)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self.poller is not None:
            self.poller.commit()
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        if self._own_archive:
            self.archive.close()

    def _ready(self) -> tuple[Poller, Backfiller, GapFiller]:
        if self.poller is None or self.backfiller is None or self.gapfiller is None:
            raise RuntimeError("use the Aggregator as `async with open_archive(...) as agg:`")
        return self.poller, self.backfiller, self.gapfiller

    # -- configuration -----------------------------------------------------------------------------------

    def reload(self, config: Config) -> None:
        """Apply a new configuration's feeds (added, removed, changed); settings apply at the next start."""
        self.config = config
        poller, backfiller, _ = self._ready()
        poller.reload(config)
        backfiller.config = config

    def feed_id(self, feed: FeedConfig) -> int:
        return self._ready()[0].feed_ids[feed.url]

    @property
    def feed_ids(self) -> dict[str, int]:
        """config URL -> feed id."""
        return dict(self._ready()[0].feed_ids)

    # -- polling --------------------------------------------------------------------------------------------

    async def poll_feed(self, feed: FeedConfig, fill_gaps: bool = True) -> FeedReport:
        """Poll one feed; a crash is recorded as the feed's error. Then fill the feed's open gaps."""
        poller, _, gapfiller = self._ready()
        try:
            report = await poller.poll_feed(feed)
        except Exception as exc:  # a bug met by one feed is recorded, the others go on
            log.exception("poll %s failed", feed.url)
            return poller.record_crash(feed, exc)
        if fill_gaps and report.error is None and report.open_gaps:
            try:
                await gapfiller.fill_feed(report.feed_id)
            except Exception:  # recorded in the gap's note on the next try; the poll itself stands
                log.exception("filling the gaps of %s failed", feed.url)
        return report

    async def poll(
        self, feeds: Sequence[FeedConfig] | None = None, on_done: Callable[[FeedReport], None] | None = None
    ) -> list[FeedReport]:
        """Poll the given (default: every enabled) feed once, concurrently."""
        poller = self._ready()[0]
        selected = [f for f in (feeds if feeds is not None else self.config.feeds) if f.enabled]

        async def one(feed: FeedConfig) -> FeedReport:
            report = await self.poll_feed(feed)
            if on_done is not None:
                on_done(report)
            return report

        try:
            reports = list(await asyncio.gather(*(one(feed) for feed in selected)))
        finally:
            poller.commit()
        unresolved = [r for r in reports if r.unresolved]
        if unresolved and poller.fetcher.offline:
            for report in unresolved:
                if not report.offline:  # counted before it was clear that no host resolves: not the feed's fault
                    self.archive.forgive_error(report.feed_id, f"{NO_NETWORK}: {report.error}")
                    report.offline, report.error = True, f"{NO_NETWORK}: {report.error}"
            log.warning("%s: %d feeds could not be resolved; they are polled again as usual, not counted as "
                        "failing", NO_NETWORK, len(unresolved))
        elif unresolved:  # the network works: a host that does not resolve is its feed's own error
            for report in unresolved:
                if report.offline:
                    error = str(report.error).removeprefix(f"{NO_NETWORK}: ")
                    self.archive.count_error(report.feed_id, error)
                    report.offline, report.error = False, error
                    log.warning("poll %s error=%r", report.url, error)
        prune_pages(self.config, self.archive)
        return reports

    async def fill_gaps(self, feed_id: int | None = None) -> list[GapReport]:
        """Try to fill the open gaps of one feed (default: of every feed)."""
        gapfiller = self._ready()[2]
        ids = [feed_id] if feed_id is not None else sorted({gap.feed_id for gap in self.archive.open_gaps()})
        return [report for fid in ids for report in await gapfiller.fill_feed(fid)]

    # -- history ---------------------------------------------------------------------------------------------

    async def backfill(
        self,
        feed_ids: Sequence[int],
        max_pages: int,
        on_page: Callable[[str, bool], None] | None = None,
        via: Sequence[str] = ("links",),
    ) -> list[BackfillReport]:
        """Archive older posts of each feed (one feed after another: their pages are usually on one host).

        via: "links" follows the pages' previous-post links; "feed" reads the feed's older pages (RFC 5005,
        WordPress ?paged=N); "sitemap" takes the site's sitemaps, oldest first."""
        unknown = set(via) - set(BACKFILL_SOURCES)
        if unknown:
            raise ValueError(f"unknown backfill source(s): {', '.join(sorted(unknown))}")
        _, backfiller, gapfiller = self._ready()
        reports = []
        for feed_id in feed_ids:
            report = BackfillReport(feed_id)
            if "feed" in via:
                report.added += await gapfiller.history_from_feed_pages(feed_id, max_pages)
            if "sitemap" in via:
                report.added += await gapfiller.history_from_sitemaps(feed_id, max_pages, on_page)
            if "links" in via:
                links = await backfiller.backfill_feed(feed_id, max_pages, on_page)
                report.added += links.added
                report.failed += links.failed
                report.reached_start = links.reached_start
            reports.append(report)
        return reports

    async def reextract(self, feed_id: int | None = None, on_page: Callable[[], None] | None = None) -> Any:
        """Extract the kept pages again (after a trafilatura upgrade, say), fetching nothing."""
        from aggregator.poll.reextract import reextract

        return await reextract(self.config, self.archive, feed_id, on_page)

    # -- reading --------------------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Full-text search over titles, summaries and article text, best match first."""
        return self.archive.search(query, limit)

    def entries(self, feed_id: int | None = None, limit: int = 50) -> list[dict[str, object]]:
        """The newest entries (of one feed, or all), newest first."""
        return self.archive.latest_entries(feed_id, limit)


async def poll_once(
    config: Config,
    archive: Archive,
    feeds: Sequence[FeedConfig] | None = None,
    on_done: Callable[[FeedReport], None] | None = None,
) -> list[FeedReport]:
    """Poll the given (default: every enabled) feed once, concurrently (see Aggregator.poll)."""
    selected = [f for f in (feeds if feeds is not None else config.feeds) if f.enabled]
    articles = any(config.feed_full_text(feed) for feed in selected)
    async with Aggregator(config, archive, articles=articles) as aggregator:
        return await aggregator.poll(selected, on_done)


def open_archive(
    config: Config | str | os.PathLike[str],
    db: str | os.PathLike[str] = "archive.db",
    *,
    clock: Clock | None = None,
    fetcher: Fetcher | None = None,
    extractor: Extractor | None = None,
) -> Aggregator:
    """An Aggregator over the archive at `db` with the feeds of `config` (a Config or the path of feeds.yaml)."""
    if not isinstance(config, Config):
        config = load_config(Path(config))
    return Aggregator(config, Archive(db, clock=clock), fetcher=fetcher, extractor=extractor, own_archive=True)
