"""Gaps: posts that may have left a feed's window unseen, how each was filled, and the posts found for it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aggregator.models import Article, PackedPage, RawPage
from aggregator.store.entries import EntryStore, article_values, primary_language
from aggregator.store.records import PendingArticle

# How an entry came in when not through its feed's current window (entries.found_via).
FOUND_VIA = ("feed-page", "previous-link", "sitemap", "backfill")


@dataclass(frozen=True, slots=True)
class KnownEntry:
    id: int
    url: str | None
    published_at: str | None


@dataclass(frozen=True, slots=True)
class Gap:
    id: int
    feed_id: int
    detected_at: str
    reason: str
    newest_known: KnownEntry | None  # the newest post archived before the gap
    oldest_seen: KnownEntry  # the post after the gap
    attempts: int


class GapStore(EntryStore):
    """The gaps table, and what gap filling and refetching read and write. Posts found for a gap are stored as
    entries, through the entries part."""

    def newest_entry(self, feed_id: int) -> KnownEntry | None:
        """The feed's newest archived entry by publication (else first-seen) time."""
        # As recent_publish_times: the newest dated entry from the (feed_id, published_at) index, beside the
        # newest undated one, instead of ordering every entry of the feed by the COALESCE.
        row = self.db.execute(
            "SELECT id, url, t FROM (SELECT id, url, published_at AS t FROM entries WHERE feed_id = :feed "
            "AND published_at IS NOT NULL ORDER BY published_at DESC, id DESC LIMIT 1) UNION ALL "
            "SELECT id, url, first_seen_at FROM entries WHERE feed_id = :feed AND published_at IS NULL "
            "ORDER BY t DESC, id DESC LIMIT 1",
            {"feed": feed_id},
        ).fetchone()
        return KnownEntry(row[0], row[1], row[2]) if row else None

    def oldest_entry(self, feed_id: int) -> KnownEntry | None:
        row = self.db.execute(
            "SELECT id, url, COALESCE(published_at, first_seen_at) AS t FROM entries WHERE feed_id = ? "
            "ORDER BY t, id LIMIT 1",
            [feed_id],
        ).fetchone()
        return KnownEntry(row[0], row[1], row[2]) if row else None

    def feed_path_prefix(self, feed_id: int, sample: int = 50) -> str:
        """The longest path prefix (whole segments) shared by the feed's newest entry URLs: '/' for a site-wide
        feed, '/news/' for a section's. Date segments end it, so /2024/05/ does not narrow a blog to a month."""
        rows = self.db.execute(
            "SELECT url FROM entries WHERE feed_id = ? AND url IS NOT NULL ORDER BY id DESC LIMIT ?",
            [feed_id, sample],
        ).fetchall()
        paths = [urlsplit(row[0]).path.split("/")[1:-1] for row in rows]
        if not paths:
            return "/"
        prefix: list[str] = []
        for segments in zip(*paths, strict=False):
            if len(set(segments)) != 1 or segments[0].isdigit():
                break
            prefix.append(segments[0])
        return "/" + "".join(part + "/" for part in prefix)

    def entry_by_guid(self, feed_id: int, guid: str) -> KnownEntry | None:
        row = self.db.execute(
            "SELECT id, url, COALESCE(published_at, first_seen_at) FROM entries WHERE feed_id = ? AND guid = ?",
            [feed_id, guid],
        ).fetchone()
        return KnownEntry(row[0], row[1], row[2]) if row else None

    def entry_for_url(self, url: str, feed_id: int | None = None) -> KnownEntry | None:
        """An archived entry at this URL (its feed URL or its page's canonical URL), the feed's own first."""
        row = self.db.execute(
            "SELECT id, url, COALESCE(published_at, first_seen_at) FROM entries WHERE url = :u OR canonical_url = :u "
            "ORDER BY feed_id = :feed DESC, id LIMIT 1",
            {"u": url, "feed": feed_id},
        ).fetchone()
        return KnownEntry(row[0], row[1], row[2]) if row else None

    def previous_of(self, entry_id: int) -> tuple[str | None, int | None]:
        """(previous_url, previous_id) of an entry."""
        row = self.db.execute("SELECT previous_url, previous_id FROM entries WHERE id = ?", [entry_id]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def unresolved_previous(self, feed_id: int, since: str) -> list[KnownEntry]:
        """Entries of the feed first seen at or after `since` whose page names a previous post that is not
        archived: each is the newer side of a possible gap."""
        rows = self.db.execute(
            """SELECT e.id, e.url, COALESCE(e.published_at, e.first_seen_at) FROM entries e
               WHERE e.feed_id = :feed AND e.first_seen_at >= :since AND e.found_via IS NULL
                 AND e.previous_url IS NOT NULL AND e.previous_id IS NULL
                 AND NOT EXISTS (SELECT 1 FROM entries x
                                 WHERE x.url = e.previous_url OR x.canonical_url = e.previous_url)
               ORDER BY COALESCE(e.published_at, e.first_seen_at)""",
            {"feed": feed_id, "since": since},
        ).fetchall()
        return [KnownEntry(row[0], row[1], row[2]) for row in rows]

    def linked_share(self, feed_id: int, before: str, sample: int = 20) -> float:
        """Of the feed's newest posts first seen before `before` that name a previous post, the share whose
        previous post is an entry of this feed: high on a site's main feed, low on a category feed whose
        neighbours lie elsewhere. The feed's oldest post is left out: its previous post is history."""
        rows = self.db.execute(
            "SELECT e.previous_id IS NOT NULL AND p.feed_id = e.feed_id FROM entries e "
            "LEFT JOIN entries p ON p.id = e.previous_id WHERE e.feed_id = :feed AND e.previous_url IS NOT NULL "
            "AND e.first_seen_at < :before AND e.id != (SELECT id FROM entries WHERE feed_id = :feed "
            "ORDER BY COALESCE(published_at, first_seen_at), id LIMIT 1) "
            "ORDER BY COALESCE(e.published_at, e.first_seen_at) DESC LIMIT :sample",
            {"feed": feed_id, "before": before, "sample": sample},
        ).fetchall()
        if len(rows) < 3:
            return 0.0
        return sum(bool(row[0]) for row in rows) / len(rows)

    def record_gap(self, feed_id: int, reason: str, newest_known: KnownEntry | None, oldest_seen: KnownEntry) -> int:
        """Record a gap (once per post after it); returns its id."""
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id FROM gaps WHERE feed_id = ? AND oldest_seen_id = ?", [feed_id, oldest_seen.id]
            ).fetchone()
            if row is not None:
                return int(row[0])
            cursor = self.db.conn.execute(
                "INSERT INTO gaps (feed_id, detected_at, reason, newest_known_id, newest_known_url, oldest_seen_id, "
                "oldest_seen_url, state, attempts, recovered) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 0, 0)",
                [feed_id, self.now(), reason, newest_known.id if newest_known else None,
                 newest_known.url if newest_known else None, oldest_seen.id, oldest_seen.url],
            )
            return int(cursor.lastrowid or 0)

    def open_gaps(self, feed_id: int | None = None) -> list[Gap]:
        rows = self.db.execute(
            """SELECT g.id, g.feed_id, g.detected_at, g.reason, g.newest_known_id, n.url,
                      COALESCE(n.published_at, n.first_seen_at), g.oldest_seen_id, o.url,
                      COALESCE(o.published_at, o.first_seen_at), g.attempts
               FROM gaps g LEFT JOIN entries n ON n.id = g.newest_known_id JOIN entries o ON o.id = g.oldest_seen_id
               WHERE g.state = 'open' AND (:feed IS NULL OR g.feed_id = :feed) ORDER BY g.id""",
            {"feed": feed_id},
        ).fetchall()
        return [
            Gap(row[0], row[1], row[2], row[3], KnownEntry(row[4], row[5], row[6]) if row[4] else None,
                KnownEntry(row[7], row[8], row[9]), row[10])
            for row in rows
        ]

    def has_open_gaps(self, feed_id: int) -> bool:
        return self.db.execute(
            "SELECT 1 FROM gaps WHERE feed_id = ? AND state = 'open' LIMIT 1", [feed_id]
        ).fetchone() is not None

    def close_gap(self, gap_id: int, state: str, filled_by: str | None, recovered: int, note: str | None) -> None:
        """state: 'filled' (both sides joined), 'open' (try again later) or 'unfilled' (given up)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE gaps SET state = ?, attempts = attempts + 1, recovered = recovered + ?, note = ?, "
                "filled_by = CASE WHEN ? IS NULL THEN filled_by WHEN filled_by IS NULL THEN ? "
                "ELSE filled_by || ',' || ? END, filled_at = CASE WHEN ? = 'filled' THEN ? ELSE filled_at END "
                "WHERE id = ?",
                [state, recovered, note, filled_by, filled_by, filled_by, state, self.now(), gap_id],
            )

    def gap_counts(self) -> dict[int, tuple[int, int]]:
        """feed id -> (open gaps, gaps ever recorded)."""
        rows = self.db.execute(
            "SELECT feed_id, SUM(state = 'open'), COUNT(*) FROM gaps GROUP BY feed_id"
        ).fetchall()
        return {row[0]: (int(row[1] or 0), int(row[2])) for row in rows}

    def joined(self, newer_id: int, older_id: int, max_steps: int = 10_000) -> bool:
        """Whether previous_id links lead from `newer_id` down to `older_id`."""
        current: int | None = newer_id
        seen: set[int] = set()
        while current is not None and current not in seen and len(seen) < max_steps:
            if current == older_id:
                return True
            seen.add(current)
            row = self.db.execute("SELECT previous_id FROM entries WHERE id = ?", [current]).fetchone()
            current = row[0] if row else None
        return False

    def add_found_entry(
        self, feed_id: int, url: str, article: Article, page: RawPage | PackedPage | None, found_via: str,
        guid: str | None = None,
    ) -> int:
        """Archive a post found outside the feed's window (gap filling or backfill), marked with how.

        One transaction: a kill leaves either nothing or the complete entry, so a rerun resumes cleanly.
        """
        if found_via not in FOUND_VIA:
            raise ValueError(f"unknown way of finding a post: {found_via!r}")
        guid = guid or f"link:{url}"
        with self.db.atomic():
            self.db.conn.execute(
                "INSERT INTO entries (feed_id, guid, url, title, author, published_at, published_source, summary, "
                "language, image_url, first_seen_at, extraction_attempts, backfilled, found_via) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING",
                [feed_id, guid, url, article.title, article.author, article.published_at,
                 article.published_source if article.published_at else None, article.description,
                 primary_language(article.language), article.image_url, self.now(), int(found_via == "backfill"),
                 found_via],
            )
            self.db.execute("DELETE FROM backfill_failures WHERE url = ?", [url])
            entry_id = int(self.db.execute(
                "SELECT id FROM entries WHERE feed_id = ? AND guid = ?", [feed_id, guid]
            ).fetchone()[0])
            self._apply_article(entry_id, article, article_values(article, url, self.now()), page)
        return entry_id

    def mark_found_via(self, entry_ids: list[int], found_via: str) -> None:
        """Entries that came in through a feed page other than the current window (gap filling)."""
        if not entry_ids:
            return
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE entries SET found_via = ? WHERE id = ? AND found_via IS NULL",
                [(found_via, entry_id) for entry_id in entry_ids],
            )

    def known_guids(self, feed_id: int, guids: list[str]) -> dict[str, int]:
        """guid -> entry id, for the guids the feed already has."""
        return {guid: row[0] for guid, row in self._known_entries(feed_id, guids).items()}

    def mark_found_via_guids(self, feed_id: int, guids: list[str], found_via: str) -> None:
        """Entries that came in through a page of the feed other than its current window."""
        ids = list(self.known_guids(feed_id, guids).values())
        if ids:
            self.mark_found_via(ids, found_via)

    def refetch_due(self, feed_id: int, extracted_before: str, limit: int) -> list[PendingArticle]:
        """Entries whose page was extracted before `extracted_before` and never fetched again."""
        rows = self.db.execute(
            "SELECT id, COALESCE(canonical_url, url) FROM entries WHERE feed_id = ? AND refetched_at IS NULL "
            "AND extracted_at IS NOT NULL AND extracted_at < ? AND full_text_source = 'page' "
            "ORDER BY extracted_at LIMIT ?",
            [feed_id, extracted_before, limit],
        ).fetchall()
        return [PendingArticle(row[0], row[1]) for row in rows]

    def mark_refetched(self, entry_ids: list[int]) -> None:
        if not entry_ids:
            return
        with self.db.atomic():
            now = self.now()
            self.db.conn.executemany(
                "UPDATE entries SET refetched_at = ? WHERE id = ?", [(now, entry_id) for entry_id in entry_ids]
            )

