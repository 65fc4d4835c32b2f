"""`aggregator demo`: a browsable, growing archive of the local news site, offline, stopped by Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aggregator.cli import main
from aggregator.demo import write_demo_config
from aggregator.demo.site import NewsSite
from aggregator.store.links import LINK_VIOLATIONS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def test_demo_config_lists_one_primary_feed_per_chain(site: NewsSite, tmp_path: Path) -> None:
    config = write_demo_config(tmp_path / "feeds.yaml", site, interval=20)
    primary = sorted(info.url for info in site.feeds.values() if info.primary)
    assert sorted(f.url for f in config.feeds) == primary and len(primary) == len(site.chain_names)
    settings = config.settings
    assert settings.allow_private_networks and settings.article_delay == 0
    assert (settings.interval, settings.min_interval, settings.max_interval) == (20, 5, 20)
    assert all(feed.title and feed.tags for feed in config.feeds)  # from the site's OPML
    assert (tmp_path / "feeds.yaml").read_text(encoding="utf-8").startswith("# aggregator demo:")


def test_demo_serves_a_growing_archive_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "demo", "--port", str(port), "--publish-every", "1",
             "--interval", "3"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not re.search(r"Archive \(Datasette\): (\S+)/entries", log.read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        archive = re.search(r"Archive \(Datasette\): (\S+)/entries", text).group(1)  # type: ignore[union-attr]
        site_url = re.search(r"News site: +(\S+)/ ", text).group(1)  # type: ignore[union-attr]
        tmp_dir = Path(re.search(r"Config: +(\S+)", text).group(1)).parent  # type: ignore[union-attr]
        assert archive == f"http://127.0.0.1:{port}/archive" and tmp_dir.is_dir()

        # A browsable archive with full texts from the article pages, within a minute.
        rows: list[dict[str, Any]] = []
        while not rows:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            found = get_json(f"{archive}/entries.json?_shape=array&full_text_source=page&_size=20")
            rows = [r for r in found or [] if r.get("full_text") and len(r["full_text"]) > 200]
            time.sleep(0.5)
        assert all(r["canonical_url"].startswith(site_url) for r in rows)

        # It grows: the site publishes every second, the feeds are polled every 3 s.
        count_url = f"{archive}.json?" + urllib.parse.urlencode(
            {"sql": "select count(*) as n from entries", "_shape": "array"})
        first = get_json(count_url)[0]["n"]
        grow_deadline = time.monotonic() + 30
        while (get_json(count_url) or [{"n": 0}])[0]["n"] < first + 3:
            assert proc.poll() is None and time.monotonic() < grow_deadline, log.read_text()
            time.sleep(0.5)

        # Links agree both ways while posts arrive: a post archived while it was the newest gets its next_id
        # from the newer post that names it (the demo once had 55 of 265 entries without it).
        violations_url = f"{archive}.json?" + urllib.parse.urlencode({"sql": LINK_VIOLATIONS, "_shape": "array"})
        assert get_json(violations_url) == []
        linked = get_json(f"{archive}.json?" + urllib.parse.urlencode(
            {"sql": "select count(*) as n from entries where next_id is not null", "_shape": "array"}))[0]["n"]
        assert linked > 0
    finally:
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 0, log.read_text()
    assert time.monotonic() - started < 10
    assert not tmp_dir.exists()  # the temporary config and archive are gone
    with pytest.raises(urllib.error.URLError):  # and so are the site and Datasette
        urllib.request.urlopen(f"{site_url}/feeds.opml", timeout=5)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{archive}.json", timeout=5)
    assert "KeyboardInterrupt" not in log.read_text()


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot listen on 127.0.0.1:{port} (Address already in use); choose another --port\n"

