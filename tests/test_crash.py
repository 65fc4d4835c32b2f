"""Crash safety: SIGKILL at random moments of an ingest, and Datasette reading while the poller writes."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_config
from datasette.app import Datasette

from aggregator.demo.site import NewsSite

FEEDS = ["harbour-times-news.rss20", "newsportal-nachrichten.atom10", "dev-notes-posts.json11", "stadtanzeiger-lokales.rss10"]


def poll_command(config: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "aggregator", "poll", "-q", "--config", str(config), "--db", str(db)]


def test_sigkill_at_random_moments_loses_nothing(site: NewsSite, tmp_path: Path) -> None:
    names = list(site.feed_urls)  # every feed of the site: an ingest of a few hundred entries
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[n] for n in names], extract_workers=1)
    db = tmp_path / "archive.db"
    rng = random.Random(20251125)
    kills = attempts = 0
    while kills < 20 and attempts < 60:  # bounded: at least 20 kills in the middle of an ingest
        attempts += 1
        if attempts > 1:
            site.publish(FEEDS[attempts % len(FEEDS)].split(".")[0], 1)  # keep new work arriving
        # A session of its own, so the kill takes the extraction workers down too, as a crash would.
        proc = subprocess.Popen(poll_command(config.path, db), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        if db.exists():
            with sqlite3.connect(db) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert kills == 20
    final = subprocess.run(poll_command(config.path, db), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        total, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT feed_id || ' ' || guid) FROM entries").fetchone()
        assert total == distinct
        assert conn.execute("SELECT COUNT(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0] == total
        assert conn.execute("SELECT COUNT(*) FROM entries_fts").fetchone()[0] == total
        # ...and in the index itself (its docsize table), each once: nothing left waiting for its page.
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM entries_fts_docsize").fetchone() == (total, total)
        assert conn.execute("SELECT COUNT(*) FROM entries WHERE fts_pending = 1").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM entries_fts WHERE entries_fts MATCH 'the'").fetchone()[0] > 0
        # every feed's current window arrived with its text
        for name in names:
            urls = {a.url for a in site.articles_in_feed(name)}
            stored = {r[0] for r in conn.execute(
                "SELECT canonical_url FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE f.config_url = ?",
                [site.feed_urls[name]])}
            assert urls <= stored, name


def test_datasette_reads_while_the_poller_writes(site: NewsSite, tmp_path: Path) -> None:
    names = [n for n in site.feed_urls if n.endswith((".rss20", ".atom10"))]
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[n] for n in names])
    db = tmp_path / "archive.db"
    # Create the schema first so Datasette has tables to read from the start.
    subprocess.run(poll_command(write_config(tmp_path / "one.yaml", [site.feed_urls[names[0]]]).path, db),
                   check=True, timeout=120)
    writer = subprocess.Popen(poll_command(config.path, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    async def read_until_done() -> tuple[int, list[str]]:
        ds = Datasette([str(db)])
        count, problems = 0, []
        paths = ["/archive/entries.json?_sort_desc=id&_size=50", "/archive/entries.json?_search=the",
                 "/archive.json?sql=select+count(*)+from+entries", "/archive/feeds.json"]
        while writer.poll() is None:
            for path in paths:
                response = await ds.client.get(path)
                count += 1
                if response.status_code != 200 or "locked" in response.text:
                    problems.append(f"{path}: {response.status_code} {response.text[:200]}")
        return count, problems

    reads, problems = asyncio.run(read_until_done())
    _, stderr = writer.communicate(timeout=300)
    assert writer.returncode == 0, stderr
    assert "locked" not in stderr
    assert problems == []
    assert reads >= 20
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 10 * len(names)
