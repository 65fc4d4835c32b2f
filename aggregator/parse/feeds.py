"""Feed bytes -> ParsedFeed: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed 1.0/1.1 by hand.

The format is sniffed from the bytes; file extensions and Content-Type headers are often wrong.
"""

from __future__ import annotations

import codecs
import html
import io
import json
import os
import re
import time
import xml.sax
from collections import Counter
from dataclasses import dataclass
from hashlib import sha256
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from feedparser.mixin import _FeedParserMixin
from lxml import etree

from aggregator.models import Enclosure, ParsedEntry, ParsedFeed, entry_hash
from aggregator.parse import feedxml
from aggregator.parse.dates import iso_utc, names_time
from aggregator.parse.sanitize import escape_text, html_to_text, sanitize_html, text_word_count
from aggregator.urls import normalize_url as _normalize_url

# feedparser resolves RSS <guid> and Atom <id> against the feed's URL as if they were links, so an opaque
# guid such as "1234" would change whenever the feed moves (http -> https, new path) and every entry would
# be archived twice. Keep ids as written; links and content URLs are still resolved (by it and by us).
_FeedParserMixin.can_be_relative_uri = _FeedParserMixin.can_be_relative_uri - {"id"}


class FeedParseError(Exception):
    """The body is not a feed we can read. `feed_links`: feeds an HTML page advertises, if any."""

    def __init__(self, message: str, feed_links: list[str] | None = None) -> None:
        super().__init__(message)
        self.feed_links = feed_links or []


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)
_HTML_START = re.compile(rb"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.DOTALL)
# Some generators print an HTML doctype before an Atom or RSS root; feedparser reads such feeds.
_FEED_AFTER_DOCTYPE = re.compile(
    rb"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<!doctype[^>]*>\s*(?:<!--.*?-->\s*)*<(?:feed|rss|rdf:rdf)[\s>]", re.DOTALL
)
# UTF-32 and UTF-16 by their BOM, else by the position of the nulls around the first "<" (XML 1.0, appendix F)
_WIDE_STARTS = ((codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF16_BE, "utf-16"),
                (codecs.BOM_UTF16_LE, "utf-16"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"))  # fmt: skip
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# BOMs (UTF-32 LE starts like UTF-16 LE) and BOM-less UTF-16 "<": feedparser sniffs these itself.
_UNICODE_STARTS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE, b"<\x00", b"\x00<")
_PERIOD_SECONDS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*\Z")
_GUID_PREFIXES = ("link:", "hash:", "id:")
_ABSOLUTE = re.compile(r"\s*https?://", re.IGNORECASE)
# AGGREGATOR_FEEDXML=0 turns the lxml fast path off (feedparser for every XML feed): for comparisons, and as a
# way out should a feed ever parse differently.
_FEEDXML = os.environ.get("AGGREGATOR_FEEDXML", "1") != "0"


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, content_location: str | None = None, *, fast: bool = True
) -> ParsedFeed:
    """Parse one fetched feed document. `url` is the (final) URL it was fetched from; relative links
    resolve against `content_location` (itself relative to `url`) when given. `content_type` only
    contributes its charset. Raises FeedParseError when the body is not a readable feed. `fast=False` skips
    the lxml fast path (aggregator.feedxml), so tests can compare it with feedparser."""
    base = urljoin(url, content_location) if content_location else url
    body = _utf8_from_utf16_32(body)
    head = body[:2048].removeprefix(codecs.BOM_UTF8).lstrip()
    if not head:
        raise FeedParseError("empty document")
    if head[:1] in (b"{", b"["):
        return _parse_json(body, base)
    lowered = head.lower()
    if _HTML_START.match(lowered) and not _FEED_AFTER_DOCTYPE.match(lowered):
        raise _html_page_error(body, base)
    return _parse_xml(body, base, _charset_param(content_type), fast)


# --- XML (feedparser) ------------------------------------------------------------------------------


def _parse_xml(body: bytes, base: str, http_charset: str | None, fast: bool = True) -> ParsedFeed:
    body, charset, warnings, line_shift = _prepare_xml(body, http_charset)
    # Well-formed RSS 2.0 / RSS 1.0 / Atom 1.0 without surprises: lxml, much faster, the same result.
    parsed = feedxml.parse(body, charset, base) if fast and _FEEDXML else None
    if parsed is not None:
        version, f, entries = parsed
        return _xml_feed(version, f, entries, base, warnings)
    headers = {"content-type": f"application/xml; charset={charset}" if charset else "application/xml",
               "content-location": base}  # fmt: skip
    # A BytesIO, never raw bytes: feedparser treats a bytes/str argument that names a file or URL as one.
    try:
        # Its own sanitiser and relative-URI pass are left out: sanitize_html (nh3) does both, faster
        # and stricter, on every HTML field we keep. Element links are still resolved by feedparser.
        d = feedparser.parse(
            io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # its loose parser still has crash bugs on hostile input (e.g. "&#x110000;")
        raise FeedParseError(f"unreadable feed ({type(exc).__name__}: {exc})") from exc
    version = str(d.get("version") or "")
    f = d.feed
    if d.get("bozo"):
        problem = _describe(d.get("bozo_exception"), line_shift)
        # Recovered = entries, or at least a recognised root with channel data (a feed that is empty).
        if not d.entries and not (version and (f.get("title") or f.get("link"))):
            if b"<html" in body[:4096].lower():
                raise _html_page_error(body, base)
            raise FeedParseError(problem)
        warnings.append(problem)
    elif not version and not d.entries:
        raise FeedParseError("not a feed: no RSS, RDF or Atom root element")
    return _xml_feed(version, f, d.entries, base, warnings)


def _xml_feed(version: str, f: Any, entries: list[Any], base: str, warnings: list[str]) -> ParsedFeed:
    """ParsedFeed from feedparser's `feed` and `entries` (FeedParserDicts, or feedxml's plain dicts)."""
    language = _language(f.get("language") or (f.get("title_detail") or {}).get("language"))
    # Atom: entries without an author inherit the feed's (RSS managingEditor is not an article author).
    feed_authors = _names(f.get("authors")) if version.startswith("atom") else []
    feed = ParsedFeed(
        format=version or "unknown",
        title=_plain(f.get("title"), (f.get("title_detail") or {}).get("type")),
        site_url=_url(f.get("link"), base),
        language=language,
        ttl_seconds=_ttl(f.get("ttl")),
        update_period_seconds=_update_period(f.get("sy_updateperiod"), f.get("sy_updatefrequency")),
        warning="; ".join(warnings) or None,
    )
    feed.entries = _assign_guids([_xml_entry(e, base, language, feed_authors) for e in entries])
    return feed


def _prepare_xml(body: bytes, http_charset: str | None) -> tuple[bytes, str | None, list[str], int]:
    """Choose the charset feedparser should use and repair what is cheap to repair.

    feedparser follows RFC 3023 (text/xml without charset means US-ASCII; no Content-Type at all means
    ISO-8859-1), which turns undeclared UTF-8 into mojibake; we always hand it application/xml plus the
    charset chosen here. Returns (body, charset or None to let feedparser sniff, warnings, line shift of
    feedparser's error positions relative to the original body).
    """
    warnings: list[str] = []
    if body.startswith(_UNICODE_STARTS):
        return body, None, warnings, 0  # a BOM beats any declaration (XML spec, RFC 7303)
    shift = 0
    stripped = body.lstrip()
    if len(stripped) != len(body) and stripped.startswith(b"<?xml"):
        # Common server bug (a blank line printed before the declaration); expat rejects it.
        warnings.append("whitespace before the XML declaration removed")
        shift = body.count(b"\n", 0, len(body) - len(stripped))
        body = stripped
    if not body.startswith(b"<?xml"):
        shift -= 1  # feedparser prepends a declaration line (it replaces an existing one in place)
    match = _XML_ENCODING.match(body, 0, 200)
    declared = _codec(match.group(1).decode("ascii")) if match else None
    http = _codec(http_charset)
    if declared in ("utf-16", "utf-32") and body[:1] == b"<":
        # The declaration was readable as ASCII, so the document is not UTF-16/32.
        warnings.append(f"declared encoding {declared} ignored: the document is not {declared}")
        declared = None
    if "utf-8" in (http, declared) or not (http or declared):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("utf-8", "replace")
            bad = text.count("\ufffd")
            if len(text) - len(text.encode("ascii", "ignore")) - bad > bad:
                # More valid multi-byte characters than bad bytes: UTF-8 with some junk. Replace the junk
                # rather than decode everything as windows-1252 (feedparser's fallback) into mojibake.
                warnings.append("invalid UTF-8 byte sequences replaced")
                return text.encode("utf-8"), "utf-8", warnings, shift
            other = next((c for c in (http, declared) if c and c != "utf-8"), None)
            if other:
                return body, other, warnings, shift  # the header and the declaration disagree; UTF-8 lost
            warnings.append("not valid UTF-8 and no other encoding declared: decoded as windows-1252")
            return body, "windows-1252", warnings, shift
        return body, "utf-8", warnings, shift
    return body, http or declared, warnings, shift


def _utf8_from_utf16_32(body: bytes) -> bytes:
    """A UTF-16/32 document as UTF-8 with its declaration saying so: expat and feedparser's sniffing know
    BOM-less UTF-16 only when it starts with a declaration and BOM-less UTF-32 not at all, and the fast path
    takes UTF-8 only."""
    codec = next((name for start, name in _WIDE_STARTS if body.startswith(start)), None)
    if codec is None:
        return body
    if codec in ("utf-16-le", "utf-16-be") and b"\x00\x00" in body[:4]:
        return body  # no UTF-16 text starts with a null character
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        return body  # not what its first bytes suggest: left to feedparser, which will say what is wrong
    declaration = re.match(r"<\?xml[^>]*?>", text)
    if declaration:
        fixed = re.sub(r"""encoding\s*=\s*["'][^"']*["']""", 'encoding="utf-8"', declaration.group())
        text = fixed + text[declaration.end() :]
    return text.encode("utf-8")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None  # unknown label: ignore it and sniff
    return {"utf-16-le": "utf-16", "utf-16-be": "utf-16", "utf-32-le": "utf-32", "utf-32-be": "utf-32"}.get(name, name)


def _charset_param(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _describe(exc: Any, line_shift: int) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        line = max(1, (exc.getLineNumber() or 0) + line_shift)
        return f"not well-formed XML: line {line}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    text = str(exc) if exc is not None else ""
    return text or type(exc).__name__


def _date_source(raw: Any, published: str | None, updated: str | None) -> str | None:
    """Where the entry's published_at comes from (models.DATE_SOURCES), `raw` being the text it was read from: a
    day without a time, or an update time, may be made exact by the article page later."""
    if not (published or updated):
        return None
    if not names_time(raw):
        return "feed-day"
    return "feed" if published else "feed-updated"


def _xml_entry(e: Any, base: str, feed_language: str | None, feed_authors: list[str]) -> _Draft:
    link = e.get("link")
    if e.get("guidislink") and not _ABSOLUTE.match(link or ""):
        link = None  # a permalink guid ("isPermaLink" defaults to true) that is no URL, e.g. "1234"
    url = _url(link, base)
    title = _plain(e.get("title"), (e.get("title_detail") or {}).get("type"))
    # Parsed here from the raw text, not taken from feedparser's *_parsed (wrong for many formats, see
    # aggregator.dates). dict.get: FeedParserDict answers "updated" with "published" when missing (deprecated).
    published = iso_utc(dict.get(e, "published"))
    updated = iso_utc(dict.get(e, "updated"))
    # The content hash of entries without id or link keeps feedparser's reading, so their guids stay stable.
    legacy_date = _struct_iso(dict.get(e, "published_parsed")) or _struct_iso(dict.get(e, "updated_parsed"))

    content = raw_content = None
    detail: dict = {}
    contents = [c for c in e.get("content") or () if c.get("value")]
    if contents:
        html_parts = [c for c in contents if c.get("type") in _HTML_TYPES]
        detail = max(html_parts or contents, key=lambda c: len(c["value"]))
        raw_content = detail["value"]
        content = _html_or_text(raw_content, detail.get("type"), detail.get("base") or base)
    summary_detail = e.get("summary_detail") or {}
    raw_summary = e.get("summary") or None
    if raw_summary and raw_summary == raw_content:
        summary = content  # feedparser copies Atom <content> into summary when there is no <summary>
    else:
        summary = _html_or_text(raw_summary, summary_detail.get("type"), summary_detail.get("base") or base)

    # feedparser's "enclosures" are its links with rel="enclosure" (feedxml's entries are plain dicts)
    links = [link for link in dict.get(e, "links") or () if link.get("rel") == "enclosure"]
    enclosures = _enclosures(((link.get("href"), link.get("type"), link.get("length")) for link in links), base)
    return _Draft(
        raw_id=(e.get("id") or "").strip() or None,
        hash_material=[title, legacy_date, raw_content or raw_summary],
        entry=ParsedEntry(
            guid="",
            url=url,
            title=title,
            authors=_names(e.get("authors")) or feed_authors,
            published_at=published or updated,
            updated_at=updated,
            published_source=_date_source(dict.get(e, "published") if published else dict.get(e, "updated"),
                                          published, updated),
            summary=summary,
            content_html=content,
            tags=_dedupe(t.get("term") or t.get("label") for t in e.get("tags") or ()),
            enclosures=enclosures,
            language=_language(
                detail.get("language")
                or summary_detail.get("language")
                or (e.get("title_detail") or {}).get("language")
            )
            or feed_language,
            image_url=_image(e, base, enclosures),
        ),
    )


def _html_or_text(value: str | None, mime: str | None, base: str) -> str | None:
    if not value:
        return None
    if mime in _HTML_TYPES or not mime:
        return sanitize_html(value, base)
    return escape_text(value) or None  # text/plain is not sanitised by feedparser: escape it


def _image(e: Any, base: str, enclosures: list[Enclosure]) -> str | None:
    for thumb in e.get("media_thumbnail") or ():
        if url := _url(thumb.get("url"), base):
            return url
    for media in e.get("media_content") or ():
        is_image = media.get("medium") == "image" or (media.get("type") or "").startswith("image/")
        if is_image and (url := _url(media.get("url"), base)):
            return url
    return next((enc.url for enc in enclosures if (enc.type or "").startswith("image/")), None)


def _ttl(value: Any) -> int | None:
    minutes = _int(value)
    return minutes * 60 if minutes and minutes > 0 else None


def _update_period(period: Any, frequency: Any) -> int | None:
    if not period and not frequency:
        return None
    seconds = _PERIOD_SECONDS.get(str(period or "daily").strip().lower())  # sy: defaults: daily, 1
    freq = _int(frequency) if frequency else 1
    if not seconds or not freq or freq <= 0:
        return None
    return max(1, round(seconds / freq))


# --- JSON Feed ---------------------------------------------------------------------------------------


def _parse_json(body: bytes, base: str) -> ParsedFeed:
    warning = None
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("utf-8-sig", "replace")
        warning = "invalid UTF-8 byte sequences replaced"
    try:
        doc = json.loads(text, parse_float=_JsonFloat)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise FeedParseError("invalid JSON Feed: nested too deeply") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not re.match(r"https?://jsonfeed\.org/version/", version):
        raise FeedParseError("JSON document but not a JSON Feed (no https://jsonfeed.org/version/ version)")
    items = doc.get("items", [])
    if not isinstance(items, list):
        raise FeedParseError("invalid JSON Feed: items is not a list")
    number = version.rsplit("/", 1)[-1]
    language = _language(_str(doc.get("language")))
    feed = ParsedFeed(
        format="json" + {"1": "10"}.get(number, number.replace(".", "")),
        title=_plain(_str(doc.get("title")), None),
        site_url=_url(_str(doc.get("home_page_url")), base),
        language=language,
        warning=warning,
    )
    feed_authors = _json_authors(doc) or []
    # The spec: an item whose id is missing, blank or no string or number must be ignored.
    feed.entries = _assign_guids(
        [_json_item(item, base, language, feed_authors) for item in items if isinstance(item, dict) and _json_id(item)]
    )
    return feed


class _JsonFloat(float):
    """A JSON number with a fraction that remembers how it was written (an id "3.10" must stay "3.10")."""

    text: str

    def __new__(cls, text: str) -> _JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _json_id(item: dict) -> str | None:
    """The item's id as a string: numbers are coerced as the spec asks, written as in the document."""
    value = item.get("id")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return None
    if isinstance(value, _JsonFloat):
        return value.text
    return str(value) if isinstance(value, int) else None


def _json_size(value: Any) -> int | None:
    """size_in_bytes: a number by the spec, written as 1000.0 by some generators, or a numeric string."""
    if isinstance(value, float) and not isinstance(value, bool):
        return int(value) if value == value and 0 < value < 2**63 else None  # value == value: not NaN
    return _int(value)


def _json_item(item: dict, base: str, feed_language: str | None, feed_authors: list[str]) -> _Draft:
    url = _url(_str(item.get("url")) or _str(item.get("external_url")), base)
    title = _plain(_str(item.get("title")), None)
    published = iso_utc(item.get("date_published"))
    updated = iso_utc(item.get("date_modified"))
    content_html, content_text = _str(item.get("content_html")), _str(item.get("content_text"))
    content = sanitize_html(content_html, url or base) if content_html else escape_text(content_text) or None
    raw_summary = _str(item.get("summary"))  # plain text by the spec
    attachments = [a for a in item.get("attachments") or () if isinstance(a, dict)]
    enclosures = _enclosures(
        ((a.get("url"), a.get("mime_type"), _json_size(a.get("size_in_bytes"))) for a in attachments), base
    )
    own_authors = _json_authors(item)
    raw_tags = item.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return _Draft(
        raw_id=_json_id(item),
        hash_material=[title, published or updated, content_html or content_text or raw_summary],
        entry=ParsedEntry(
            guid="",
            url=url,
            title=title,
            # the feed's authors only for an item that names none at all: authors given by url alone are
            # the item's own, unnamed (the spec: top-level authors apply when the item has no "authors")
            authors=feed_authors if own_authors is None else own_authors,
            published_at=published or updated,
            updated_at=updated,
            published_source=_date_source(item.get("date_published") if published else item.get("date_modified"),
                                          published, updated),
            summary=escape_text(raw_summary) or None,
            content_html=content,
            tags=_dedupe(t for t in tags if isinstance(t, str)),
            enclosures=enclosures,
            language=_language(_str(item.get("language"))) or feed_language,
            image_url=_url(_str(item.get("image")) or _str(item.get("banner_image")), base),
        ),
    )


def _json_authors(obj: dict) -> list[str] | None:
    """The names of the object's authors; None when it gives no author object (1.1 "authors", 1.0 "author")."""
    authors = obj.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [obj.get("author")]  # 1.0
    people = [a for a in authors if isinstance(a, dict) and any(_str(a.get(k)) for k in ("name", "url", "avatar"))]
    return _names(people) if people else None


# --- shared -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    raw_id: str | None
    hash_material: list[str | None]
    entry: ParsedEntry


def _assign_guids(drafts: list[_Draft]) -> list[ParsedEntry]:
    """The document's id when it is unique here, else the link when unique, else a content hash.

    Fallbacks carry a prefix (and real ids that look like one get "id:"), so they never collide with a
    real id. Entries identical in every fallback field are one entry repeated: only the first is kept.
    """
    ids = Counter(d.raw_id for d in drafts if d.raw_id)
    links = Counter(d.entry.url for d in drafts if d.entry.url)
    seen: set[str] = set()
    entries = []
    for d in drafts:
        if d.raw_id and ids[d.raw_id] == 1:
            guid = "id:" + d.raw_id if d.raw_id.startswith(_GUID_PREFIXES) else d.raw_id
        elif d.entry.url and links[d.entry.url] == 1:
            guid = "link:" + d.entry.url
        else:
            material = [*d.hash_material, *(enc.url for enc in d.entry.enclosures)]
            guid = "hash:" + sha256("\n".join(m or "" for m in material).encode()).hexdigest()[:32]
        if guid in seen:
            continue
        seen.add(guid)
        d.entry.guid = guid
        # Plain text for search and word counts, made here in the parsing worker, off the writer's core.
        d.entry.summary_text = html_to_text(d.entry.summary) or None
        # Atom entries without <summary> have their content as summary (feedparser copies it): convert once
        same = d.entry.content_html == d.entry.summary
        d.entry.content_text = d.entry.summary_text if same else html_to_text(d.entry.content_html) or None
        text = d.entry.content_text if d.entry.content_html else d.entry.summary_text
        d.entry.word_count = text_word_count(text)
        d.entry.content_hash = entry_hash(d.entry)
        entries.append(d.entry)
    return entries


def _plain(value: str | None, mime: str | None) -> str | None:
    """One line of plain text: tags stripped from HTML, entities decoded, whitespace collapsed."""
    if not value:
        return None
    text = html_to_text(value) if mime in _HTML_TYPES else html.unescape(value)
    return " ".join(text.split()) or None


def _names(people: Any) -> list[str]:
    return _dedupe(p.get("name") for p in people or () if isinstance(p.get("name"), str))


def _dedupe(values: Any) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


def _enclosures(items: Any, base: str) -> list[Enclosure]:
    out: list[Enclosure] = []
    seen: set[str] = set()
    for href, mime, length in items:
        url = _url(href, base)
        if url and url not in seen:
            seen.add(url)
            size = _int(length)
            out.append(Enclosure(url=url, type=_str(mime), length=size if size and size > 0 else None))
    return out


def _url(url: Any, base: str | None) -> str | None:
    if not isinstance(url, str):
        return None
    if base and feedxml.unchanged_by_join(base, url):
        base = None  # the same result without a join (links are rarely repeated, so the cache rarely has it)
    try:
        return _normalize_url(url, base)
    except ValueError:  # urljoin rejects some malformed URLs, e.g. "http://[::1"
        return None


def _language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-")
    return code if _LANGUAGE.match(code) else None


def _struct_iso(st: time.struct_time | None) -> str | None:
    # feedparser's *_parsed values are already UTC
    if not st or not 1 <= st.tm_year <= 9999:
        return None
    return f"{st.tm_year:04d}-{st.tm_mon:02d}-{st.tm_mday:02d}T{st.tm_hour:02d}:{st.tm_min:02d}:{st.tm_sec:02d}Z"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # ASCII digits only: str.isdigit() also takes "¹", which int() refuses; and no more than int() reads
    if isinstance(value, str) and (digits := value.strip()).isascii() and digits.isdigit() and len(digits) <= 18:
        return int(digits)
    return None


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _html_page_error(body: bytes, base: str) -> FeedParseError:
    links = _feed_links(body, base)
    if links:
        return FeedParseError("not a feed but an HTML page; it links to feeds: " + ", ".join(links), links)
    # The candidates `aggregator add` checks next: links whose path looks like a feed's.
    anchors = feed_anchor_links(body, base)
    if anchors:
        shown = ", ".join(anchors[:_NAMED_ANCHORS]) + (
            f" and {len(anchors) - _NAMED_ANCHORS} more" if len(anchors) > _NAMED_ANCHORS else ""
        )
        pages = "page that looks" if len(anchors) == 1 else "pages that look"
        return FeedParseError(
            f"not a feed but an HTML page; it links to {len(anchors)} {pages} like feeds: {shown} "
            f"('aggregator add {base}' checks them)"
        )
    return FeedParseError(
        f"not a feed but an HTML page (it links to no feeds; 'aggregator add {base}' also tries the usual feed paths)"
    )


def html_document(body: bytes, base: str) -> tuple[lxml.html.HtmlElement | None, str]:
    """An HTML page parsed, and the base its relative links resolve against (its <base href> wins)."""
    try:
        doc = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None, base
    base_el = doc.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(base, base_el.get("href", "").strip())
    return doc, base


def _feed_links(body: bytes, base: str) -> list[str]:
    doc, base = html_document(body, base)
    if doc is None:
        return []
    links: list[str] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and mime in _FEED_LINK_TYPES:
            url = _url(link.get("href"), base)
            if url and url not in links:
                links.append(url)
    return links


_FEED_ANCHOR = re.compile(
    r"(?:^|/)(?:feeds?|rss2?|atom|rdf)/?$"  # .../feed/, .../rss, .../atom/, .../feed/rdf/
    r"|(?:^|/)feeds?/json/?$"  # WordPress's JSON Feed plugin
    r"|(?:^|/)(?:feed|rss|atom|index|rss2)\.(?:xml|rss|atom|rdf|json)$"  # feed.xml, index.xml, feed.json
    r"|\.(?:rss|atom|rdf)$",
    re.IGNORECASE,
)
_NAMED_ANCHORS = 3


def feed_anchor_links(body: bytes, base: str) -> list[str]:
    """`<a href>`s of a page whose path looks like a feed's (…/feed/, rss.xml, index.xml, feed.json …)."""
    doc, base = html_document(body, base)
    if doc is None:
        return []
    links: list[str] = []
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = _normalize_url(href, base)
        if url is None:
            continue
        parts = urlsplit(url)
        if (_FEED_ANCHOR.search(parts.path) or "feed=" in parts.query.lower()) and url not in links:
            links.append(url)
    return links
