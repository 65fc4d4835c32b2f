"""Feeds polled close together share one commit; extraction workers start off the event loop."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import write_config

from aggregator.api import poll_once
from aggregator.demo.site import NewsSite
from aggregator.extract.article import Extractor
from aggregator.fetch.client import Fetcher
from aggregator.poll import pipeline
from aggregator.poll.pipeline import Poller
from aggregator.store import Archive

FEEDS = ["newsportal-nachrichten.rss20", "harbour-times-news.atom10", "technikblog-posts.json11"]


def _committed(db_path: Path) -> tuple[int, int]:
    """(entries, polls) as another connection sees them: only committed rows."""
    with sqlite3.connect(db_path) as other:
        entries = other.execute("SELECT count(*) FROM entries").fetchone()[0]
        polls = other.execute("SELECT count(*) FROM polls").fetchone()[0]
    return entries, polls


def test_feeds_share_a_commit_and_the_timer_commits_it(site: NewsSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[n] for n in FEEDS], full_text=False)
    db_path = tmp_path / "archive.db"
    archive = Archive(db_path)

    async def main() -> list[tuple[int, int]]:
        seen = []
        async with Fetcher(config.settings) as fetcher, Extractor(1) as extractor:
            poller = Poller(config, archive, fetcher, extractor)
            for feed in config.feeds:
                await poller.poll_feed(feed)
                seen.append(_committed(db_path))
            await asyncio.sleep(pipeline.SHARED_COMMIT_SECONDS + 0.3)
            seen.append(_committed(db_path))
        return seen

    try:
        seen = asyncio.run(main())
        own = archive.db.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        archive.close()
    # Written but not yet committed while the window is open: fewer polls visible than feeds polled ...
    assert any(polls < done for done, (_entries, polls) in enumerate(seen[:-1], start=1)), seen
    # ... and committed by the timer, every feed's entries with its poll record.
    assert own > 0
    assert seen[-1] == (own, len(FEEDS))


def test_poll_once_commits_everything_and_a_second_poll_adds_nothing(site: NewsSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "feeds.yaml", [site.feed_urls[n] for n in FEEDS], full_text=False)
    db_path = tmp_path / "archive.db"
    archive = Archive(db_path)
    try:
        first = asyncio.run(poll_once(config, archive))
        entries, polls = _committed(db_path)  # the archive is still open: poll_once itself committed
        assert entries == sum(r.new_entries for r in first) > 0
        assert polls == len(FEEDS)
        second = asyncio.run(poll_once(config, archive))
    finally:
        archive.close()
    assert [r.error for r in second] == [None] * len(FEEDS)
    assert sum(r.new_entries for r in second) == 0
    assert _committed(db_path) == (entries, 2 * len(FEEDS))
    with sqlite3.connect(db_path) as db:
        states = db.execute("SELECT count(*) FROM feeds WHERE next_poll_at IS NOT NULL").fetchone()[0]
    assert states == len(FEEDS)


def test_close_commits_an_open_shared_transaction(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive.db")
    archive.begin_shared()
    archive.db.conn.execute("INSERT INTO feeds (url, added_at) VALUES ('https://example.org/f', 'x')")
    assert archive.db.conn.in_transaction
    archive.close()
    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM feeds").fetchone()[0] == 1


_WARM_UP = textwrap.dedent(
    """
    import asyncio, json, time
    from aggregator.extract.article import Extractor
    from aggregator.models import ParsedFeed

    FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>a</guid>' \\
        b'<link>https://example.org/a</link><title>A</title></item></channel></rss>'

    async def main():
        gaps = []

        async def ticker(stop):
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        async with Extractor(2) as extractor:
            stop = asyncio.Event()
            tick = asyncio.create_task(ticker(stop))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            parsed = await extractor.parse(FEED, "https://example.org/feed", "application/rss+xml", None)
            first = time.monotonic() - started
            stop.set()
            await tick
        assert isinstance(parsed, ParsedFeed)
        print(json.dumps({"entries": len(parsed.entries), "max_gap": max(gaps), "first_job": first}))

    if __name__ == "__main__":  # the forkserver's workers import this file as their main module
        asyncio.run(main())
    """
)


def test_workers_start_without_stalling_the_event_loop(tmp_path: Path) -> None:
    # A fresh interpreter: the forkserver (and its 0.6 s preload) starts with this Extractor's first job.
    script = tmp_path / "warm.py"
    script.write_text(_WARM_UP)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["entries"] == 1
    # The first job waited for the workers to start, but the loop kept running meanwhile.
    assert result["first_job"] > 0.1
    assert result["max_gap"] < 0.1, result
