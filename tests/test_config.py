"""Config loading: defaults, both feed forms, and one clear error per kind of mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.config.model import ConfigError, load_config, parse_duration, parse_size

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_bare_urls_and_mappings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
settings:
  interval: 2h
  max_feed_bytes: 2MiB
feeds:
  - https://Example.COM:443/feed.xml
  - url: https://example.org/atom
    title: Org
    tags: [a, b]
    interval: 90
    full_text: false
""",
    )
    config = load_config(path)
    assert config.settings.interval == 7200
    assert config.settings.max_feed_bytes == 2 * 1024 * 1024
    assert config.settings.timeout == 30  # default kept
    first, second = config.feeds
    assert first.url == "https://example.com/feed.xml"
    assert config.feed_interval(first) == 7200 and config.feed_full_text(first) is True
    assert second.title == "Org" and second.tags == ("a", "b")
    assert config.feed_interval(second) == 90 and config.feed_full_text(second) is False


def test_shipped_default_config_is_valid() -> None:
    config = load_config(REPO / "config" / "feeds.yaml")
    assert len(config.feeds) >= 4
    assert {"de", "en"} <= {tag for feed in config.feeds for tag in feed.tags}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds:\n  - url: https://a.example/\n    interval: soon\n", "feeds.yaml:3: feeds[0] https://a.example/: interval: invalid duration 'soon'"),
        ("settings:\n  intervall: 30m\n", "feeds.yaml:2: settings.intervall: unknown key"),
        ("feeds:\n  - url: ftp://x.example/\n", "feeds.yaml:2: feeds[0] ftp://x.example/: url: not an http(s) URL"),
        ("feeds:\n  - title: no url\n", "feeds.yaml:2: feeds[0]: missing 'url'"),
        ("feeds:\n  - https://a.example/\n  - [1\n", "feeds.yaml:4: invalid YAML"),
        ("feeds:\n  - https://a.example/\n  - https://A.example\n", "feeds.yaml:3: feeds[1] https://a.example/: duplicate of the feed on line 2"),
        ("feeds:\n  - 42\n", "feeds.yaml:2: feeds[0]: expected a URL or a mapping"),
        ("feeds: https://a.example/\n", "feeds.yaml:1: 'feeds' must be a list"),
        ("settings:\n  concurrency: 0\n", "feeds.yaml:2: settings.concurrency:"),
        ("settings:\n  min_interval: 2h\n  max_interval: 1h\n", "min_interval exceeds max_interval"),
        ("sources: []\n", "unknown top-level key 'sources'"),
    ],
)
def test_invalid_config_names_line_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_durations_and_sizes() -> None:
    assert parse_duration("45s") == 45 and parse_duration("30m") == 1800 and parse_duration("1d") == 86400
    assert parse_size("500kB") == 500_000 and parse_size("15MiB") == 15 * 1024**2
    for bad in ("0", "-1", "x", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_cli_invalid_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - url: https://a.example/\n    interval: soon\n")
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "poll", "--config", str(path), "--db", str(tmp_path / "a.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"Error: {path}:3: feeds[0] https://a.example/: interval: invalid duration 'soon' (use e.g. 90, 45s, 30m, 2h, 1d)"]
    assert not (tmp_path / "a.db").exists()  # nothing is written for a config that cannot be used


def test_env_var_selects_config(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - https://a.example/feed\n")
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"AGGREGATOR_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "1 feeds" in result.stdout and "https://a.example/feed" in result.stdout


def test_a_large_config_is_rebuilt_compact_and_unchanged() -> None:
    from aggregator.config.model import COMPACT_FROM_FEEDS, _parse_config, parse_config

    lines = ["settings:", "  interval: 1h", "feeds:"]
    for n in range(COMPACT_FROM_FEEDS + 5):
        lines.append(f"  - url: https://News.example/{n}/feed?b=2&a=1")
        if n % 3 == 0:
            lines.append(f"    title: Feed {n}\n    tags: [de, 'n{n}']\n    interval: 2h\n    full_text: false")
        if n % 7 == 0:
            lines.append("    enabled: false\n    backfill: true")
    text = "\n".join(lines) + "\n"
    compacted, plain = parse_config(text, Path("feeds.yaml")), _parse_config(text, Path("feeds.yaml"))
    assert compacted == plain and compacted.feeds[3].tags == ("de", "n3")
    assert compacted.feeds[0].url == "https://news.example/0/feed?b=2&a=1"  # still normalised (host)
