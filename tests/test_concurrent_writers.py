"""Every writing command works while `aggregator run` writes to the same archive (issue 17, item 6): each waits
its turn for the write lock instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_config
from test_daemon import FAST, Daemon, wait_until

from aggregator.demo.site import NewsSite
from aggregator.store import Archive


@pytest.fixture(scope="module")
def running(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daemon, Path]]:
    tmp = tmp_path_factory.mktemp("concurrent")
    feeds = [site.feed_urls["harbour-times-news.atom10"], site.feed_urls["field-notes-stories.rss20"]]
    config = write_config(tmp / "feeds.yaml", feeds, **FAST)
    daemon = Daemon(config.path, tmp / "archive.db", tmp / "daemon.log")
    try:
        wait_until(lambda: (daemon.scalar("SELECT COUNT(*) FROM entries WHERE extracted_at IS NOT NULL") or 0) >= 20, 90,
                   "the daemon's first articles")
        yield daemon, config.path
    finally:
        code, _took = daemon.stop()
        assert code == 0, daemon.log()
        assert "database is locked" not in daemon.log()


@pytest.mark.parametrize("command", [
    ["poll"],
    ["reextract"],
    ["backfill", "--max-pages", "3"],
    ["import", "{opml}"],
])
def test_a_writing_command_beside_the_daemon(site: NewsSite, running: tuple[Daemon, Path], command: list[str],
                                             tmp_path: Path) -> None:
    daemon, config = running
    if "{opml}" in command:
        opml = tmp_path / "feeds.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><head/><body>'
            f'<outline type="rss" text="Lokales" xmlUrl="{site.feed_urls["stadtanzeiger-lokales.rss10"]}"/>'
            "</body></opml>", encoding="utf-8")
        config_copy = tmp_path / "feeds.yaml"  # import edits the config: leave the daemon's alone
        config_copy.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
        config = config_copy
        command = ["import", str(opml)]
    before = daemon.scalar("SELECT COUNT(*) FROM polls")
    # The site keeps publishing, so the daemon keeps writing while the command runs.
    stop = threading.Event()

    def publish() -> None:
        while not stop.wait(0.2):
            site.publish("harbour-times-news")
            site.publish("field-notes-stories")

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "aggregator", *command, "--config", str(config), "--db", str(daemon.db_path)],
            capture_output=True, text=True, timeout=300,
        )
    finally:
        stop.set()
        publisher.join()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "database is locked" not in output and "Traceback" not in output
    # The daemon kept polling meanwhile.
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM polls") > before, 30, "the daemon's next poll")


def test_a_write_transaction_takes_the_lock_when_it_begins(tmp_path: Path) -> None:
    """The mechanism behind the test above: a transaction that reads, then writes, while another process commits
    in between, fails at once in WAL mode ("database is locked", whatever the busy timeout) unless it took the
    write lock when it began. The store's transactions, and the shared one, begin IMMEDIATE."""
    db = tmp_path / "archive.db"
    archive = Archive(db)
    other = sqlite3.connect(db, timeout=0)
    try:
        with archive.db.atomic():
            archive.db.execute("SELECT COUNT(*) FROM entries").fetchone()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # the archive's transaction already holds the write lock
        archive.begin_shared()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        archive.commit_shared()
        other.execute("BEGIN IMMEDIATE")  # free again
        other.execute("ROLLBACK")
    finally:
        other.close()
        archive.close()
