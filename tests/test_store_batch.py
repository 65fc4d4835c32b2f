"""Full-text writes in batches: one transaction per feed, a savepoint per article; near-duplicates; kept pages
packed in the worker; the language model shared by the extraction workers."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import random
from pathlib import Path

import pytest
from test_store import article, entry, feed_id

from aggregator.config.model import feed_settings
from aggregator.extract import dedupe
from aggregator.extract.article import Extractor
from aggregator.models import Article, PackedPage, RawPage, pack_page
from aggregator.store import Archive, ExtractedArticle


@pytest.fixture
def archive(tmp_path: Path):
    archive = Archive(tmp_path / "archive.db")
    yield archive
    archive.close()


def entry_ids(archive: Archive) -> dict[str, int]:
    return dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())


def test_one_article_that_cannot_be_stored_costs_only_itself(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(n) for n in (1, 2, 3, 4)])
    ids = entry_ids(archive)
    page = pack_page(RawPage("https://news.example/post-3/", "text/html", b"<html><p>page 3</p></html>"))
    done = [
        ExtractedArticle(ids["id-1"], article(1, None, 2), "https://news.example/post-1/"),
        # A lone surrogate cannot be encoded for SQLite: this article's writes fail half-way.
        ExtractedArticle(ids["id-2"], article(2, 1, 3, text="broken \udc80 text"), "https://news.example/post-2/"),
        ExtractedArticle(ids["id-3"], article(3, 2, None), "https://news.example/post-3/", page),
    ]
    unstored = archive.store_extractions(done, failed=[(ids["id-4"], "article page: HTTP 404")])

    assert [entry_id for entry_id, _ in unstored] == [ids["id-2"]]
    assert "UnicodeEncodeError" in unstored[0][1]
    rows = {
        guid: (source, text, error, attempts)
        for guid, source, text, error, attempts in archive.db.execute(
            "SELECT guid, full_text_source, full_text, extraction_error, extraction_attempts FROM entries"
        )
    }
    assert rows["id-1"] == ("page", "Full text of post 1.", None, 1)
    assert rows["id-3"] == ("page", "Full text of post 3.", None, 1)
    # Rolled back to its savepoint: still the feed's text, with the error recorded and counted.
    assert rows["id-2"][:2] == ("feed", "Content of post 2")
    assert rows["id-2"][2].startswith("storing the article failed") and rows["id-2"][3] == 1
    assert rows["id-4"] == ("feed", "Content of post 4", "article page: HTTP 404", 1)
    # The stored ones got everything: page, adjacency (1 <-> 3 skip the failed 2), search.
    assert archive.db.execute("SELECT entry_id FROM pages").fetchall() == [(ids["id-3"],)]
    assert archive.db.execute("SELECT next_url FROM entries WHERE id = ?", [ids["id-1"]]).fetchone()[0].endswith(
        "post-2/"
    )
    assert [hit["id"] for hit in archive.search('"Full text of post 3"')] == [ids["id-3"]]
    assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not archive.db.conn.in_transaction

    # The retry stores it once its text is sound, and counts the second attempt.
    assert archive.store_extractions([ExtractedArticle(ids["id-2"], article(2, 1, 3), None)]) == []
    assert archive.db.execute(
        "SELECT full_text_source, extraction_error, extraction_attempts FROM entries WHERE id = ?", [ids["id-2"]]
    ).fetchone() == ("page", None, 2)


def test_an_entry_deleted_meanwhile_is_reported_not_raised(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(1)])
    ids = entry_ids(archive)
    unstored = archive.store_extractions(
        [ExtractedArticle(10_000, article(9, None, None), None), ExtractedArticle(ids["id-1"], article(1, None, None), None)]
    )
    assert [entry_id for entry_id, _ in unstored] == [10_000]
    assert archive.db.execute("SELECT full_text_source FROM entries").fetchone()[0] == "page"


def test_batch_keeps_revisions_and_neighbour_order(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(n) for n in (1, 2, 3)])
    ids = entry_ids(archive)
    # A theme that calls the newer post "previous": post 2's links name 3 as previous and 1 as next.
    batch = [ExtractedArticle(ids[f"id-{n}"], article(n, None, None), None) for n in (1, 3)]
    batch.append(ExtractedArticle(ids["id-2"], article(2, previous=3, nxt=1), None))
    assert archive.store_extractions(batch) == []
    prev_id, next_id, prev_url = archive.db.execute(
        "SELECT previous_id, next_id, previous_url FROM entries WHERE id = ?", [ids["id-2"]]
    ).fetchone()
    assert (prev_id, next_id) == (ids["id-1"], ids["id-3"])  # swapped by the neighbours' dates
    assert prev_url == "https://news.example/post-1/"
    # The page changed: the former text becomes a revision, in the same kind of batch.
    assert archive.store_extractions([ExtractedArticle(ids["id-1"], article(1, None, None, "Edited text."), None)]) == []
    assert archive.db.execute(
        "SELECT source, full_text FROM entry_revisions WHERE entry_id = ?", [ids["id-1"]]
    ).fetchall() == [("page", "Full text of post 1.")]


def story(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    vocabulary = [f"word{n}" for n in range(2000)]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def test_near_duplicates_by_shingles_not_by_fingerprint_alone(archive: Archive) -> None:
    feeds = [feed_id(archive, f"https://feed{n}.example/feed") for n in range(4)]
    original = story(1)
    edited = original.replace("word1 ", "changed ", 3) + " with a sentence added at the end"
    unrelated = story(2)
    fingerprint = dedupe.text_simhash(original)
    texts = [original, edited, original, unrelated]
    for fid in feeds:
        archive.store_entries(fid, [entry(1)])
    rows = archive.db.execute("SELECT id FROM entries ORDER BY id").fetchall()
    for (entry_id,), text in zip(rows, texts, strict=True):
        # The same fingerprint for all four: only the texts can tell the unrelated one apart.
        done = Article(full_text=text, word_count=len(text.split()), simhash=fingerprint)
        assert archive.store_extractions([ExtractedArticle(entry_id, done, None)]) == []
    duplicate_of = [row[0] for row in archive.db.execute("SELECT duplicate_of FROM entries ORDER BY id")]
    first = rows[0][0]
    assert duplicate_of == [None, first, first, None]


def test_shingles_match_the_word_five_grams() -> None:
    text = "One two three four five six seven"
    assert len(dedupe.shingles(text)) == 3
    assert dedupe.shingles(text) == dedupe.shingles(text.upper())
    assert dedupe.jaccard(text, text) == 1.0
    assert dedupe.jaccard(text, "entirely different words that share nothing at all") == 0.0
    assert dedupe.jaccard("short", "short") == 1.0  # fewer words than a shingle still compare


def test_pages_are_packed_in_the_worker() -> None:
    body = b"<html><head><title>T</title></head><body><article>" + b"<p>Ein Satz mit Inhalt.</p>" * 200
    body += b"</article></body></html>"

    async def run() -> tuple[Article, PackedPage | None, PackedPage | None]:
        async with Extractor(1) as extractor:
            kept = await extractor.extract_page(body, "https://news.example/a/", "text/html", keep_page=True)
            dropped = await extractor.extract_page(body, "https://news.example/a/", "text/html", keep_page=False)
        return kept[0], kept[1], dropped[1]

    found, packed, none = asyncio.run(run())
    assert "Ein Satz mit Inhalt." in (found.full_text or "")
    assert none is None
    assert packed is not None and packed.size == len(body) and packed.content_type == "text/html"
    assert gzip.decompress(packed.body_gz) == body
    assert packed.sha256 == hashlib.sha256(body).hexdigest()
    assert len(packed.body_gz) < len(body) // 5


# Run in a fresh interpreter: the forkserver is started once per process, with the preload of its first pool,
# so in the test process it would depend on which test started a pool first. The script imports nothing
# heavy at the top, since every worker imports it as its __main__.
_POOL_PROBE = """
import asyncio, json, sys


def worker_modules():
    langid = sys.modules.get("py3langid.langid")
    return "trafilatura" in sys.modules, langid is not None and langid.IDENTIFIER is not None


async def run():
    from aggregator.extract.article import Extractor

    async with Extractor(1, articles={articles}) as extractor:
        await extractor._warm()
        loop = asyncio.get_running_loop()
        before = await loop.run_in_executor(extractor._pool, worker_modules)
        feed = b'<rss version="2.0"><channel><title>T</title><item><guid>a</guid><title>A</title></item></channel></rss>'
        parsed = await extractor.parse(feed, "https://news.example/feed", "application/rss+xml", None)
        page = b"<html><body><article>" + b"<p>Ein Satz mit Inhalt, lang genug.</p>" * 50 + b"</article></body></html>"
        found = await extractor.extract(page, "https://news.example/a/")
        return before, [e.title for e in parsed.entries], found.language


if __name__ == "__main__":
    before, titles, language = asyncio.run(run())
    import py3langid.langid

    print(json.dumps({{"before": before, "titles": titles, "language": language,
                      "main_has_model": py3langid.langid.IDENTIFIER is not None}}))
"""


def _probe_pool(tmp_path: Path, articles: bool) -> dict:
    import json
    import subprocess
    import sys

    script = tmp_path / "probe.py"
    script.write_text(_POOL_PROBE.format(articles=articles))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_workers_start_with_the_language_model_loaded(tmp_path: Path) -> None:
    # Loaded once in the forkserver and shared: a worker that has not classified anything already has it...
    result = _probe_pool(tmp_path, articles=True)
    assert result["before"] == [True, True]
    assert result["titles"] == ["A"] and result["language"] == "de"
    # ...and the main process, which never detects languages, does not carry it.
    assert result["main_has_model"] is False


def test_a_pool_for_feeds_only_starts_without_trafilatura(tmp_path: Path) -> None:
    # No feed extracts articles: the workers parse feeds without trafilatura or the language model (0.5 s
    # sooner, 80 MiB less), and still extract an article correctly when later given one.
    result = _probe_pool(tmp_path, articles=False)
    assert result["before"] == [False, False]
    assert result["titles"] == ["A"] and result["language"] == "de"


def test_v2_archive_upgrades_to_partial_link_indexes(tmp_path: Path) -> None:
    import sqlite_utils

    from aggregator.store import schema

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    with old.conn:
        for _step, _description, apply in schema.MIGRATIONS[:2]:
            apply(old)
        old.execute("PRAGMA user_version = 2")
    old.execute("INSERT INTO feeds (id, url) VALUES (1, 'https://news.example/feed')")
    old.execute(
        "INSERT INTO entries (id, feed_id, guid, first_seen_at, url, canonical_url) VALUES "
        "(1, 1, 'a', '2025-01-01T00:00:00Z', 'https://news.example/a', 'https://news.example/a/'), "
        "(2, 1, 'b', '2025-01-01T00:00:00Z', 'https://news.example/b', NULL)"
    )
    old.conn.commit()
    old.close()

    archive = Archive(path)
    try:
        db = archive.db
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 3
        for column in ("canonical_url", "previous_url", "next_url", "previous_id", "next_id", "duplicate_of"):
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [f"idx_entries_{column}"]).fetchone()[0]
            assert sql.endswith(f"WHERE {column} IS NOT NULL"), sql
        # Only the non-NULL value is in the index, and lookups still go through it.
        assert db.execute("SELECT COUNT(*) FROM entries INDEXED BY idx_entries_canonical_url "
                          "WHERE canonical_url IS NOT NULL").fetchone()[0] == 1
        plan = " ".join(row[3] for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM entries WHERE url = ? OR canonical_url = ?", ["x", "x"]))
        assert "idx_entries_canonical_url" in plan
        plan = " ".join(row[3] for row in db.execute(
            "EXPLAIN QUERY PLAN UPDATE entries SET previous_id = 1 WHERE previous_id IS NULL AND previous_url IN (?)",
            ["x"]))
        assert "idx_entries_previous_url" in plan
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 2
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        archive.close()


def indexed(archive: Archive) -> set[int]:
    """Rows in the full-text index itself (its docsize table), not the external content's rows."""
    return {row[0] for row in archive.db.execute("SELECT id FROM entries_fts_docsize")}


def test_full_text_entries_are_indexed_once_with_the_page_text(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(n, content_html=f"<p>feedonly{n} words</p>") for n in (1, 2, 3)], defer_index=True)
    ids = entry_ids(archive)
    assert indexed(archive) == set()  # waiting for their pages
    assert archive.search("feedonly1") == []
    unstored = archive.store_extractions(
        [ExtractedArticle(ids["id-1"], article(1, None, None, "pageonly words of the article"), None)],
        failed=[(ids["id-2"], "article page: HTTP 404")],
        feed_id=fid,
    )
    assert unstored == []
    assert indexed(archive) == set(ids.values())
    # The extracted one under its page's text only; the failed one under the feed's; the third (never tried
    # in this batch) indexed at the end of the feed's batch all the same.
    assert [hit["id"] for hit in archive.search("pageonly")] == [ids["id-1"]]
    assert archive.search("feedonly1") == []
    assert [hit["id"] for hit in archive.search("feedonly2")] == [ids["id-2"]]
    assert [hit["id"] for hit in archive.search("feedonly3")] == [ids["id-3"]]
    # Updates after that re-index as before.
    assert archive.store_extractions([ExtractedArticle(ids["id-3"], article(3, None, None, "newer text"), None)]) == []
    assert archive.search("feedonly3") == [] and [h["id"] for h in archive.search("newer")] == [ids["id-3"]]
    assert archive.db.execute("SELECT COUNT(*) FROM entries WHERE fts_pending = 1").fetchone()[0] == 0


def test_entries_left_waiting_are_indexed_when_their_feed_stops_extracting(archive: Archive, tmp_path: Path) -> None:
    from aggregator.config.model import parse_config

    url = "https://news.example/feed"
    fid = feed_id(archive, url)
    archive.store_entries(fid, [entry(1), entry(2, url=None)], defer_index=True)  # then the poll was killed
    ids = entry_ids(archive)
    assert indexed(archive) == {ids["id-2"]}  # no page to wait for: indexed at once
    # Still a full-text feed: it stays waiting (the next poll extracts it)...
    archive.sync_feeds(feed_settings(parse_config(f"feeds:\n  - {url}\n", Path("feeds.yaml"))))
    assert indexed(archive) == {ids["id-2"]}
    # ...but once the feed no longer extracts pages, nothing would: it is indexed as it is.
    archive.sync_feeds(feed_settings(parse_config(f"feeds:\n  - url: {url}\n    full_text: false\n", Path("feeds.yaml"))))
    assert indexed(archive) == set(ids.values())
    assert [hit["id"] for hit in archive.search('"Content of post 1"')] == [ids["id-1"]]


def test_worker_pools_are_rotated_without_losing_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from aggregator.extract import article as extract

    monkeypatch.setattr(extract, "_JOBS_PER_WORKER", 3)
    bodies = [
        f"<html><body><article><h1>Post {n}</h1>".encode() + f"<p>Satz {n} mit Inhalt, lang genug.</p>".encode() * 40
        + b"</article></body></html>"
        for n in range(10)
    ]

    async def run() -> tuple[list[Article], list[set[int]]]:
        async with Extractor(1) as extractor:
            results, pids = [], []
            for start in range(0, 10, 5):  # more jobs at once than the slots, across rotations
                results += await asyncio.gather(*(extractor.extract(body, f"https://news.example/{n}/")
                                                  for n, body in enumerate(bodies[start:start + 5], start)))
                assert extractor._pool is not None
                pids.append(set(extractor._pool._processes or {}))
        return results, pids

    results, pids = asyncio.run(run())
    assert [f"Satz {n} mit Inhalt" in (a.full_text or "") for n, a in enumerate(results)] == [True] * 10
    assert all(pids) and pids[0] != pids[1]  # new workers after the rotations
    # The retired workers exit once their jobs are done.
    retired = pids[0] - pids[1]
    assert retired
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in retired):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in retired)


def waiting(archive: Archive) -> int:
    return archive.db.execute("SELECT COUNT(*) FROM entries WHERE fts_pending != 0").fetchone()[0]


def test_feed_entries_are_indexed_at_the_shared_commit_and_none_left_waiting(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.begin_shared()
    counts = archive.store_entries(fid, [entry(n, content_html=f"<p>word{n} common</p>") for n in range(1, 8)])
    assert counts.new == 7 and waiting(archive) == 7  # indexed all at once, just before the commit
    # A feed whose savepoint is rolled back leaves neither rows nor index entries behind.
    other = feed_id(archive, "https://other.example/feed")
    with pytest.raises(RuntimeError), archive.db.atomic():
        archive.store_entries(other, [entry(n, content_html="<p>rolledback</p>") for n in (20, 21)])
        raise RuntimeError("the feed's write fails half-way")
    archive.commit_shared()
    ids = entry_ids(archive)
    assert len(ids) == 7 and indexed(archive) == set(ids.values()) and waiting(archive) == 0
    assert len(archive.search("common", limit=50)) == 7 and archive.search("rolledback") == []
    assert [hit["id"] for hit in archive.search("word3")] == [ids["id-3"]]
    # Outside a shared transaction, store_entries indexes what it added itself.
    archive.store_entries(fid, [entry(9, content_html="<p>alone</p>")])
    assert waiting(archive) == 0 and len(archive.search("alone")) == 1
    # An entry changed in the feed is re-indexed under its new text.
    archive.store_entries(fid, [entry(3, content_html="<p>changed words</p>")])
    assert archive.search("word3") == [] and [hit["id"] for hit in archive.search("changed")] == [ids["id-3"]]


def test_entries_committed_by_another_write_are_still_indexed(archive: Archive) -> None:
    # Should anything commit the shared transaction early, its entries are indexed at commit_shared all the same.
    fid = feed_id(archive)
    archive.begin_shared()
    archive.store_entries(fid, [entry(n, content_html="<p>early</p>") for n in (1, 2)])
    archive.db.conn.commit()
    assert waiting(archive) == 2
    archive.commit_shared()
    assert waiting(archive) == 0 and len(archive.search("early")) == 2


def test_articles_stored_outside_a_feed_batch_are_indexed_too(archive: Archive) -> None:
    fid = feed_id(archive)
    archive.store_entries(fid, [entry(n, content_html=f"<p>feedtext{n}</p>") for n in (1, 2)], defer_index=True)
    ids = entry_ids(archive)
    assert indexed(archive) == set()
    # Re-extraction and the one-article write index what they store, without a feed to finish.
    assert archive.store_extractions([ExtractedArticle(ids["id-1"], article(1, None, None, "pagetext one"), None)]) == []
    archive.store_article(ids["id-2"], article(2, None, None, "pagetext two"), None)
    assert indexed(archive) == {ids["id-1"], ids["id-2"]}
    assert archive.search("feedtext1") == [] and archive.search("feedtext2") == []
    assert [hit["id"] for hit in archive.search("one")] == [ids["id-1"]] and len(archive.search("pagetext")) == 2
    assert archive.db.execute("SELECT COUNT(*) FROM entries WHERE fts_pending != 0").fetchone()[0] == 0


def test_the_wal_is_checkpointed_by_a_thread_of_its_own(tmp_path: Path) -> None:
    import time

    archive = Archive(tmp_path / "archive.db")
    try:
        # The writer never checkpoints inside its commits: only the archive's own thread can move the log's
        # pages into the database file.
        assert archive.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        size_before = (tmp_path / "archive.db").stat().st_size
        fid = feed_id(archive)
        words = " ".join(f"word{i}" for i in range(3000))
        archive.store_entries(fid, [entry(n, content_html=f"<p>{words} {n}</p>") for n in range(1, 40)])
        assert (tmp_path / "archive.db-wal").stat().st_size > 500_000
        deadline = time.monotonic() + 10
        while (tmp_path / "archive.db").stat().st_size <= size_before + 500_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "archive.db").stat().st_size > size_before + 500_000
    finally:
        archive.close()
    assert not archive._checkpointer._thread.is_alive()  # close() ends it
