"""Response bodies as fetched, and the one wording of what can be wrong with them.

A page fetched with decompress=False (its Content-Encoding still applied) is decoded in the extraction worker,
off the event loop; its errors must read as fetch() words them for the same body.
"""

from __future__ import annotations

import zlib


def too_large(limit: int) -> str:
    return f"response body exceeds the limit of {limit} bytes"


def broken(detail: object) -> str:
    return f"broken response body: {detail}"


class BodyError(Exception):
    """decode_body() could not decode the body; the message is the one fetch() gives for the same body."""


def decode_body(body: bytes, encoding: str | None, limit: int) -> tuple[bytes, bytes | None]:
    """The body with its Content-Encoding undone, at most `limit` bytes (a gzip bomb stops at the limit), and
    the body as sent when it is a complete gzip stream (to keep as is). Raises BodyError."""
    if encoding is None:
        if len(body) > limit:
            raise BodyError(too_large(limit))
        return body, None
    if encoding not in ("gzip", "deflate"):
        raise BodyError(broken(f"cannot decode content-encoding {encoding}"))
    # deflate: zlib-wrapped as the RFC says, or raw as some servers send it (aiohttp accepts both)
    wbits = 31 if encoding == "gzip" else (15 if body[:1] and body[0] & 0xF == 8 else -15)
    inflater = zlib.decompressobj(wbits)
    try:
        decoded = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyError(broken(f"cannot decode content-encoding {encoding}: {exc}")) from None
    if len(decoded) > limit:
        raise BodyError(too_large(limit))
    if encoding == "deflate" and not inflater.eof:
        raise BodyError(broken("truncated deflate stream"))
    whole_gzip = encoding == "gzip" and inflater.eof and not inflater.unused_data
    return decoded, body if whole_gzip else None
