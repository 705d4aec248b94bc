"""Server settings and schedules as stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from bot.domain.entities import GuildSettings, Schedule, ScheduleKind
from tests.conftest import Core


async def test_saving_a_schedule_sets_the_timezone_and_keeps_the_rest_as_stored(core: Core) -> None:
    """A schedule saved with a timezone keeps a tutor role and week start set since the caller last read them."""
    now = core.clock.now()
    await core.guilds.save(GuildSettings(7), now)
    await core.guilds.save(replace(GuildSettings(7), tutor_role_id=99, week_start=6), now)  # meanwhile
    schedule = Schedule(7, ScheduleKind.DAILY, 123, time(9, 0))
    saved = await core.guilds.save_with_schedule(schedule, "Europe/Paris", now)
    stored = await core.guilds.get(7)
    assert stored == saved == GuildSettings(7, timezone="Europe/Paris", week_start=6, tutor_role_id=99)
    assert [s.channel_id for s in await core.guilds.schedules(7)] == [123]
