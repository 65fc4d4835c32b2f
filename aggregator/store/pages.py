"""Kept article pages (gzip-compressed), for reextract."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

from aggregator.models import PackedPage, RawPage
from aggregator.store.connection import Connection


class PageStore(Connection):
    """The pages table."""

    def prune_pages(self, fetched_before: str) -> int:
        with self.db.atomic():
            return self.db.execute("DELETE FROM pages WHERE fetched_at < ?", [fetched_before]).rowcount

    def kept_pages(self, feed_id: int | None = None) -> Iterator[tuple[int, RawPage]]:
        """Kept raw pages, decompressed one at a time (entry id, page), so memory stays flat."""
        if feed_id is None:
            rows = self.db.execute("SELECT entry_id FROM pages ORDER BY entry_id")
        else:
            rows = self.db.execute(
                "SELECT p.entry_id FROM pages p JOIN entries e ON e.id = p.entry_id WHERE e.feed_id = ? "
                "ORDER BY p.entry_id",
                [feed_id],
            )
        for (entry_id,) in rows.fetchall():
            row = self.db.execute(
                "SELECT url, content_type, body_gz FROM pages WHERE entry_id = ?", [entry_id]
            ).fetchone()
            if row is not None:
                yield entry_id, RawPage(row[0], row[1], gzip.decompress(row[2]))

    def _save_page(self, entry_id: int, page: PackedPage) -> None:
        self.db.conn.execute(
            "INSERT INTO pages (entry_id, url, fetched_at, content_type, size, sha256, body_gz) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO UPDATE SET url = excluded.url, "
            "fetched_at = excluded.fetched_at, content_type = excluded.content_type, size = excluded.size, "
            "sha256 = excluded.sha256, body_gz = excluded.body_gz",
            [entry_id, page.url, self.now(), page.content_type, page.size, page.sha256, page.body_gz],
        )
