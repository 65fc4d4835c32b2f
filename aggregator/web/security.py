"""The ASGI layer around Datasette: security headers on every response, credentials redacted from every body."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from aggregator.web.redact import StreamRedactor, has_secret, replacements

if TYPE_CHECKING:
    from datasette.app import Datasette

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Datasette's own pages carry inline scripts (menus, the SQL editor, facet toggles) and inline styles, so
# 'unsafe-inline' stays for them; none of them renders stored HTML (cells are escaped). The article view,
# the one page that renders stored HTML, sends a stricter policy of its own (see article.py).
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    # Following a link to a publisher must not tell them what was being read in the archive.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    # The archive is someone's private copy of other people's articles: keep it out of search engines.
    "x-robots-tag": "noindex, nofollow",
}
# The archive is read-only on the web: no configured query writes, and Datasette 0.65's few POST endpoints
# (log out, debug forms) have no use here. Refusing other methods up front makes that a guarantee.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/atom+xml", "application/javascript")
SECRET_REFRESH_S = 5.0
POLLS_BATCH = 20_000


class SecretUrls:
    """The credential-bearing feed URLs stored in the served archives, re-read every few seconds.

    Only URLs that are actually in the archive are replaced, so an article link that happens to carry
    `?key=` stays intact. polls.final_url is read incrementally (the table grows with every fetch).
    """

    def __init__(self, datasette: Datasette) -> None:
        self._datasette = datasette
        self._urls: set[str] = set()
        self._polls_seen: dict[str, int] = {}
        self._table: dict[bytes, bytes] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def table(self) -> dict[bytes, bytes]:
        if time.monotonic() - self._loaded_at < SECRET_REFRESH_S:
            return self._table
        async with self._lock:
            if time.monotonic() - self._loaded_at >= SECRET_REFRESH_S:
                try:
                    await self._load()
                except Exception:  # keep serving with what was known; never fail every page over this
                    log.exception("could not read feed URLs for redaction")
                self._loaded_at = time.monotonic()
        return self._table

    async def _load(self) -> None:
        found: set[str] = set()
        for name, db in self._datasette.databases.items():
            if db.is_memory or not await db.table_exists("feeds"):
                continue
            rows = await db.execute("select url from feeds union select config_url from feeds")
            found.update(row[0] for row in rows.rows if row[0])
            if await db.table_exists("polls"):
                # In batches along the primary key: a large archive is caught up with over a few refreshes
                # instead of one long scan on the first request.
                last = self._polls_seen.get(name, 0)
                rows = await db.execute(
                    "select id, final_url from polls where id > :last order by id limit :batch",
                    {"last": last, "batch": POLLS_BATCH},
                )
                for row in rows.rows:
                    last = max(last, row[0])
                    if has_secret(row[1]):
                        self._urls.add(row[1])
                self._polls_seen[name] = last
        new = self._urls | {url for url in found if has_secret(url)}
        if new != self._urls or not self._table:
            self._urls = new
            self._table = replacements(new)


async def _method_not_allowed(send: Send) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD, OPTIONS")]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": b"The archive is read-only.\n"})


def wrap(app: ASGIApp, datasette: Datasette) -> ASGIApp:
    secrets = SecretUrls(datasette)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope.get("method", "GET").upper() not in SAFE_METHODS:
            await _method_not_allowed(send)
            return
        table = await secrets.table()
        static = scope.get("path", "").startswith("/-/static")  # Datasette's and plugins' own files
        redactor: StreamRedactor | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal redactor
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                content_type = next(
                    (bytes(v).decode("latin-1") for k, v in headers if bytes(k).lower() == b"content-type"), ""
                )
                if table and content_type.startswith(_TEXT_TYPES) and not static:
                    redactor = StreamRedactor(table)
                    headers = [(k, v) for k, v in headers if bytes(k).lower() != b"content-length"]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and redactor is not None:
                final = not message.get("more_body", False)
                message = {**message, "body": redactor.feed(bytes(message.get("body", b"")), final=final)}
            await send(message)

        await app(scope, receive, send_wrapper)

    return wrapped
