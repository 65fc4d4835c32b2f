"""A fault-injection HTTP server on 127.0.0.1: every way a feed or article server can misbehave.

Each scenario is one path. `expect` says what the archive should record for it, so the tests and the
scenario list cannot drift apart.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RSS_TYPE = "application/rss+xml"


def rss(items: str, extra: str = "", encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>Fault feed</title>'
        f"<link>http://127.0.0.1/</link>{extra}{items}</channel></rss>"
    ).encode(encoding if encoding.lower() != "windows-1252" else "cp1252", "xmlcharrefreplace")


def item(n: int, link: str | None = None, *, guid: str | None = None, title: str | None = None,
         date: str | None = "Wed, 12 Feb 2025 20:15:00 +0000", body: str = "") -> str:
    parts = []
    if title is not False:
        parts.append(f"<title>{title if title is not None else f'Entry {n}'}</title>")
    if link:
        parts.append(f"<link>{link}</link>")
    if guid:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    if body:
        parts.append(f"<description><![CDATA[{body}]]></description>")
    return "<item>" + "".join(parts) + "</item>"


@dataclass
class Scenario:
    path: str
    handler: Handler
    expect_error: str | None = None  # prefix of feeds.last_error; None: the poll succeeds
    expect_entries: int | None = None
    notes: str = ""
    full_text: bool = False


@dataclass
class FaultServer:
    """Runs in a thread with its own event loop so sync and async tests can use it."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)
    base_url: str = ""
    hits: dict[str, int] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    def url(self, name: str) -> str:
        return self.base_url + self.scenarios[name].path

    def start(self) -> str:
        self._build()
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._dispatch)
            self._runner = web.AppRunner(app, handler_cancellation=True)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True, name="faultserver")
        self._thread.start()
        ready.wait(10)
        return self.base_url

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        for name, scenario in self.scenarios.items():
            if request.path == scenario.path:
                self.hits[name] = self.hits.get(name, 0) + 1
                return await scenario.handler(request)
        return web.Response(status=404, text="no such scenario")

    # -- scenarios -------------------------------------------------------------------------------

    def _add(self, name: str, handler: Handler, **expect: object) -> None:
        self.scenarios[name] = Scenario(path=f"/{name}/", handler=handler, **expect)  # type: ignore[arg-type]

    def _build(self) -> None:
        def fixed(body: bytes, status: int = 200, content_type: str | None = RSS_TYPE, **headers: str) -> Handler:
            async def handler(request: web.Request) -> web.Response:
                response = web.Response(status=status, body=body, headers=headers)
                if content_type is None:
                    response.headers.popall("Content-Type", None)
                else:
                    response.content_type = content_type.split(";")[0]
                    if "charset=" in content_type:
                        response.charset = content_type.split("charset=")[1]
                return response
            return handler

        def redirect(status: int, target: Callable[[], str]) -> Handler:
            async def handler(request: web.Request) -> web.Response:
                return web.Response(status=status, headers={"Location": target()})
            return handler

        good = rss("".join(item(n, guid=f"good-{n}") for n in range(3)))

        async def reset_mid_body(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Length": "100000", "Content-Type": RSS_TYPE})
            await response.prepare(request)
            await response.write(good[:200])
            assert request.transport is not None
            request.transport.abort()
            return response

        async def slow_headers(request: web.Request) -> web.Response:
            await asyncio.sleep(30)
            return web.Response(body=good, content_type=RSS_TYPE)

        async def trickle(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
            await response.prepare(request)
            for byte in good:
                await response.write(bytes([byte]))
                await asyncio.sleep(0.5)
            return response

        async def endless(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
            await response.prepare(request)
            chunk = b"<item><title>again</title></item>" * 1000
            for _ in range(100_000):  # bounded: about 3 GB, far beyond any limit
                await response.write(chunk)
            return response

        async def trickle_page(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            await response.prepare(request)
            for _ in range(100):
                await response.write(b"<p>")
                await asyncio.sleep(0.5)
            return response

        bomb_plain = b" " * (64 * 1024 * 1024)  # 64 MiB unpacked, about 64 kB on the wire
        gzip_bomb = gzip.compress(bomb_plain, compresslevel=9)
        deflate_bomb = zlib.compress(bomb_plain, 9)
        del bomb_plain
        retry_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
        self.retry_at = retry_at
        laughs = (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                for i in range(1, 10)
            )
            + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
            b"<guid>laugh</guid></item></channel></rss>"
        )
        xxe = (
            b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            b'<rss version="2.0"><channel><title>XXE</title><item><title>&xxe;</title>'
            b"<description>&xxe;</description><guid>xxe</guid></item></channel></rss>"
        )
        html_page = (
            b"<!DOCTYPE html><html><head><title>A site</title>"
            b'<link rel="alternate" type="application/rss+xml" href="/site-feed.xml">'
            b'<link rel="alternate" type="application/atom+xml" href="/site-atom.xml"></head>'
            b"<body><p>Welcome</p></body></html>"
        )
        huge_feed = rss("".join(item(n, guid=f"big-{n}") for n in range(5000)))
        big_entry = rss(item(1, guid="ten-mb", body="<p>" + "Ein sehr langer Absatz. " * 440_000 + "</p>"))
        cp1252_feed = rss(item(1, guid="cp", title="Caf\u00e9 \u201cZitat\u201d \u2013 Stra\u00dfe"), encoding="windows-1252")
        mislabelled = cp1252_feed.replace(b'encoding="windows-1252"', b'encoding="utf-8"')
        latin1_declared = cp1252_feed.replace(b'encoding="windows-1252"', b'encoding="iso-8859-1"')
        invalid_utf8 = rss(item(1, guid="bad-bytes", title="Gr\u00fc\u00dfe")).replace("ü".encode(), b"\xff\xfe")
        bom = b"\xef\xbb\xbf" + rss(item(1, guid="bom", title="Mit BOM"))
        dupes = rss("".join(item(n, f"http://127.0.0.1/dupe/{n}", guid="same-guid") for n in range(4)))
        sparse = rss(
            item(1, "http://127.0.0.1/only-link/", date=None, title=False)  # no guid, title or date
            + item(2, None, guid=None, title="Only a title", date=None)  # no guid, link or date
            + item(3, None, guid=None, title=False, date=None, body="Only a description")
        )
        odd_dates = rss(
            item(1, guid="future", date="Tue, 01 Jan 2999 00:00:00 +0000")
            + item(2, guid="garbage", date="the day after tomorrow")
        )

        def article_links(*targets: str) -> Handler:
            async def handler(request: web.Request) -> web.Response:
                items = "".join(item(n, self.url(f"article/{t}"), guid=f"a-{t}") for n, t in enumerate(targets))
                return web.Response(body=rss(items), content_type=RSS_TYPE)
            return handler

        pdf = b"%PDF-1.4\n" + b"0" * 2000
        jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 2000
        twenty_mb = b"<html><body>" + b"<p>" + b"x" * (20 * 1024 * 1024) + b"</p></body></html>"

        self._add("refused", fixed(b""), expect_error="cannot connect to 127.0.0.1:")
        self._add("unresolvable", fixed(b""), expect_error="cannot resolve no-such-host.invalid")
        self._add("reset_mid_body", reset_mid_body, expect_error="broken response body")
        self._add("slow_headers", slow_headers, expect_error="server sent nothing for 2 s")
        self._add("trickle", trickle, expect_error="timed out after 5 s")
        self._add("endless", endless, expect_error="response body exceeds the limit")
        self._add("oversize", fixed(b"<rss>" + b" " * (16 * 1024 * 1024)), expect_error="response body exceeds the limit")
        self._add("gzip_bomb", fixed(gzip_bomb, **{"Content-Encoding": "gzip"}), expect_error="response body exceeds the limit")
        self._add("deflate_bomb", fixed(deflate_bomb, **{"Content-Encoding": "deflate"}),
                  expect_error="response body exceeds the limit")
        self._add("billion_laughs", fixed(laughs), notes="entities not expanded")
        self._add("xxe", fixed(xxe), notes="no local file content")
        self._add("redirect_loop", redirect(302, lambda: self.url("redirect_loop")), expect_error="too many redirects")
        self._add("redirect_file", redirect(302, lambda: "file:///etc/passwd"), expect_error="refused redirect to a file: URL")
        self._add("redirect_private", redirect(302, lambda: self.base_url.replace("127.0.0.1", "127.0.0.2") + "/good/"),
                  expect_error="refused to connect to non-public address 127.0.0.2")
        self._add("redirect_metadata", redirect(301, lambda: "http://169.254.169.254/latest/meta-data/"),
                  expect_error="refused to connect to non-public address 169.254.169.254")
        self._add("good", fixed(good), expect_entries=3)
        self._add("moved_301", redirect(301, lambda: self.url("moved_target")), expect_entries=3)
        self._add("moved_308", redirect(308, lambda: self.url("moved_target")), expect_entries=3)
        self._add("found_302", redirect(302, lambda: self.url("moved_target")), expect_entries=3)
        self._add("moved_target", fixed(good))
        self._add("not_found", fixed(b"nope", status=404, content_type="text/plain"), expect_error="HTTP 404 Not Found")
        self._add("gone", fixed(b"gone", status=410, content_type="text/plain"), expect_error="HTTP 410 Gone")
        self._add("rate_limited", fixed(b"", status=429, content_type="text/plain", **{"Retry-After": "7200"}),
                  expect_error="HTTP 429 Too Many Requests")
        self._add("unavailable", fixed(b"", status=503, content_type="text/plain",
                                       **{"Retry-After": format_datetime(retry_at, usegmt=True)}),
                  expect_error="HTTP 503 Service Unavailable")
        self._add("server_errors", fixed(b"boom", status=500, content_type="text/plain"),
                  expect_error="HTTP 500 Internal Server Error")
        self._add("wrong_type", fixed(good, content_type="image/png"), expect_entries=3)
        self._add("no_type", fixed(good, content_type=None), expect_entries=3)
        self._add("html_instead", fixed(html_page, content_type="text/html"),
                  expect_error="not a feed but an HTML page; it links to feeds: ")
        self._add("empty", fixed(b""), expect_error="empty")
        self._add("invalid_utf8", fixed(invalid_utf8, content_type="application/rss+xml; charset=utf-8"),
                  expect_entries=1)
        self._add("mislabelled_utf8", fixed(mislabelled), expect_entries=1)
        self._add("latin1_declared", fixed(latin1_declared), expect_entries=1)
        self._add("bom", fixed(bom), expect_entries=1)
        self._add("truncated", fixed(good[: len(good) // 3]), notes="error, or the entries before the cut")
        self._add("duplicate_guids", fixed(dupes), expect_entries=4)
        self._add("sparse_entries", fixed(sparse), expect_entries=3)
        self._add("odd_dates", fixed(odd_dates), expect_entries=2)
        self._add("five_thousand", fixed(huge_feed), expect_entries=5000)
        self._add("ten_mb_entry", fixed(big_entry), expect_entries=1)
        self._add("articles", article_links("huge", "pdf", "image", "reset", "slow", "fine"), expect_entries=6,
                  full_text=True)
        self._add("article/huge", fixed(twenty_mb, content_type="text/html"))
        self._add("article/pdf", fixed(pdf, content_type="application/pdf"))
        self._add("article/image", fixed(jpeg, content_type="image/jpeg"))
        self._add("article/reset", reset_mid_body)
        self._add("article/slow", trickle_page)
        self._add("article/fine", fixed(
            b"<html lang='en'><head><title>Fine</title></head><body><article><h1>Fine</h1>"
            + b"<p>This article page is perfectly fine and has enough text to be extracted by the extractor. </p>" * 5
            + b"</article></body></html>", content_type="text/html"))
