"""Leaderboard periods in a server's own timezone and week start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    ALL_TIME = "all"

    @property
    def label(self) -> str:
        return {"today": "Today", "week": "This week", "month": "This month", "all": "All time"}[self.value]


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open span of time [start, end) in UTC; None means unbounded."""

    start: datetime | None
    end: datetime | None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the first instant of a local day (which is not always 00:00 where clocks change)."""
    naive = datetime.combine(day, time(0, 0))
    aware = naive.replace(tzinfo=zone)
    # A local midnight that does not exist (a spring-forward at 00:00) resolves to the next valid instant.
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        return round_trip.astimezone(ZoneInfo("UTC"))
    return aware.astimezone(ZoneInfo("UTC"))


def week_start_date(day: date, week_start: int) -> date:
    """Return the first day of the week containing day (week_start: 0 Monday to 6 Sunday)."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def period_window(period: Period, now: datetime, zone: ZoneInfo, week_start: int = 0) -> Window:
    """Return the UTC window of the period that contains now, in the server's timezone."""
    today = now.astimezone(zone).date()
    if period is Period.ALL_TIME:
        return Window(None, None)
    if period is Period.TODAY:
        first, after = today, today + timedelta(days=1)
    elif period is Period.WEEK:
        first = week_start_date(today, week_start)
        after = first + timedelta(days=7)
    else:
        first = today.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    return Window(local_midnight(first, zone), local_midnight(after, zone))


def week_key(when: datetime, zone: ZoneInfo, week_start: int) -> str:
    """Return the local date (ISO) the week containing this moment starts on, in a server's terms."""
    return week_start_date(when.astimezone(zone).date(), week_start).isoformat()
