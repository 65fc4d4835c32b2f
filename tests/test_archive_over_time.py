"""The archive over time: a simulated week of `aggregator run` against a site that publishes, bursts, goes
quiet, edits, deletes and moves posts, shrinks its feed window and answers 503 for an hour.

The invariants, checked over the whole run:
1. every post published during the week is archived;
2. every pair of consecutive posts is linked both ways (previous_id / next_id);
3. no post is archived twice;
4. an edited post keeps its former version in entry_revisions;
5. every gap the daemon met is recorded, and filled by the end;
6. for every entry with a previous_id p, p.next_id is that entry unless link_conflicts explains why.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import write_config

from aggregator.clock import SimulatedClock
from aggregator.daemon import Daemon
from aggregator.demo.simulate import SimulationReport, simulate
from aggregator.demo.site import NewsSite
from aggregator.demo.site.timeline import Timeline, publishing_week
from aggregator.store import Archive
from aggregator.web.app import make_datasette

# A WordPress site (Atom feed: pages older entries with ?paged=N) and a Ghost site (RSS, no paging: gaps are
# filled through the pages' previous-post links).
CHAINS = ("harbour-times-news", "field-notes-stories")


class Week:
    def __init__(self, site: NewsSite, timeline: Timeline, db: Path, report: SimulationReport, seconds: float):
        self.site, self.timeline, self.db, self.report, self.seconds = site, timeline, db, report, seconds
        self.conn = sqlite3.connect(db)
        self.conn.row_factory = sqlite3.Row

    def rows(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def entry_for(self, url: str) -> sqlite3.Row | None:
        rows = self.rows("SELECT * FROM entries WHERE url = ? OR canonical_url = ?", url, url)
        return rows[0] if rows else None


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Week:
    tmp = tmp_path_factory.mktemp("week")
    with NewsSite(seed=3, feed_window=10) as site:
        start = (site.world.now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        clock = SimulatedClock(start)
        timeline = publishing_week(site, CHAINS, start)
        feeds = [site.feed_url(chain, next(i.format for i in site.feeds.values() if i.chain == chain and i.primary))
                 for chain in CHAINS]
        config = write_config(tmp / "feeds.yaml", feeds, interval="30m", min_interval="5m", refetch_after="6h")
        db = tmp / "archive.db"
        daemon = Daemon(config, db, clock=clock)
        began = time.monotonic()
        report = asyncio.run(simulate(daemon, timeline, clock, start + timedelta(days=7, hours=12)))
        seconds = time.monotonic() - began
        daemon.archive.close()
        return Week(site, timeline, db, report, seconds)


def test_the_week_ran_in_simulated_time(week: Week) -> None:
    assert week.report.events >= 100  # posts, the burst, edits, the outage...
    assert week.report.polls >= 100
    assert week.report.steps >= week.report.events / 2


def test_every_published_post_is_archived(week: Week) -> None:
    missing = []
    for chain in CHAINS:
        posts = week.timeline.published[chain]
        assert len(posts) > 60
        missing += [post.url for post in posts if week.entry_for(post.url) is None]
    assert missing == []


def test_consecutive_posts_are_linked_both_ways(week: Week) -> None:
    """Over each chain as published (deleted posts stay in the archive, where they were)."""
    unlinked = []
    for chain in CHAINS:
        posts = week.timeline.published[chain]
        for older, newer in itertools.pairwise(posts):
            a, b = week.entry_for(older.url), week.entry_for(newer.url)
            assert a is not None and b is not None
            if b["previous_id"] != a["id"] or a["next_id"] != b["id"]:
                unlinked.append((older.url, newer.url, a["next_id"], b["previous_id"]))
    assert unlinked == []


def test_no_post_is_archived_twice(week: Week) -> None:
    for chain in CHAINS:
        for post in week.timeline.published[chain]:
            rows = week.rows("SELECT id FROM entries WHERE url = ? OR canonical_url = ?", post.url, post.url)
            assert len(rows) == 1, post.url
    duplicates = week.rows(
        "SELECT COALESCE(canonical_url, url) AS u, COUNT(*) FROM entries GROUP BY u HAVING COUNT(*) > 1"
    )
    assert [tuple(row) for row in duplicates] == []


def test_edits_deletions_and_moves_are_kept(week: Week) -> None:
    assert len(week.timeline.edited) == len(CHAINS)
    for article in week.timeline.edited:
        entry = week.entry_for(article.url)
        assert entry is not None
        assert week.rows("SELECT 1 FROM entry_revisions WHERE entry_id = ?", entry["id"])
        assert article.paragraphs[-1][:40] in entry["full_text"]  # the page's new text
    for article in week.timeline.deleted:  # taken down after it was archived: the archive keeps it
        entry = week.entry_for(article.url)
        assert entry is not None and entry["full_text"]
    for old_url, article in week.timeline.moved.items():
        entry = week.entry_for(article.url)
        assert entry is not None and old_url != article.url


def test_every_gap_is_recorded_and_filled(week: Week) -> None:
    gaps = week.rows("SELECT * FROM gaps")
    # The burst (15 posts, window 10) and the outage (5 posts, window 3) overflow each feed's window.
    for feed_id in (1, 2):
        detected = sorted(g["detected_at"] for g in gaps if g["feed_id"] == feed_id)
        assert len(detected) >= 2, detected
    assert [(g["id"], g["state"], g["note"]) for g in gaps if g["state"] != "filled"] == []
    assert all(g["filled_at"] and g["filled_by"] for g in gaps)
    recovered = week.rows("SELECT found_via, COUNT(*) AS n FROM entries WHERE found_via IS NOT NULL GROUP BY 1")
    ways = {row["found_via"]: row["n"] for row in recovered}
    assert ways.get("feed-page", 0) > 0  # the WordPress feed's older pages
    assert ways.get("previous-link", 0) > 0  # the Ghost feed: previous-post links
    assert sum(g["recovered"] for g in gaps) == sum(ways.values())


def test_links_agree_both_ways_unless_a_conflict_is_recorded(week: Week) -> None:
    archive = Archive(week.db)
    try:
        assert archive.link_violations() == []
    finally:
        archive.close()


def test_gaps_show_in_status_and_feed_health(week: Week) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "status", "--json", "--db", str(week.db)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    gaps = {row["id"]: (row["gaps"], row["open_gaps"], row["posts_recovered"]) for row in rows}
    expected = {row["feed_id"]: (row["n"], 0, row["recovered"]) for row in week.rows(
        "SELECT feed_id, COUNT(*) AS n, SUM(recovered) AS recovered FROM gaps GROUP BY feed_id")}
    assert gaps == expected and all(n >= 2 for n, _open, _recovered in gaps.values())

    async def health() -> list[dict[str, object]]:
        ds = make_datasette(week.db)
        await ds.invoke_startup()
        response = await ds.client.get("/archive/feed_health.json?_shape=array")
        assert response.status_code == 200, response.text[:300]
        return response.json()

    rows = asyncio.run(health())
    assert {row["feed_id"]: (row["gaps"], row["open_gaps"], row["posts_recovered"]) for row in rows} == expected
