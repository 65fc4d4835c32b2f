"""Read-only queries for the facade, status and exports."""

from __future__ import annotations

from aggregator.schema import FTS_TABLE
from aggregator.store.connection import Connection


class QueryStore(Connection):
    """Reads only."""

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
