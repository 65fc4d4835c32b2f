"""Completeness over time: the simulated week of the archive test, run by aggregator's daemon (its own clock
jumping from one due poll or site change to the next) and by reader 3.x (update_feeds every `interval` of
simulated time, like a scheduler on that interval), each against its own copy of the same site and timeline.

Reported: posts published during the week that each archived, in %, and for aggregator the gaps met and the posts
they recovered. reader keeps what the feed shows when it polls: posts that scroll out of the window between two
polls are lost to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from aggregator.clock import SimulatedClock
from aggregator.config.model import load_config
from aggregator.daemon import Daemon
from aggregator.demo.simulate import simulate
from aggregator.demo.site import NewsSite
from aggregator.demo.site.timeline import Timeline, publishing_week

CHAINS = ("harbour-times-news", "field-notes-stories", "technikblog-posts", "newsportal-nachrichten")
READER_STEPS = Path(__file__).with_name("reader_steps.py")


# The run goes on this long after the last post, so that each tool has had its chance at every post.
SETTLE = timedelta(hours=12)


def _site_and_week(seed: int, days: float) -> tuple[NewsSite, datetime, Timeline, list[str]]:
    site = NewsSite(seed=seed, feed_window=10)
    site.start()
    start = (site.world.now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    timeline = publishing_week(site, CHAINS, start, seed=seed, days=days)
    feeds = [site.feed_url(chain, next(i.format for i in site.feeds.values() if i.chain == chain and i.primary))
             for chain in CHAINS]
    return site, start, timeline, feeds


def _published_paths(timeline: Timeline) -> set[str]:
    return {urlsplit(post.url).path for posts in timeline.published.values() for post in posts}


def _moved(timeline: Timeline) -> dict[str, str]:
    """former path -> current path of the posts the week moved."""
    return {urlsplit(old).path: urlsplit(post.url).path for old, post in timeline.moved.items()}


def run_aggregator(work: Path, seed: int, interval: str, days: float) -> dict[str, object]:
    site, start, timeline, feeds = _site_and_week(seed, days)
    try:
        config_path = work / "completeness.yaml"
        config_path.write_text(
            "settings:\n  allow_private_networks: true\n  article_delay: 0\n"
            f"  interval: {interval}\n  min_interval: 5m\n  refetch_after: 6h\nfeeds:\n"
            + "".join(f"  - {url}\n" for url in feeds),
            encoding="utf-8",
        )
        db = work / "completeness.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        clock = SimulatedClock(start)
        daemon = Daemon(load_config(config_path), db, clock=clock)
        report = asyncio.run(simulate(daemon, timeline, clock, start + timedelta(days=days) + SETTLE))
        daemon.archive.close()
        published = _published_paths(timeline)
        conn = sqlite3.connect(db)
        archived = {urlsplit(u).path for (u,) in conn.execute(
            "SELECT url FROM entries UNION SELECT canonical_url FROM entries WHERE canonical_url IS NOT NULL")}
        gaps, recovered = conn.execute("SELECT COUNT(*), COALESCE(SUM(recovered), 0) FROM gaps").fetchone()
        unfilled = conn.execute("SELECT COUNT(*) FROM gaps WHERE state != 'filled'").fetchone()[0]
        pairs, linked = _pairs(conn, timeline)
        conn.close()
        found = len(published & archived)
        return {"published": len(published), "archived": found, "percent": 100 * found / len(published),
                "polls": report.polls, "gaps": gaps, "gaps_unfilled": unfilled, "recovered": recovered,
                "pairs": pairs, "pairs_linked": linked}
    finally:
        site.stop()


def _pairs(conn: sqlite3.Connection, timeline: Timeline) -> tuple[int, int]:
    ids = {}
    for url, entry_id in conn.execute("SELECT url, id FROM entries"):
        ids[urlsplit(url).path if url else ""] = entry_id
    for url, entry_id in conn.execute("SELECT canonical_url, id FROM entries WHERE canonical_url IS NOT NULL"):
        ids.setdefault(urlsplit(url).path, entry_id)
    links = {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, previous_id, next_id FROM entries")}
    pairs = linked = 0
    for posts in timeline.published.values():
        for older, newer in itertools.pairwise(posts):
            pairs += 1
            a, b = ids.get(urlsplit(older.url).path), ids.get(urlsplit(newer.url).path)
            if a and b and links[b][0] == a and links[a][1] == b:
                linked += 1

    return pairs, linked


def run_reader(python: Path, work: Path, seed: int, interval_s: float, days: float) -> dict[str, object]:
    site, start, timeline, feeds = _site_and_week(seed, days)
    try:
        urls = work / "completeness-feeds.txt"
        urls.write_text("\n".join(feeds) + "\n", encoding="utf-8")
        db = work / "completeness-reader.db"
        db.unlink(missing_ok=True)
        proc = subprocess.Popen([str(python), str(READER_STEPS), str(db), str(urls)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        now, end, polls = start, start + timedelta(days=days) + SETTLE, 0
        while now <= end:
            timeline.apply_until(now)
            proc.stdin.write("update\n")
            proc.stdin.flush()
            json.loads(proc.stdout.readline())
            polls += len(feeds)
            now += timedelta(seconds=interval_s)
        proc.stdin.write("links\n")
        proc.stdin.flush()
        links = json.loads(proc.stdout.readline())["links"]
        proc.wait(timeout=60)
        published = _published_paths(timeline)
        moved = _moved(timeline)
        archived = {moved.get(urlsplit(link).path, urlsplit(link).path) for link in links}
        found = len(published & archived)
        return {"published": len(published), "archived": found, "percent": 100 * found / len(published),
                "polls": polls}
    finally:
        site.stop()
