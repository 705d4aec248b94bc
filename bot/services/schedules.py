"""Setting a server's schedules: check what a tutor gave, then save the settings and the schedule together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.clock import Clock
from bot.domain.entities import GuildSettings, Schedule, ScheduleKind
from bot.domain.slots import next_slot, parse_local_time, parse_weekdays
from bot.storage.guilds import GuildRepository


class InvalidSchedule(ValueError):
    """A schedule option that cannot be used; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class SavedSchedule:
    """A schedule just saved, the server's settings with it, and when it next posts."""

    schedule: Schedule
    settings: GuildSettings
    next_at: datetime | None


def zone_named(name: str) -> ZoneInfo:
    """Return the IANA timezone of this name, or say it is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file name
        shown = name if len(name) <= 64 else name[:63] + "…"
        raise InvalidSchedule(
            f"{shown!r} is not a timezone I know. Start typing a place and pick from the list, e.g. Europe/London."
        ) from None


class ScheduleService:
    """Creates and replaces servers' schedules."""

    def __init__(self, guilds: GuildRepository, clock: Clock) -> None:
        self._guilds = guilds
        self._clock = clock

    async def save(
        self,
        guild_id: int,
        kind: ScheduleKind,
        channel_id: int,
        time_text: str,
        days_text: str,
        *,
        timezone: str | None = None,
        role_id: int | None = None,
        close_after_hours: int = 12,
        course_id: str | None = None,
    ) -> SavedSchedule:
        """Check the options, then save the schedule and the server's timezone in one transaction.

        A timezone given here becomes the server's; without one the server's own is used. Without a course
        the schedule posts from the server's course.
        """
        settings = await self._guilds.get(guild_id)
        zone = zone_named(timezone) if timezone else settings.zone
        try:
            local_time = parse_local_time(time_text)
            weekdays = parse_weekdays(days_text)
        except ValueError as exc:
            raise InvalidSchedule(str(exc)) from None
        schedule = Schedule(
            guild_id, kind, channel_id, local_time, weekdays, role_id, close_after_hours * 60, course_id=course_id
        )
        now = self._clock.now()
        settings = await self._guilds.save_with_schedule(schedule, zone.key, now)
        return SavedSchedule(schedule, settings, next_slot(local_time, weekdays, settings.zone, now))
