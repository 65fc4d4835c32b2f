"""The archive: one SQLite file written through sqlite-utils.

Every write is a short transaction, so Datasette can read while the poller writes (WAL mode).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from aggregator import dedupe
from aggregator.config import Config
from aggregator.models import Article, PackedPage, ParsedEntry, ParsedFeed, RawPage, entry_hash, pack_page
from aggregator.sanitize import html_to_text
from aggregator.schema import FTS_TABLE, migrate
from aggregator.walcheckpoint import WalCheckpointer

BUSY_TIMEOUT_MS = 15000
# Kept pages: level 1 costs 0.42 ms per 50 kB page against 1.0 ms at level 6, for 16% more bytes.
_SHINGLE_CACHE_SIZE = 512  # stories whose shingles are kept between near-duplicate checks

log = logging.getLogger("aggregator.store")


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class Archive:
    """The archive database; one instance per process."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        # WAL makes NORMAL durable against crashes of this process; only power loss can lose the tail.
        self.db.execute("PRAGMA synchronous = NORMAL")
        # A shared commit of full-text feeds dirties about 3 MiB of pages: with SQLite's default 2 MiB cache
        # they spilled to the WAL mid-transaction and were read back (30 preads per article, 11 with 8 MiB).
        self.db.execute("PRAGMA cache_size = -8192")
        migrate(self.db)
        # Each article is stored in a savepoint, whose statement journal (about 170 kB an article) went to a
        # temporary file past 64 kB: 84 write syscalls per article. In memory it is a copy. Set after the
        # migrations, whose table-wide UPDATEs could journal a whole large archive.
        self.db.execute("PRAGMA temp_store = MEMORY")
        # Checkpoints run in a thread of their own (see walcheckpoint), not inside this connection's commits.
        self.db.execute("PRAGMA wal_autocheckpoint = 0")
        self._checkpointer = WalCheckpointer(self.path, BUSY_TIMEOUT_MS)
        self._tag_ids: dict[str, int] = {}  # tag name -> id; tags are never deleted, so this stays true
        # story root id -> (hash of its text, its shingles): a story syndicated N times is shingled once
        self._shingles: OrderedDict[int, tuple[int, frozenset[int]]] = OrderedDict()
        self._shared_open = False
        # Feeds whose new entries (feeds without full text) or extracted articles wait for the shared commit to be
        # indexed, all at once.
        self._index_at_commit: set[int] = set()

    def close(self) -> None:
        self.commit_shared()
        self._checkpointer.close()
        self.db.close()

    def begin_shared(self) -> None:
        """Open a transaction that the next writes share (each still in a savepoint of its own) until
        commit_shared(): one commit for several feeds instead of one each. A commit costs about 1 ms
        (mostly FTS5 writing its in-memory segment), as much as storing ten entries."""
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN")
        self._shared_open = True

    def commit_shared(self) -> None:
        """Index the entries that wait for it and commit the shared transaction, if one is open. Never called
        inside a write: they do not await."""
        conn = self.db.conn
        if self._index_at_commit:
            if conn.in_transaction:
                self._index_where("feed_id", sorted(self._index_at_commit))
            else:  # committed by someone else meanwhile: index them now, in a transaction of their own
                with self.db.atomic():
                    self._index_where("feed_id", sorted(self._index_at_commit))
            self._index_at_commit.clear()
        if conn.in_transaction:
            conn.execute("COMMIT")
        self._shared_open = False

    def _index_where(self, column: str, values: Sequence[int]) -> None:
        """Index the waiting entries whose `column` (feed_id or id) is one of `values`: one statement per 500."""
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            self.db.conn.execute(
                f"UPDATE entries SET fts_pending = 0 WHERE fts_pending = {FTS_WAITING} "
                f"AND {column} IN ({', '.join('?' * len(chunk))})",
                chunk,
            )

    # -- feeds ---------------------------------------------------------------------------------

    def sync_feeds(self, config: Config) -> dict[str, int]:
        """Make sure every configured feed has a row; returns config URL -> feed id.

        A feed is recognised by the URL in the config even after a permanent redirect moved it.
        """
        ids: dict[str, int] = {}
        now = utcnow()
        # A reload's changes are visible at once, not with the polls' next shared commit (up to a second later).
        self.commit_shared()
        with self.db.atomic():
            for feed in config.feeds:
                row = self.db.execute(
                    "SELECT id FROM feeds WHERE config_url = ? OR url = ? ORDER BY config_url = ? DESC LIMIT 1",
                    [feed.url, feed.url, feed.url],
                ).fetchone()
                values = {
                    "config_url": feed.url,
                    "config_title": feed.title,
                    "tags": json.dumps(list(feed.tags)),
                    "interval_seconds": int(config.feed_interval(feed)),
                    "full_text": int(config.feed_full_text(feed)),
                    "active": int(feed.enabled),
                    "backfill": int(feed.backfill),
                }
                if row is None:
                    self.db["feeds"].insert({"url": feed.url, "added_at": now, **values})
                    ids[feed.url] = self.db.execute("SELECT last_insert_rowid()").fetchone()[0]
                else:
                    self._update_feed(row[0], values)
                    ids[feed.url] = row[0]
            # Feeds removed from the config keep their archive but are no longer polled.
            placeholders = ", ".join("?" * len(ids))
            self.db.execute(f"UPDATE feeds SET active = 0 WHERE id NOT IN ({placeholders})", list(ids.values()))
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

    def stopped_feeds(self) -> dict[str, str]:
        """config URL -> reason, for feeds the daemon no longer polls (410 Gone)."""
        rows = self.db.execute("SELECT config_url, stopped_reason FROM feeds WHERE stopped_at IS NOT NULL")
        return {row[0]: row[1] for row in rows.fetchall()}

    def set_next_poll(self, feed_id: int, when: str) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", [when, feed_id])

    def recent_publish_times(self, feed_id: int, limit: int = 30) -> list[str]:
        """Publication (else first-seen) times of the feed's newest entries, newest first."""
        rows = self.db.execute(
            "SELECT COALESCE(published_at, first_seen_at) AS t FROM entries WHERE feed_id = ? "
            "ORDER BY t DESC LIMIT ?",
            [feed_id, limit],
        ).fetchall()
        return [row[0] for row in rows]

    def feed_state(self, feed_id: int) -> FeedState:
        row = self.db.execute(
            "SELECT id, url, etag, last_modified, body_sha256, full_text, error_count, last_polled_at, "
            "ttl_seconds, update_period_seconds FROM feeds WHERE id = ?",
            [feed_id],
        ).fetchone()
        if row is None:
            raise KeyError(f"no feed with id {feed_id}")
        return FeedState(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6] or 0, row[7], row[8], row[9])

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
            "last_error": poll.error,
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
        if poll.permanent_redirect and not self.db.execute(
            "SELECT 1 FROM feeds WHERE url = ? AND id != ?", [poll.permanent_redirect, poll.feed_id]
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
                 poll.new_entries, poll.updated_entries, poll.extracted, poll.final_url, poll.error,
                 parsed.warning if parsed is not None else None],
            )

    def _update_feed(self, feed_id: int, values: dict[str, object]) -> None:
        # Column names come from this module only, never from input.
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", [*values.values(), feed_id])

    # -- entries -------------------------------------------------------------------------------

    def store_entries(self, feed_id: int, entries: Iterable[ParsedEntry], defer_index: bool = False) -> StoreCounts:
        """Insert new entries and update changed ones, in one transaction. Idempotent.

        defer_index: new entries with a page to extract wait for it before entering the full-text index
        (store_extractions indexes them, with the page's text or, failing that, the feed's). Without it, new
        entries are indexed all at once: at the shared commit when one is open (begin_shared), else at the end.
        FTS5 costs about as much per statement as per row (it writes out its pending terms at every statement
        savepoint), so one statement per commit instead of one per entry takes half the CPU (1.16 -> 0.55 s per
        10,000 entries).

        Plain prepared statements on the hot path: per-row sqlite-utils calls cost more than the rest
        of ingest together (they inspect the schema on every insert).
        """
        entries = list(entries)
        counts = StoreCounts()
        now = utcnow()
        horizon = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        conn = self.db.conn
        added = without_page = False
        with self.db.atomic():  # a savepoint inside a shared transaction (begin_shared)
            known = self._known_entries(feed_id, [entry.guid for entry in entries])
            for entry in entries:
                content_hash = _entry_hash(entry)
                row = known.get(entry.guid)
                if row is not None and row[1] == content_hash:
                    continue
                values = _entry_values(entry)
                for column in ("published_at", "updated_at"):
                    # A date beyond tomorrow is a publisher's mistake; it would sit atop "latest" for years.
                    if values[column] and str(values[column]) > horizon:
                        values[column] = now
                if row is None:
                    values.update(feed_id=feed_id, guid=entry.guid, first_seen_at=now, content_hash=content_hash,
                                  fts_pending=FTS_WAITING)
                    values.update(_feed_text(entry))
                    entry_id = conn.execute(_INSERT_ENTRY, values).lastrowid
                    added = True
                    without_page = without_page or entry.url is None
                    known[entry.guid] = (entry_id, content_hash, entry.url)
                    counts.new += 1
                else:
                    entry_id = row[0]
                    self._keep_revision(entry_id, "feed", now)
                    # Changed in the feed: fetch the page again too, its text has likely changed as well.
                    values.update(id=entry_id, content_hash=content_hash, changed_at=now)
                    conn.execute(_UPDATE_ENTRY, values)
                    if row[2] != entry.url:
                        conn.execute("UPDATE entries SET canonical_url = NULL WHERE id = ?", [entry_id])
                    conn.execute(
                        "UPDATE entries SET full_text = :text, word_count = :words "
                        "WHERE id = :id AND full_text_source IS NOT 'page'",
                        {"id": entry_id, **_feed_text(entry, prefixed=False)},
                    )
                    known[entry.guid] = (entry_id, content_hash, entry.url)
                    counts.updated += 1
                self._set_tags(entry_id, entry.tags, "feed")
                self._set_enclosures(entry_id, entry)
            if added and not defer_index:
                if self._shared_open and conn.in_transaction:
                    self._index_at_commit.add(feed_id)
                else:
                    conn.execute(_INDEX_PENDING, [feed_id])
            elif without_page:  # nothing to wait for
                conn.execute(_INDEX_PENDING + " AND url IS NULL", [feed_id])
        return counts

    def _known_entries(self, feed_id: int, guids: list[str]) -> dict[str, tuple[int, str, str | None]]:
        known: dict[str, tuple[int, str, str | None]] = {}
        for start in range(0, len(guids), 500):
            chunk = guids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for guid, entry_id, content_hash, url in self.db.conn.execute(
                f"SELECT guid, id, content_hash, url FROM entries WHERE feed_id = ? AND guid IN ({marks})",
                [feed_id, *chunk],
            ):
                known[guid] = (entry_id, content_hash, url)
        return known

    def pending_articles(self, feed_id: int, max_attempts: int) -> list[PendingArticle]:
        """Entries whose article page still needs extracting (new, or failed fewer than max_attempts)."""
        rows = self.db.execute(
            "SELECT id, url FROM entries WHERE feed_id = ? AND extracted_at IS NULL AND url IS NOT NULL "
            "AND extraction_attempts < ? ORDER BY published_at, id",
            [feed_id, max_attempts],
        ).fetchall()
        return [PendingArticle(row[0], row[1]) for row in rows]

    def store_article(
        self, entry_id: int, article: Article, final_url: str | None, page: RawPage | PackedPage | None = None
    ) -> None:
        """Save an extracted article (and its raw page), keep the former text as a revision when it
        changed, link the entry to its archived neighbours (both directions) and to near-duplicates."""
        with self.db.atomic():
            self._apply_article(entry_id, article, _article_values(article, final_url), page)
            self._index_where("id", [entry_id])

    def store_extractions(
        self, done: Sequence[ExtractedArticle], failed: Sequence[tuple[int, str]] = (), feed_id: int | None = None
    ) -> list[tuple[int, str]]:
        """Store a feed's extracted articles and its extraction errors in one transaction.

        One commit per batch, not per article: each commit flushes the FTS index. Each article is
        written inside a savepoint of its own, so one that cannot be stored is rolled back alone and
        recorded as an extraction error while the others are kept. Returns those (entry id, error).
        With feed_id, the feed's entries still waiting for the index (store_entries' defer_index) are
        indexed as they are: whatever was or was not extracted, the poll leaves every entry searchable.
        """
        unstored: list[tuple[int, str]] = []
        conn = self.db.conn
        shared = self._shared_open and conn.in_transaction
        with self.db.atomic():
            for item in done:
                conn.execute("SAVEPOINT article")
                try:
                    self._apply_article(
                        item.entry_id, item.article, _article_values(item.article, item.final_url), item.page
                    )
                except Exception as exc:  # one bad article must not cost the batch; recorded below
                    if not conn.in_transaction:
                        raise  # the error ended the whole transaction: nothing of the batch is left to keep
                    conn.execute("ROLLBACK TO article")
                    log.exception("storing the article of entry %d failed", item.entry_id)
                    unstored.append((item.entry_id, f"storing the article failed: {type(exc).__name__}: {exc}"))
                finally:
                    if conn.in_transaction:
                        conn.execute("RELEASE article")
            if failed or unstored:
                conn.executemany(_RECORD_ERROR, [(error, entry_id) for entry_id, error in [*failed, *unstored]])
            # Indexed here, all at once, not by each article's UPDATE: FTS5 writes out its pending terms at
            # every savepoint, so indexing inside each article's savepoint cost 0.1 ms more per article.
            if feed_id is not None and shared:
                self._index_at_commit.add(feed_id)
            elif feed_id is not None:
                conn.execute(_INDEX_PENDING, [feed_id])
            else:
                self._index_where("id", [item.entry_id for item in done])
        return unstored

    def index_pending(self, feed_id: int) -> int:
        """Index the feed's entries that wait for their page (after a crash, say); returns how many."""
        with self.db.atomic():
            return self.db.conn.execute(_INDEX_PENDING, [feed_id]).rowcount

    def _apply_article(
        self, entry_id: int, article: Article, values: dict[str, object], page: RawPage | PackedPage | None
    ) -> None:
        """store_article's writes, inside the caller's transaction: one read of the entry, one UPDATE."""
        conn = self.db.conn
        row = conn.execute(
            "SELECT feed_id, url, full_text_source, full_text, author, published_at, language, image_url, title "
            "FROM entries WHERE id = ?",
            [entry_id],
        ).fetchone()
        if row is None:
            raise LookupError(f"entry {entry_id} is no longer in the archive")
        feed_id, url, source, previous_text = row[:4]
        if source == "page" and previous_text != article.full_text:
            self._keep_revision(entry_id, "page", str(values["extracted_at"]))
        # The feed's own values win; the page fills the gaps.
        for column, value, page_value in zip(
            ("author", "published_at", "language", "image_url", "title"),
            row[4:],
            (article.author, article.published_at, article.language, article.image_url, article.title),
            strict=True,
        ):
            values[column] = page_value if not value and page_value else value
        if article.language:
            # Detected from the article's own text: more reliable than a feed-wide declaration.
            values["language"] = primary_language(article.language)
        self._own_neighbours(entry_id, feed_id, values)
        values["id"] = entry_id
        conn.execute(_UPDATE_ARTICLE, values)
        self._set_tags(entry_id, [*article.categories, *article.tags], "page")
        self._link_named_neighbour(entry_id, [u for u in {url, values["canonical_url"]} if u])
        if page is not None:
            self._save_page(entry_id, page if isinstance(page, PackedPage) else pack_page(page))
        self._link_near_duplicates(entry_id, feed_id, article)

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

    def add_backfilled_entry(
        self, feed_id: int, url: str, article: Article, page: RawPage | PackedPage | None
    ) -> int:
        """Archive an older post reached through a previous-post link, marked as backfilled.

        One transaction: a kill leaves either nothing or the complete entry, so a rerun resumes cleanly.
        """
        with self.db.atomic():
            self.db["entries"].insert(
                {
                    "feed_id": feed_id,
                    "guid": f"link:{url}",
                    "url": url,
                    "title": article.title,
                    "author": article.author,
                    "published_at": article.published_at,
                    "summary": article.description,
                    "language": primary_language(article.language),
                    "image_url": article.image_url,
                    "first_seen_at": utcnow(),
                    "extraction_attempts": 0,
                    "backfilled": 1,
                },
                ignore=True,  # the same URL backfilled by an earlier, interrupted run
            )
            self.db.execute("DELETE FROM backfill_failures WHERE url = ?", [url])
            entry_id = self.db.execute(
                "SELECT id FROM entries WHERE feed_id = ? AND guid = ?", [feed_id, f"link:{url}"]
            ).fetchone()[0]
            self._apply_article(entry_id, article, _article_values(article, url), page)
        return entry_id

    def record_backfill_failure(self, feed_id: int, url: str, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO backfill_failures (url, feed_id, error, attempts, last_attempt_at) VALUES (?, ?, ?, 1, ?) "
                "ON CONFLICT (url) DO UPDATE SET error = excluded.error, attempts = attempts + 1, "
                "last_attempt_at = excluded.last_attempt_at",
                [url, feed_id, error, utcnow()],
            )

    def backfill_feed_ids(self) -> list[int]:
        rows = self.db.execute("SELECT id FROM feeds WHERE backfill = 1 AND active = 1 AND stopped_at IS NULL")
        return [row[0] for row in rows.fetchall()]

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

    def _keep_revision(self, entry_id: int, source: str, when: str) -> None:
        self.db.execute(
            "INSERT INTO entry_revisions (entry_id, revised_at, source, title, summary, content_html, full_text) "
            "SELECT id, ?, ?, title, summary, content_html, full_text FROM entries WHERE id = ?",
            [when, source, entry_id],
        )

    def _save_page(self, entry_id: int, page: PackedPage) -> None:
        self.db.conn.execute(
            "INSERT INTO pages (entry_id, url, fetched_at, content_type, size, sha256, body_gz) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO UPDATE SET url = excluded.url, "
            "fetched_at = excluded.fetched_at, content_type = excluded.content_type, size = excluded.size, "
            "sha256 = excluded.sha256, body_gz = excluded.body_gz",
            [entry_id, page.url, utcnow(), page.content_type, page.size, page.sha256, page.body_gz],
        )

    def _link_near_duplicates(self, entry_id: int, feed_id: int, article: Article) -> None:
        """Mark copies of the same story in other feeds: `duplicate_of` points at the first one archived."""
        conn = self.db.conn
        conn.execute("DELETE FROM simhash_bands WHERE entry_id = ?", [entry_id])
        if article.simhash is None or article.word_count < dedupe.MIN_WORDS:
            return
        fingerprint = int(article.simhash, 16)
        bands = dedupe.bands(fingerprint)
        conn.executemany(
            "INSERT INTO simhash_bands (entry_id, band, value) VALUES (?, ?, ?)",
            [(entry_id, band, value) for band, value in bands],
        )
        candidates = conn.execute(_NEAR_DUPLICATE_CANDIDATES, [*[v for pair in bands for v in pair], entry_id, feed_id])
        # Cheap test first, on the fingerprints. Texts are then compared once per story (its first copy,
        # the root), not once per copy: a story syndicated ten times costs one comparison, not ten.
        close_by_root: dict[int, list[int]] = {}
        for other, other_hash, root in candidates.fetchall():
            if dedupe.close(fingerprint, int(other_hash, 16)):
                close_by_root.setdefault(root, []).append(other)
        text = article.full_text or ""
        own_shingles: frozenset[int] | None = None
        group = []
        for root, others in list(close_by_root.items())[: dedupe.MAX_COMPARED]:
            root_text = conn.execute("SELECT full_text FROM entries WHERE id = ?", [root]).fetchone()[0] or ""
            if root_text != text:  # the same text (a page syndicated verbatim) needs no shingles
                if own_shingles is None:
                    own_shingles = dedupe.shingles(text)
                if dedupe.jaccard_sets(own_shingles, self._story_shingles(root, root_text)) < dedupe.MIN_JACCARD:
                    continue
            group += [(other, root) for other in others]
        if not group:
            return
        root = min([entry_id, *(r for _, r in group)])
        members = {entry_id, *(other for other, _ in group), *(r for _, r in group)} - {root}
        marks = ", ".join("?" * len(members))
        # Only rows that change: an UPDATE rewrites the whole row, page text included, and every copy of a
        # story syndicated N times would otherwise be rewritten at each of the N arrivals.
        conn.execute(
            f"UPDATE entries SET duplicate_of = ? WHERE (id IN ({marks}) OR duplicate_of IN ({marks})) "
            "AND duplicate_of IS NOT ?",
            [root, *members, *members, root],
        )

    def _story_shingles(self, root: int, text: str) -> frozenset[int]:
        """The shingles of a story's root text, from a small LRU cache (checked against the text)."""
        key = hash(text)
        cached = self._shingles.get(root)
        if cached is not None and cached[0] == key:
            self._shingles.move_to_end(root)
            return cached[1]
        shingles = dedupe.shingles(text)
        self._shingles[root] = (key, shingles)
        if len(self._shingles) > _SHINGLE_CACHE_SIZE:
            self._shingles.popitem(last=False)
        return shingles

    def _own_neighbours(self, entry_id: int, feed_id: int, values: dict[str, object]) -> None:
        """Fill previous_id/next_id of an article about to be written from its named neighbours already
        archived, swapping previous and next when their dates say the page labelled them backwards."""
        own = values["published_at"]
        dates: dict[str, str | None] = {}
        for direction in ("previous", "next"):
            target = values[f"{direction}_url"]
            row = None
            if target:
                row = self.db.conn.execute(_NEIGHBOUR, {"u": target, "id": entry_id, "feed": feed_id}).fetchone()
            values[f"{direction}_id"] = row[0] if row else None
            dates[direction] = row[1] if row else None
        if own and _inverted(str(own), dates["previous"], dates["next"]):
            for column in ("url", "title", "id"):
                values[f"previous_{column}"], values[f"next_{column}"] = (
                    values[f"next_{column}"], values[f"previous_{column}"]
                )

    def _link_named_neighbour(self, entry_id: int, names: list[str]) -> None:
        """Point the entries archived earlier that named this one (by URL or canonical URL) at it."""
        if not names:
            return
        marks = ", ".join("?" * len(names))
        touched = []
        for direction in ("previous", "next"):
            touched += [
                row[0]
                for row in self.db.conn.execute(
                    f"UPDATE entries SET {direction}_id = ? WHERE {direction}_id IS NULL AND id != ? "
                    f"AND {direction}_url IN ({marks}) RETURNING id",
                    [entry_id, entry_id, *names],
                ).fetchall()
            ]
        for touched_id in touched:
            self._orient_adjacent(touched_id)

    def _orient_adjacent(self, entry_id: int) -> None:
        """Swap previous/next when the archived neighbours' dates say the page labelled them backwards.

        Some themes (Hugo PaperMod among them) call the newer post "Prev". Only swaps when the known
        dates all agree that the labels are inverted.
        """
        own, previous_at, next_at = self.db.execute(
            "SELECT e.published_at, p.published_at, n.published_at FROM entries e "
            "LEFT JOIN entries p ON p.id = e.previous_id LEFT JOIN entries n ON n.id = e.next_id WHERE e.id = ?",
            [entry_id],
        ).fetchone()
        if own and _inverted(own, previous_at, next_at):
            self.db.conn.execute(
                "UPDATE entries SET previous_url = next_url, next_url = previous_url, "
                "previous_title = next_title, next_title = previous_title, "
                "previous_id = next_id, next_id = previous_id WHERE id = ?",
                [entry_id],
            )

    def _set_tags(self, entry_id: int, names: Iterable[str], source: str) -> None:
        seen: set[str] = set()
        rows = []
        for raw in names:
            name = " ".join(raw.split())[:200]
            if not name or name.casefold() in seen:
                continue
            seen.add(name.casefold())
            rows.append((entry_id, self._tag_id(name), source))
        if rows:
            self.db.conn.executemany(
                "INSERT INTO entry_tags (entry_id, tag_id, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows
            )

    def _tag_id(self, name: str) -> int:
        tag_id = self._tag_ids.get(name)
        if tag_id is None:
            conn = self.db.conn
            conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [name])
            tag_id = conn.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()[0]
            self._tag_ids[name] = tag_id
        return tag_id

    def _set_enclosures(self, entry_id: int, entry: ParsedEntry) -> None:
        if entry.enclosures:
            self.db.conn.executemany(
                "INSERT INTO enclosures (entry_id, url, type, length) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entry_id, url) DO UPDATE SET type = excluded.type, length = excluded.length",
                [(entry_id, e.url, e.type, e.length) for e in entry.enclosures],
            )

    # -- reading -------------------------------------------------------------------------------

    def count(self, table: str) -> int:
        return self.db[table].count

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


def primary_language(tag: str | None) -> str | None:
    """'de-DE' -> 'de': one value per language, so facets and filters group what belongs together."""
    if not tag:
        return None
    return tag.replace("_", "-").split("-")[0].strip().lower() or None


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


_ENTRY_FIELDS = ("url", "title", "author", "published_at", "updated_at", "summary", "content_html", "language",
                 "image_url")
_INSERT_COLUMNS = (*_ENTRY_FIELDS, "feed_id", "guid", "first_seen_at", "content_hash", "full_text",
                   "full_text_source", "word_count", "fts_pending")
_INSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join(':' + c for c in _INSERT_COLUMNS)})"
)
# A changed entry is extracted again (extracted_at cleared): its page has likely changed too.
_UPDATE_ENTRY = (
    "UPDATE entries SET "
    + ", ".join(f"{c} = :{c}" for c in (*_ENTRY_FIELDS, "content_hash", "changed_at"))
    + ", extracted_at = NULL, extraction_attempts = 0 WHERE id = :id"
)


_ARTICLE_COLUMNS = (
    "full_text", "full_text_source", "word_count", "extracted_at", "extraction_error", "canonical_url", "site_name",
    "description", "previous_url", "next_url", "previous_title", "next_title", "previous_id", "next_id", "simhash",
    "author", "published_at", "language", "image_url", "title",
)
# Leaves fts_pending as it is: the caller indexes the article (store_extractions, store_article).
_UPDATE_ARTICLE = (
    "UPDATE entries SET "
    + ", ".join(f"{c} = :{c}" for c in _ARTICLE_COLUMNS)
    + ", extraction_attempts = extraction_attempts + 1 WHERE id = :id"
)
# A failed extraction leaves the feed's text, which is then indexed (if it was waiting for the page).
_RECORD_ERROR = (
    "UPDATE entries SET extraction_error = ?, extraction_attempts = extraction_attempts + 1, fts_pending = 0 "
    "WHERE id = ?"
)
# entries.fts_pending = 1: a new entry not yet in the full-text index. With full text it waits for its article
# page (indexed with the page's text, at the latest at the end of its feed's poll); without, for the end of the
# transaction that inserts it (store_entries), so it is never committed waiting. sync_feeds() indexes those that
# a killed poll left waiting in feeds that no longer extract.
FTS_WAITING = 1
_INDEX_PENDING = f"UPDATE entries SET fts_pending = 0 WHERE feed_id = ? AND fts_pending = {FTS_WAITING}"
_NEIGHBOUR = (
    "SELECT id, published_at FROM entries WHERE (url = :u OR canonical_url = :u) AND id != :id "
    "ORDER BY feed_id = :feed DESC, id LIMIT 1"
)
_NEAR_DUPLICATE_CANDIDATES = (
    "SELECT DISTINCT e.id, e.simhash, COALESCE(e.duplicate_of, e.id) FROM simhash_bands b "
    "JOIN entries e ON e.id = b.entry_id WHERE ("
    + " OR ".join("(b.band = ? AND b.value = ?)" for _ in range(4))
    + ") AND e.id != ? AND e.feed_id != ?"
)


def _inverted(own: str, previous_at: str | None, next_at: str | None) -> bool:
    """Whether the known dates of both neighbours all say that previous and next are labelled backwards.

    Some themes (Hugo PaperMod among them) call the newer post "Prev"."""
    inverted = (previous_at is not None and previous_at > own) or (next_at is not None and next_at < own)
    consistent = (previous_at is not None and previous_at < own) or (next_at is not None and next_at > own)
    return inverted and not consistent


def _article_values(article: Article, final_url: str | None) -> dict[str, object]:
    adjacent = article.adjacent
    return {
        "full_text": article.full_text,
        "full_text_source": "page",
        "word_count": article.word_count,
        "extracted_at": utcnow(),
        "extraction_error": None,
        "canonical_url": final_url,
        "site_name": article.site_name,
        "description": article.description,
        "previous_url": adjacent.previous_url,
        "next_url": adjacent.next_url,
        "previous_title": adjacent.previous_title,
        "next_title": adjacent.next_title,
        "simhash": article.simhash,
    }


def _entry_values(entry: ParsedEntry) -> dict[str, object]:
    return {
        "url": entry.url,
        "title": entry.title,
        "author": ", ".join(entry.authors) or None,
        "published_at": entry.published_at,
        "updated_at": entry.updated_at,
        "summary": entry.summary_text or html_to_text(entry.summary) or None,
        "content_html": entry.content_html,
        "language": primary_language(entry.language),
        "image_url": entry.image_url,
    }


def _feed_text(entry: ParsedEntry, prefixed: bool = True) -> dict[str, object]:
    """Until the article page is extracted, the best text is the feed's own content."""
    if entry.content_html:
        text = entry.content_text or html_to_text(entry.content_html) or None
        # the parser's count is of the same text when it made the text itself
        words = entry.word_count if entry.content_text and entry.word_count is not None else word_count(text)
    else:
        text = entry.summary_text or html_to_text(entry.summary) or None
        words = entry.word_count if entry.summary_text and entry.word_count is not None else word_count(text)
    if not prefixed:
        return {"text": text, "words": words}
    return {"full_text": text, "full_text_source": "feed" if text else None, "word_count": words}


def _entry_hash(entry: ParsedEntry) -> str:
    return entry.content_hash or entry_hash(entry)
