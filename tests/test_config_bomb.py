"""A YAML alias bomb in feeds.yaml is a one-line config error on `check`, `run` and hot reload (issue 17, item 5).

The commands run as processes with their address space capped, so a regression fails with MemoryError
instead of taking the machine's memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_config
from test_daemon import FAST, Daemon, wait_until

from aggregator.config.model import MAX_ALIAS_NODES, ConfigError, load_config
from aggregator.demo.site import NewsSite

MEMORY_CAP = 1536 * 1024 * 1024


def bomb(levels: int = 9, width: int = 9) -> str:
    """A flow list of anchored lists, each of `width` aliases of the one before: width**levels values."""
    parts = ["&a [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        parts.append(f"&{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * width) + "]")
    return "[" + ", ".join(parts) + "]"


# where the bomb sits: a feed's url, settings.interval, the feeds list itself
PLACES = {
    "feed_url": "feeds:\n  - url: {bomb}\n",
    "interval": "settings:\n  interval: {bomb}\nfeeds: []\n",
    "feeds": "feeds: [{bomb}]\n",
}


def capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aggregator", *args], capture_output=True, text=True, timeout=120,
                          preexec_fn=capped, check=False)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("command", ["check", "run"])
def test_alias_bomb_is_a_one_line_config_error(tmp_path: Path, place: str, command: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(PLACES[place].format(bomb=bomb()), encoding="utf-8")
    assert len(path.read_bytes()) < 600
    started = time.monotonic()
    extra = ["--no-serve", "--db", str(tmp_path / "a.db")] if command == "run" else []
    result = run_cli(command, "--config", str(path), *extra)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and "MemoryError" not in result.stderr
    assert f"{path}:" in result.stderr and "YAML aliases expand to more than 100,000 values" in result.stderr
    assert time.monotonic() - started < 30


def test_aliases_within_the_bound_still_work(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "settings:\n  interval: &often 10m\n  min_interval: *often\n"
        "feeds:\n  - url: https://example.org/a.xml\n    tags: &t [news, de]\n"
        "  - url: https://example.org/b.xml\n    tags: *t\n    interval: *often\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.settings.interval == 600 and config.feeds[1].tags == config.feeds[0].tags
    # just over the bound: refused, with the line of the alias that crossed it
    width = 10
    values = ", ".join(["x"] * width)
    copies = MAX_ALIAS_NODES // (width + 1) + 1
    aliases = ", ".join(["*big"] * copies)
    path.write_text(f"feeds: []\nsettings:\n  interval: [&big [{values}], {aliases}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\.yaml:3: YAML aliases expand"):
        load_config(path)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()


def test_alias_bomb_on_hot_reload_keeps_the_running_config(site: NewsSite, tmp_path: Path,
                                                           daemons: list[Daemon]) -> None:
    feed = site.feed_urls["harbour-times-business.json11"]
    config = write_config(tmp_path / "feeds.yaml", [feed], **FAST, full_text=False)
    daemon = Daemon(config.path, tmp_path / "archive.db", tmp_path / "daemon.log")
    daemons.append(daemon)
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM entries") == 10, 30, "the feed")
    config.path.write_text(PLACES["feed_url"].format(bomb=bomb()), encoding="utf-8")
    wait_until(lambda: "config not reloaded" in daemon.log(), 15, "the bomb to be refused")
    assert "YAML aliases expand to more than 100,000 values" in daemon.log()
    polls_before = daemon.scalar("SELECT COUNT(*) FROM polls")
    wait_until(lambda: daemon.scalar("SELECT COUNT(*) FROM polls") >= polls_before + 2, 15, "polling to go on")
    assert daemon.proc.poll() is None
    code, _ = daemon.stop()
    assert code == 0
