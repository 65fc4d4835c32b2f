"""Politeness for article pages: robots.txt and a minimum delay between requests to one host."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from aggregator.fetch.client import Fetcher

ROBOTS_AGENT = "aggregator"
ROBOTS_TTL_S = 24 * 3600
_ROBOTS_MAX_BYTES = 512 * 1024


class HostPacer:
    """Spaces the starts of requests to the same host at least `delay` seconds apart."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._next_slot: dict[str, float] = {}

    async def wait(self, url: str) -> None:
        if self._delay <= 0:
            return
        host = urlsplit(url).netloc.lower()
        now = time.monotonic()
        slot = max(now, self._next_slot.get(host, now))
        self._next_slot[host] = slot + self._delay
        if slot > now:
            await asyncio.sleep(slot - now)


class RobotsCache:
    """robots.txt per site, fetched once a day with the archive's own fetcher.

    A missing robots.txt (4xx) allows everything (RFC 9309). An unreachable one (network error, 5xx)
    also allows: the publisher announced the article in its feed, and the next poll asks again.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._parsers: dict[str, tuple[float, RobotFileParser | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._parsers.get(origin)
            if cached is None or cached[0] < time.monotonic():
                cached = (time.monotonic() + ROBOTS_TTL_S, await self._load(origin))
                self._parsers[origin] = cached
        parser = cached[1]
        return parser is None or parser.can_fetch(ROBOTS_AGENT, url)

    async def sitemaps(self, origin: str) -> list[str]:
        """The sitemaps the site's robots.txt names (`Sitemap:` lines), in its order."""
        await self.allowed(origin + "/")
        parser = self._parsers[origin][1]
        return list(parser.site_maps() or []) if parser is not None else []

    async def _load(self, origin: str) -> RobotFileParser | None:
        result = await self._fetcher.fetch(f"{origin}/robots.txt", accept="text/plain", max_bytes=_ROBOTS_MAX_BYTES)
        if not result.ok or not result.body:
            return None
        parser = RobotFileParser()
        parser.parse(result.body.decode("utf-8", "replace").splitlines())
        return parser

