"""The three ways a live daemon lost posts and links (issue: the archive over time), each seen in a real
`aggregator run` against a site that publishes while it runs: a WordPress feed whose hourly hint overrode the
feed's own 2 s interval; a burst larger than the feed window; next_id missing on the post that was newest when
it was archived."""

from __future__ import annotations

import itertools
import time
import urllib.request
from pathlib import Path

from test_daemon import Daemon, daemons, start, wait_until  # noqa: F401  (daemons is a fixture)

from aggregator.clock import parse_stamp
from aggregator.demo.site import NewsSite

CHAIN = "harbour-times-news"


def write_live_config(path: Path, url: str) -> Path:
    path.write_text(
        "settings:\n  allow_private_networks: true\n  min_interval: 1s\n  article_delay: 0\n  extract_workers: 2\n"
        f"  read_timeout: 3s\nfeeds:\n  - url: {url}\n    interval: 2s\n",
        encoding="utf-8",
    )
    return path


def linked_pairs(daemon: Daemon, urls: list[str]) -> list[tuple[str, str]]:
    """Consecutive posts (by URL) whose entries are not linked both ways."""
    ids = {url: daemon.scalar("SELECT id FROM entries WHERE url = ? OR canonical_url = ?", (url, url)) for url in urls}
    broken = []
    for older, newer in itertools.pairwise(urls):
        row = daemon.query("SELECT previous_id FROM entries WHERE id = ?", (ids[newer],))
        back = daemon.query("SELECT next_id FROM entries WHERE id = ?", (ids[older],))
        if not row or not back or row[0][0] != ids[older] or back[0][0] != ids[newer]:
            broken.append((older, newer))
    return broken


def test_a_live_daemon_keeps_every_post_and_link_of_a_busy_wordpress_feed(
    tmp_path: Path, daemons: list[Daemon]  # noqa: F811
) -> None:
    with NewsSite(seed=5, feed_window=5) as site:
        feed = site.feed_url(CHAIN, "rss20")  # carries <sy:updatePeriod>hourly</sy:updatePeriod> and <ttl>60</ttl>
        with urllib.request.urlopen(feed) as response:
            assert b"<sy:updatePeriod>hourly</sy:updatePeriod>" in response.read()
        daemon = start(daemons, tmp_path, write_live_config(tmp_path / "feeds.yaml", feed))
        wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries WHERE extracted_at IS NOT NULL") == 5, 60,
                   "the feed's first five articles")
        published = []
        for _ in range(6):  # a post every second: with a 2 s interval the window of 5 never overflows
            published += site.publish(CHAIN)
            time.sleep(1)
        published += site.publish(CHAIN, 10)  # a burst twice the window
        urls = [a.url for a in published]
        placeholders = ", ".join("?" * len(urls))

        def archived() -> bool:
            count = daemon.scalar(
                f"SELECT COUNT(*) FROM entries WHERE extracted_at IS NOT NULL AND (url IN ({placeholders}) "
                f"OR canonical_url IN ({placeholders}))", (*urls, *urls))
            return count == len(urls)

        wait_until(archived, 90, f"all {len(urls)} posts published while the daemon ran")
        # 1. The hourly hint did not override the feed's own interval: the feed is polled every 2 s or so.
        polls = daemon.query("SELECT started_at FROM polls ORDER BY id")
        assert len(polls) >= 3, polls  # within seconds, where the hint would have waited an hour
        last, following = daemon.query("SELECT last_polled_at, next_poll_at FROM feeds")[0]
        delay = (parse_stamp(following) - parse_stamp(last)).total_seconds()
        assert 1 <= delay <= 4, (last, following)  # 2 s and jitter, rounded up to the second; not an hour
        # 2. The burst overflowed the window: the gap was recorded and filled from the feed's older pages.
        gaps = wait_until(lambda: daemon.query("SELECT state, filled_by, recovered FROM gaps WHERE state = 'filled'"),
                          30, "the burst's gap filled")
        assert gaps and sum(g[2] for g in gaps) >= 5, gaps
        # 3. Every consecutive pair is linked both ways, the formerly newest post included.
        chain = [a.url for a in site.chain(CHAIN)][-len(urls) - 5:]
        wait_until(lambda: not linked_pairs(daemon, chain), 30, f"links both ways: {linked_pairs(daemon, chain)}")
        code, _took = daemon.stop()
        assert code == 0
