"""Archive schema and its migrations.

The schema version lives in `PRAGMA user_version`; `schema_migrations` records when each step ran.
Migrations only ever add: an archive written by an older version opens in a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

FTS_TABLE = "entries_fts"
FTS_COLUMNS = ("title", "summary", "full_text")
# remove_diacritics 2 folds umlauts and accents, so "uberschwemmung" finds "Überschwemmung" too.
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


def _create_v1(db: sqlite_utils.Database) -> None:
    db.table("feeds").create(
        {
            "id": int,
            "url": str,
            "config_url": str,
            "title": str,
            "config_title": str,
            "site_url": str,
            "format": str,
            "language": str,
            "tags": str,
            "active": int,
            "full_text": int,
            "interval_seconds": int,
            "ttl_seconds": int,
            "update_period_seconds": int,
            "etag": str,
            "last_modified": str,
            "body_sha256": str,
            "added_at": str,
            "last_polled_at": str,
            "last_success_at": str,
            "next_poll_at": str,
            "last_status": int,
            "last_error": str,
            "error_count": int,
            "last_new_entry_at": str,
            "parse_warning": str,
            "stopped_at": str,
            "stopped_reason": str,
        },
        pk="id",
        not_null={"url"},
        defaults={"error_count": 0, "active": 1, "full_text": 1},
    )
    db.table("feeds").create_index(["url"], unique=True)
    db.table("feeds").create_index(["config_url"])
    db.table("feeds").create_index(["next_poll_at"])

    db.table("entries").create(
        {
            "id": int,
            "feed_id": int,
            "guid": str,
            "url": str,
            "canonical_url": str,
            "title": str,
            "author": str,
            "published_at": str,
            "updated_at": str,
            "summary": str,
            "content_html": str,
            "full_text": str,
            "full_text_source": str,
            "description": str,
            "language": str,
            "image_url": str,
            "site_name": str,
            "word_count": int,
            "first_seen_at": str,
            "changed_at": str,
            "content_hash": str,
            "extracted_at": str,
            "extraction_error": str,
            "extraction_attempts": int,
            "previous_url": str,
            "next_url": str,
            "previous_title": str,
            "next_title": str,
            "previous_id": int,
            "next_id": int,
        },
        pk="id",
        not_null={"feed_id", "guid", "first_seen_at"},
        defaults={"extraction_attempts": 0, "word_count": 0},
        foreign_keys=[
            ("feed_id", "feeds", "id"),
            ("previous_id", "entries", "id"),
            ("next_id", "entries", "id"),
        ],
    )
    entries = db.table("entries")
    entries.create_index(["feed_id", "guid"], unique=True)
    entries.create_index(["published_at"])
    entries.create_index(["feed_id", "published_at"])
    entries.create_index(["first_seen_at"])
    entries.create_index(["url"])
    entries.create_index(["canonical_url"])
    entries.create_index(["previous_url"])
    entries.create_index(["next_url"])
    entries.create_index(["previous_id"])
    entries.create_index(["next_id"])
    entries.create_index(["language"])
    entries.create_index(["author"])

    db.table("tags").create({"id": int, "name": str}, pk="id", not_null={"name"})
    db.table("tags").create_index(["name"], unique=True)
    db.table("entry_tags").create(
        {"entry_id": int, "tag_id": int, "source": str},
        pk=("entry_id", "tag_id"),
        foreign_keys=[("entry_id", "entries", "id"), ("tag_id", "tags", "id")],
    )
    db.table("entry_tags").create_index(["tag_id"])

    db.table("enclosures").create(
        {"id": int, "entry_id": int, "url": str, "type": str, "length": int},
        pk="id",
        not_null={"entry_id", "url"},
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db.table("enclosures").create_index(["entry_id", "url"], unique=True)

    db.table("polls").create(
        {
            "id": int,
            "feed_id": int,
            "started_at": str,
            "duration_ms": int,
            "http_status": int,
            "bytes": int,
            "not_modified": int,
            "new_entries": int,
            "updated_entries": int,
            "extracted": int,
            "final_url": str,
            "error": str,
            "warning": str,
        },
        pk="id",
        not_null={"feed_id", "started_at"},
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    db.table("polls").create_index(["feed_id", "started_at"])
    db.table("polls").create_index(["started_at"])

    entries.enable_fts(list(FTS_COLUMNS), fts_version="FTS5", create_triggers=True, tokenize=FTS_TOKENIZE)
    # sqlite-utils' update trigger re-indexes a row on any update; resolving a previous/next link
    # or counting an extraction attempt must not rewrite the full-text index.
    columns = ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    old = ", ".join(f'old."{c}"' for c in FTS_COLUMNS)
    new = ", ".join(f'new."{c}"' for c in FTS_COLUMNS)
    db.execute("DROP TRIGGER IF EXISTS entries_au")
    db.execute(
        f"""CREATE TRIGGER entries_au AFTER UPDATE OF {columns} ON entries BEGIN
  INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {columns}) VALUES('delete', old.rowid, {old});
  INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (new.rowid, {new});
END"""
    )


def _create_v2(db: sqlite_utils.Database) -> None:
    # Raw article pages, gzip-compressed, in a table of their own so browsing entries stays fast.
    db.table("pages").create(
        {
            "entry_id": int,
            "url": str,
            "fetched_at": str,
            "content_type": str,
            "size": int,
            "sha256": str,
            "body_gz": bytes,
        },
        pk="entry_id",
        not_null={"url", "fetched_at", "body_gz"},
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db.table("pages").create_index(["fetched_at"])
    # Former versions of an entry, kept whenever a later poll or refetch changes it.
    db.table("entry_revisions").create(
        {
            "id": int,
            "entry_id": int,
            "revised_at": str,
            "source": str,
            "title": str,
            "summary": str,
            "content_html": str,
            "full_text": str,
        },
        pk="id",
        not_null={"entry_id", "revised_at", "source"},
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db.table("entry_revisions").create_index(["entry_id", "revised_at"])
    # Near-duplicate detection: 64-bit simhash of the text, split in four 16-bit bands for lookup.
    db.table("simhash_bands").create(
        {"entry_id": int, "band": int, "value": int},
        pk=("entry_id", "band"),
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db.table("simhash_bands").create_index(["band", "value"])
    db.table("backfill_failures").create(
        {"url": str, "feed_id": int, "error": str, "attempts": int, "last_attempt_at": str},
        pk="url",
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    db.execute("ALTER TABLE entries ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE entries ADD COLUMN simhash TEXT")
    db.execute("ALTER TABLE entries ADD COLUMN duplicate_of INTEGER REFERENCES entries(id)")
    db.table("entries").create_index(["duplicate_of"])
    db.execute("ALTER TABLE feeds ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0")


# Columns that are NULL when an entry arrives from its feed, and set (if ever) only once its page is extracted.
_LINK_COLUMNS = ("canonical_url", "previous_url", "next_url", "previous_id", "next_id", "duplicate_of")


def _create_v3(db: sqlite_utils.Database) -> None:
    # Partial indexes: a NULL is never looked up through them (every query compares with = or IN, which
    # SQLite knows implies NOT NULL), so leaving NULLs out makes ingest cheaper (six index writes fewer per
    # new entry) and the indexes smaller. Same names, same columns.
    for column in _LINK_COLUMNS:
        db.execute(f"DROP INDEX IF EXISTS idx_entries_{column}")
        db.execute(f"CREATE INDEX idx_entries_{column} ON entries ({column}) WHERE {column} IS NOT NULL")


def _create_v4(db: sqlite_utils.Database) -> None:
    # Entries of full-text feeds wait for their page before being indexed (fts_pending = 1): indexing the
    # feed's text, then un-indexing it moments later when the page's text replaces it, doubled the index
    # work per article. A pending entry is indexed when its article is stored or its extraction fails, or at
    # the end of its feed's poll whatever happened; only rows with fts_pending = 0 are in the index.
    db.execute("ALTER TABLE entries ADD COLUMN fts_pending INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX idx_entries_fts_pending ON entries (feed_id) WHERE fts_pending = 1")
    columns = ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    old = ", ".join(f'old."{c}"' for c in FTS_COLUMNS)
    new = ", ".join(f'new."{c}"' for c in FTS_COLUMNS)
    for trigger in ("entries_ai", "entries_ad", "entries_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute(
        f"""CREATE TRIGGER entries_ai AFTER INSERT ON entries WHEN new.fts_pending = 0 BEGIN
  INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (new.rowid, {new});
END"""
    )
    db.execute(
        f"""CREATE TRIGGER entries_ad AFTER DELETE ON entries WHEN old.fts_pending = 0 BEGIN
  INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {columns}) VALUES ('delete', old.rowid, {old});
END"""
    )
    # As in v1, only the indexed columns (and the pending flag) re-index a row.
    db.execute(
        f"""CREATE TRIGGER entries_au AFTER UPDATE OF {columns}, fts_pending ON entries BEGIN
  INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {columns}) SELECT 'delete', old.rowid, {old} WHERE old.fts_pending = 0;
  INSERT INTO {FTS_TABLE} (rowid, {columns}) SELECT new.rowid, {new} WHERE new.fts_pending = 0;
END"""
    )


def _create_v5(db: sqlite_utils.Database) -> None:
    # A gap: posts that left the feed window between two polls (or a new post whose previous post is unknown).
    db.table("gaps").create(
        {
            "id": int, "feed_id": int, "detected_at": str, "reason": str,
            "newest_known_id": int, "newest_known_url": str, "oldest_seen_id": int, "oldest_seen_url": str,
            "state": str, "attempts": int, "filled_at": str, "filled_by": str, "recovered": int, "note": str,
        },
        pk="id",
        not_null={"feed_id", "detected_at", "state"},
        defaults={"state": "open", "attempts": 0, "recovered": 0},
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    db.table("gaps").create_index(["feed_id", "state"])
    # Two posts claiming one neighbour, or a link against the dates: kept here, not silently overwritten.
    db.table("link_conflicts").create(
        {"id": int, "entry_id": int, "direction": str, "kept_id": int, "rejected_id": int, "reason": str,
         "detected_at": str},
        pk="id",
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db.table("link_conflicts").create_index(["entry_id"])
    # How an entry reached the archive when not through its feed's current window: feed-page, previous-link,
    # sitemap (gap filling) or backfill.
    db.execute("ALTER TABLE entries ADD COLUMN found_via TEXT")
    db.execute("UPDATE entries SET found_via = 'backfill' WHERE backfilled = 1")
    db.execute("ALTER TABLE entries ADD COLUMN refetched_at TEXT")
    # Pages extracted before refetching existed count as fetched again: an upgrade must not refetch a whole
    # history. What those pages missed, the other side of their links, is set here instead, as a new post now
    # sets it when it names an archived one (store/links.py; the nearest claimant in time wins).
    db.execute("UPDATE entries SET refetched_at = extracted_at WHERE extracted_at IS NOT NULL")
    for side, other in (("next", "previous"), ("previous", "next")):
        order = "" if side == "next" else " DESC"
        db.execute(
            f"UPDATE entries SET {side}_id = c.id, "
            f"{side}_url = COALESCE({side}_url, COALESCE(c.canonical_url, c.url)), "
            f"{side}_title = COALESCE({side}_title, c.title) FROM (SELECT x.{other}_id AS target, x.id, x.url, "
            f"x.canonical_url, x.title, ROW_NUMBER() OVER (PARTITION BY x.{other}_id ORDER BY x.published_at{order}, "
            f"x.id) AS n FROM entries x WHERE x.{other}_id IS NOT NULL) AS c "
            f"WHERE c.target = entries.id AND c.n = 1 AND entries.{side}_id IS NULL"
        )
    db.execute("CREATE INDEX idx_entries_refetch ON entries (feed_id, extracted_at) "
               "WHERE refetched_at IS NULL AND extracted_at IS NOT NULL")
    for column, kind in (("window_size", "INTEGER"), ("generator", "TEXT"), ("next_page_url", "TEXT"),
                         ("prev_archive_url", "TEXT")):
        db.execute(f"ALTER TABLE feeds ADD COLUMN {column} {kind}")


def _create_v6(db: sqlite_utils.Database) -> None:
    # Credentials in feed URLs (user-info, secret-looking query values) stay in the config file only: what
    # earlier versions stored is redacted, since Datasette serves every table and SQL can take strings apart.
    from aggregator.urls import redact_text, redact_url

    taken: set[str] = set()
    rows = db.execute("SELECT id, url, config_url, last_error, stopped_reason FROM feeds ORDER BY id").fetchall()
    for feed_id, url, config_url, last_error, stopped_reason in rows:
        new_url = redact_url(url)
        if new_url in taken:  # two feeds that differed only in their credentials: feeds.url stays unique
            new_url += f"#feed-{feed_id}"
        taken.add(new_url)
        db.execute(
            "UPDATE feeds SET url = ?, config_url = ?, last_error = ?, stopped_reason = ? WHERE id = ?",
            [new_url, redact_url(config_url) if config_url else config_url,
             redact_text(last_error) if last_error else last_error,
             redact_text(stopped_reason) if stopped_reason else stopped_reason, feed_id],
        )
    db.conn.create_function("aggregator_redact_url", 1, lambda v: redact_url(v) if v else v, deterministic=True)
    db.conn.create_function("aggregator_redact_text", 1, lambda v: redact_text(v) if v else v, deterministic=True)
    db.execute("UPDATE polls SET final_url = aggregator_redact_url(final_url), error = aggregator_redact_text(error) "
               "WHERE final_url IS NOT NULL OR error IS NOT NULL")


def _create_v7(db: sqlite_utils.Database) -> None:
    # NULL for the dates of entries stored before: where they came from was not recorded
    db.execute("ALTER TABLE entries ADD COLUMN published_source TEXT")


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "feeds, entries, tags, enclosures, polls, FTS5 over entries", _create_v1),
    (2, "raw pages, entry revisions, near-duplicates, backfill", _create_v2),
    (3, "link and duplicate indexes of entries leave NULLs out", _create_v3),
    (4, "entries of full-text feeds indexed once, with their page's text", _create_v4),
    (5, "gaps, link conflicts, how entries were found, refetches, feed paging", _create_v5),
    (6, "feed URLs and errors stored with their credentials redacted", _create_v6),
    (7, "where each entry's publication date came from", _create_v7),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version it had before."""
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"{db.conn}: archive schema version {current} is newer than this program ({SCHEMA_VERSION}); "
            "upgrade aggregator"
        )
    if current == SCHEMA_VERSION:
        return current
    with db.conn:
        # BEGIN IMMEDIATE: two processes starting at once must not both migrate.
        db.execute("BEGIN IMMEDIATE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if not db.table("schema_migrations").exists():
            db.table("schema_migrations").create({"version": int, "description": str, "applied_at": str}, pk="version")
        for step, description, apply in MIGRATIONS:
            if step <= version:
                continue
            apply(db)
            db.table("schema_migrations").insert(
                {"version": step, "description": description, "applied_at": datetime.now(UTC).isoformat()}
            )
            db.execute(f"PRAGMA user_version = {step}")
    return current
