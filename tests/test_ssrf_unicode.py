"""SSRF through hosts that yarl maps to IP literals (issue 17, item 1): Unicode digits (`①②⑦`), full-width digits
and full stops, the ideographic full stop. Each must be refused on every path, before any byte reaches the target."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import write_config

from aggregator.api import poll_once
from aggregator.config.model import Settings
from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.fetch.client import PAGE_ACCEPT, Fetcher
from aggregator.fetch.discover import DiscoveryError, discover
from aggregator.fetch.netguard import BlockedAddressError, NetworkPolicy, check_url, guarded_socket_factory
from aggregator.fetch.polite import RobotsCache
from aggregator.store import Archive

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
# Spellings of 127.0.0.1 that urlsplit() leaves as names and yarl (so aiohttp) connects to as 127.0.0.1.
LOOPBACK = ["①②⑦.0.0.1", "１２７.０.０.１", "127。0。0。1", "１２７．０．０．１", "127｡0｡0｡1", "①②⑦。⓪.⓪.①"]
# 127.0.0.2: refused while 127.0.0.1/32 is allowed, so the test server can send the redirects
SECOND_LOOPBACK = ["①②⑦.0.0.②", "１２７.０.０.２", "127。0。0。2"]


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[str]]]:
    seen: list[str] = []

    async def any_path(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        target = request.query.get("to")
        if target is not None:
            return web.Response(status=int(request.query.get("status", "302")), headers={"Location": target})
        return web.Response(body=FEED, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{tail:.*}", any_path)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv, seen
    await srv.close()


def strict(**overrides: object) -> Settings:
    return Settings.model_validate({"allow_private_networks": False, "timeout": 3, **overrides})


def only_first_loopback() -> Settings:
    return strict(allowed_networks=["127.0.0.1/32"])


@pytest.mark.parametrize("host", LOOPBACK)
async def test_unicode_spellings_of_loopback_refused_as_feed_url(server, host: str) -> None:
    srv, seen = server
    async with Fetcher(strict()) as fetcher:
        result = await fetcher.fetch(f"http://{host}:{srv.port}/secret")
    assert result.error == "refused to connect to non-public address 127.0.0.1"
    assert seen == []


def test_check_url_maps_hosts_like_the_http_client() -> None:
    policy = NetworkPolicy()
    for url in [f"http://{h}/" for h in [*LOOPBACK, *SECOND_LOOPBACK]] + [
        "http://⑯⑨.②⑤④.⑯⑨.②⑤④/latest/meta-data/",  # 169.254.169.254, cloud metadata
        "http://１６９.２５４.１６９.２５４/",
        "https://①⓪.0.0.①:8443/",
        "http://ｌｏｃａｌｈｏｓｔ/",
        "http://０ｘ７ｆ.１/",  # full-width hex, an inet_aton form once mapped
    ]:
        with pytest.raises(BlockedAddressError):
            check_url(url, policy)
    check_url("http://example.org/feed", policy)
    check_url("http://①②⑦.0.0.1/", NetworkPolicy(allow_private=True))


@pytest.mark.parametrize("status", [301, 302, 307])
@pytest.mark.parametrize("host", SECOND_LOOPBACK)
async def test_redirect_hops_to_unicode_hosts_refused(server, status: int, host: str) -> None:
    srv, seen = server
    target = f"http://{host}:{srv.port}/secret"  # sent as raw UTF-8 bytes in Location
    async with Fetcher(only_first_loopback()) as fetcher:
        result = await fetcher.fetch(str(srv.make_url("/hop").with_query(to=target, status=str(status))))
    assert result.error == "refused to connect to non-public address 127.0.0.2"
    assert result.redirects == [(status, target)]
    assert [p.split("?")[0] for p in seen] == ["/hop"]


async def test_article_page_fetch_through_a_unicode_redirect_refused(server) -> None:
    srv, _ = server
    target = f"http://127。0。0。2:{srv.port}/internal-page"
    async with Fetcher(only_first_loopback()) as fetcher:
        result = await fetcher.fetch(str(srv.make_url("/article").with_query(to=target)), accept=PAGE_ACCEPT,
                                     max_bytes=100_000, decompress=False)
    assert result.error == "refused to connect to non-public address 127.0.0.2"


async def test_robots_txt_of_a_unicode_host_refused(server) -> None:
    srv, seen = server
    async with Fetcher(strict()) as fetcher:
        robots = RobotsCache(fetcher)
        assert await robots.allowed(f"http://①②⑦.0.0.1:{srv.port}/page")  # unreachable robots.txt allows
    assert seen == []


async def test_discovery_of_a_unicode_host_refused(server) -> None:
    srv, seen = server
    with pytest.raises(DiscoveryError, match=r"non-public address 127\.0\.0\.1"):
        await discover(f"http://①②⑦.0.0.1:{srv.port}/secret", strict())
    assert seen == []


async def test_every_socket_checked_even_without_the_resolver(server) -> None:
    # The last line of defence: an IP literal never goes through GuardedResolver; the socket factory sees it.
    srv, seen = server
    connector = aiohttp.TCPConnector(socket_factory=guarded_socket_factory(NetworkPolicy()))
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get(f"http://127.0.0.1:{srv.port}/feed")
    assert isinstance(caught.value.os_error, BlockedAddressError)
    assert seen == []
    assert guarded_socket_factory(NetworkPolicy(allow_private=True)) is None


def test_article_page_redirected_to_a_unicode_host_is_not_archived(site: NewsSite, tmp_path: Path) -> None:
    # A feed on the (allowed) test site whose article redirects to 127.0.0.2 spelled in Unicode digits.
    secret = f"http://①②⑦.0.0.②:{site.port}/secret"
    item = {"id": "a1", "url": site.url_for("/go-inside"), "title": "Inside", "content_text": "x"}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [item]}
    site.set_route("/ssrf-feed.json", CustomResponse(body=json.dumps(feed), content_type="application/feed+json"))
    site.set_route("/go-inside", CustomResponse(status=302, headers={"Location": secret}))
    try:
        config = write_config(tmp_path / "f.yaml", [site.url_for("/ssrf-feed.json")], allow_private_networks=False,
                              allowed_networks="[127.0.0.1/32]", respect_robots=False)
        archive = Archive(tmp_path / "a.db")
        asyncio.run(poll_once(config, archive))
        rows = archive.db.execute("SELECT full_text_source, extraction_error FROM entries").fetchall()
        archive.close()
    finally:
        site.clear_route("/ssrf-feed.json")
        site.clear_route("/go-inside")
    assert len(rows) == 1
    assert rows[0][0] != "page"
    assert "refused to connect to non-public address 127.0.0.2" in rows[0][1]


@pytest.mark.parametrize("host", ["①②⑦.0.0.1", "１２７.０.０.１", "127。0。0。1"])
def test_aggregator_add_of_a_unicode_host_refused(site: NewsSite, tmp_path: Path, host: str) -> None:
    from click.testing import CliRunner

    from aggregator.cli import main

    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n", encoding="utf-8")
    site.clear_requests()
    url = site.feed_url("dev-notes-posts").replace("127.0.0.1", host)
    result = CliRunner().invoke(main, ["add", "--yes", url, "--config", str(config)])
    assert result.exit_code == 1
    assert "non-public address 127.0.0.1" in result.output
    assert config.read_text(encoding="utf-8") == "feeds: []\n"
    assert site.requests == []
