"""The daemon's start with many feeds: first polls spread over the interval, due feeds found by the index."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from conftest import write_config

from aggregator.daemon import Daemon


def test_new_feeds_start_spread_over_their_interval_and_only_due_ones_dispatch(tmp_path: Path) -> None:
    count = 2000  # 0.05 s a feed: 100 s of spread, more than the former 30 s cap and less than the interval
    urls = [f"http://127.0.0.1:9/feed/{i}.xml" for i in range(count)]
    config = write_config(tmp_path / "feeds.yaml", urls, interval="30m", full_text=False, adaptive=False)

    async def scenario() -> tuple[list[int], list[int]]:
        daemon = Daemon(config, tmp_path / "archive.db")
        aggregator = await daemon.start()
        try:
            daemon._spread_new_feeds()
            due_now = daemon.archive.due_active_feeds(daemon.archive.now())
            due_later = daemon.archive.due_active_feeds("2999-01-01T00:00:00Z")
            return due_now, due_later
        finally:
            await aggregator.__aexit__(None, None, None)
            daemon.archive.close()

    due_now, due_later = asyncio.run(scenario())
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        planned = [row[0] for row in conn.execute("SELECT next_poll_at FROM feeds")]
    now = datetime.now(UTC)
    offsets = [(datetime.strptime(p, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - now).total_seconds()
               for p in planned]
    assert all(-5 < o <= 101 for o in offsets)
    assert max(offsets) > 60  # spread wider than the old 30 s cap...
    assert len(due_now) < count / 10  # ...so that few are due at once
    assert sorted(due_later) == sorted(set(due_later)) and len(due_later) == count


def test_the_dispatcher_keeps_a_bounded_backlog_and_refills_it_as_polls_end(tmp_path: Path) -> None:
    """With many feeds due, at most 2 x concurrency polls exist at once (running or waiting for a slot), and
    a slot freed is filled without waiting for the next second's dispatch: every due feed is polled."""
    import http.server
    import threading
    import time

    class SlowFeeds(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(0.05)
            body = (f"<rss version='2.0'><channel><title>{self.path}</title><item><guid>{self.path}</guid>"
                    "<title>x</title></item></channel></rss>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowFeeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    count = 60
    urls = [f"http://127.0.0.1:{server.server_address[1]}/feed/{i}.xml" for i in range(count)]
    config = write_config(tmp_path / "feeds.yaml", urls, interval="30m", full_text=False, adaptive=False,
                          concurrency=3, per_host_concurrency=3)

    async def scenario() -> tuple[int, int]:
        daemon = Daemon(config, tmp_path / "archive.db")
        await daemon.start()
        daemon._refilling = True  # as run() sets it
        daemon.archive.db.execute("UPDATE feeds SET next_poll_at = '2000-01-01T00:00:00Z'")  # all due at once
        most = 0
        await daemon.dispatch()
        for _ in range(400):  # no second dispatch: refills alone must get through every feed
            most = max(most, len(daemon._in_flight))
            if not daemon._in_flight and not daemon.archive.due_active_feeds(daemon.archive.now()):
                break
            await asyncio.sleep(0.02)
        polled = daemon._polls_started
        assert daemon.aggregator is not None
        await daemon.aggregator.__aexit__(None, None, None)
        daemon.archive.close()
        return most, polled

    try:
        most, polled = asyncio.run(scenario())
    finally:
        server.shutdown()
    assert most <= 2 * 3
    assert polled == count
