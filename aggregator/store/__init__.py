"""The archive: one SQLite file written through sqlite-utils, split by what each part keeps.

Only this package runs SQL on the archive. Every write is a short transaction (or joins the shared one, see
connection), so Datasette can read while the poller writes (WAL mode).
"""

from __future__ import annotations

from aggregator.clock import utcnow
from aggregator.store.connection import BUSY_TIMEOUT_MS, FTS_WAITING, Connection
from aggregator.store.duplicates import DuplicateStore
from aggregator.store.entries import EntryStore, primary_language, word_count
from aggregator.store.feeds import FeedStore
from aggregator.store.gaps import GapStore
from aggregator.store.history import HistoryStore
from aggregator.store.links import LinkStore
from aggregator.store.pages import PageStore
from aggregator.store.queries import QueryStore
from aggregator.store.records import (
    ExtractedArticle,
    FeedSettings,
    FeedState,
    PendingArticle,
    PollRecord,
    StoreCounts,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FTS_WAITING",
    "Archive",
    "ExtractedArticle",
    "FeedSettings",
    "FeedState",
    "PendingArticle",
    "PollRecord",
    "StoreCounts",
    "primary_language",
    "utcnow",
    "word_count",
]


class Archive(FeedStore, EntryStore, LinkStore, DuplicateStore, PageStore, HistoryStore, GapStore, QueryStore,
              Connection):
    """The archive database; one instance per process."""
