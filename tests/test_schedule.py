"""When feeds are polled next: intervals, publisher hints, adaptive rate, backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.poll.schedule import (
    Bounds,
    adaptive_interval,
    at,
    cache_lifetime,
    error_delay,
    publishing_rate,
    success_delay,
    with_jitter,
)

BOUNDS = Bounds(interval=1800, min_interval=300, max_interval=86400)
NOW = datetime(2025, 2, 12, 12, 0, tzinfo=UTC)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


QUIET = {"window": 10, "rate": 1 / 86400}  # ten entries in the window, one post a day


def test_publisher_hints_only_lengthen() -> None:
    assert success_delay(BOUNDS) == 1800
    assert success_delay(BOUNDS, 3600, None, None, **QUIET) == 3600  # <ttl>60</ttl>
    assert success_delay(BOUNDS, None, 86400 / 2, None, **QUIET) == 43200  # sy:updatePeriod daily, frequency 2
    assert success_delay(BOUNDS, 60, 120, 10, **QUIET) == 1800  # shorter hints never shorten
    assert success_delay(BOUNDS, 10 * 86400, window=10, rate=0.0) == 86400  # capped by max_interval
    assert success_delay(Bounds(10, 300, 3600)) == 300  # raised to min_interval


def test_hints_never_override_the_feeds_own_interval() -> None:
    """WordPress says hourly in every feed; a feed configured at 5 s is polled every 5 s."""
    assert success_delay(Bounds(5, 1, 86400), 3600, 3600, 600, own_interval=True, **QUIET) == 5


def test_hints_lengthen_only_while_the_window_cannot_overflow() -> None:
    busy = {"window": 10, "rate": 20 / 3600}  # 20 posts an hour, 10 in the window: it turns over in 30 minutes
    # hourly hint refused, and the 30-minute interval itself shortened: half the window goes in 15 minutes
    assert success_delay(BOUNDS, 3600, **busy) == 900
    assert success_delay(Bounds(600, 300, 86400), 3600, **busy) == 900  # lengthened only up to the safe bound
    assert success_delay(BOUNDS, 3600) == 1800  # no rate or window known: hints are not trusted
    assert success_delay(BOUNDS, 3600, window=10, rate=0.0) == 3600  # nothing published this week


def test_a_global_interval_shortens_before_the_window_overflows() -> None:
    burst = {"window": 5, "rate": 1 / 2}  # a post every 2 s, five in the window
    assert success_delay(Bounds(1800, 1, 86400), **burst) == 5.0
    assert success_delay(Bounds(1800, 300, 86400), **burst) == 300  # never below min_interval


def test_publishing_rate() -> None:
    hourly = [iso(NOW - timedelta(hours=h)) for h in range(1, 25)]
    assert publishing_rate(hourly, NOW) == pytest.approx(23 / (24 * 3600))
    assert publishing_rate([iso(NOW)], NOW) == 0.0
    assert publishing_rate([iso(NOW - timedelta(days=9)), iso(NOW - timedelta(days=8))], NOW) == 0.0


def test_cache_headers() -> None:
    assert cache_lifetime({"cache-control": "public, max-age=600"}) == 600
    assert cache_lifetime({"cache-control": "s-maxage=120, max-age=60"}) == 120
    expires = (NOW + timedelta(minutes=15)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert cache_lifetime({"expires": expires}, now=NOW) == 900
    assert cache_lifetime({"expires": "0"}) is None
    assert cache_lifetime({}) is None


def test_backoff_doubles_and_caps() -> None:
    delays = [error_delay(BOUNDS, n) for n in range(1, 10)]
    assert delays[:4] == [1800, 3600, 7200, 14400]
    assert max(delays) == 86400 and delays[-1] == 86400
    assert error_delay(BOUNDS, 1, retry_after=7200) == 7200  # Retry-After wins when longer
    assert error_delay(BOUNDS, 3, retry_after=60) == 7200  # but never shortens a backoff
    assert error_delay(Bounds(1, 1, 4), 1, retry_after=3) == 3


def test_adaptive_interval_follows_publishing_rate() -> None:
    hourly = [iso(NOW - timedelta(hours=h, minutes=30)) for h in range(30)]  # the newest 30, one an hour
    assert adaptive_interval(hourly, BOUNDS, now=NOW) == pytest.approx(3600, rel=0.05)
    daily = [iso(NOW - timedelta(days=d, hours=12)) for d in range(3)]
    assert adaptive_interval(daily, BOUNDS, now=NOW) == pytest.approx(86400, rel=0.2)
    every_minute = [iso(NOW - timedelta(minutes=m)) for m in range(30)]
    assert adaptive_interval(every_minute, BOUNDS, now=NOW) == 300  # never below min_interval
    stale = [iso(NOW - timedelta(days=30 + d)) for d in range(10)]
    assert adaptive_interval(stale, BOUNDS, now=NOW) == 1800  # nothing this week: the configured interval
    assert adaptive_interval([], BOUNDS, now=NOW) == 1800


def test_jitter_and_rounding() -> None:
    rng = random.Random(4)
    values = [with_jitter(100, 0.1, rng) for _ in range(200)]
    assert 100 <= min(values) < 101 and 109 < max(values) <= 110  # never earlier than asked
    assert at(1.2, now=datetime(2025, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)) == "2025-01-01T00:00:02Z"
    assert at(2, now=datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:02Z"
