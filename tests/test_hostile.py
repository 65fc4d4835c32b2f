"""Hostile and broken servers: every scenario of tests/faultserver.py in one run, beside good feeds.

Each poll must end in bounded time and memory, record a clear error, and leave the other feeds complete.
"""

from __future__ import annotations

import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faultserver import FaultServer

from aggregator.demo.site import NewsSite

GOOD_SITE_FEEDS = ["harbour-times-news.rss20", "newsportal-nachrichten.json11"]


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    yield server
    server.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scenario_urls(faults: FaultServer) -> dict[str, str]:
    urls = {name: faults.url(name) for name, s in faults.scenarios.items()
            if not name.startswith("article/") and name != "moved_target"}
    urls["refused"] = f"http://127.0.0.1:{closed_port()}/feed"
    urls["unresolvable"] = "http://no-such-host.invalid/feed"
    return urls


def hostile_config(path: Path, faults: FaultServer, site: NewsSite) -> dict[str, str]:
    urls = scenario_urls(faults)
    lines = [
        "settings:",
        "  allowed_networks: [127.0.0.1/32]  # the guard stays on: only this address is allowed",
        "  timeout: 5s",
        "  read_timeout: 2s",
        "  min_interval: 1s",
        "  interval: 2s",
        "  adaptive: false",
        "  extract_workers: 2",
        "  article_delay: 0",
        "  respect_robots: false",
        "feeds:",
    ]
    for name, url in urls.items():
        full_text = faults.scenarios[name].full_text
        lines += [f"  - url: {url}", f"    full_text: {str(full_text).lower()}"]
    for name in GOOD_SITE_FEEDS:
        lines.append(f"  - {site.feed_urls[name]}")
    path.write_text("\n".join(lines) + "\n")
    return urls


class HostileRun:
    def __init__(self, db: Path, urls: dict[str, str], polls: list[subprocess.CompletedProcess[str]],
                 durations: list[float], max_rss_kb: int) -> None:
        self.db = sqlite3.connect(db)
        self.db.row_factory = sqlite3.Row
        self.urls = urls
        self.polls = polls
        self.durations = durations
        self.max_rss_kb = max_rss_kb

    def feed(self, name: str) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM feeds WHERE config_url = ?", [self.urls[name]]).fetchone()

    def entries(self, name: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM entries WHERE feed_id = ? ORDER BY id", [self.feed(name)["id"]]).fetchall()


@pytest.fixture(scope="module")
def hostile(faults: FaultServer, site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    tmp = tmp_path_factory.mktemp("hostile")
    urls = hostile_config(tmp / "feeds.yaml", faults, site)
    polls, durations = [], []
    for _ in range(2):
        started = time.monotonic()
        polls.append(subprocess.run(
            [sys.executable, "-m", "aggregator", "poll", "--config", str(tmp / "feeds.yaml"), "--db", str(tmp / "a.db")],
            capture_output=True, text=True, timeout=300,
        ))
        durations.append(time.monotonic() - started)
    max_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return HostileRun(tmp / "a.db", urls, polls, durations, max_rss)


def test_at_least_thirty_scenarios(faults: FaultServer) -> None:
    assert len(scenario_urls(faults)) >= 30


def test_polls_end_in_bounded_time_and_memory(hostile: HostileRun) -> None:
    for poll in hostile.polls:
        assert poll.returncode == 1, poll.stderr[-2000:]  # some feeds failed, and that is reported
        assert "Traceback" not in poll.stderr and "internal error" not in poll.stderr, poll.stderr[-3000:]
    assert max(hostile.durations) < 90, hostile.durations
    assert hostile.max_rss_kb < 600 * 1024, f"peak RSS {hostile.max_rss_kb // 1024} MB"


def test_every_failure_is_recorded_with_a_clear_message(hostile: HostileRun, faults: FaultServer) -> None:
    for name, scenario in faults.scenarios.items():
        if scenario.expect_error is None or name not in hostile.urls:
            continue
        feed = hostile.feed(name)
        assert feed["last_error"] and feed["last_error"].startswith(scenario.expect_error), (name, feed["last_error"])
        errors = [r["error"] for r in hostile.db.execute("SELECT error FROM polls WHERE feed_id = ?", [feed["id"]])]
        assert errors and all(e and e.startswith(scenario.expect_error) for e in errors), (name, errors)


def test_good_feeds_complete_beside_the_hostile_ones(hostile: HostileRun, faults: FaultServer, site: NewsSite) -> None:
    for name in GOOD_SITE_FEEDS:
        rows = hostile.db.execute(
            "SELECT full_text_source FROM entries JOIN feeds f ON f.id = feed_id WHERE f.config_url = ?",
            [site.feed_urls[name]],
        ).fetchall()
        assert [r[0] for r in rows] == ["page"] * 10, name
    for name, scenario in faults.scenarios.items():
        if scenario.expect_entries is not None:
            assert len(hostile.entries(name)) == scenario.expect_entries, name
            assert hostile.feed(name)["last_error"] is None, name


def test_redirects(hostile: HostileRun, faults: FaultServer) -> None:
    target = faults.url("moved_target")
    # 301 and 308 lead to the same target: whichever is polled first moves there; the other keeps its
    # address, since the target is then a feed of its own.
    moved = {name: hostile.feed(name)["url"] == target for name in ("moved_301", "moved_308")}
    assert sorted(moved.values()) == [False, True], moved
    winner = next(name for name, is_moved in moved.items() if is_moved)
    loser = next(name for name, is_moved in moved.items() if not is_moved)
    assert hostile.feed(loser)["url"] == hostile.urls[loser]
    assert faults.hits[winner] == 1  # the second poll went straight to the new address
    assert hostile.feed("found_302")["url"] == hostile.urls["found_302"]
    assert faults.hits["found_302"] == 2


def test_gone_throttled_and_failing_feeds(hostile: HostileRun, faults: FaultServer) -> None:
    gone = hostile.feed("gone")
    assert gone["stopped_reason"].startswith("HTTP 410 Gone") and faults.hits["gone"] == 1
    assert "skipped " + hostile.urls["gone"] in hostile.polls[1].stderr
    for name in ("rate_limited", "unavailable"):
        assert hostile.feed(name)["error_count"] == 0, name  # throttling is not breakage
    assert hostile.feed("unavailable")["next_poll_at"] >= faults.retry_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    soon = (datetime.now(UTC) + timedelta(hours=1, minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert hostile.feed("rate_limited")["next_poll_at"] >= soon
    assert hostile.feed("server_errors")["error_count"] == 2


def test_entity_attacks_expand_nothing(hostile: HostileRun) -> None:
    everything = " ".join(
        str(value) for row in hostile.db.execute("SELECT * FROM entries") for value in tuple(row) if value
    )
    assert "root:" not in everything and "/bin/" not in everything
    assert "lollollol" not in everything
    for name in ("billion_laughs", "xxe"):
        assert hostile.feed(name)["last_polled_at"] is not None


def test_encodings(hostile: HostileRun) -> None:
    for name in ("latin1_declared", "mislabelled_utf8"):
        title = hostile.entries(name)[0]["title"]
        assert title == "Café “Zitat” – Straße", (name, title)
    assert hostile.entries("bom")[0]["title"] == "Mit BOM"
    assert hostile.entries("invalid_utf8")[0]["title"].startswith("Gr")


def test_odd_entries(hostile: HostileRun) -> None:
    assert len({r["url"] for r in hostile.entries("duplicate_guids")}) == 4
    sparse = hostile.entries("sparse_entries")
    assert all(r["guid"] for r in sparse) and len({r["guid"] for r in sparse}) == 3
    dates = {r["guid"]: r["published_at"] for r in hostile.entries("odd_dates")}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert dates["future"] is not None and dates["future"] <= tomorrow
    assert dates["garbage"] is None
    big = hostile.entries("ten_mb_entry")[0]
    assert len(big["summary"]) > 10_000_000 and big["full_text_source"] == "feed"


def test_article_pages_that_are_not_articles(hostile: HostileRun) -> None:
    errors = {r["url"].rsplit("/", 2)[-2]: (r["extraction_error"], r["full_text_source"]) for r in hostile.entries("articles")}
    assert errors["huge"][0] == "article page: response body exceeds the limit of 15728640 bytes"
    assert errors["pdf"][0] == "article page is not HTML but application/pdf"
    assert errors["image"][0] == "article page is not HTML but image/jpeg"
    assert errors["reset"][0].startswith("article page: broken response body")
    assert errors["slow"][0] == "article page: timed out after 5 s"
    assert errors["fine"] == (None, "page")


def test_daemon_keeps_running_among_hostile_feeds(faults: FaultServer, site: NewsSite, tmp_path: Path) -> None:
    hostile_config(tmp_path / "feeds.yaml", faults, site)
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "--log-level", "info", "run", "--no-serve",
             "--config", str(tmp_path / "feeds.yaml"), "--db", str(tmp_path / "a.db")],
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            good = 0
            while time.monotonic() < deadline and good < 20:
                time.sleep(1)
                assert proc.poll() is None, log.read_text()[-3000:]
                try:
                    with sqlite3.connect(tmp_path / "a.db") as db:
                        good = db.execute("SELECT COUNT(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
            assert good >= 20
            time.sleep(6)  # several more dispatch rounds among the failing feeds
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=20)
    text = log.read_text()
    assert code == 0 and "Traceback" not in text, text[-3000:]
