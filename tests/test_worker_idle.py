"""The worker pool starts with the first job and is let go, forkserver included, after `extract_idle` without
work; a job in flight is never lost to that, and one arriving during or after the release gets a fresh pool."""

from __future__ import annotations

import asyncio
import time
from multiprocessing import forkserver
from pathlib import Path

import pytest
from conftest import process_alive

from aggregator.config.model import ConfigError, parse_config
from aggregator.extract.article import Extractor

FEED = b'<rss version="2.0"><channel><title>T</title><item><guid>a</guid><title>A</title></item></channel></rss>'
PAGE = b"<html><body><article>" + b"<p>Ein Satz mit Inhalt, lang genug fuer einen Text.</p>" * 40
PAGE += b"</article></body></html>"


def nap(seconds: float) -> float:
    """In a worker: a job that takes a while."""
    time.sleep(seconds)
    return seconds


def _server_pid() -> int | None:
    return forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]


async def _parse(extractor: Extractor) -> list[str]:
    parsed = await extractor.parse(FEED, "https://news.example/feed", "application/rss+xml", None)
    return [entry.title or "" for entry in parsed.entries]


async def _wait_released(extractor: Extractor, count: int, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while extractor.pool.pools_released < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert extractor.pool.pools_released == count


def test_the_pool_starts_with_the_first_job_and_goes_with_its_forkserver_when_idle() -> None:
    async def run() -> None:
        async with Extractor(1, articles=False, idle=0.5) as extractor:
            assert extractor._pool is None and extractor.pool.pools_started == 0
            assert await _parse(extractor) == ["A"]
            pool = extractor._pool
            assert pool is not None and extractor.pool.pools_started == 1
            workers = set(pool._processes or {})
            server = _server_pid()
            assert workers and server is not None and process_alive(server)
            await asyncio.sleep(0.2)  # less than extract_idle: still there
            assert extractor._pool is pool
            await _wait_released(extractor, 1)
            assert extractor._pool is None
            assert _server_pid() is None and not process_alive(server)
            assert not any(process_alive(pid) for pid in workers)
            # The next job starts a new pool (and forkserver).
            assert await _parse(extractor) == ["A"]
            assert extractor.pool.pools_started == 2 and _server_pid() not in (None, server)

    asyncio.run(run())


def test_a_job_in_flight_keeps_the_pool_however_long_it_takes() -> None:
    async def run() -> None:
        async with Extractor(1, articles=False, idle=0.2) as extractor:
            results = await asyncio.gather(
                extractor._run_in_pool(nap, 1.5), *(extractor._run_in_pool(nap, 0.05) for _ in range(3))
            )
            assert results == [1.5, 0.05, 0.05, 0.05]
            assert extractor.pool.pools_started == 1 and extractor.pool.pools_released == 0
            await _wait_released(extractor, 1)

    asyncio.run(run())


def test_a_job_arriving_while_the_pool_is_let_go_gets_a_fresh_pool() -> None:
    async def run() -> None:
        async with Extractor(1, idle=0.3) as extractor:  # the trafilatura preload: its forkserver goes too
            first = await extractor.extract(PAGE, "https://news.example/a/")
            server = _server_pid()
            deadline = time.monotonic() + 10
            while extractor.pool._releasing is None and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            assert extractor.pool._releasing is not None and not extractor.pool._releasing.done()
            # Arrives during the release: waits for it, then starts a new pool on a new forkserver.
            again = await asyncio.gather(extractor.extract(PAGE, "https://news.example/b/"), _parse(extractor))
            assert extractor.pool.pools_released == 1 and extractor.pool.pools_started == 2
            assert _server_pid() not in (None, server)
            assert again[0].full_text == first.full_text and again[1] == ["A"]
            await _wait_released(extractor, 2)
            # And after the release: the same.
            assert (await extractor.extract(PAGE, "https://news.example/c/")).full_text == first.full_text
            assert extractor.pool.pools_started == 3

    asyncio.run(run())


def test_without_extract_idle_the_pool_stays() -> None:
    async def run() -> None:
        async with Extractor(1, articles=False) as extractor:
            await _parse(extractor)
            await asyncio.sleep(0.5)
            assert extractor._pool is not None and extractor.pool.pools_released == 0
        assert _server_pid() is None  # closing stops the forkserver: nothing outlives the Extractor

    asyncio.run(run())


@pytest.mark.parametrize(("value", "seconds"), [("90", 90.0), ("2m", 120.0), ("45s", 45.0), ("null", None)])
def test_extract_idle_takes_a_duration(value: str, seconds: float | None) -> None:
    config = parse_config(f"settings:\n  extract_idle: {value}\nfeeds: []\n", Path("feeds.yaml"))
    assert config.settings.extract_idle == seconds


def test_extract_idle_defaults_to_a_few_minutes() -> None:
    assert parse_config("feeds: []\n", Path("feeds.yaml")).settings.extract_idle == 180.0


@pytest.mark.parametrize(("value", "message"), [
    ("soon", "feeds.yaml:3: settings.extract_idle: invalid duration 'soon' (use e.g. 90, 45s, 30m, 2h, 1d)"),
    ("0", "feeds.yaml:3: settings.extract_idle: duration must be positive, got 0"),
    ("-5m", "feeds.yaml:3: settings.extract_idle: invalid duration '-5m'"),
])
def test_a_bad_extract_idle_is_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(f"settings:\n  full_text: true\n  extract_idle: {value}\nfeeds: []\n", Path("feeds.yaml"))
    assert str(error.value).startswith(message)


def test_the_console_script_imports_no_cli_into_workers() -> None:
    """Workers import the main script again (as __mp_main__): the console script's module must be light."""
    import subprocess
    import sys
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="aggregator")
    assert script.value == "aggregator.entry:main"
    code = "import sys, aggregator.entry; print(sorted(m for m in ('aggregator.cli', 'click', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
