"""The archive layer on real SQLite files: idempotent upserts, FTS with accents, adjacent links."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aggregator.config.model import feed_settings, parse_config
from aggregator.models import AdjacentLinks, Article, Enclosure, ParsedEntry
from aggregator.store import Archive
from aggregator.store.schema import SCHEMA_VERSION


@pytest.fixture
def archive(tmp_path: Path):
    archive = Archive(tmp_path / "archive.db")
    yield archive
    archive.close()


def feed_id(archive: Archive, url: str = "https://news.example/feed") -> int:
    config = parse_config(f"feeds:\n  - {url}\n", Path("feeds.yaml"))
    return archive.sync_feeds(feed_settings(config))[url]


def entry(n: int, **changes: object) -> ParsedEntry:
    values: dict[str, object] = {
        "guid": f"id-{n}",
        "url": f"https://news.example/post-{n}/",
        "title": f"Post {n}",
        "authors": ["Ada"],
        "published_at": f"2025-01-{n:02d}T10:00:00Z",
        "summary": f"<p>Summary {n}</p>",
        "content_html": f"<p>Content of post {n}</p>",
        "tags": ["Politik", "politik", "Wirtschaft"],
        "enclosures": [Enclosure(f"https://news.example/{n}.mp3", "audio/mpeg", 1234)],
    }
    values.update(changes)
    return ParsedEntry(**values)  # type: ignore[arg-type]


def article(n: int, previous: int | None, nxt: int | None, text: str = "") -> Article:
    return Article(
        full_text=text or f"Full text of post {n}.",
        word_count=5,
        adjacent=AdjacentLinks(
            previous_url=f"https://news.example/post-{previous}/" if previous else None,
            previous_title=f"Post {previous}" if previous else None,
            next_url=f"https://news.example/post-{nxt}/" if nxt else None,
            next_title=f"Post {nxt}" if nxt else None,
        ),
    )


def test_schema_pragmas_and_foreign_keys(archive: Archive, tmp_path: Path) -> None:
    db = archive.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    fks = {(fk.column, fk.other_table) for fk in db["entries"].foreign_keys}
    assert {("feed_id", "feeds"), ("previous_id", "entries"), ("next_id", "entries")} <= fks
    assert db["entries_fts"].exists()
    index_columns = {tuple(ix.columns) for ix in db["entries"].indexes}
    assert ("feed_id", "guid") in index_columns and ("published_at",) in index_columns
    # Reopening does not migrate again.
    Archive(tmp_path / "archive.db").close()
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION


def test_second_store_adds_nothing_and_changes_update(archive: Archive) -> None:
    fid = feed_id(archive)
    first = archive.store_entries(fid, [entry(1), entry(2)])
    assert (first.new, first.updated) == (2, 0)
    again = archive.store_entries(fid, [entry(1), entry(2)])
    assert (again.new, again.updated) == (0, 0)
    assert archive.count("entries") == 2
    assert archive.count("enclosures") == 2
    # tags are deduplicated case-insensitively per entry
    assert archive.db.execute("SELECT COUNT(*) FROM entry_tags").fetchone()[0] == 4

    changed = archive.store_entries(fid, [entry(1, title="Post 1, corrected")])
    assert (changed.new, changed.updated) == (0, 1)
    row = archive.db.execute("SELECT title, changed_at, full_text FROM entries WHERE guid = 'id-1'").fetchone()
    assert row[0] == "Post 1, corrected" and row[1] is not None
    assert row[2] == "Content of post 1"  # the feed's text until the page is extracted
    assert archive.count("entries") == 2


def test_adjacent_links_resolve_whichever_arrives_first(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(2)])
    ids = dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())
    archive.store_article(ids["id-2"], article(2, previous=1, nxt=3), "https://news.example/post-2/")
    row = archive.db.execute("SELECT previous_id, next_id, previous_title FROM entries WHERE guid='id-2'").fetchone()
    assert row == (None, None, "Post 1")  # neighbours not archived yet

    # The older neighbour arrives later, without links of its own: post 2 now points at it.
    archive.store_entries(fid, [entry(1)])
    ids = dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())
    archive.store_article(ids["id-1"], article(1, previous=None, nxt=2), "https://news.example/post-1/")
    # The newer neighbour arrives: both pointers of post 2 resolve, and post 3 points back.
    archive.store_entries(fid, [entry(3)])
    ids = dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())
    archive.store_article(ids["id-3"], article(3, previous=2, nxt=None), "https://news.example/post-3/")

    rows = {
        guid: (prev, nxt)
        for guid, prev, nxt in archive.db.execute("SELECT guid, previous_id, next_id FROM entries").fetchall()
    }
    assert rows["id-2"] == (ids["id-1"], ids["id-3"])
    assert rows["id-1"] == (None, ids["id-2"])
    assert rows["id-3"] == (ids["id-2"], None)
    # The foreign keys hold.
    assert archive.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_fts_matches_umlauts_with_and_without_diacritics(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(1), entry(2, title="Bericht")])
    ids = dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())
    archive.store_article(ids["id-2"], article(2, None, None, "Die Überschwemmung in der Straße traf Gemeinderäte."), None)
    for query in ("Überschwemmung", "überschwemmung", "uberschwemmung", "ÜBERSCHWEMMUNG", "Gemeinderäte", "strasse OR straße"):
        hits = archive.search(query)
        assert [h["id"] for h in hits] == [ids["id-2"]], query
    assert archive.search("Summary") != []  # summaries are indexed too
    assert archive.search("nonexistentword") == []


def test_fts_not_rewritten_by_link_updates(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(1)])
    before = archive.db.execute("SELECT COUNT(*) FROM entries_fts_data").fetchone()[0]
    archive.db.execute("UPDATE entries SET previous_url = 'https://x.example/' WHERE id = 1")
    archive.db.conn.commit()
    after = archive.db.execute("SELECT COUNT(*) FROM entries_fts_data").fetchone()[0]
    assert after == before


def test_removed_feeds_are_deactivated_not_deleted(archive: Archive) -> None:
    a = feed_id(archive, "https://a.example/feed")
    archive.store_entries(a, [entry(1)])
    feed_id(archive, "https://b.example/feed")  # a config without feed a
    active = dict(archive.db.execute("SELECT url, active FROM feeds").fetchall())
    assert active == {"https://a.example/feed": 0, "https://b.example/feed": 1}
    assert archive.count("entries") == 1


def test_datasette_sees_the_fts_table(archive: Archive) -> None:
    # Datasette detects FTS through the content= option; keep it an external-content table.
    sql = archive.db.execute("SELECT sql FROM sqlite_master WHERE name = 'entries_fts'").fetchone()[0]
    assert 'content="entries"' in sql.replace("'", '"') and "remove_diacritics 2" in sql
    conn = sqlite3.connect(archive.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_an_older_archive_gets_its_missing_links_without_refetching_its_history(tmp_path: Path) -> None:
    """Migration 5 on an archive written before links were kept both ways: the newer post's claim sets the
    older post's next_id (as storing it would now), and pages extracted then count as fetched again."""
    import sqlite_utils

    from aggregator.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for step, _description, apply in MIGRATIONS[:4]:
        apply(db)
        db.execute(f"PRAGMA user_version = {step}")
    db.execute("INSERT INTO feeds (id, url, config_url, active) VALUES (1, 'http://x/f', 'http://x/f', 1)")
    for n, previous in ((1, None), (2, 1), (3, 2)):
        db.execute(
            "INSERT INTO entries (id, feed_id, guid, url, published_at, first_seen_at, extracted_at, full_text_source, "
            "previous_id, previous_url) VALUES (?, 1, ?, ?, ?, '2024-01-05T00:00:00Z', '2024-01-05T00:00:00Z', 'page', "
            "?, ?)", [n, f"g{n}", f"http://x/{n}", f"2024-01-0{n}T00:00:00Z", previous,
                      f"http://x/{previous}" if previous else None])
    db.conn.commit()
    db.close()
    archive = Archive(path)
    try:
        rows = archive.db.execute("SELECT id, next_id, next_url, refetched_at IS NOT NULL FROM entries ORDER BY id")
        assert rows.fetchall() == [(1, 2, "http://x/2", 1), (2, 3, "http://x/3", 1), (3, None, None, 1)]
        assert archive.link_violations() == []
        assert archive.refetch_due(1, "2030-01-01T00:00:00Z", 10) == []
    finally:
        archive.close()
