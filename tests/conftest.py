"""Shared fixtures: the project's own news site on 127.0.0.1, and configs pointing at it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from aggregator.config import Config, load_config
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
