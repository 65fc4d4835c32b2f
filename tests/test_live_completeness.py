"""The three ways a live daemon lost posts and links (issue: the archive over time), each seen in a real
`aggregator run` against a site that publishes while it runs: a WordPress feed whose hourly hint overrode the
feed's own 2 s interval; a burst larger than the feed window; next_id missing on the post that was newest when
it was archived."""

from __future__ import annotations

import itertools
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_daemon import Daemon, wait_until

from aggregator.clock import parse_stamp
from aggregator.demo.site import NewsSite

CHAIN = "harbour-times-news"


@dataclass
class LiveRun:
    site: NewsSite
    daemon: Daemon
    feed: str
    published: list[str]  # URLs of the posts published while the daemon ran, oldest first


def write_live_config(path: Path, url: str) -> Path:
    path.write_text(
        "settings:\n  allow_private_networks: true\n  min_interval: 1s\n  article_delay: 0\n  extract_workers: 2\n"
        f"  read_timeout: 3s\nfeeds:\n  - url: {url}\n    interval: 2s\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRun]:
    tmp = tmp_path_factory.mktemp("live")
    with NewsSite(seed=5, feed_window=5) as site:
        feed = site.feed_url(CHAIN, "rss20")
        daemon = Daemon(write_live_config(tmp / "feeds.yaml", feed), tmp / "archive.db", tmp / "daemon.log")
        try:
            wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries WHERE extracted_at IS NOT NULL") == 5,
                       60, "the feed's first five articles")
            published = []
            for _ in range(6):  # a post every second: with a 2 s interval the window of 5 never overflows
                published += site.publish(CHAIN)
                time.sleep(1)
            published += site.publish(CHAIN, 10)  # a burst twice the window
            urls = [a.url for a in published]
            marks = ", ".join("?" * len(urls))
            wait_until(
                lambda: daemon.scalar(
                    f"SELECT COUNT(*) FROM entries WHERE extracted_at IS NOT NULL AND (url IN ({marks}) "
                    f"OR canonical_url IN ({marks}))", (*urls, *urls)) == len(urls),
                90, f"all {len(urls)} posts published while the daemon ran")
            yield LiveRun(site, daemon, feed, urls)
        finally:
            code, _took = daemon.stop()
            assert code == 0, daemon.log()


def test_a_feeds_own_interval_beats_wordpress_hourly_hint(live: LiveRun) -> None:
    with urllib.request.urlopen(live.feed) as response:
        body = response.read()
    assert b"<sy:updatePeriod>hourly</sy:updatePeriod>" in body and b"<ttl>60</ttl>" in body
    polls = live.daemon.query("SELECT started_at FROM polls ORDER BY id")
    assert len(polls) >= 3, polls  # within seconds, where the hint would have waited an hour
    last, following = live.daemon.query("SELECT last_polled_at, next_poll_at FROM feeds")[0]
    delay = (parse_stamp(following) - parse_stamp(last)).total_seconds()
    assert 1 <= delay <= 4, (last, following)  # 2 s and jitter, rounded up to the second


def test_a_burst_larger_than_the_window_is_recovered(live: LiveRun) -> None:
    gaps = wait_until(lambda: live.daemon.query("SELECT state, filled_by, recovered FROM gaps WHERE state = 'filled'"),
                      30, "the burst's gap filled")
    assert sum(g[2] for g in gaps) >= 5, gaps  # the burst of 10 overflowed a window of 5
    found = live.daemon.query("SELECT COUNT(*) FROM entries WHERE found_via = 'feed-page'")[0][0]
    assert found >= 5  # from WordPress's ?paged=2


def test_the_formerly_newest_post_gets_its_next_id(live: LiveRun) -> None:
    chain = [a.url for a in live.site.chain(CHAIN)][-len(live.published) - 5:]

    def unlinked() -> list[tuple[str, str]]:
        ids = {u: live.daemon.scalar("SELECT id FROM entries WHERE url = ? OR canonical_url = ?", (u, u)) for u in chain}
        broken = []
        for older, newer in itertools.pairwise(chain):
            previous = live.daemon.scalar("SELECT previous_id FROM entries WHERE id = ?", (ids[newer],))
            following = live.daemon.scalar("SELECT next_id FROM entries WHERE id = ?", (ids[older],))
            if previous != ids[older] or following != ids[newer]:
                broken.append((older, newer))
        return broken

    wait_until(lambda: not unlinked(), 30, "every consecutive pair linked both ways")
    # Each post was the newest when first archived; its page had no Next link then.
    assert live.daemon.scalar("SELECT COUNT(*) FROM entries WHERE refetched_at IS NOT NULL") == 0
