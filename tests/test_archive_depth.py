"""Beyond the feed window: backfill, kept raw pages and re-extraction, revisions, near-duplicates."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import write_config

from aggregator.api import poll_once
from aggregator.demo.site import NewsSite
from aggregator.store import Archive
from aggregator.web.app import make_datasette

CHAIN = "stadtanzeiger-lokales"  # WordPress, German, the longest chain of the site
FEED = f"{CHAIN}.rss20"


@pytest.fixture(scope="module")
def small_window_site() -> Iterator[NewsSite]:
    with NewsSite(seed=3, feed_window=5) as news_site:
        yield news_site


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aggregator", *args], capture_output=True, text=True, timeout=timeout)


def test_backfill_reaches_the_first_post_and_resumes_after_a_kill(small_window_site: NewsSite, tmp_path: Path) -> None:
    site = small_window_site
    chain = site.chain(CHAIN)  # oldest first
    assert len(chain) >= 10 * site.feed_window
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[FEED]])
    db = tmp_path / "archive.db"
    assert cli("poll", "-q", "--config", str(config.path), "--db", str(db)).returncode == 0

    def archived() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    assert archived() == 5
    proc = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "backfill", "--config", str(config.path), "--db", str(db),
         "--max-pages", "500"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while archived() < 15 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    interrupted_at = archived()
    assert 15 <= interrupted_at < len(chain)

    site.clear_requests()
    done = cli("backfill", "--config", str(config.path), "--db", str(db), "--max-pages", "500")
    assert done.returncode == 0, done.stderr
    assert "reached the first post" in done.stdout
    # It resumed: nothing archived before the kill was fetched again.
    fetched = {r.path for r in site.requests}
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = {r["canonical_url"]: r for r in conn.execute("SELECT * FROM entries")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(rows) == len(chain)
    by_url = {a.url: a for a in chain}
    assert set(rows) == set(by_url)
    for url, row in rows.items():
        article = by_url[url]
        expected_previous = rows[article.previous.url]["id"] if article.previous else None
        expected_next = rows[article.next.url]["id"] if article.next else None
        assert (row["previous_id"], row["next_id"]) == (expected_previous, expected_next), url
        assert row["full_text_source"] == "page"
        assert row["backfilled"] == (0 if article in site.articles_in_feed(FEED) else 1)
        if row["backfilled"]:
            assert row["title"] == article.title and row["published_at"] == article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    refetched = [u for u, row in rows.items() if row["id"] <= interrupted_at and urlsplit(u).path in fetched]
    assert refetched == []


def test_reextract_changes_text_without_http(site: NewsSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls["harbour-times-news.atom10"]])
    archive = Archive(tmp_path / "archive.db")
    asyncio.run(poll_once(config, archive))
    assert archive.count("pages") == 10
    # As if an older extractor had produced worse text:
    archive.db.execute("UPDATE entries SET full_text = 'stale text' WHERE full_text_source = 'page'")
    archive.db.conn.commit()
    archive.close()
    site.clear_requests()
    result = cli("reextract", "--config", str(config.path), "--db", str(tmp_path / "archive.db"))
    assert result.returncode == 0, result.stderr
    assert "10 pages re-extracted: 10 texts changed" in result.stdout
    assert site.requests == []  # nothing fetched
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        texts = [r[0] for r in conn.execute("SELECT full_text FROM entries")]
        assert all(t != "stale text" and len(t) > 200 for t in texts)
        revisions = conn.execute("SELECT COUNT(*), MIN(full_text), MAX(source) FROM entry_revisions").fetchone()
        assert revisions == (10, "stale text", "page")


def test_edited_article_keeps_its_former_version(site: NewsSite, tmp_path: Path) -> None:
    name = "field-notes-stories.rss20"
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[name]])
    archive = Archive(tmp_path / "archive.db")
    try:
        asyncio.run(poll_once(config, archive))
        article = site.articles_in_feed(name)[2]
        before = archive.db.execute("SELECT id, full_text FROM entries WHERE canonical_url = ?", [article.url]).fetchone()
        site.edit_article(article, append_paragraph="Correction: an earlier version of this story misstated the date.")
        asyncio.run(poll_once(config, archive))
        after = archive.db.execute("SELECT full_text, changed_at FROM entries WHERE id = ?", [before[0]]).fetchone()
        assert "Correction: an earlier version" in after[0] and after[1] is not None
        revisions = archive.db.execute(
            "SELECT source, full_text FROM entry_revisions WHERE entry_id = ? ORDER BY id", [before[0]]
        ).fetchall()
        assert revisions and revisions[-1][1] == before[1]  # the former text, kept
        assert {source for source, _ in revisions} <= {"feed", "page"}
        others = archive.db.execute("SELECT COUNT(*) FROM entry_revisions WHERE entry_id != ?", [before[0]]).fetchone()
        assert others[0] == 0  # unchanged articles get no revision
    finally:
        archive.close()

    # Datasette's article view shows what changed.
    async def article_page() -> str:
        response = await make_datasette(tmp_path / "archive.db").client.get(f"/archive/article/{before[0]}")
        assert response.status_code == 200
        return response.text

    page = asyncio.run(article_page())
    assert "What changed" in page
    assert re.search(r'<span class="ins">\+Correction: an earlier version of this story', page)


def test_syndicated_copies_are_linked(site: NewsSite, tmp_path: Path) -> None:
    feeds = [site.feed_urls["dev-notes-posts.rss20"], site.feed_urls["dev-notes-posts.json11"],
             site.feed_urls["harbour-times-business.atom10"]]
    config = write_config(tmp_path / "feeds.yaml", feeds)
    archive = Archive(tmp_path / "archive.db")
    try:
        asyncio.run(poll_once(config, archive))
        rows = archive.db.execute(
            "SELECT e.id, e.canonical_url, e.duplicate_of, r.canonical_url FROM entries e "
            "LEFT JOIN entries r ON r.id = e.duplicate_of"
        ).fetchall()
        linked = [r for r in rows if r[2] is not None]
        assert len(linked) == 10  # every story of dev-notes appears in two feeds: one copy points at the other
        assert all(own == original for _, own, _, original in linked)
        business = archive.db.execute(
            "SELECT COUNT(*) FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE f.config_url = ? "
            "AND e.duplicate_of IS NOT NULL", [feeds[2]]
        ).fetchone()[0]
        assert business == 0  # different stories are never linked
    finally:
        archive.close()


def test_kept_pages_follow_the_retention_setting(site: NewsSite, tmp_path: Path) -> None:
    name = "harbour-times-news.rss10"
    archive = Archive(tmp_path / "archive.db")
    try:
        asyncio.run(poll_once(write_config(tmp_path / "a.yaml", [site.feed_urls[name]], page_retention="1d"), archive))
        assert archive.count("pages") == 10
        size, stored = archive.db.execute("SELECT SUM(size), SUM(LENGTH(body_gz)) FROM pages").fetchone()
        assert stored < size / 2  # compressed
        # Three pages fetched long ago: the next poll's retention pass drops exactly those.
        archive.db.execute("UPDATE pages SET fetched_at = '2000-01-01T00:00:00Z' WHERE entry_id IN "
                           "(SELECT entry_id FROM pages ORDER BY entry_id LIMIT 3)")
        archive.db.conn.commit()
        asyncio.run(poll_once(write_config(tmp_path / "b.yaml", [site.feed_urls[name]], page_retention="1d"), archive))
        assert archive.count("pages") == 7
    finally:
        archive.close()
    off = Archive(tmp_path / "off.db")
    try:
        asyncio.run(poll_once(write_config(tmp_path / "c.yaml", [site.feed_urls[name]], keep_pages=False), off))
        assert off.count("pages") == 0 and off.count("entries") == 10
    finally:
        off.close()
