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


# A part that writes through another inherits from it (history from gaps, gaps from entries, entries from links,
# pages and duplicates), so the type checker sees every call between them; listed here in that order.
class Archive(FeedStore, HistoryStore, GapStore, EntryStore, LinkStore, PageStore, DuplicateStore, QueryStore,
              Connection):
    """The archive database; one instance per process."""
