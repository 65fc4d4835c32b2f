"""The CLI as a person meets it: what `poll`, `status` and `backfill` print and how they exit."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import write_config

from aggregator.demo.site import NewsSite

GOOD = "harbour-times-business.rss20"
CHAIN_FEED = "stadtanzeiger-lokales.rss20"  # WordPress, with previous-post links to backfill


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aggregator", *args], capture_output=True, text=True, timeout=timeout)


def test_poll_prints_each_failure_once(site: NewsSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "f.yaml", [site.feed_urls[GOOD], site.broken_urls["not_found"]], full_text=False)
    result = cli("poll", "--config", str(config.path), "--db", str(tmp_path / "a.db"))
    assert result.returncode == 1
    # Once, in the summary; the warning log line said the same a second time.
    assert result.stderr.count("HTTP 404 Not Found") == 1, result.stderr
    assert f"FAILED {site.broken_urls['not_found']}: HTTP 404 Not Found" in result.stderr
    # With -q there is no summary, so the log line stays.
    quiet = cli("poll", "-q", "--config", str(config.path), "--db", str(tmp_path / "a.db"))
    assert quiet.returncode == 1 and quiet.stderr.count("HTTP 404 Not Found") == 1, quiet.stderr
    assert "FAILED" not in quiet.stderr


def test_status_exits_1_when_every_feed_fails(site: NewsSite, tmp_path: Path) -> None:
    some = write_config(tmp_path / "some.yaml", [site.feed_urls[GOOD], site.broken_urls["not_found"]], full_text=False)
    every = write_config(tmp_path / "every.yaml", [site.broken_urls["not_found"], site.broken_urls["server_error"]])
    for config, db in ((some, tmp_path / "some.db"), (every, tmp_path / "every.db")):
        assert cli("poll", "-q", "--config", str(config.path), "--db", str(db)).returncode == 1
    partly = cli("status", "--db", str(tmp_path / "some.db"))
    assert partly.returncode == 0, partly.stdout  # one feed works: the archive still collects
    table = cli("status", "--db", str(tmp_path / "every.db"))
    assert table.returncode == 1 and "HTTP 404 Not Found" in table.stdout and "500" in table.stdout
    as_json = cli("status", "--json", "--db", str(tmp_path / "every.db"))
    assert as_json.returncode == 1 and all(row["error_count"] == 1 for row in json.loads(as_json.stdout))
    # Removed from the config: the failing feeds no longer count once a poll has synced the config.
    fixed = write_config(tmp_path / "fixed.yaml", [site.feed_urls[GOOD]], full_text=False)
    assert cli("poll", "-q", "--config", str(fixed.path), "--db", str(tmp_path / "every.db")).returncode == 0
    assert cli("status", "--db", str(tmp_path / "every.db")).returncode == 0


def test_poll_on_a_site_page_names_the_feeds_add_finds(site: NewsSite, tmp_path: Path) -> None:
    home = site.url_for("/")  # the site's front page: it links to every section's feeds, advertises none
    config = write_config(tmp_path / "f.yaml", [home], full_text=False)
    db = tmp_path / "a.db"
    result = cli("poll", "--config", str(config.path), "--db", str(db))
    assert result.returncode == 1
    found = re.search(rf"FAILED {re.escape(home)}: not a feed but an HTML page; 'aggregator add {re.escape(home)}' "
                      r"finds (\d+) feeds there:", result.stderr)
    assert found, result.stderr
    assert f"    {site.feed_urls['newsportal-nachrichten.rss20']}  Nachrichten – Newsportal  [RSS 2.0" in result.stderr
    # The same discovery as `add`: the same number of feeds.
    added = cli("add", home, "--dry-run", "--config", str(config.path))
    assert f"{found.group(1)} feeds found for {home}:" in added.stdout, added.stdout + added.stderr
    # The error kept in the archive (status, feed health) names the candidates instead of "links to no feeds".
    with sqlite3.connect(db) as conn:
        error = conn.execute("select last_error from feeds").fetchone()[0]
    assert "links to no feeds" not in error
    assert re.search(rf"it links to {found.group(1)} pages that look like feeds: {re.escape(home)}\S+", error), error


def test_backfill_names_feeds_by_title(site: NewsSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "f.yaml", [site.feed_urls[CHAIN_FEED]], full_text=False)
    db = tmp_path / "a.db"
    assert cli("poll", "-q", "--config", str(config.path), "--db", str(db)).returncode == 0
    result = cli("backfill", "--max-pages", "1", "--config", str(config.path), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert re.match(r"Lokales – Stadtanzeiger Talbach: \d+ older posts archived, \d+ failed", result.stdout), result.stdout
    assert "feed 1" not in result.stdout
