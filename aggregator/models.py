"""Plain data passed between the pipeline stages (fetch -> parse -> extract -> store).

Timestamps are UTC ISO 8601 strings of the form ``2025-02-12T20:15:00Z`` so that they sort
as text and SQLite's date functions read them.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field

# Where an entry's published_at came from, most exact first: the feed's publication date and time; the page's
# own (its published-time meta, its JSON-LD datePublished); the feed's publication day without a time; the feed's
# update time (the feed gave no publication date); the page's day as trafilatura (htmldate) reads it.
DATE_SOURCES = ("feed", "page-meta", "page-json-ld", "feed-day", "feed-updated", "page-day")


@dataclass(slots=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(slots=True)
class ParsedEntry:
    guid: str  # never empty: feed id, else link, else a content hash
    url: str | None  # absolute, normalised
    title: str | None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    updated_at: str | None = None
    # where published_at came from (see DATE_SOURCES); not part of the entry's hash
    published_source: str | None = None
    summary: str | None = None  # sanitised HTML
    content_html: str | None = None  # sanitised HTML
    tags: list[str] = field(default_factory=list)
    enclosures: list[Enclosure] = field(default_factory=list)
    language: str | None = None
    image_url: str | None = None
    # plain text of summary / content_html; filled by the parser, else derived when stored
    summary_text: str | None = None
    content_text: str | None = None
    # filled by the parser (in its worker, off the writer's core), else computed when stored
    content_hash: str | None = None  # entry_hash() of the fields above
    word_count: int | None = None  # words of the feed's text (content, else summary)


def entry_hash(entry: ParsedEntry) -> str:
    """What tells a changed entry from the one stored: its fields as the feed gave them."""
    digest = hashlib.sha256()
    for part in (entry.url, entry.title, entry.summary, entry.content_html, entry.published_at, entry.updated_at):
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    digest.update("\x00".join(entry.tags).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(slots=True)
class ParsedFeed:
    format: str  # e.g. "rss20", "atom10", "rss10", "json11" (feedparser's version names)
    title: str | None = None
    site_url: str | None = None
    language: str | None = None
    # publisher's hints for the poll interval, in seconds (RSS <ttl>, sy:updatePeriod/Frequency)
    ttl_seconds: int | None = None
    update_period_seconds: int | None = None
    entries: list[ParsedEntry] = field(default_factory=list)
    warning: str | None = None  # non-fatal problem the parser recovered from (feedparser "bozo")


@dataclass(slots=True)
class AdjacentLinks:
    previous_url: str | None = None
    previous_title: str | None = None
    next_url: str | None = None
    next_title: str | None = None


@dataclass(slots=True)
class Article:
    """What extraction made of one article page."""

    full_text: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    published_source: str | None = None  # "page-meta", "page-json-ld" or "page-day" (see DATE_SOURCES)
    site_name: str | None = None
    image_url: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    description: str | None = None
    word_count: int = 0
    adjacent: AdjacentLinks = field(default_factory=AdjacentLinks)
    simhash: str | None = None  # 64-bit text fingerprint, hex, for near-duplicate detection


PAGE_GZIP_LEVEL = 1  # kept pages: higher levels cost much more CPU for little less space


@dataclass(slots=True)
class RawPage:
    url: str
    content_type: str | None
    body: bytes


@dataclass(slots=True)
class PackedPage:
    """A raw page ready to be kept: compressed and hashed (in an extraction worker, off the main process)."""

    url: str
    content_type: str | None
    size: int
    sha256: str
    body_gz: bytes


def pack_page(page: RawPage, sent_gzip: bytes | None = None) -> PackedPage:
    """The page compressed and hashed for keeping; `sent_gzip`, the server's own complete gzip stream of the
    same body, is kept as it is instead of compressing again."""
    body_gz = sent_gzip if sent_gzip is not None else gzip.compress(page.body, compresslevel=PAGE_GZIP_LEVEL, mtime=0)
    return PackedPage(page.url, page.content_type, len(page.body), hashlib.sha256(page.body).hexdigest(), body_gz)


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """A configured feed as the store keeps it (the config model stays outside the store)."""

    url: str
    title: str | None
    tags: tuple[str, ...]
    interval_seconds: int
    full_text: bool
    active: bool
    backfill: bool
