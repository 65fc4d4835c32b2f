"""Shared fixtures: the project's own news site on 127.0.0.1, and configs pointing at it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aggregator.config.model import Config, load_config
from aggregator.demo.site import NewsSite

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with NewsSite(seed=1, feed_window=10, slow_seconds=30) as news_site:
        yield news_site


def process_alive(pid: int) -> bool:
    """Whether the process runs (a zombie, exited but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def write_config(path: Path, feed_urls: Iterable[str], **settings: object) -> Config:
    """A config for tests: private networks allowed (the site is on 127.0.0.1) and short timeouts."""
    values: dict[str, object] = {
        "allow_private_networks": True,
        "timeout": "10s",
        "read_timeout": "3s",
        "min_interval": "1s",
        "extract_workers": 2,
        "article_delay": 0,
    }
    values.update(settings)
    lines = ["settings:"]
    lines += [f"  {key}: {str(value).lower() if isinstance(value, bool) else value}" for key, value in values.items()]
    lines.append("feeds:")
    lines += [f"  - {url}" for url in feed_urls]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


@pytest.fixture(scope="session", autouse=True)
def links_agree_in_every_archive() -> Iterator[None]:
    """The archive's link invariant, over every archive the suite builds: for every entry e with previous_id p,
    p.next_id = e.id (and the same for next_id) unless link_conflicts records the pair."""
    from aggregator.store.connection import Connection
    from aggregator.store.links import LINK_VIOLATIONS

    built: set[str] = set()
    original = Connection.__init__

    def recording_init(self: Connection, path: Any, *args: Any, **kwargs: Any) -> None:
        original(self, path, *args, **kwargs)
        if str(path) != ":memory:":
            built.add(str(path))

    Connection.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        Connection.__init__ = original  # type: ignore[method-assign]
    broken = {}
    for path in sorted(built):
        if not Path(path).exists():
            continue
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'link_conflicts'").fetchone():
                continue
            violations = conn.execute(LINK_VIOLATIONS).fetchall()
        except sqlite3.Error:
            continue  # a test that corrupts or locks its archive on purpose
        finally:
            conn.close()
        if violations:
            broken[path] = violations[:5]
    assert not broken, f"links that do not agree both ways: {broken}"

