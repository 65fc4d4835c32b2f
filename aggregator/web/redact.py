"""Redaction of credentials in URLs: `https://user:pass@host/feed?token=abc` -> `https://***@host/feed?token=***`.

Private feeds often carry their credentials in the URL. The archive keeps the URL (the poller needs it), so
everything the web side shows goes through these functions: the `redact_url()` SQL function used by the
canned queries, and `ResponseRedactor`, which replaces every credential-bearing URL stored in the archive
wherever it appears in a response (HTML, JSON, CSV, Atom), in each escaped form the page may use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

import markupsafe

from aggregator.urls import REDACTED, is_secret_param
from aggregator.urls import redact_text as _redact_text
from aggregator.urls import redact_url as _redact_url

__all__ = ["MASK", "StreamRedactor", "has_secret", "is_secret_param", "redact_text", "redact_url", "replacements"]

MASK = REDACTED


def redact_url(url: str | None) -> str | None:
    """aggregator.urls.redact_url(), NULL-safe for the SQL function."""
    return _redact_url(url) if url else url


def redact_text(text: str | None) -> str | None:
    """Every URL inside a free text (an error message, say) redacted."""
    return _redact_text(text) if text else text


def has_secret(url: str | None) -> bool:
    return bool(url) and redact_url(url) != url


def _forms(value: str) -> Iterable[str]:
    """The ways Datasette may write a value into a response."""
    yield value
    yield str(markupsafe.escape(value))  # HTML text and attributes (Jinja autoescape)
    yield quote_plus(value)  # query strings of facet and filter links
    yield quote(value, safe="")
    yield json.dumps(value)[1:-1]  # JSON, ASCII-escaped...
    yield json.dumps(value, ensure_ascii=False)[1:-1]  # ...and not


def replacements(urls: Iterable[str]) -> dict[bytes, bytes]:
    """Byte patterns -> replacements for every form of every credential-bearing URL in `urls`."""
    table: dict[bytes, bytes] = {}
    for url in urls:
        redacted = redact_url(url)
        if not redacted or redacted == url:
            continue
        for original, masked in zip(_forms(url), _forms(redacted), strict=True):
            if original != masked:
                table[original.encode("utf-8")] = masked.encode("utf-8")
    return table


class StreamRedactor:
    """Replaces patterns in a body that arrives in chunks, including patterns split across two chunks.

    Holds back the last (longest pattern - 1) bytes of each chunk: a match that starts before that tail is
    complete inside the buffer, so it is found; one that starts inside the tail waits for the next chunk.
    """

    def __init__(self, table: dict[bytes, bytes]) -> None:
        self._table = table
        # Longest first, so a URL is not replaced by a shorter secret URL that is its prefix.
        self._pattern = re.compile(b"|".join(re.escape(p) for p in sorted(table, key=len, reverse=True)))
        self._hold = max(map(len, table)) - 1
        self._carry = b""

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        buffer = self._carry + chunk
        cut = len(buffer) if final else max(0, len(buffer) - self._hold)
        out, pos = [], 0
        for match in self._pattern.finditer(buffer):
            if match.start() >= cut:
                break
            out += [buffer[pos : match.start()], self._table[match.group(0)]]
            pos = match.end()
        end = max(pos, cut)
        out.append(buffer[pos:end])
        self._carry = buffer[end:]
        return b"".join(out)
