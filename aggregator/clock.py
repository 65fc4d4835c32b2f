"""Time, injectable: the daemon, the pipeline and the store ask a Clock, so a test can run weeks in seconds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

STAMP = "%Y-%m-%dT%H:%M:%SZ"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def stamp(self) -> str:
        """The current time as the archive stores it."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def stamp(self) -> str:
        return self.now().strftime(STAMP)


class SimulatedClock:
    """A clock that moves only when told to (thread-safe: the test site reads it from its own thread)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock starts at an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def stamp(self) -> str:
        return self.now().strftime(STAMP)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=max(seconds, 0.0))
            return self._now

    def set(self, when: datetime) -> datetime:
        """Move to `when` (never backwards)."""
        with self._lock:
            self._now = max(self._now, when.astimezone(UTC))
            return self._now


def utcnow() -> str:
    """The system time as the archive stores it."""
    return datetime.now(UTC).strftime(STAMP)


def parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
