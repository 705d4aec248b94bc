"""Registering every schedule at start: each job exactly once, in chunks that let the event loop run, quietly."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot import delivery as delivery_module
from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.delivery import CATCH_UP_DELAY, Delivery
from bot.domain.entities import GuildSettings, Schedule, ScheduleKind, Weekdays
from bot.domain.shards import ShardFilter
from bot.domain.slots import next_slot
from bot.scheduling import Scheduler, slot_job_id
from bot.services.container import Services, build_services
from tests.conftest import Core

CONTENT = Path(__file__).resolve().parents[1] / "content"
ZONES = ("Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "America/St_Johns")
CHUNK = 4
SERVERS = 11  # three chunks of CHUNK, the last one short
CATCH_UP_GUILD = 100  # London, 08:30 daily: missed at 09:00 UTC (START), still open for an hour
DISABLED_GUILD = 101


class CountingScheduler(Scheduler):
    """The real scheduler, noting each slot job added and how often the event loop had run by then."""

    def __init__(self, loop_turns: Callable[[], int]) -> None:
        super().__init__()
        self.added: Counter[str] = Counter()
        self.turns_at_add: list[int] = []
        self._loop_turns = loop_turns

    def schedule_slot(
        self, settings: GuildSettings, kind: ScheduleKind, run_at: datetime, job: Callable[[int, str], Awaitable[None]]
    ) -> None:
        self.added[slot_job_id(settings.guild_id, kind)] += 1
        self.turns_at_add.append(self._loop_turns())
        super().schedule_slot(settings, kind, run_at, job)


class FakeBot:
    """What Delivery uses of the bot: its services, its scheduler and its shards (all of them)."""

    def __init__(self, services: Services, scheduler: Scheduler) -> None:
        self.services = services
        self.scheduler = scheduler
        self.shard_filter = ShardFilter()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


@pytest.fixture
async def schedules(core: Core) -> AsyncIterator[list[tuple[Schedule, GuildSettings]]]:
    """SERVERS servers in several zones, each with a daily schedule and every third also a weekly one."""
    now = core.clock.now()
    for i in range(SERVERS):
        guild_id = CATCH_UP_GUILD + i
        settings = GuildSettings(guild_id, timezone=ZONES[i % len(ZONES)])
        await core.guilds.save(settings, now)
        local_time = time(8, 30) if guild_id == CATCH_UP_GUILD else time(6 + i, 40)
        weekdays = Weekdays.EVERY_DAY if i % 2 else Weekdays.WEEKDAYS
        daily = Schedule(guild_id, ScheduleKind.DAILY, 500 + i, local_time, weekdays, close_after_minutes=60)
        await core.guilds.save_schedule(daily, now)
        if i % 3 == 0:
            await core.guilds.save_schedule(Schedule(guild_id, ScheduleKind.WEEKLY, 500 + i, time(18), weekdays), now)
    await core.guilds.set_enabled(DISABLED_GUILD, ScheduleKind.DAILY, False)
    yield await core.guilds.enabled_schedules()


async def test_every_schedule_gets_one_job_in_chunks_that_yield(
    core: Core,
    catalog: Catalog,
    schedules: list[tuple[Schedule, GuildSettings]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each enabled schedule is added once (missed ones to catch up); chunks are separated by a turn of the loop."""
    monkeypatch.setattr(delivery_module, "REGISTER_AT_ONCE", CHUNK)
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    scheduler = CountingScheduler(lambda: turns)
    services = build_services(core.db, catalog, core.clock)
    delivery = Delivery(FakeBot(services, scheduler))  # type: ignore[arg-type]
    ticker = asyncio.create_task(other_task())
    try:
        await delivery.start()
    finally:
        ticker.cancel()
    scheduler.start()
    try:
        expected = {slot_job_id(s.guild_id, s.kind) for s, _ in schedules}
        assert slot_job_id(DISABLED_GUILD, ScheduleKind.DAILY) not in expected
        assert len(schedules) == SERVERS - 1 + math.ceil(SERVERS / 3)
        assert scheduler.added == Counter(expected)  # every job exactly once
        assert scheduler.job_ids() == sorted(expected)
        chunks = math.ceil(len(schedules) / CHUNK)
        assert len(set(scheduler.turns_at_add)) == chunks > 1  # the loop ran between chunks, never inside one
        now = core.clock.now()
        for schedule, settings in schedules:
            job_id = slot_job_id(schedule.guild_id, schedule.kind)
            if (schedule.guild_id, schedule.kind) == (CATCH_UP_GUILD, ScheduleKind.DAILY):
                assert scheduler.next_run(job_id) == now + CATCH_UP_DELAY
            else:
                assert scheduler.next_run(job_id) == next_slot(
                    schedule.local_time, schedule.weekdays, settings.zone, now
                )
    finally:
        await scheduler.stop(timeout=1)


async def test_registration_logs_one_line_not_one_per_job(
    core: Core,
    catalog: Catalog,
    schedules: list[tuple[Schedule, GuildSettings]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """APScheduler's line per job added is left out at start; the bot says how many slots it scheduled."""
    caplog.set_level(logging.INFO)
    scheduler = Scheduler()
    delivery = Delivery(FakeBot(build_services(core.db, catalog, core.clock), scheduler))  # type: ignore[arg-type]
    await delivery.start()
    scheduler.start()
    try:
        messages = [r.getMessage() for r in caplog.records]
        assert not [m for m in messages if "Adding job tentatively" in m or m.startswith("Added job")]
        assert f"scheduled {len(schedules)} slots in {len(ZONES)} time zones (1 catching up)" in messages
        assert f"scheduler started with {len(schedules)} jobs" in messages
        assert logging.getLogger("apscheduler.scheduler").level == logging.NOTSET  # put back as it was
        scheduler.schedule_close(1, core.clock.now() + timedelta(hours=1), delivery.close_post)
        assert any(m.startswith('Added job "close post 1"') for m in (r.getMessage() for r in caplog.records))
    finally:
        await scheduler.stop(timeout=1)


async def test_a_job_gets_its_arguments() -> None:
    """A job added with arguments runs with them."""
    ran: list[tuple[int, str]] = []

    async def job(guild_id: int, kind_value: str) -> None:
        ran.append((guild_id, kind_value))

    scheduler = Scheduler()
    scheduler.schedule_at("a", datetime.now().astimezone(), job, 1, "daily")
    scheduler.start()
    try:
        for _ in range(100):
            if ran:
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop(timeout=1)
    assert ran == [(1, "daily")]
