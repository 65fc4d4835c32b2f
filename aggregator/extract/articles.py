"""The one article path: fetch an article page politely and extract it, for polling, backfill, gap filling and
refetching alike (one robots.txt cache and one per-host pacer for all of them)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from aggregator.config.model import Settings
from aggregator.extract.article import ExtractionError, Extractor, is_html
from aggregator.fetch.client import PAGE_ACCEPT, Fetcher, FetchResult
from aggregator.fetch.polite import HostPacer, RobotsCache
from aggregator.models import Article, PackedPage
from aggregator.urls import normalize_url


@dataclass(slots=True)
class FetchedArticle:
    url: str  # as asked for
    final_url: str  # after redirects, normalised
    article: Article
    page: PackedPage | None  # the raw page, when pages are kept


class ArticleFetcher:
    def __init__(self, settings: Settings, fetcher: Fetcher, extractor: Extractor) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.extractor = extractor
        self.robots = RobotsCache(fetcher)
        self.pacer = HostPacer(settings.article_delay)
        # Pages fetched but not yet extracted, at most: fetching outpaces extraction, and without a bound a
        # large poll holds thousands of pages in memory; this many still keep every worker busy.
        self._pages_in_hand = asyncio.Semaphore(32 * (settings.extract_workers or os.cpu_count() or 1))

    async def fetch(self, url: str) -> FetchedArticle | str:
        """The extracted article, or why there is none."""
        if self.settings.respect_robots and not await self.robots.allowed(url):
            return "article page: disallowed by the site's robots.txt"
        await self.pacer.wait(url)  # outside the bound: a paced host must not hold the others' places
        async with self._pages_in_hand:
            # Left compressed: the worker decodes it (within the same limit) and keeps a server's gzip as is.
            max_bytes = self.settings.max_page_bytes
            page = await self.fetcher.fetch(url, accept=PAGE_ACCEPT, max_bytes=max_bytes, decompress=False)
            error = page_problem(page)
            if error is not None:
                return error
            try:
                article, packed = await self.extractor.extract_page(
                    page.body or b"", page.url, page.headers.get("content-type"), self.settings.keep_pages,
                    page.encoding, max_bytes,
                )
            except ExtractionError as exc:
                return str(exc)
        final_url = normalize_url(page.url) or page.url
        if packed is not None:
            packed.url = final_url
        return FetchedArticle(url, final_url, article, packed)


def page_problem(page: FetchResult) -> str | None:
    if page.error is not None:
        return f"article page: {page.error}"
    content_type = page.headers.get("content-type")
    if not is_html(content_type):
        return f"article page is not HTML but {content_type.split(';')[0]}" if content_type else None
    if not page.body:
        return "article page is empty"
    return None
