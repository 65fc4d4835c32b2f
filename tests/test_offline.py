"""Offline is not an error of every feed (issue 21, item 4): when no feed host resolves, one line says so, and
no feed is counted as failing or backed off; one unknown host among answering ones is that feed's error."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from fakes import FakeExtractor

from aggregator.api import Aggregator
from aggregator.demo.site import NewsSite
from aggregator.fetch.client import Fetcher
from aggregator.fetch.netguard import GuardedResolver, NetworkPolicy
from aggregator.store import Archive


class NoDNS(GuardedResolver):
    """A machine without network: no host name resolves (IP literals do not ask the resolver)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def poll(config_path: Path, db: Path) -> list[Any]:
    from aggregator.config.model import load_config

    config = load_config(config_path)

    async def run() -> list[Any]:
        resolver = NoDNS(NetworkPolicy.from_settings(True, ()))
        fetcher = Fetcher(config.settings, resolver=resolver)
        async with fetcher, Aggregator(config, Archive(db), fetcher=fetcher, extractor=FakeExtractor(),
                                       own_archive=True) as agg:
            return await agg.poll()

    return asyncio.run(run())


def test_no_network_is_said_once_and_counts_against_no_feed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    feeds = [f"http://feeds-{n}.example/feed.xml" for n in range(5)]
    config = write_config(tmp_path / "feeds.yaml", feeds, full_text=False)
    with caplog.at_level(logging.INFO):
        reports = poll(config.path, tmp_path / "archive.db")
    assert all(r.offline and r.error.startswith("no network: cannot resolve feeds-") for r in reports)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == ["no network: 5 feeds could not be resolved; they are polled again as usual, not counted as "
                    "failing"]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        rows = conn.execute("SELECT error_count, last_error, next_poll_at > last_polled_at FROM feeds").fetchall()
    assert [(count, error.startswith("no network"), later) for count, error, later in rows] == [(0, True, 1)] * 5


def test_one_unknown_host_among_answering_ones_is_that_feeds_error(site: NewsSite, tmp_path: Path) -> None:
    feeds = [site.feed_urls["field-notes-stories.rss20"], "http://no-such-host.example/feed.xml"]
    config = write_config(tmp_path / "feeds.yaml", feeds, full_text=False)
    reports = {r.url: r for r in poll(config.path, tmp_path / "archive.db")}
    assert reports[feeds[0]].error is None
    unknown = reports["http://no-such-host.example/feed.xml"]
    assert unknown.unresolved and not unknown.offline and unknown.error.startswith("cannot resolve no-such-host")
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT error_count FROM feeds WHERE url LIKE '%no-such-host%'").fetchone() == (1,)
        errors = conn.execute("SELECT p.error FROM polls p JOIN feeds f ON f.id = p.feed_id "
                              "WHERE f.url LIKE '%no-such-host%'").fetchall()
        assert [e for (e,) in errors] == [unknown.error]  # the poll's own record says the same
