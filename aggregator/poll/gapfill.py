"""Gap filling: find the posts a feed's window lost between two polls, politely, stopping once both sides join.

In order: the feed's own older pages (RFC 5005 paged or archived feeds, WordPress's ?paged=N), the previous-post
links of the archived pages, then the site's sitemaps (robots.txt `Sitemap:` lines, else the usual places;
parsed by ultimate-sitemap-parser, fetched by our own fetcher so the network guard, size limits and robots.txt
apply). Every fetch of an article page goes through the one article path (robots.txt, per-host pacing).
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from usp.tree import sitemap_from_str

from aggregator.config.model import Settings
from aggregator.extract.articles import FetchedArticle
from aggregator.models import ParsedEntry
from aggregator.parse.feeds import FeedParseError
from aggregator.parse.paging import feed_paging, wordpress_page
from aggregator.poll.pipeline import FeedReport, Poller
from aggregator.store.gaps import Gap

log = logging.getLogger("aggregator.poll.gapfill")

MAX_FEED_PAGES = 10  # older pages of one feed read per gap
MAX_SITEMAPS = 20  # sitemap documents read per gap (an index and its children)
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
_FALLBACK_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml", "/sitemap-news.xml")


@dataclass(slots=True)
class GapReport:
    gap_id: int
    feed_id: int
    state: str  # filled, open (tried again later) or unfilled (given up)
    filled_by: list[str] = field(default_factory=list)
    recovered: int = 0
    note: str | None = None


class GapFiller:
    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self.archive = poller.archive
        self.articles = poller.articles
        self.fetcher = poller.fetcher
        self.extractor = poller.extractor

    @property
    def settings(self) -> Settings:
        return self.poller.config.settings

    async def fill_feed(self, feed_id: int) -> list[GapReport]:
        return [await self.fill(gap) for gap in self.archive.open_gaps(feed_id)]

    async def fill(self, gap: Gap) -> GapReport:
        report = GapReport(gap.id, gap.feed_id, "open")
        reached = False
        if self._joined(gap):  # joined meanwhile (a later poll, a refetched page): nothing was missing
            report.state, report.filled_by = "filled", ["already-joined"]
        for name, method in (("feed-page", self._via_feed_pages), ("previous-link", self._via_previous_links),
                             ("sitemap", self._via_sitemaps)):
            if report.state == "filled":
                break
            try:
                found, reached_now = await method(gap)
            except Exception as exc:  # one method's failure must not cost the others
                log.exception("gap %d of feed %d: %s failed", gap.id, gap.feed_id, name)
                report.note = f"{name}: {type(exc).__name__}: {exc}"
                continue
            reached = reached or reached_now
            if found:
                report.filled_by.append(name)
                report.recovered += found
            if reached or self._joined(gap):
                report.state = "filled"
                break
        if report.state != "filled":
            retries = max(self.settings.extract_retries, 1)
            report.state = "open" if gap.attempts + 1 < retries else "unfilled"
            report.note = report.note or "the posts on both sides are not joined yet"
        self.poller.commit()
        self.archive.close_gap(gap.id, report.state, ",".join(report.filled_by) or None, report.recovered,
                               None if report.state == "filled" else report.note)
        log.info("gap %d of feed %d: %s, %d posts recovered%s", gap.id, gap.feed_id, report.state, report.recovered,
                 f" ({', '.join(report.filled_by)})" if report.filled_by else "")
        return report

    def _joined(self, gap: Gap) -> bool:
        return gap.newest_known is None or self.archive.joined(gap.oldest_seen.id, gap.newest_known.id)

    # -- the feed's own older pages ----------------------------------------------------------------------

    async def _via_feed_pages(self, gap: Gap) -> tuple[int, bool]:
        lower = gap.newest_known

        def reached(entries: list[ParsedEntry], known: dict[str, int]) -> bool:
            return lower is None or lower.id in known.values() or bool(
                lower.published_at and any(e.published_at and e.published_at <= lower.published_at for e in entries)
            )

        return await self._read_feed_pages(gap.feed_id, reached, self.settings.gap_pages)

    async def history_from_feed_pages(self, feed_id: int, max_new: int) -> int:
        """Backfill from the feed's older pages, as far as they go (or max_new posts)."""
        found, _ = await self._read_feed_pages(feed_id, lambda _entries, _known: False, max_new)
        return found

    async def _read_feed_pages(
        self, feed_id: int, stop: Callable[[list[ParsedEntry], dict[str, int]], bool], max_new: int
    ) -> tuple[int, bool]:
        """Read the feed's older pages until `stop` says so (then True), storing their entries; the new ones
        are marked found through a feed page and extracted like any new entry."""
        state = self.archive.feed_state(feed_id)
        current = await self.fetcher.fetch(self.poller.fetch_url(feed_id, state.url),
                                           max_bytes=self.settings.max_feed_bytes)
        if not current.ok or not current.body:
            return 0, False
        paging = feed_paging(current.body, current.url)
        self.archive.set_feed_paging(feed_id, paging.generator, paging.older, paging.prev_archive)
        if paging.older is None and not paging.wordpress:
            return 0, False
        recovered, reached = 0, False
        page_url = paging.older or wordpress_page(current.url, 2)
        seen = {current.url}
        for number in range(2, MAX_FEED_PAGES + 2):
            if page_url in seen or recovered >= max_new:
                break
            seen.add(page_url)
            fetched = await self.fetcher.fetch(page_url, max_bytes=self.settings.max_feed_bytes)
            if not fetched.ok or not fetched.body:
                break
            try:
                parsed = await self.extractor.parse(fetched.body, fetched.url, fetched.headers.get("content-type"),
                                                    fetched.headers.get("content-location"))
            except FeedParseError:
                break
            if not parsed.entries:
                break
            guids = [entry.guid for entry in parsed.entries]
            known = self.archive.known_guids(feed_id, guids)
            self.archive.store_entries(feed_id, parsed.entries, defer_index=state.full_text)
            new = [guid for guid in guids if guid not in known]
            self.archive.mark_found_via_guids(feed_id, new, "feed-page")
            recovered += len(new)
            if stop(parsed.entries, known):
                reached = True
                break
            following = feed_paging(fetched.body, fetched.url).older
            page_url = following or (wordpress_page(current.url, number + 1) if paging.wordpress else "")
            if not page_url:
                break
        if recovered and state.full_text:
            await self.poller.extract_pending(feed_id, FeedReport(feed_id, state.url))
        return recovered, reached

    # -- previous-post links ------------------------------------------------------------------------------

    async def _via_previous_links(self, gap: Gap) -> tuple[int, bool]:
        recovered, cursor, seen = 0, gap.oldest_seen.id, set()
        lower = gap.newest_known
        while recovered < self.settings.gap_pages and cursor not in seen:
            seen.add(cursor)
            previous_url, previous_id = self.archive.previous_of(cursor)
            if previous_id is not None:
                if lower is not None and previous_id == lower.id:
                    return recovered, True
                cursor = previous_id  # already archived: walk down to the next unknown one
                continue
            if not previous_url or self.archive.entry_for_url(previous_url, gap.feed_id) is not None:
                break
            result = await self.articles.fetch(previous_url)
            if not isinstance(result, FetchedArticle):
                self.archive.record_backfill_failure(gap.feed_id, previous_url, result)
                break
            published = result.article.published_at
            if lower is not None and lower.published_at and published and published < lower.published_at:
                break  # past the gap: this post is older than the newest one archived before it
            cursor = self.archive.add_found_entry(gap.feed_id, result.final_url, result.article, result.page,
                                                  "previous-link")
            recovered += 1
        return recovered, False

    # -- sitemaps -------------------------------------------------------------------------------------------

    async def _via_sitemaps(self, gap: Gap) -> tuple[int, bool]:
        if not gap.oldest_seen.url or gap.newest_known is None or not gap.newest_known.published_at:
            return 0, False
        lower, upper = gap.newest_known.published_at, gap.oldest_seen.published_at or "9999"
        found = await self._from_sitemaps(gap.feed_id, gap.oldest_seen.url, lower, upper, self.settings.gap_pages)
        return found, False

    async def history_from_sitemaps(
        self, feed_id: int, max_new: int, on_page: Callable[[str, bool], None] | None = None
    ) -> int:
        """Backfill from the site's sitemaps: posts dated before the feed's oldest archived post."""
        oldest = self.archive.oldest_entry(feed_id)
        if oldest is None or not oldest.url or not oldest.published_at:
            return 0
        return await self._from_sitemaps(feed_id, oldest.url, "", oldest.published_at, max_new, on_page)

    async def _from_sitemaps(
        self, feed_id: int, site_url: str, lower: str, upper: str, max_new: int,
        on_page: Callable[[str, bool], None] | None = None,
    ) -> int:
        """Archive the posts of the site's sitemaps published strictly between `lower` and `upper`, newest
        first (nearest to the known posts), at most max_new. Undated pages are left alone: nothing tells
        whether they belong."""
        parts = urlsplit(site_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        section = self.archive.feed_path_prefix(feed_id)
        queue = await self.articles.robots.sitemaps(origin) or [origin + path for path in _FALLBACK_SITEMAPS]
        seen: set[str] = set()
        candidates: dict[str, str] = {}
        while queue and len(seen) < MAX_SITEMAPS:
            url = queue.pop(0)
            if url in seen or urlsplit(url).netloc != parts.netloc:
                continue
            seen.add(url)
            fetched = await self.fetcher.fetch(url, accept=SITEMAP_ACCEPT, max_bytes=self.settings.max_feed_bytes)
            if not fetched.ok or not fetched.body:
                continue
            text = _sitemap_text(fetched.body, self.settings.max_feed_bytes)
            if text is None:
                continue
            children, pages = read_sitemap(text)
            queue += children
            for page_url, published, when in pages:
                page_parts = urlsplit(page_url)
                if when is None or page_parts.netloc != parts.netloc or not page_parts.path.startswith(section):
                    continue
                stamp = _stamp(when)
                # lastmod is at or after publication: it bounds the posts from below only.
                if stamp <= lower or (published is not None and stamp >= upper):
                    continue
                candidates.setdefault(page_url, stamp)
        recovered = fetched_pages = 0
        for url in sorted(candidates, key=candidates.__getitem__, reverse=True):
            # lastmod bounds a candidate from below only: pages edited lately but older than the gap are fetched
            # and dropped, at most as many again as may be kept.
            if recovered >= max_new or fetched_pages >= 2 * max_new:
                break
            if self.archive.entry_for_url(url, feed_id) is not None:
                continue
            fetched_pages += 1
            result = await self.articles.fetch(url)
            ok = isinstance(result, FetchedArticle)
            if on_page is not None:
                on_page(url, ok)
            if not isinstance(result, FetchedArticle):
                continue
            article_published = result.article.published_at
            if article_published is None or not (lower < article_published < upper):
                continue
            if self.archive.entry_for_url(result.final_url, feed_id) is not None:
                continue
            self.archive.add_found_entry(feed_id, result.final_url, result.article, result.page, "sitemap")
            recovered += 1
        return recovered


def read_sitemap(text: str) -> tuple[list[str], list[tuple[str, datetime | None, datetime | None]]]:
    """A sitemap's child sitemaps, and its pages as (URL, news publication date, that or lastmod). Never raises:
    a sitemap the parser cannot read gives nothing."""
    try:
        tree = sitemap_from_str(text)
        children = [sub.url for sub in getattr(tree, "sub_sitemaps", [])]
        pages = []
        for page in tree.all_pages():
            story = page.news_story
            published = story.publish_date if story is not None and story.publish_date else None
            pages.append((page.url, published, published or page.last_modified))
    except Exception:  # a hostile or broken sitemap: the parser's failure is no reason to stop filling
        log.debug("unreadable sitemap", exc_info=True)
        return [], []
    return children, pages


def _sitemap_text(body: bytes, limit: int) -> str | None:
    """A sitemap's text; gzip-compressed sitemap files (.xml.gz) are inflated within `limit`."""
    if body[:2] == b"\x1f\x8b":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, limit)
            if inflater.unconsumed_tail:
                return None
        except (zlib.error, gzip.BadGzipFile):
            return None
    return body.decode("utf-8", "replace")


def _stamp(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
