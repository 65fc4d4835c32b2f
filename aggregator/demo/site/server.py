"""The local test site's HTTP server: aiohttp on 127.0.0.1 in a background thread with its own event loop.

Sync and async tests can both use it: the loop never runs in the caller's thread. Content changes
(``publish``, ``edit_article``) and fault injection (``set_route``) are thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from types import TracebackType
from urllib.parse import urlsplit

from aiohttp import web

from .content import Article, Block, World
from .routes import BROKEN_PATHS, Resource, Router

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class RequestRecord:
    """One request as the server saw it; ``status`` is None until the response is ready."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    monotonic: float  # time.monotonic() on arrival
    wall_time: float  # time.time() on arrival
    status: int | None = None
    duration: float | None = None  # seconds from arrival to response

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class CustomResponse:
    """A canned answer for ``NewsSite.set_route``."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (cut short when the server stops)


Route = CustomResponse | Handler


@dataclass(frozen=True, slots=True)
class FeedInfo:
    name: str  # "<chain>.<format>"
    chain: str
    format: str  # "rss20", "atom10", "rss10" or "json11"
    language: str  # "de" or "en"
    locale: str  # "de-DE" or "en-US"
    site: str
    theme: str
    path: str
    url: str  # empty until the server has started
    content_type: str
    primary: bool  # the chain's format listed in the OPML file


@dataclass(slots=True)
class _Override:
    route: Route
    remaining: int | None  # None: until cleared


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding.lower() in ("gzip", "x-gzip", "*"):
            q = next((p[2:] for p in params if p.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return True
    return False


def _not_modified(request: web.Request, resource: Resource) -> bool:
    """RFC 9110 evaluation: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return resource.etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since and resource.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resource.last_modified <= since
    return False


class NewsSite:
    """A generated news site with feeds, served on 127.0.0.1 at a random port.

    >>> with NewsSite(seed=1) as site:
    ...     feed = urllib.request.urlopen(site.feed_urls["newsportal-nachrichten.rss20"]).read()
    """

    def __init__(self, seed: int = 1, feed_window: int = 10, *, slow_seconds: float = 30.0,
                 chain_length: tuple[int, int] = (30, 60), page_size: int = 10, port: int = 0) -> None:
        if feed_window < 1:
            raise ValueError("feed_window must be at least 1")
        self.seed = seed
        self.port = port
        self.world = World(seed, chain_length)
        self._router = Router(self.world, feed_window=feed_window, page_size=page_size, slow_seconds=slow_seconds)
        self._lock = threading.RLock()  # guards world, router and overrides
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._overrides: dict[str, _Override] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns the base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._thread is not None:
            return self.base_url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        with self._lock:  # URLs are known before the first request can arrive
            self.world.set_base_url(f"http://127.0.0.1:{self.port}")
            self._router.invalidate()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"testsite-{self.port}", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._serve(sock), loop).result(timeout=10)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
            sock.close()
            raise
        self._loop, self._thread = loop, thread
        return self.base_url

    def stop(self) -> None:
        """Stop serving; slow responses still waiting are cut short. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> NewsSite:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def base_url(self) -> str:
        if not self.world.base_url:
            raise RuntimeError("the test site has not been started")
        return self.world.base_url

    def url_for(self, path: str) -> str:
        return self.base_url + path

    # -- ground truth ---------------------------------------------------------------------------------------

    @property
    def feed_window(self) -> int:
        return self._router.feed_window

    @feed_window.setter
    def feed_window(self, value: int) -> None:
        with self._lock:
            self._router.feed_window = value
            self._router.invalidate()

    @property
    def slow_seconds(self) -> float:
        return self._router.slow_seconds

    @slow_seconds.setter
    def slow_seconds(self, value: float) -> None:
        with self._lock:
            self._router.slow_seconds = value
            self._router.invalidate()

    @property
    def feeds(self) -> dict[str, FeedInfo]:
        base = self.world.base_url
        return {
            name: FeedInfo(name, spec.chain, spec.format, spec.site.language, spec.site.locale, spec.site.slug,
                           spec.site.theme, spec.path, base + spec.path if base else "", spec.content_type,
                           spec.primary)
            for name, spec in self._router.feeds.items()
        }

    @property
    def feed_urls(self) -> dict[str, str]:
        return {name: self.url_for(spec.path) for name, spec in self._router.feeds.items()}

    def feed_url(self, chain: str, fmt: str = "rss20") -> str:
        return self.url_for(self._router.feeds[f"{chain}.{fmt}"].path)

    @property
    def chain_names(self) -> list[str]:
        return list(self.world.chains)

    def chain(self, name: str) -> list[Article]:
        """All articles of a chain (by chain or feed name), oldest first."""
        with self._lock:
            return list(self.world.chains[self._chain_name(name)].articles)

    def articles_in_feed(self, name: str) -> list[Article]:
        """What the feed (by feed or chain name) currently lists, newest first."""
        with self._lock:
            return self.world.chains[self._chain_name(name)].newest(self.feed_window)

    @property
    def articles(self) -> list[Article]:
        with self._lock:
            return self.world.articles

    def article(self, path_or_url: str) -> Article | None:
        return self.world.find(self._path(path_or_url))

    @property
    def seed_article(self) -> Article:
        return self.world.seed_article

    @property
    def broken_urls(self) -> dict[str, str]:
        return {key: self.url_for(path) for key, path in BROKEN_PATHS.items()}

    @property
    def opml_url(self) -> str:
        return self.url_for("/feeds.opml")

    # -- changing the site ----------------------------------------------------------------------------------

    def publish(self, chain_or_feed_name: str, count: int = 1, at: datetime | None = None) -> list[Article]:
        """Append ``count`` new newest articles to a chain (published at ``at`` when given, else a little after
        the site's latest change); its feeds, listings and neighbour change."""
        with self._lock:
            added = self.world.extend(self._chain_name(chain_or_feed_name), count, at)
            self._router.invalidate()
        return added

    def delete_article(self, article: Article | str) -> Article:
        """Take an article down (410 Gone); its neighbours then link to each other."""
        with self._lock:
            found = self.world.find(article.path if isinstance(article, Article) else self._path(article))
            if found is None:
                raise KeyError(f"no such article: {article!r}")
            self.world.delete(found)
            self._router.invalidate()
        return found

    def move_article(self, article: Article | str, slug: str) -> str:
        """Give an article a new slug; its former URL answers 301. Returns the former URL."""
        with self._lock:
            found = self.world.find(article.path if isinstance(article, Article) else self._path(article))
            if found is None:
                raise KeyError(f"no such article: {article!r}")
            old = self.world.move(found, slug)
            self._router.invalidate()
        return self.url_for(old)

    def edit_article(self, article: Article | str, *, title: str | None = None, blocks: list[Block] | None = None,
                     append_paragraph: str | None = None, at: datetime | None = None) -> Article:
        """Change an article (object, path or URL). With no changes given, appends a dated update note."""
        with self._lock:
            found = self.world.find(article.path if isinstance(article, Article) else self._path(article))
            if found is None:
                raise KeyError(f"no such article: {article!r}")
            self.world.edit(found, title=title, blocks=blocks, append_paragraph=append_paragraph, at=at)
            self._router.invalidate()
        return found

    def set_route(self, path: str, route: Route, *, times: int | None = None) -> str:
        """Answer ``path`` (or URL) with ``route`` instead of the normal content, for ``times`` requests.

        ``route`` is a CustomResponse or an aiohttp handler ``async (request) -> StreamResponse``; it
        applies to every method. Returns the path's absolute URL (or the path before ``start``).
        """
        path = self._path(path)
        with self._lock:
            self._overrides[path] = _Override(route, times)
        return self.url_for(path) if self.world.base_url else path

    def clear_route(self, path: str | None = None) -> None:
        """Remove one override, or all of them."""
        with self._lock:
            if path is None:
                self._overrides.clear()
            else:
                self._overrides.pop(self._path(path), None)

    # -- request log ----------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._requests)

    def requests_for(self, path: str, method: str | None = None) -> list[RequestRecord]:
        """Logged requests for one path (or URL; the query is ignored), oldest first."""
        path = self._path(path)
        return [r for r in self.requests if r.path == path and (method is None or r.method == method.upper())]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._requests.clear()

    # -- internals ------------------------------------------------------------------------------------------

    def _chain_name(self, name: str) -> str:
        if name in self.world.chains:
            return name
        if name in self._router.feeds:
            return self._router.feeds[name].chain
        raise KeyError(f"no chain or feed named {name!r}")

    @staticmethod
    def _path(path_or_url: str) -> str:
        if "://" in path_or_url:
            return urlsplit(path_or_url).path or "/"
        return path_or_url.split("?", 1)[0]

    async def _serve(self, sock: socket.socket) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _pause(self, seconds: float) -> bool:
        """Sleep without blocking other requests; False when the server began stopping meanwhile."""
        if seconds <= 0 or self._stopping is None:
            return True
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        record = RequestRecord(request.method, request.path, request.query_string, headers, time.monotonic(),
                               time.time())
        with self._log_lock:
            self._requests.append(record)
        try:
            response = await self._respond(request)
        except web.HTTPException as exc:  # raised by a custom handler
            response = exc
        except Exception:  # a broken custom handler must not take the server down
            logger.exception("test site handler failed for %s", request.path)
            response = web.Response(status=500, text="test site handler failed\n")
        with self._log_lock:
            record.status = response.status
            record.duration = time.monotonic() - record.monotonic
        return response

    def _take_override(self, path: str) -> Route | None:
        with self._lock:
            override = self._overrides.get(path)
            if override is None:
                return None
            if override.remaining is not None:
                override.remaining -= 1
                if override.remaining <= 0:
                    del self._overrides[path]
            return override.route

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        route = self._take_override(request.path)
        if isinstance(route, CustomResponse):
            if not await self._pause(route.delay):
                return web.Response(status=503, text="server stopping\n")
            body = route.body.encode() if isinstance(route.body, str) else route.body
            headers = dict(route.headers)
            if route.content_type is not None:
                headers.setdefault("Content-Type", route.content_type)
            return web.Response(status=route.status, body=body, headers=headers)
        if route is not None:
            return await route(request)
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, headers={"Allow": "GET, HEAD"}, text="Method Not Allowed\n")
        with self._lock:
            resource = self._router.resolve(request.path, request.query)
            if resource is None:
                resource = self._router.not_found(request.path)
        if not await self._pause(resource.delay):
            return web.Response(status=503, text="server stopping\n")
        return self._http_response(request, resource)

    @staticmethod
    def _http_response(request: web.Request, resource: Resource) -> web.Response:
        headers = {"Content-Type": resource.content_type, **resource.headers}
        use_gzip = (resource.compressible and bool(resource.body)
                    and _accepts_gzip(request.headers.get("Accept-Encoding", "")))
        if resource.compressible:
            headers["Vary"] = "Accept-Encoding"
        if resource.conditional:
            # like nginx, a compressed representation only keeps a weak validator
            headers["ETag"] = f"W/{resource.etag}" if use_gzip else resource.etag
            if resource.last_modified is not None:
                headers["Last-Modified"] = format_datetime(resource.last_modified, usegmt=True)
            if _not_modified(request, resource):
                keep = ("ETag", "Last-Modified", "Vary")
                return web.Response(status=304, headers={k: headers[k] for k in keep if k in headers})
        body = resource.body
        if use_gzip:
            body = resource.gzipped()
            headers["Content-Encoding"] = "gzip"
        return web.Response(status=resource.status, body=body, headers=headers)
