"""One APScheduler for the bot: jobs that post at each server's local time and close posts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.domain.entities import GuildSettings, ScheduleKind

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 30 * 60  # a post delayed by a stalled loop still goes out if it is under 30 minutes late

SlotJob = Callable[[int, str], Awaitable[None]]
CloseJob = Callable[[int], Awaitable[None]]


def slot_job_id(guild_id: int, kind: ScheduleKind) -> str:
    return f"slot:{guild_id}:{kind.value}"


def close_job_id(post_id: int) -> str:
    return f"close:{post_id}"


class Scheduler:
    """Wraps AsyncIOScheduler with explicit job ids; job state lives in the database, not here."""

    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_S, "max_instances": 1},
        )

    def start(self) -> None:
        if not self._aps.running:
            self._aps.start()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def schedule_slot(self, settings: GuildSettings, kind: ScheduleKind, run_at: datetime, job: SlotJob) -> None:
        """Run job(guild_id, kind) at run_at, replacing this server's previous job of the kind."""
        self._aps.add_job(
            job,
            DateTrigger(run_date=run_at.astimezone(settings.zone), timezone=settings.zone),
            args=(settings.guild_id, kind.value),
            id=slot_job_id(settings.guild_id, kind),
            replace_existing=True,
            name=f"post {kind.value} for server {settings.guild_id}",
        )

    def schedule_close(self, post_id: int, run_at: datetime, job: CloseJob) -> None:
        """Run job(post_id) at run_at."""
        self._aps.add_job(
            job,
            DateTrigger(run_date=run_at, timezone=UTC),
            args=(post_id,),
            id=close_job_id(post_id),
            replace_existing=True,
            name=f"close post {post_id}",
        )

    def schedule_at(self, job_id: str, run_at: datetime, job: Callable[..., Awaitable[None]], *args: object) -> None:
        """Run job(*args) once at run_at under an explicit id (class-quiz timers and the like)."""
        self._aps.add_job(
            job, DateTrigger(run_date=run_at, timezone=UTC), args=args, id=job_id, replace_existing=True, name=job_id
        )

    def remove(self, job_id: str) -> None:
        """Remove a job if it is still scheduled."""
        self._remove(job_id)

    def remove_slot(self, guild_id: int, kind: ScheduleKind) -> None:
        self._remove(slot_job_id(guild_id, kind))

    def _remove(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._aps.get_jobs())

    def run_soon(self, job_id: str, when: datetime) -> bool:
        """Move a job to run at when (used to catch up after downtime, and by tests)."""
        job = self._aps.get_job(job_id)
        if job is None:
            return False
        job.modify(next_run_time=when)
        return True
