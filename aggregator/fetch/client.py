"""Polite HTTP: one shared aiohttp session, bounded concurrency, timeouts, size limits, conditional GET.

Redirects are followed here rather than by aiohttp so that every hop is checked against the network
guard, counted against the bound, and classified as permanent (301/308) or temporary.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from aggregator import USER_AGENT
from aggregator.config.model import Settings
from aggregator.fetch.bodies import broken, too_large
from aggregator.fetch.httpdates import seconds_until
from aggregator.fetch.netguard import (
    BlockedAddressError,
    GuardedResolver,
    NetworkPolicy,
    check_url,
    guarded_socket_factory,
)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_DECODED_ENCODINGS = {"gzip", "deflate", "br", "zstd"}
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_PERMANENT_STATUSES = {301, 308}
_KEPT_HEADERS = (
    "content-type",
    "content-location",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "retry-after",
    "content-length",
)

# Distinct hosts failing to resolve, with no answer from any server in between, that mean no network.
OFFLINE_HOSTS = 3


@dataclass(slots=True)
class FetchResult:
    requested_url: str
    url: str  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    duration_ms: int = 0
    redirects: list[tuple[int, str]] = field(default_factory=list)  # (status, target) per hop
    # Content-Encoding still applied to `body` (fetch(decompress=False)): fetch.bodies.decode_body() undoes it.
    encoding: str | None = None
    unresolved: bool = False  # the host's name could not be resolved (no such host, or no network)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def permanent_redirect(self) -> str | None:
        """The new URL when every hop of the redirect chain was permanent (one 302 makes it temporary)."""
        if self.redirects and all(status in _PERMANENT_STATUSES for status, _ in self.redirects):
            return self.url
        return None

    @property
    def retry_after_seconds(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class _BodyTooLarge(Exception):
    pass


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone takes "²", which float() refuses
        return float(value)
    return seconds_until(value, now)


class Fetcher:
    """Async context manager owning the connection pool shared by every request of a run."""

    def __init__(self, settings: Settings, resolver: AbstractResolver | None = None) -> None:
        self._settings = settings
        self._policy = NetworkPolicy.from_settings(settings.allow_private_networks, settings.allowed_networks)
        self._resolver = resolver  # tests inject one; the default drops addresses the policy refuses
        self._session: aiohttp.ClientSession | None = None
        # Hosts whose names failed to resolve since the last answer from any server (see `offline`).
        self._unresolved_hosts: set[str] = set()
        self.answered = False  # some server has answered in this session: the network works

    @property
    def offline(self) -> bool:
        """No network, as far as can be told: the names of several hosts failed to resolve and no server has
        answered since. One unknown host is that feed's problem; every host failing is the machine's."""
        return len(self._unresolved_hosts) >= OFFLINE_HOSTS

    async def __aenter__(self) -> Fetcher:
        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=settings.concurrency,
            limit_per_host=settings.per_host_concurrency,
            ttl_dns_cache=300,
            resolver=self._resolver or GuardedResolver(self._policy),
            socket_factory=guarded_socket_factory(self._policy),
        )
        timeout = aiohttp.ClientTimeout(
            total=settings.timeout,
            sock_connect=settings.connect_timeout,
            sock_read=settings.read_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": settings.user_agent or USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
        max_bytes: int | None = None,
        decompress: bool = True,
    ) -> FetchResult:
        """GET `url`; never raises for network or HTTP trouble: the reason is in `error`.

        decompress=False leaves a gzip/deflate body as sent (`encoding` says which) for fetch.bodies.decode_body() in an
        extraction worker: the main process neither inflates nor pickles the full page. The size limit then
        applies to the sent bytes here and to the decoded ones there."""
        if self._session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        limit = max_bytes or self._settings.max_feed_bytes
        result = FetchResult(requested_url=url, url=url)
        started = time.monotonic()
        try:
            # One deadline for the whole chain, so redirects cannot stretch a poll.
            async with asyncio.timeout(self._settings.timeout):
                await self._follow(result, etag, last_modified, accept, limit, decompress)
        except aiohttp.ConnectionTimeoutError:
            result.error = f"connecting timed out after {self._settings.connect_timeout:g} s"
        except aiohttp.SocketTimeoutError:
            result.error = f"server sent nothing for {self._settings.read_timeout:g} s"
        except TimeoutError:
            result.error = f"timed out after {self._settings.timeout:g} s"
        except _BodyTooLarge:
            result.error = too_large(limit)
        except BlockedAddressError as exc:
            result.error = str(exc)
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, BlockedAddressError):  # resolved, to an address the policy refuses
                result.error = str(exc.os_error)
            else:
                result.unresolved = True
                result.error = f"cannot resolve {exc.host}: {exc.os_error.strerror or exc.os_error}"
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            if isinstance(cause, BlockedAddressError):
                result.error = str(cause)
            else:
                result.error = f"cannot connect to {exc.host}:{exc.port}: {cause.strerror or cause}"
        except aiohttp.ClientPayloadError as exc:
            result.error = broken(exc)
        except aiohttp.ClientResponseError as exc:
            result.error = f"invalid HTTP response: {exc.message}"
        except aiohttp.ClientError as exc:
            result.error = f"HTTP error: {type(exc).__name__}: {exc}"
        except (OSError, ValueError, UnicodeError) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        result.duration_ms = int((time.monotonic() - started) * 1000)
        if result.unresolved:
            self._unresolved_hosts.add(urlsplit(result.url).hostname or result.url)
        elif result.status is not None:
            self._unresolved_hosts.clear()
            self.answered = True
        if result.error is not None:
            result.body = None
            result.encoding = None
        return result

    async def _follow(
        self,
        result: FetchResult,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        limit: int,
        decompress: bool = True,
    ) -> None:
        assert self._session is not None
        url = result.url
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self._settings.max_redirects + 1):
            check_url(url, self._policy)
            async with self._session.get(
                url, headers=headers, allow_redirects=False, auto_decompress=decompress
            ) as response:
                result.status = response.status
                result.url = url
                result.headers = {
                    key: response.headers[key] for key in _KEPT_HEADERS if key in response.headers
                }
                if response.status in _REDIRECT_STATUSES and "location" in response.headers:
                    target = urljoin(url, response.headers["location"])
                    scheme = urlsplit(target).scheme.lower()
                    if scheme not in ("http", "https"):
                        raise BlockedAddressError(f"refused redirect to a {scheme}: URL")
                    result.redirects.append((response.status, target))
                    url = target
                    continue
                if response.status == 304:
                    return
                if not 200 <= response.status < 300:
                    result.error = f"HTTP {response.status} {response.reason or ''}".rstrip()
                    return
                result.body = await _read_limited(response, limit)
                if not decompress:
                    encoding = response.headers.get("content-encoding", "").strip().lower()
                    # the codings aiohttp would have decoded; others it leaves as they are, and so do we
                    result.encoding = encoding if encoding in _DECODED_ENCODINGS else None
                return
        result.error = f"too many redirects (more than {self._settings.max_redirects})"


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    # Content-Length counts compressed bytes; a compressed body may still grow past the limit below.
    if declared is not None and declared > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
