"""The fetcher against a real HTTP server on 127.0.0.1: limits, redirects, conditional GET, SSRF."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aggregator import USER_AGENT
from aggregator.config.model import Settings
from aggregator.fetch.client import Fetcher, parse_retry_after
from aggregator.fetch.netguard import NetworkPolicy, check_host, is_public_address, parse_ip_literal

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def make_app(seen: list[web.Request]) -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=FEED, headers={"ETag": '"v1"', "Last-Modified": "Wed, 12 Feb 2025 20:15:00 GMT"},
                            content_type="application/rss+xml")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def bomb(request: web.Request) -> web.Response:
        # 50 kB on the wire, 50 MB once decompressed
        return web.Response(body=gzip.compress(b"\0" * 50_000_000), headers={"Content-Encoding": "gzip"})

    async def endless(request: web.StreamResponse) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10_000):
            await response.write(b"y" * 1024)
        return response

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.Response(body=FEED)

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"z")
            await asyncio.sleep(0.2)
        return response

    def redirect(target: str, status: int):
        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": target})
        return handler

    async def loop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        return web.Response(status=302, headers={"Location": f"/loop/{n + 1}"})

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "120"})

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/big", big)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/endless", endless)
    app.router.add_get("/slow", slow)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/perm1", redirect("/perm2", 301))
    app.router.add_get("/perm2", redirect("/feed", 308))
    app.router.add_get("/mixed", redirect("/temp", 301))
    app.router.add_get("/temp", redirect("/feed", 302))
    app.router.add_get("/loop/{n}", loop)
    app.router.add_get("/to-file", redirect("file:///etc/passwd", 302))
    app.router.add_get("/unavailable", gone)
    return app


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[web.Request]]]:
    seen: list[web.Request] = []
    srv = TestServer(make_app(seen), host="127.0.0.1")
    await srv.start_server()
    yield srv, seen
    await srv.close()


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"allow_private_networks": True, "max_feed_bytes": 4096, "timeout": 3,
                                 "read_timeout": 1, "max_redirects": 3}
    values.update(overrides)
    return Settings.model_validate(values)


def url(srv: TestServer, path: str) -> str:
    return str(srv.make_url(path))


async def test_conditional_get_and_headers(server) -> None:
    srv, seen = server
    async with Fetcher(settings()) as fetcher:
        first = await fetcher.fetch(url(srv, "/feed"))
        assert first.ok and first.body == FEED
        assert first.headers["etag"] == '"v1"'
        second = await fetcher.fetch(url(srv, "/feed"), etag=first.headers["etag"],
                                     last_modified=first.headers["last-modified"])
    assert second.not_modified and second.body is None and second.error is None
    assert seen[1].headers["If-None-Match"] == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == "Wed, 12 Feb 2025 20:15:00 GMT"
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert "gzip" in seen[0].headers["Accept-Encoding"]


@pytest.mark.parametrize("path", ["/big", "/bomb", "/endless"])
async def test_body_limits(server, path: str) -> None:
    srv, _ = server
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(url(srv, path))
    assert result.error == "response body exceeds the limit of 4096 bytes"
    assert result.body is None


async def test_timeouts(server) -> None:
    srv, _ = server
    async with Fetcher(settings()) as fetcher:
        slow = await fetcher.fetch(url(srv, "/slow"))
        trickle = await fetcher.fetch(url(srv, "/trickle"))
    # no byte for longer than read_timeout (1 s)
    assert slow.error == "server sent nothing for 1 s" and slow.duration_ms < 2500
    # bytes keep coming, but the whole request outlives timeout (3 s)
    assert trickle.error == "timed out after 3 s" and trickle.duration_ms < 4000


async def test_redirects_permanent_temporary_and_bounded(server) -> None:
    srv, _ = server
    async with Fetcher(settings()) as fetcher:
        permanent = await fetcher.fetch(url(srv, "/perm1"))
        mixed = await fetcher.fetch(url(srv, "/mixed"))
        looping = await fetcher.fetch(url(srv, "/loop/0"))
        to_file = await fetcher.fetch(url(srv, "/to-file"))
    assert permanent.ok and permanent.permanent_redirect == url(srv, "/feed")
    assert [status for status, _ in permanent.redirects] == [301, 308]
    assert mixed.ok and mixed.permanent_redirect is None  # one 302 in the chain makes it temporary
    assert looping.error == "too many redirects (more than 3)"
    assert to_file.error == "refused redirect to a file: URL"


async def test_http_errors_and_retry_after(server) -> None:
    srv, _ = server
    async with Fetcher(settings()) as fetcher:
        missing = await fetcher.fetch(url(srv, "/nothing-here"))
        unavailable = await fetcher.fetch(url(srv, "/unavailable"))
    assert missing.status == 404 and missing.error == "HTTP 404 Not Found"
    assert unavailable.status == 503 and unavailable.retry_after_seconds == 120


async def test_connection_refused_is_an_error_not_an_exception() -> None:
    async with Fetcher(settings(timeout=2)) as fetcher:
        result = await fetcher.fetch("http://127.0.0.1:9/feed")
    assert result.error is not None and result.error.startswith("cannot connect to 127.0.0.1:9")


async def test_private_addresses_refused_by_default(server) -> None:
    srv, _ = server
    async with Fetcher(settings(allow_private_networks=False)) as fetcher:
        literal = await fetcher.fetch(url(srv, "/feed"))
        named = await fetcher.fetch(url(srv, "/feed").replace("127.0.0.1", "localhost"))
    assert literal.error == "refused to connect to non-public address 127.0.0.1"
    assert named.error is not None and "refused" in named.error


async def test_names_checked_after_resolution(server) -> None:
    srv, _ = server
    # With a private network allowed but not loopback, "localhost" passes the name check and is
    # refused only once it resolves, at connect time.
    async with Fetcher(settings(allow_private_networks=False, allowed_networks=["10.0.0.0/8"])) as fetcher:
        result = await fetcher.fetch(url(srv, "/feed").replace("127.0.0.1", "localhost"))
    assert result.error is not None and result.error.startswith("refused: localhost resolves to non-public address")


def test_address_classification() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "0.0.0.0"):
        assert not is_public_address(address), address
    for address in ("93.184.216.34", "2606:4700::1111"):
        assert is_public_address(address), address
    assert parse_ip_literal("0177.0.0.1") == "127.0.0.1"
    assert parse_ip_literal("2130706433") == "127.0.0.1"
    assert parse_ip_literal("0x7f.1") == "127.0.0.1"
    assert parse_ip_literal("example.com") is None
    with pytest.raises(OSError):
        check_host("0x7f.1", NetworkPolicy())
    check_host("0x7f.1", NetworkPolicy(allow_private=True))
    only_one = NetworkPolicy.from_settings(False, ["127.0.0.1/32"])
    check_host("127.0.0.1", only_one)
    for host in ("127.0.0.2", "0x7f000002", "[::1]", "169.254.169.254", "10.0.0.1"):
        with pytest.raises(OSError):
            check_host(host, only_one)


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime
    now = datetime(2025, 2, 12, 20, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 12 Feb 2025 20:15:00 GMT", now=now) == 900
    assert parse_retry_after("soon") is None
