"""When to poll a feed next: the configured interval, the publisher's hints, and error backoff."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aggregator.fetch.httpdates import seconds_until

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Bounds:
    interval: float  # the feed's configured interval
    min_interval: float
    max_interval: float


def cache_lifetime(headers: dict[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server says the response stays fresh (Cache-Control max-age, else Expires)."""
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    return seconds_until(expires, now) if expires else None


# A poll is due before this share of the feed window has been replaced by new posts (the rest is margin for
# bursts and for the rate's error).
WINDOW_SAFETY = 0.5


def success_delay(
    bounds: Bounds,
    *hints: float | None,
    own_interval: bool = False,
    window: int | None = None,
    rate: float | None = None,
) -> float:
    """Delay after a good poll: never a hint that could cost posts.

    own_interval: the feed's own configured interval, which is what the user asked for: hints never change it.
    Otherwise a publisher hint (ttl, sy:updatePeriod, max-age) may lengthen the delay only up to the time the
    observed publishing rate (posts per second) needs to replace WINDOW_SAFETY of the feed window (its number
    of entries); with no window or rate known, hints are ignored. The same bound shortens a global or adaptive
    interval that would let the window overflow. Always within min_interval..max_interval.
    """
    delay = bounds.interval
    if not own_interval:
        safe = WINDOW_SAFETY * window / rate if window and rate and rate > 0 else None
        if window and rate == 0:
            safe = bounds.max_interval  # nothing published lately: no post can scroll out unseen
        if safe is not None:
            for hint in hints:
                if hint is not None and hint > delay:
                    delay = min(hint, max(safe, bounds.interval))
            delay = min(delay, safe)
    return min(max(delay, bounds.min_interval), bounds.max_interval)


def publishing_rate(publish_times: list[str], now: datetime | None = None) -> float:
    """Posts per second over the last week (0.0 with fewer than two posts in it)."""
    now = now or datetime.now(UTC)
    week_ago = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = sorted(t for t in publish_times if t >= week_ago)
    if len(recent) < 2:
        return 0.0
    oldest = datetime.strptime(recent[0][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    newest = datetime.strptime(recent[-1][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    # The span up to now, not to the newest post: a feed that went quiet slows down; a burst (many posts in
    # little time) still counts at its full weight once it is the newest thing.
    span = max((max(now, newest) - oldest).total_seconds(), 1.0)
    return (len(recent) - 1) / span


def error_delay(bounds: Bounds, consecutive_errors: int, retry_after: float | None = None) -> float:
    """Exponential backoff from the interval, capped at max_interval; Retry-After wins when longer."""
    exponent = max(0, consecutive_errors - 1)
    delay = min(bounds.interval * (1 << min(exponent, 20)), bounds.max_interval)
    if retry_after is not None:
        delay = max(delay, min(retry_after, bounds.max_interval * 7))
    return max(delay, bounds.min_interval if retry_after is None else 0.0)


def with_jitter(delay: float, fraction: float = 0.1, rng: random.Random | None = None) -> float:
    """Spread polls so feeds configured together do not all fire in the same second.

    Only ever later: a delay may be a lower bound (Retry-After, ttl, min_interval) that must hold.
    """
    return delay * (1 + (rng or random).uniform(0, fraction))


def at(delay: float, now: datetime | None = None) -> str:
    """The time `delay` seconds from now, rounded up to the whole second (never earlier than asked)."""
    when = (now or datetime.now(UTC)) + timedelta(seconds=delay)
    if when.microsecond:
        when += timedelta(microseconds=1_000_000 - when.microsecond)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def adaptive_interval(publish_times: list[str], bounds: Bounds, now: datetime | None = None) -> float:
    """Interval from the feed's publishing rate: the average gap between its recent entries.

    `publish_times` are the newest entries' times (any order). Only the last week counts; with fewer
    than two entries in it the configured interval stands. Always within bounds.
    """
    now = now or datetime.now(UTC)
    week_ago = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = [t for t in publish_times if t >= week_ago]
    if len(recent) < 2:
        return min(max(bounds.interval, bounds.min_interval), bounds.max_interval)
    oldest = datetime.strptime(min(recent)[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    interval = max((now - oldest).total_seconds(), 1.0) / len(recent)
    return min(max(interval, bounds.min_interval), bounds.max_interval)
