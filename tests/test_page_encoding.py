"""Article pages fetched still compressed and decoded in the extraction worker, within the same size limit."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aggregator.config.model import Settings
from aggregator.extract.article import ExtractionError, Extractor
from aggregator.fetch.bodies import BodyError, decode_body
from aggregator.fetch.client import PAGE_ACCEPT, Fetcher

PARAGRAPH = (
    "The harbour authority said on Tuesday that the new pier would open in the spring, after two years of "
    "work that had been delayed by storms, a shortage of steel and a long dispute about the cost of dredging. "
)
HTML = (
    "<!doctype html><html lang='en'><head><title>Pier opens</title></head><body><article><h1>Pier opens</h1>"
    + "".join(f"<p>{PARAGRAPH * 2} Paragraph {n}.</p>" for n in range(8))
    + "</article></body></html>"
).encode()
LIMIT = 64 * 1024


def _route(body: bytes, encoding: str | None):
    async def handler(request: web.Request) -> web.Response:
        headers = {"Content-Encoding": encoding} if encoding else {}
        return web.Response(body=body, headers=headers, content_type="text/html")

    return handler


ROUTES = {
    "/plain": (HTML, None),
    "/gzip": (gzip.compress(HTML), "gzip"),
    "/deflate": (zlib.compress(HTML), "deflate"),
    "/raw-deflate": (zlib.compress(HTML, wbits=-15), "deflate"),  # headerless, as some servers send it
    "/bomb": (gzip.compress(b"\0" * 20_000_000), "gzip"),
    "/corrupt": (gzip.compress(HTML)[:10] + b"\xff" * 200, "gzip"),
    "/unknown": (HTML, "x-custom"),  # not a coding aiohttp decodes: passed on as it is
}


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    for path, (body, encoding) in ROUTES.items():
        app.router.add_get(path, _route(body, encoding))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


async def _fetch(srv: TestServer, path: str, decompress: bool = False):
    settings = Settings.model_validate({"allow_private_networks": True, "timeout": 5})
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(str(srv.make_url(path)), accept=PAGE_ACCEPT, max_bytes=LIMIT,
                                   decompress=decompress)


@pytest.mark.parametrize("path", ["/plain", "/gzip", "/deflate", "/raw-deflate", "/unknown"])
async def test_fetched_as_sent_and_decoded_to_the_page(server: TestServer, path: str) -> None:
    sent, encoding = ROUTES[path]
    result = await _fetch(server, path)
    assert result.error is None and result.body == sent
    assert result.encoding == (encoding if encoding in ("gzip", "deflate") else None)
    decoded, kept = decode_body(result.body, result.encoding, LIMIT)
    assert decoded == HTML
    assert kept == (sent if encoding == "gzip" else None)  # only a whole gzip stream is kept as sent


async def test_bomb_stops_at_the_limit_like_fetch(server: TestServer) -> None:
    decoding = await _fetch(server, "/bomb", decompress=True)
    assert decoding.error == f"response body exceeds the limit of {LIMIT} bytes"
    raw = await _fetch(server, "/bomb")
    assert raw.error is None and raw.encoding == "gzip" and len(raw.body or b"") < LIMIT
    with pytest.raises(BodyError) as caught:
        decode_body(raw.body or b"", raw.encoding, LIMIT)
    assert str(caught.value) == decoding.error


def test_plain_body_over_the_limit_and_broken_streams() -> None:
    with pytest.raises(BodyError, match=f"exceeds the limit of {LIMIT} bytes"):
        decode_body(b"x" * (LIMIT + 1), None, LIMIT)
    with pytest.raises(BodyError, match=r"^broken response body"):
        decode_body(ROUTES["/corrupt"][0], "gzip", LIMIT)
    with pytest.raises(BodyError, match=r"^broken response body"):
        decode_body(zlib.compress(HTML)[:-20], "deflate", LIMIT)
    with pytest.raises(BodyError, match=r"^broken response body: cannot decode content-encoding br"):
        decode_body(b"\x0b\x01\x80", "br", LIMIT)
    # a gzip stream with something after it is decoded, but not kept as sent
    decoded, kept = decode_body(gzip.compress(HTML) + b"junk", "gzip", LIMIT)
    assert decoded == HTML and kept is None


async def test_worker_decodes_extracts_and_keeps_the_servers_gzip(server: TestServer) -> None:
    async with Extractor(1) as extractor:
        results = {}
        for path in ("/gzip", "/deflate", "/plain"):
            page = await _fetch(server, path)
            results[path] = await extractor.extract_page(page.body or b"", page.url, "text/html", True,
                                                         page.encoding, LIMIT)
        bomb = await _fetch(server, "/bomb")
        with pytest.raises(ExtractionError) as too_big:
            await extractor.extract_page(bomb.body or b"", bomb.url, "text/html", True, bomb.encoding, LIMIT)
        corrupt = await _fetch(server, "/corrupt")
        with pytest.raises(ExtractionError) as broken:
            await extractor.extract_page(corrupt.body or b"", corrupt.url, "text/html", True, corrupt.encoding,
                                         LIMIT)
    assert str(too_big.value) == f"article page: response body exceeds the limit of {LIMIT} bytes"
    assert str(broken.value).startswith("article page: broken response body")
    for article, packed in results.values():
        assert article.full_text and "harbour authority" in article.full_text
        assert packed is not None
        assert gzip.decompress(packed.body_gz) == HTML
        assert packed.size == len(HTML) and packed.sha256 == hashlib.sha256(HTML).hexdigest()
    assert results["/gzip"][1].body_gz == ROUTES["/gzip"][0]  # the server's bytes, not compressed again
