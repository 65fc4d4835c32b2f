"""Find the feeds behind a URL: the URL itself, the feeds a page advertises, or the usual feed paths.

Everything goes through the project's own Fetcher, so the config's settings apply (timeouts, size caps,
User-Agent, and the refusal of private addresses unless `allow_private_networks`). Every candidate is
fetched and parsed before it is offered: a link that does not lead to a readable feed is never added.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from aggregator.config.model import Settings
from aggregator.fetch.client import FEED_ACCEPT, Fetcher, FetchResult
from aggregator.models import ParsedFeed
from aggregator.parse.feeds import FeedParseError, feed_anchor_links, parse_feed
from aggregator.urls import normalize_url

# The first request may be a feed or a page.
DISCOVER_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.8, */*;q=0.5"
)
# Tried when a page advertises no feed: WordPress, Ghost, Hugo, Jekyll, generic.
COMMON_PATHS = ("/feed/", "/rss/", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed.json", "/?feed=rss2")
MAX_LINKED = 30  # advertised or linked candidates checked per page
_FORMAT_NAMES = {
    "rss090": "RSS 0.90", "rss091n": "RSS 0.91", "rss091u": "RSS 0.91", "rss092": "RSS 0.92", "rss093": "RSS 0.93",
    "rss094": "RSS 0.94", "rss20": "RSS 2.0", "rss10": "RSS 1.0", "rss": "RSS", "atom01": "Atom 0.1",
    "atom02": "Atom 0.2", "atom03": "Atom 0.3", "atom10": "Atom 1.0", "atom": "Atom", "cdf": "CDF",
    "json10": "JSON Feed 1.0", "json11": "JSON Feed 1.1",
}


class DiscoveryError(Exception):
    """The URL could not be read at all; the message is one line."""


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str  # the URL to subscribe to (a permanent redirect's target when the feed moved)
    title: str | None
    format: str  # "rss20", "atom10", "rss10", "json11", ...
    entries: int
    how: str  # "the URL itself", "advertised", "linked", "common path"

    @property
    def format_name(self) -> str:
        return format_name(self.format)


@dataclass(slots=True)
class Discovery:
    url: str  # what was asked for
    final_url: str  # after redirects
    feeds: list[FoundFeed] = field(default_factory=list)
    is_feed: bool = False  # the URL is a feed itself
    page_error: str | None = None  # why the URL itself is no feed
    checked: list[tuple[str, str]] = field(default_factory=list)  # (candidate, why it is no feed)


def format_name(fmt: str) -> str:
    return _FORMAT_NAMES.get(fmt, fmt)


def with_scheme(url: str) -> str:
    """`example.org/blog` -> `https://example.org/blog`; URLs with a scheme stay as they are."""
    url = url.strip()
    return url if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) else "https://" + url


async def discover(url: str, settings: Settings, *, fetcher: Fetcher | None = None) -> Discovery:
    """Find the feeds at `url`. Raises DiscoveryError when the URL itself cannot be fetched."""
    if fetcher is None:
        async with Fetcher(settings) as own:
            return await discover(url, settings, fetcher=own)
    guessed = with_scheme(url) != url.strip()
    url = with_scheme(url)
    if normalize_url(url) is None:
        raise DiscoveryError(f"not an http(s) URL: {url}")
    limit = max(settings.max_feed_bytes, settings.max_page_bytes)
    result = await fetcher.fetch(url, accept=DISCOVER_ACCEPT, max_bytes=limit)
    if guessed and result.status is None:  # no scheme given and no HTTPS there: try plain HTTP
        plain = "http://" + url.removeprefix("https://")
        second = await fetcher.fetch(plain, accept=DISCOVER_ACCEPT, max_bytes=limit)
        if second.status is not None:
            url, result = plain, second
    if not result.ok or result.body is None:
        error = result.error or f"HTTP {result.status}"
        if "non-public address" in error and not settings.allow_private_networks:
            error += " (allow it with 'allow_private_networks: true' under the config's settings)"
        raise DiscoveryError(f"{url}: {error}")
    found = Discovery(url=url, final_url=result.url)
    try:
        parsed = _parse(result)
    except FeedParseError as exc:
        found.page_error = str(exc)
        advertised = list(exc.feed_links)
    else:
        found.is_feed = True
        found.feeds.append(_found(url, result, parsed, "the URL itself"))
        return found

    base = result.url
    linked = [u for u in feed_anchor_links(result.body, base) if u not in advertised]
    await _check_all(fetcher, found, [(u, "advertised") for u in advertised[:MAX_LINKED]]
                     + [(u, "linked") for u in linked[:MAX_LINKED]])
    if not found.feeds:
        await _check_all(fetcher, found, [(u, "common path") for u in common_candidates(base)])
    return found


def common_candidates(page_url: str) -> list[str]:
    """The usual feed locations at the site's root and, for a page below it, in the page's folder."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}/"
    folder = urljoin(page_url, "./")
    bases = [root] if folder == root else [folder, root]
    urls: list[str] = []
    for base in bases:
        for path in COMMON_PATHS:
            candidate = normalize_url(urljoin(base, path.lstrip("/")))
            if candidate and candidate not in urls:
                urls.append(candidate)
    return urls


def _parse(result: FetchResult) -> ParsedFeed:
    assert result.body is not None
    return parse_feed(result.body, result.url, result.headers.get("content-type"),
                      result.headers.get("content-location"))


def _found(url: str, result: FetchResult, parsed: ParsedFeed, how: str) -> FoundFeed:
    return FoundFeed(url=result.permanent_redirect or url, title=parsed.title, format=parsed.format,
                     entries=len(parsed.entries), how=how)


async def _check(fetcher: Fetcher, url: str, how: str) -> tuple[FoundFeed | None, str, tuple[str, ...] | None]:
    result = await fetcher.fetch(url, accept=FEED_ACCEPT)
    if not result.ok or result.body is None:
        return None, result.error or f"HTTP {result.status}", None
    try:
        parsed = _parse(result)
    except FeedParseError as exc:
        return None, str(exc), None
    # Two URLs of one feed (WordPress /feed/ and /?feed=rss2, redirects): same format, same entries.
    identity = (parsed.format, *(e.guid for e in parsed.entries[:10])) if parsed.entries else None
    return _found(url, result, parsed, how), "", identity


async def _check_all(fetcher: Fetcher, found: Discovery, candidates: list[tuple[str, str]]) -> None:
    results = await asyncio.gather(*(_check(fetcher, url, how) for url, how in candidates))
    seen_urls = {normalize_url(f.url) for f in found.feeds}
    seen_content: set[tuple[str, ...]] = set()
    for (url, _how), (feed, why, identity) in zip(candidates, results, strict=True):
        if feed is None:
            found.checked.append((url, why))
            continue
        key = normalize_url(feed.url)
        if key in seen_urls or (identity is not None and identity in seen_content):
            continue
        seen_urls.add(key)
        if identity is not None:
            seen_content.add(identity)
        found.feeds.append(feed)

