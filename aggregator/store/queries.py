"""Read-only queries for the facade, status and exports."""

from __future__ import annotations

from aggregator.schema import FTS_TABLE
from aggregator.store.connection import Connection


class QueryStore(Connection):
    """Reads only."""

    def latest_entries(self, feed_id: int | None = None, limit: int = 50) -> list[dict[str, object]]:
        """The newest entries (of one feed, or all), newest first."""
        return list(
            self.db.query(
                "SELECT id, feed_id, title, url, published_at, author, word_count, found_via FROM entries "
                "WHERE :feed IS NULL OR feed_id = :feed ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC "
                "LIMIT :limit",
                {"feed": feed_id, "limit": limit},
            )
        )

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Full-text search, best match first."""
        return list(
            self.db.query(
                f"SELECT entries.id, entries.title, entries.url FROM {FTS_TABLE} "
                f"JOIN entries ON entries.id = {FTS_TABLE}.rowid "
                f"WHERE {FTS_TABLE} MATCH :q ORDER BY rank LIMIT :limit",
                {"q": query, "limit": limit},
            )
        )
