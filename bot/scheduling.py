"""One APScheduler for the bot: jobs that post at each server's local time and close posts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.domain.entities import GuildSettings, ScheduleKind

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 30 * 60  # a post delayed by a stalled loop still goes out if it is under 30 minutes late

SlotJob = Callable[[int, str], Awaitable[None]]
CloseJob = Callable[[int], Awaitable[None]]
JobFunc = Callable[..., Awaitable[None]]

_APS_LOG = logging.getLogger("apscheduler.scheduler")


def slot_job_id(guild_id: int, kind: ScheduleKind) -> str:
    return f"slot:{guild_id}:{kind.value}"


def close_job_id(post_id: int) -> str:
    return f"close:{post_id}"


def send_job_id(post_id: int) -> str:
    return f"send:{post_id}"


def reveal_job_id(post_id: int) -> str:
    return f"reveal:{post_id}"


class Scheduler:
    """Wraps AsyncIOScheduler with explicit job ids; job state lives in the database, not here."""

    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_S, "max_instances": 1},
        )
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False

    def start(self) -> None:
        """Start running jobs; the jobs added before are put in order here, in one pass."""
        if not self._aps.running:
            with self.adding_many():
                self._aps.start()
            log.info("scheduler started with %d jobs", len(self._aps.get_jobs()))

    @contextlib.contextmanager
    def adding_many(self) -> Iterator[None]:
        """Leave out APScheduler's INFO line per job added ("Adding job tentatively", "Added job") for a while.

        At start, 10,000 schedules mean 20,000 such lines, which took longer than adding the jobs; the
        caller logs one line for the lot instead. At DEBUG they are kept. Use it around code that does
        not await, so no other task's lines are lost.
        """
        if _APS_LOG.isEnabledFor(logging.DEBUG) or not _APS_LOG.isEnabledFor(logging.INFO):
            yield
            return
        level = _APS_LOG.level
        _APS_LOG.setLevel(logging.WARNING)
        try:
            yield
        finally:
            _APS_LOG.setLevel(level)

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109 - shutdown must not hang forever
        """Start no more jobs, let the running ones finish for up to timeout seconds, cancel the rest, shut down.

        Every job keeps its state in the database, so one cancelled here is taken up again at the next start.
        """
        if not self._aps.running:
            return
        self._stopping = True
        self._aps.pause()
        await asyncio.sleep(0)  # a job submitted just before the pause gets to start and be counted
        running = {t for t in self._running if t is not asyncio.current_task()}
        if running:
            log.info("waiting up to %.0f s for %d jobs in flight", timeout, len(running))
            _, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning("stopped %d jobs that were still running; they resume at the next start", len(late))
        self._aps.shutdown(wait=False)

    def schedule_slot(self, settings: GuildSettings, kind: ScheduleKind, run_at: datetime, job: SlotJob) -> None:
        """Run job(guild_id, kind) at run_at, replacing this server's previous job of the kind."""
        zone = settings.zone
        self._add(
            job,
            DateTrigger(run_date=run_at.astimezone(zone), timezone=zone),
            (settings.guild_id, kind.value),
            slot_job_id(settings.guild_id, kind),
            f"post {kind.value} for server {settings.guild_id}",
        )

    def schedule_close(self, post_id: int, run_at: datetime, job: CloseJob) -> None:
        """Run job(post_id) at run_at."""
        trigger = DateTrigger(run_date=run_at, timezone=UTC)
        self._add(job, trigger, (post_id,), close_job_id(post_id), f"close post {post_id}")

    def schedule_at(self, job_id: str, run_at: datetime, job: JobFunc, *args: object) -> None:
        """Run job(*args) once at run_at under an explicit id (class-quiz timers and the like)."""
        self._add(job, DateTrigger(run_date=run_at, timezone=UTC), args, job_id, job_id)

    def _add(self, job: JobFunc, trigger: DateTrigger, args: tuple[object, ...], job_id: str, name: str) -> None:
        """Add or replace a job (misfire grace, coalescing and max instances come from the job defaults)."""
        self._aps.add_job(self._run, trigger, args=(job, *args), id=job_id, replace_existing=True, name=name)

    async def _run(self, job: JobFunc, *args: object) -> None:
        """Run a job, counted as running so that stop() can wait for it."""
        task = asyncio.current_task()
        if task is None or self._stopping:
            return
        self._running.add(task)  # type: ignore[arg-type]
        try:
            await job(*args)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # stop() gave up waiting: the job's work is still marked in the database and resumes at the next start.
            log.info("job cancelled at shutdown job=%s", getattr(job, "__name__", job))
        finally:
            self._running.discard(task)  # type: ignore[arg-type]

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
        """Move a job to run at when: the controlled clock for APScheduler that end-to-end tests use."""
        job = self._aps.get_job(job_id)
        if job is None:
            return False
        job.modify(next_run_time=when)
        return True
