"""`aggregator run` as a real process against the local news site, observed from the server side."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import write_config

from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.poll import pipeline

FAST = {"interval": "2s", "min_interval": "1s", "max_interval": "1h", "adaptive": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Daemon:
    def __init__(self, config: Path, db: Path, log: Path, *, serve_port: int | None = None) -> None:
        self.db_path = db
        self.log_path = log
        args = [sys.executable, "-m", "aggregator", "--log-level", "info", "run", "--config", str(config), "--db", str(db)]
        args += ["--port", str(serve_port)] if serve_port else ["--no-serve"]
        self.log_file = log.open("a")
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT)

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # schema not created yet
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple[object, ...] = ()) -> object:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log_file.close()
        return code, time.monotonic() - started


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()


def start(daemons: list[Daemon], tmp: Path, config: Path, **kwargs: object) -> Daemon:
    daemon = Daemon(config, tmp / "archive.db", tmp / "daemon.log", **kwargs)  # type: ignore[arg-type]
    daemons.append(daemon)
    return daemon


def test_new_entries_arrive_while_running_and_unchanged_feeds_get_304(
    site: NewsSite, tmp_path: Path, daemons: list[Daemon]
) -> None:
    news, tech = site.feed_urls["harbour-times-news.atom10"], site.feed_urls["technikblog-posts.json11"]
    config = write_config(tmp_path / "feeds.yaml", [news, tech], **FAST)
    port = free_port()
    daemon = start(daemons, tmp_path, config.path, serve_port=port)
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries WHERE full_text_source = 'page'") == 20, 60,
               "the first 20 articles")
    site.clear_requests()
    published = site.publish("harbour-times-news", 2)
    t0 = time.monotonic()
    urls = tuple(a.url for a in published)
    wait_until(
        lambda: daemon.scalar(
            "SELECT COUNT(*) FROM entries WHERE full_text_source = 'page' AND canonical_url IN (?, ?)", urls
        ) == 2,
        30,
        "the two published articles with their full text",
    )
    elapsed = time.monotonic() - t0
    assert elapsed < 2 * 1.1 + 5, f"took {elapsed:.1f} s for a 2 s interval"  # interval, jitter, fetch and extraction
    # The unchanged feed is asked conditionally and answers 304, and such a poll parses nothing. The new
    # articles can arrive within one interval of the clear, before the unchanged feed's next poll: wait for it.
    tech_requests = wait_until(lambda: site.requests_for(tech), 2 * 1.1 + 5, "a poll of the unchanged feed")
    assert tech_requests and all(r.status == 304 and r.header("if-none-match") for r in tech_requests)
    # Recorded once the shared commit's window (pipeline.SHARED_COMMIT_SECONDS) closes.
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM polls p JOIN feeds f ON f.id = p.feed_id "
                                     "WHERE f.url = ? AND p.not_modified = 1 AND p.new_entries = 0", (tech,)) >= 1,
               pipeline.SHARED_COMMIT_SECONDS + 2, "the 304 poll recorded")
    # Datasette serves the archive from the same process while it polls.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/entries.json?_shape=array&_size=100") as resp:
        rows = json.load(resp)
    assert len(rows) == 22 and {r["canonical_url"] for r in rows} >= set(urls)
    code, took = daemon.stop()
    assert code == 0 and took < 10
    assert "stopped" in daemon.log()
    # Checkpointed and closed: nothing left beside the archive (Datasette's connections included).
    assert not Path(f"{daemon.db_path}-wal").exists() and not Path(f"{daemon.db_path}-shm").exists()


def test_sigterm_during_a_slow_poll_and_restart_skips_feeds_not_due(
    site: NewsSite, tmp_path: Path, daemons: list[Daemon]
) -> None:
    good = site.feed_urls["dev-notes-posts.json11"]
    config = write_config(tmp_path / "feeds.yaml", [good, site.broken_urls["slow"]], interval="1h",
                          read_timeout="60s", timeout="60s", adaptive=False)
    daemon = start(daemons, tmp_path, config.path)
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM polls") == 1, 60, "the good feed's poll")
    wait_until(lambda: site.requests_for(site.broken_urls["slow"]), 10, "the slow feed being asked")
    code, took = daemon.stop()  # the slow feed is still in flight
    assert code == 0 and took < 10
    assert daemon.scalar("PRAGMA integrity_check") == "ok"
    assert daemon.scalar("SELECT COUNT(*) FROM entries") == 10
    due_later = daemon.scalar("SELECT next_poll_at FROM feeds WHERE url = ?", (good,))
    assert due_later > (datetime.now(UTC) + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")

    site.clear_requests()
    again = start(daemons, tmp_path, config.path)
    time.sleep(5)
    assert site.requests_for(good) == []  # not due: not polled again after the restart
    assert site.requests_for(site.broken_urls["slow"])  # never finished, so it is still due
    code, took = again.stop()
    assert code == 0 and took < 10


def test_backoff_and_retry_after_seen_from_the_server(site: NewsSite, tmp_path: Path, daemons: list[Daemon]) -> None:
    failing = site.set_route("/backoff/feed/", CustomResponse(status=500, body=b"oops"))
    body = _feed_body(site)
    retry_at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    when = format_datetime(retry_at, usegmt=True)
    limited = site.set_route("/limited/feed/", _first_then_feed(CustomResponse(status=429, headers={"Retry-After": "3"}), body))
    unavailable = site.set_route("/unavailable/feed/", _first_then_feed(CustomResponse(status=503, headers={"Retry-After": when}), body))
    config = write_config(tmp_path / "feeds.yaml", [failing, limited, unavailable], interval="1s", min_interval="1s",
                          max_interval="4s", adaptive=False, full_text=False)
    daemon = start(daemons, tmp_path, config.path)
    wait_until(lambda: len(site.requests_for(failing)) >= 5, 30, "five requests to the failing feed")
    wait_until(lambda: len(site.requests_for(unavailable)) >= 2, 30, "the 503 feed asked again")
    code, _ = daemon.stop()
    assert code == 0

    times = [r.monotonic for r in site.requests_for(failing)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 1 s, 2 s, 4 s, then capped at max_interval (4 s); jitter adds up to 10 %, next_poll_at is rounded up to
    # the whole second and the dispatcher looks once a second: up to 2 s more
    for gap, expected in zip(gaps, [1, 2, 4, 4], strict=False):
        assert expected * 0.95 <= gap <= expected * 1.1 + 2.1, gaps
    limited_times = [r.monotonic for r in site.requests_for(limited)]
    assert limited_times[1] - limited_times[0] >= 2.9
    first_503, retried = site.requests_for(unavailable)[:2]
    assert first_503.status == 503 and retried.wall_time >= retry_at.timestamp()  # not before the HTTP-date
    counts = dict(daemon.query("SELECT config_url, error_count FROM feeds"))
    assert counts[failing] >= 4
    assert counts[limited] == 0 and counts[unavailable] == 0  # being throttled is not being broken


def _first_then_feed(first: CustomResponse, body: bytes):
    """An aiohttp handler: the given answer once, then the feed."""
    from aiohttp import web

    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.Response(status=first.status, headers=first.headers, body=first.body)
        return web.Response(body=body, content_type="application/atom+xml")

    return handler


def _feed_body(site: NewsSite) -> bytes:
    with urllib.request.urlopen(site.feed_urls["dev-notes-posts.atom10"]) as resp:
        return resp.read()


def test_permanent_redirect_moves_the_feed_and_gone_stops_it(site: NewsSite, tmp_path: Path, daemons: list[Daemon]) -> None:
    target = site.feed_urls["field-notes-stories.atom10"]
    temp_target = site.feed_urls["field-notes-stories.json11"]
    moved = site.set_route("/old/feed/", CustomResponse(status=301, headers={"Location": target}))
    temporary = site.set_route("/temp/feed/", CustomResponse(status=302, headers={"Location": temp_target}))
    gone = site.set_route("/gone/feed/", CustomResponse(status=410, body=b"gone"))
    config = write_config(tmp_path / "feeds.yaml", [moved, temporary, gone], interval="1s", adaptive=False,
                          full_text=False)
    daemon = start(daemons, tmp_path, config.path)
    wait_until(lambda: len(site.requests_for(target)) >= 3, 30, "polls of the moved feed's new address")
    wait_until(lambda: len(site.requests_for(temporary)) >= 3, 30, "polls of the temporarily redirected feed")
    code, _ = daemon.stop()
    assert code == 0
    assert len(site.requests_for(moved)) == 1  # after the 301, only the new address is asked
    assert len(site.requests_for(gone)) == 1  # 410: asked once, never again
    feeds = {row[0]: row[1:] for row in daemon.query("SELECT config_url, url, stopped_reason FROM feeds")}
    assert feeds[moved][0] == target
    assert feeds[temporary][0] == temporary  # 302 keeps the address
    assert feeds[gone][1].startswith("HTTP 410 Gone")
    status = subprocess.run([sys.executable, "-m", "aggregator", "status", "--db", str(daemon.db_path)],
                            capture_output=True, text=True, timeout=60)
    assert f"! {gone}: STOPPED" in status.stdout


def test_config_edits_apply_without_restart(site: NewsSite, tmp_path: Path, daemons: list[Daemon]) -> None:
    first, second = site.feed_urls["harbour-times-business.json11"], site.feed_urls["stadtanzeiger-lokales.atom10"]
    config = write_config(tmp_path / "feeds.yaml", [first], **FAST, full_text=False)
    daemon = start(daemons, tmp_path, config.path)
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries") == 10, 30, "the first feed")

    write_config(tmp_path / "feeds.yaml", [first, second], **FAST, full_text=False)
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries") == 20, 30, "the added feed")
    assert "config reloaded (file change): 2 feeds, 1 added, 0 removed" in daemon.log()

    config.path.write_text("feeds:\n  - url: ftp://nope\n")
    wait_until(lambda: "config not reloaded" in daemon.log(), 15, "the invalid edit to be reported")
    assert "feeds[0] ftp://nope: url: not an http(s) URL" in daemon.log()
    polls_before = daemon.scalar("SELECT COUNT(*) FROM polls")
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM polls") >= polls_before + 2, 15, "polling to go on")
    assert daemon.proc.poll() is None

    write_config(tmp_path / "feeds.yaml", [second], **FAST, full_text=False)
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "1 added, 0 removed" not in daemon.log().split("config not reloaded")[-1]
               and "0 added, 1 removed" in daemon.log(), 15, "the SIGHUP reload")
    active = dict(daemon.query("SELECT config_url, active FROM feeds"))
    assert active == {first: 0, second: 1}
    code, _ = daemon.stop()
    assert code == 0
