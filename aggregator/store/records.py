"""What the store takes and gives: plain records, no database handles."""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.models import Article, FeedSettings, PackedPage

__all__ = ["FeedSettings"]


@dataclass(slots=True)
class FeedState:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    full_text: bool
    error_count: int
    last_polled_at: str | None
    ttl_seconds: int | None  # publisher's hints, kept from the last parse for polls answered 304
    update_period_seconds: int | None
    window_size: int | None = None  # entries in the feed when it was last parsed


@dataclass(slots=True)
class PendingArticle:
    entry_id: int
    url: str


@dataclass(slots=True)
class PollRecord:
    feed_id: int
    started_at: str
    duration_ms: int
    http_status: int | None = None
    bytes: int = 0
    new_entries: int = 0
    updated_entries: int = 0
    extracted: int = 0
    not_modified: bool = False
    error: str | None = None
    final_url: str | None = None
    permanent_redirect: str | None = None
    throttled: bool = False  # 429 / 503 with Retry-After: an error, but not a sign of a broken feed


@dataclass(slots=True)
class ExtractedArticle:
    """An extraction waiting to be stored with the others of its feed."""

    entry_id: int
    article: Article
    final_url: str | None
    page: PackedPage | None = None


@dataclass(slots=True)
class StoreCounts:
    new: int = 0
    updated: int = 0

