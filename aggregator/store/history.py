"""Older posts: the backfill frontier, backfilled entries and the URLs that failed."""

from __future__ import annotations

from aggregator.store.gaps import GapStore


class HistoryStore(GapStore):
    """backfill_failures and backfilled entries (stored like the posts found for a gap)."""

    def backfill_frontier(self, feed_id: int, max_attempts: int) -> tuple[int, str] | None:
        """The oldest entry of the feed whose previous post is named but not archived: (entry id, URL)."""
        row = self.db.execute(
            """SELECT e.id, e.previous_url FROM entries e
               WHERE e.feed_id = :feed AND e.previous_url IS NOT NULL AND e.previous_id IS NULL
                 AND NOT EXISTS (SELECT 1 FROM entries x
                                 WHERE x.url = e.previous_url OR x.canonical_url = e.previous_url)
                 AND NOT EXISTS (SELECT 1 FROM backfill_failures f WHERE f.url = e.previous_url AND f.attempts >= :max)
               ORDER BY COALESCE(e.published_at, e.first_seen_at), e.id LIMIT 1""",
            {"feed": feed_id, "max": max_attempts},
        ).fetchone()
        return (row[0], row[1]) if row else None

    def record_backfill_failure(self, feed_id: int, url: str, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO backfill_failures (url, feed_id, error, attempts, last_attempt_at) VALUES (?, ?, ?, 1, ?) "
                "ON CONFLICT (url) DO UPDATE SET error = excluded.error, attempts = attempts + 1, "
                "last_attempt_at = excluded.last_attempt_at",
                [url, feed_id, error, self.now()],
            )
