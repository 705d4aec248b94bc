"""When a schedule's next post is due: local times in a server's timezone, across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.entities import Weekdays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_DAY = timedelta(days=1)


def slot_on(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a local time on a day.

    A time skipped when clocks go forward (01:30 in London on the last Sunday of March) is moved
    forward by the gap; a time that happens twice when clocks go back is taken the first time.
    """
    # This runs several times per schedule when the bot starts, so it avoids datetime.replace (slow
    # with keywords): combine() attaches the zone, and two datetimes with the same tzinfo compare by
    # their wall clock alone, which is how a local time that does not exist shows itself.
    first = datetime.combine(day, local_time, zone)
    if first.fold:
        first = first.replace(fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone) != first:
        # The local time does not exist. Reading it with the offset from before the change gives the
        # instant as far after the change as the time was after the jump (01:30 -> 02:30 BST).
        naive = datetime.combine(day, local_time)
        offsets = [naive.replace(tzinfo=zone, fold=f).utcoffset() or timedelta(0) for f in (0, 1)]
        utc = (naive - min(offsets)).replace(tzinfo=UTC)
    return utc


def _on_day(weekdays: Weekdays, weekday: int) -> bool:
    """Weekdays.includes on the plain int: Flag arithmetic builds enum members, several times per schedule."""
    return bool(int(weekdays) >> weekday & 1)


def next_slot(local_time: time, weekdays: Weekdays, zone: ZoneInfo, after: datetime) -> datetime | None:
    """Return the first slot strictly after a moment, or None if no weekday is chosen."""
    if not weekdays:
        return None
    day = after.astimezone(zone).date() - ONE_DAY
    for _ in range(9):
        if _on_day(weekdays, day.weekday()):
            candidate = slot_on(day, local_time, zone)
            if candidate > after:
                return candidate
        day += ONE_DAY
    return None  # pragma: no cover - a non-empty set of weekdays always matches within 8 days


def last_slot(local_time: time, weekdays: Weekdays, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Return the latest slot at or before a moment, within the week before it, or None if there is none."""
    day = now.astimezone(zone).date()
    for _ in range(8):
        if _on_day(weekdays, day.weekday()):
            candidate = slot_on(day, local_time, zone)
            if candidate <= now:
                return candidate
        day -= ONE_DAY
    return None


def slot_today(local_time: time, weekdays: Weekdays, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Return today's slot (local date of now) if today is a chosen weekday, else None."""
    today = now.astimezone(zone).date()
    return slot_on(today, local_time, zone) if _on_day(weekdays, today.weekday()) else None


def parse_weekdays(text: str) -> Weekdays:
    """Read 'every day', 'weekdays', 'weekends' or a list such as 'mon, wed, fri'."""
    cleaned = text.strip().lower().replace("–", "-")
    named = {
        "every day": Weekdays.EVERY_DAY,
        "everyday": Weekdays.EVERY_DAY,
        "daily": Weekdays.EVERY_DAY,
        "weekdays": Weekdays.WEEKDAYS,
        "mon-fri": Weekdays.WEEKDAYS,
        "weekends": Weekdays.SAT | Weekdays.SUN,
    }
    if cleaned in named:
        return named[cleaned]
    result = Weekdays(0)
    for part in cleaned.replace(" ", ",").split(","):
        if not part:
            continue
        key = part[:3]
        if key not in DAY_NAMES or not DAY_NAMES[DAY_NAMES.index(key)].startswith(part[:3]):
            raise ValueError(
                f"{part!r} is not a day. Use 'every day', 'weekdays', 'weekends' or days such as 'mon, wed, fri'."
            )
        result |= Weekdays(1 << DAY_NAMES.index(key))
    if not result:
        raise ValueError("Choose at least one day: 'every day', 'weekdays', 'weekends' or e.g. 'mon, wed, fri'.")
    return result


def describe_weekdays(weekdays: Weekdays) -> str:
    """Return a short description such as 'every day', 'weekdays' or 'Mon, Wed, Fri'."""
    if weekdays == Weekdays.EVERY_DAY:
        return "every day"
    if weekdays == Weekdays.WEEKDAYS:
        return "weekdays"
    if weekdays == Weekdays.SAT | Weekdays.SUN:
        return "weekends"
    return ", ".join(name.title() for i, name in enumerate(DAY_NAMES) if weekdays.includes(i))


def parse_local_time(text: str) -> time:
    """Read a 24-hour time such as '09:00' or '9:30'."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time. Use the 24-hour clock, for example 09:00 or 18:30.") from None
