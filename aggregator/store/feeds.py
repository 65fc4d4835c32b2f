"""Feeds: their configured settings, poll state and health."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from aggregator.models import ParsedFeed
from aggregator.store.connection import Connection
from aggregator.store.records import FeedSettings, FeedState, PollRecord
from aggregator.urls import redact_text, redact_url


class FeedStore(Connection):
    """The feeds table."""

    def sync_feeds(self, feeds: Sequence[FeedSettings]) -> dict[str, int]:
        """Make sure every configured feed has a row; returns config URL -> feed id.

        A feed is recognised by the URL in the config even after a permanent redirect moved it. URLs are stored
        with their credentials redacted (user-info, secret-looking query values): Datasette serves every table
        and SQL can take any string apart, so secrets stay in the config file only.
        """
        ids: dict[str, int] = {}
        now = self.now()
        # A reload's changes are visible at once, not with the polls' next shared commit (up to a second later).
        self.commit_shared()
        columns = ("config_url", "config_title", "tags", "interval_seconds", "full_text", "active", "backfill")
        # Every feed read in one query and only changed rows written: a look-up and an UPDATE per configured feed
        # took 5 s for 100,000 feeds at each start and each reload.
        by_config: dict[str, int] = {}
        by_url: dict[str, int] = {}
        stored: dict[int, tuple[object, ...]] = {}
        for row in self.db.execute(f"SELECT id, url, {', '.join(columns)} FROM feeds ORDER BY id").fetchall():
            stored[row[0]] = tuple(row[2:])
            by_url.setdefault(row[1], row[0])
            if row[2] is not None:
                by_config.setdefault(row[2], row[0])
        insert = f"INSERT INTO feeds (url, added_at, {', '.join(columns)}) VALUES ({', '.join('?' * 9)})"
        with self.db.atomic():
            for feed in feeds:
                key = redact_url(feed.url)
                values = (key, feed.title, json.dumps(list(feed.tags)), feed.interval_seconds, int(feed.full_text),
                          int(feed.active), int(feed.backfill))
                # The row whose config URL is this one, else the row the feed moved to (its url).
                feed_id = by_config.get(key, by_url.get(key))
                if feed_id is None:
                    feed_id = self.db.conn.execute(insert, (key, now, *values)).lastrowid
                    assert feed_id is not None
                    by_url.setdefault(key, feed_id)
                elif stored[feed_id] != values:
                    self._update_feed(feed_id, dict(zip(columns, values, strict=True)))
                    old_key = stored[feed_id][0]
                    if isinstance(old_key, str) and old_key != key and by_config.get(old_key) == feed_id:
                        del by_config[old_key]
                stored[feed_id] = values
                by_config.setdefault(key, feed_id)
                ids[feed.url] = feed_id
            # Feeds removed from the config keep their archive but are no longer polled.
            kept = set(ids.values())
            self.db.conn.executemany("UPDATE feeds SET active = 0 WHERE id = ?",
                                     [(i,) for i, v in stored.items() if i not in kept and v[5] != 0])
            # Entries left waiting for their page (a poll killed half-way) by feeds that will not extract it.
            self.db.execute(
                "UPDATE entries SET fts_pending = 0 WHERE fts_pending = 1 "
                "AND feed_id IN (SELECT id FROM feeds WHERE active = 0 OR full_text = 0)"
            )
        return ids

    def due_feeds(self, feed_ids: Iterable[int], now: str) -> list[int]:
        """Feeds among `feed_ids` whose next poll time has come (never-polled ones included)."""
        ids = list(feed_ids)
        if not ids:
            return []
        placeholders = ", ".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id FROM feeds WHERE id IN ({placeholders}) AND active = 1 AND stopped_at IS NULL "
            "AND (next_poll_at IS NULL OR next_poll_at <= ?) ORDER BY next_poll_at",
            [*ids, now],
        ).fetchall()
        return [row[0] for row in rows]

    def due_active_feeds(self, now: str, limit: int = -1) -> list[int]:
        """Every active, not stopped feed whose next poll time has come (never-polled ones included), the most
        overdue first; at most `limit` (-1: all). Without an id list: the daemon asks every second, and binding
        100,000 ids cost 0.2 s a time; the next_poll_at index finds the few due ones."""
        rows = self.db.execute(
            "SELECT id FROM feeds WHERE next_poll_at IS NULL AND active = 1 AND stopped_at IS NULL "
            "UNION ALL SELECT id FROM (SELECT id FROM feeds WHERE next_poll_at <= ? AND active = 1 "
            "AND stopped_at IS NULL ORDER BY next_poll_at) LIMIT ?",
            [now, limit],
        ).fetchall()
        return [row[0] for row in rows]

    def unpolled_due_feeds(self, now: str) -> list[int]:
        """Active feeds never polled whose first poll is due (or not yet planned)."""
        rows = self.db.execute(
            "SELECT id FROM feeds WHERE (next_poll_at IS NULL OR next_poll_at <= ?) AND last_polled_at IS NULL "
            "AND active = 1 AND stopped_at IS NULL",
            [now],
        ).fetchall()
        return [row[0] for row in rows]

    def set_next_polls(self, planned: Mapping[int, str]) -> None:
        """Several feeds' next poll times in one transaction."""
        with self.db.atomic():
            self.db.conn.executemany("UPDATE feeds SET next_poll_at = ? WHERE id = ?",
                                     [(when, feed_id) for feed_id, when in planned.items()])

    def next_poll_time(self, feed_ids: Iterable[int]) -> str | None:
        """The earliest next poll among these feeds (polled or not, not stopped), or None."""
        ids = list(feed_ids)
        if not ids:
            return None
        placeholders = ", ".join("?" * len(ids))
        row = self.db.execute(
            f"SELECT MIN(COALESCE(next_poll_at, '')) FROM feeds WHERE id IN ({placeholders}) AND active = 1 "
            "AND stopped_at IS NULL",
            ids,
        ).fetchone()
        return row[0] if row and row[0] is not None else None

    def set_feed_paging(self, feed_id: int, generator: str | None, next_page_url: str | None,
                        prev_archive_url: str | None) -> None:
        """What the feed says about itself for reading its older pages (seen when a gap is filled)."""
        with self.db.atomic():
            self._update_feed(feed_id, {"generator": generator, "next_page_url": next_page_url,
                                        "prev_archive_url": prev_archive_url})

    def forgive_error(self, feed_id: int, error: str) -> None:
        """Take back the last poll's error from the feed's count of consecutive errors (it was not the feed's)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE feeds SET error_count = MAX(COALESCE(error_count, 0) - 1, 0), last_error = ? WHERE id = ?",
                [redact_text(error), feed_id],
            )
            self._relabel_last_poll(feed_id, error)

    def count_error(self, feed_id: int, error: str) -> None:
        """Count the last poll's error against the feed after all (it was presumed to be the network's)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE feeds SET error_count = COALESCE(error_count, 0) + 1, last_error = ? WHERE id = ?",
                [redact_text(error), feed_id],
            )
            self._relabel_last_poll(feed_id, error)

    def _relabel_last_poll(self, feed_id: int, error: str) -> None:
        self.db.execute(
            "UPDATE polls SET error = ? WHERE id = (SELECT MAX(id) FROM polls WHERE feed_id = ?)",
            [redact_text(error), feed_id],
        )

    def stopped_feeds(self) -> dict[str, str]:
        """config URL -> reason, for feeds the daemon no longer polls (410 Gone)."""
        rows = self.db.execute("SELECT config_url, stopped_reason FROM feeds WHERE stopped_at IS NOT NULL")
        return {row[0]: row[1] for row in rows.fetchall()}

    def set_next_poll(self, feed_id: int, when: str) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", [when, feed_id])

    def recent_publish_times(self, feed_id: int, limit: int = 30) -> list[str]:
        """Publication (else first-seen) times of the feed's newest entries, newest first."""
        # The newest dated ones straight from the (feed_id, published_at) index, then the few undated ones: ordering
        # by the COALESCE itself read and sorted every entry of the feed at every poll.
        rows = self.db.execute(
            "SELECT t FROM (SELECT published_at AS t FROM entries WHERE feed_id = :feed AND published_at IS NOT NULL "
            "ORDER BY published_at DESC LIMIT :limit) UNION ALL SELECT first_seen_at FROM entries "
            "WHERE feed_id = :feed AND published_at IS NULL ORDER BY t DESC LIMIT :limit",
            {"feed": feed_id, "limit": limit},
        ).fetchall()
        return [row[0] for row in rows]

    def feed_state(self, feed_id: int) -> FeedState:
        row = self.db.execute(
            "SELECT id, url, etag, last_modified, body_sha256, full_text, error_count, last_polled_at, "
            "ttl_seconds, update_period_seconds, window_size FROM feeds WHERE id = ?",
            [feed_id],
        ).fetchone()
        if row is None:
            raise KeyError(f"no feed with id {feed_id}")
        return FeedState(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6] or 0, row[7], row[8], row[9],
                         row[10])

    def record_poll(
        self,
        poll: PollRecord,
        *,
        parsed: ParsedFeed | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        body_sha256: str | None = None,
        next_poll_at: str | None = None,
    ) -> None:
        """Log one fetch of a feed in `polls` and update the feed's health columns."""
        feed_values: dict[str, object] = {
            "last_polled_at": poll.started_at,
            "last_status": poll.http_status,
            "last_error": redact_text(poll.error) if poll.error else None,
        }
        if next_poll_at is not None:
            feed_values["next_poll_at"] = next_poll_at
        if poll.http_status == 410:
            feed_values["stopped_at"] = poll.started_at
            feed_values["stopped_reason"] = "HTTP 410 Gone: the publisher removed this feed; polling stopped"
        if poll.error is None:
            feed_values["error_count"] = 0
            feed_values["last_success_at"] = poll.started_at
            feed_values["stopped_at"] = None
            feed_values["stopped_reason"] = None
            if not poll.not_modified:
                feed_values["etag"] = etag
                feed_values["last_modified"] = last_modified
                feed_values["body_sha256"] = body_sha256
        if poll.new_entries:
            feed_values["last_new_entry_at"] = poll.started_at
        moved = poll.permanent_redirect
        # A target carrying credentials is not adopted: it would have to be stored, and Datasette serves the
        # archive. The config's URL keeps being polled (and redirected) instead.
        if moved and redact_url(moved) == moved and not self.db.execute(
            "SELECT 1 FROM feeds WHERE url = ? AND id != ?", [moved, poll.feed_id]
        ).fetchone():
            # Moved for good: poll the new address from now on (config_url still names this feed).
            # When the target is already a feed of its own, both rows stay as they are.
            feed_values["url"] = poll.permanent_redirect
        if parsed is not None:
            feed_values.update(
                {
                    "title": parsed.title,
                    "site_url": parsed.site_url,
                    "format": parsed.format,
                    "language": parsed.language,
                    "ttl_seconds": parsed.ttl_seconds,
                    "update_period_seconds": parsed.update_period_seconds,
                    "parse_warning": parsed.warning,
                    "window_size": len(parsed.entries),
                }
            )
        with self.db.atomic():
            if poll.error is not None and not poll.throttled:
                self.db.execute(
                    "UPDATE feeds SET error_count = COALESCE(error_count, 0) + 1 WHERE id = ?", [poll.feed_id]
                )
            self._update_feed(poll.feed_id, feed_values)
            self.db.conn.execute(
                "INSERT INTO polls (feed_id, started_at, duration_ms, http_status, bytes, not_modified, new_entries, "
                "updated_entries, extracted, final_url, error, warning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [poll.feed_id, poll.started_at, poll.duration_ms, poll.http_status, poll.bytes, int(poll.not_modified),
                 poll.new_entries, poll.updated_entries, poll.extracted,
                 redact_url(poll.final_url) if poll.final_url else None,
                 redact_text(poll.error) if poll.error else None,
                 parsed.warning if parsed is not None else None],
            )

    def _update_feed(self, feed_id: int, values: Mapping[str, object]) -> None:
        # Column names come from this module only, never from input.
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", [*values.values(), feed_id])

    def backfill_feed_ids(self) -> list[int]:
        rows = self.db.execute("SELECT id FROM feeds WHERE backfill = 1 AND active = 1 AND stopped_at IS NULL")
        return [row[0] for row in rows.fetchall()]
