"""Time, injected: the system clock in production, a controlled one in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time, timezone-aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (for tests and benchmarks)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def to_ms(when: datetime) -> int:
    """Return UTC milliseconds since the epoch for an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("naive datetimes are not allowed")
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Return the aware UTC datetime for milliseconds since the epoch."""
    return datetime.fromtimestamp(ms / 1000, UTC)
