"""HTTP dates (Retry-After, Expires) as seconds from now."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def seconds_until(http_date: str, now: datetime | None = None) -> float | None:
    """Seconds from `now` until an HTTP-date (never negative), or None when it is not a date."""
    try:
        when = email.utils.parsedate_to_datetime(http_date.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
