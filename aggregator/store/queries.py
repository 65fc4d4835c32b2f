"""Read-only queries for the facade, status and exports."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from aggregator.store.connection import Connection
from aggregator.store.schema import FTS_TABLE


class QueryStore(Connection):
    """Reads only."""

    def feed_health(self) -> list[dict[str, object]]:
        """One row per feed for `aggregator status`: polling state, errors, entries and gaps, worst first."""
        return list(self.db.query(_HEALTH_SQL))

    def full_texts(self, entry_ids: list[int]) -> dict[int, str | None]:
        """entry id -> its full text, for the given entries."""
        found: dict[int, str | None] = {}
        for start in range(0, len(entry_ids), 500):
            chunk = entry_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT id, full_text FROM entries WHERE id IN ({marks})", chunk).fetchall())
        return found

    def feed_titles(self) -> dict[int, str]:
        """feed id -> the name to show: its configured title, else its own, else its URL."""
        return dict(self.db.execute("SELECT id, COALESCE(config_title, title, url) FROM feeds").fetchall())

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


def read_site_urls(db_path: str | Path) -> dict[str, str]:
    """{config URL or current URL: site URL} from an archive's feeds table, opened read-only (no migration, no
    write): {} without an archive."""
    path = Path(db_path)
    if not path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute("SELECT config_url, url, site_url FROM feeds WHERE site_url IS NOT NULL").fetchall()
    except sqlite3.Error:
        return {}  # not an archive (yet)
    finally:
        conn.close()
    found: dict[str, str] = {}
    for config_url, url, site_url in rows:
        for key in (url, config_url):  # the config URL wins over a moved feed's new URL
            if key and site_url:
                found[key] = site_url
    return found


_HEALTH_SQL = """
SELECT f.id, COALESCE(f.config_title, f.title) AS title, f.url, f.active, f.last_polled_at, f.last_status,
       f.error_count, f.last_error, f.next_poll_at, f.stopped_at, f.stopped_reason, f.last_new_entry_at,
       (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id) AS entries,
       (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id AND e.extraction_error IS NOT NULL
            AND e.extracted_at IS NULL) AS extraction_errors,
       (SELECT COUNT(*) FROM gaps g WHERE g.feed_id = f.id AND g.state != 'filled') AS open_gaps,
       (SELECT COUNT(*) FROM gaps g WHERE g.feed_id = f.id) AS gaps,
       (SELECT COALESCE(SUM(g.recovered), 0) FROM gaps g WHERE g.feed_id = f.id) AS posts_recovered
FROM feeds f ORDER BY f.error_count DESC, (SELECT COUNT(*) FROM gaps g WHERE g.feed_id = f.id
    AND g.state != 'filled') DESC, f.id
"""
