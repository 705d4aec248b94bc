"""What the owner's /admin status shows: how long the bot has run, what it serves, and what it is waiting to do."""

from __future__ import annotations

import math
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage.shard_reports import ShardReport

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

SOONEST_SHOWN = 5
_JOB_ID = re.compile(r"^(?:slot:(?P<guild>\d+):(?P<kind>\w+)|close:(?P<post>\d+))$")


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job, named for people."""

    job_id: str
    label: str
    next_run: datetime | None


@dataclass(frozen=True, slots=True)
class ShardStatus:
    """One of this process's shards: its id, heartbeat latency and the servers on it."""

    shard_id: int
    latency_s: float | None
    servers: int


@dataclass(frozen=True, slots=True)
class BotStatus:
    """A snapshot of the running bot."""

    uptime: timedelta
    servers: int
    job_count: int
    soonest: tuple[Job, ...]
    database: str
    database_bytes: int
    content_version: str
    content_summary: str
    memory_bytes: int | None
    shard_count: int
    shards: tuple[ShardStatus, ...]


async def collect_status(bot: RevisionClient) -> BotStatus:
    """Return the bot's status now (cheap: no Discord calls, one look at the database's size)."""
    services = bot.services
    jobs = [Job(job_id, job_label(job_id), bot.scheduler.next_run(job_id)) for job_id in bot.scheduler.job_ids()]
    upcoming = sorted(
        (j for j in jobs if j.next_run is not None), key=lambda j: j.next_run.timestamp() if j.next_run else 0
    )
    return BotStatus(
        uptime=services.clock.now() - bot.started_at,
        servers=len(bot.guilds),
        job_count=len(jobs),
        soonest=tuple(upcoming[:SOONEST_SHOWN]),
        database=services.db.describe(),
        database_bytes=await services.db.size_bytes(),
        content_version=services.catalog.version[:12],
        content_summary=services.catalog.summary(),
        memory_bytes=resident_memory(),
        shard_count=bot.shard_count or 1,
        shards=shards_here(bot),
    )


def shards_here(bot: RevisionClient) -> tuple[ShardStatus, ...]:
    """Return this process's shards, with their latency and servers."""
    return tuple(
        ShardStatus(
            shard_id,
            None if math.isinf(info.latency) else info.latency,  # inf until its first heartbeat answer
            sum(1 for g in bot.guilds if g.shard_id == shard_id),
        )
        for shard_id, info in sorted(bot.shards.items())
    )


async def report_shards(bot: RevisionClient) -> None:
    """Record this process's shards in the database, where `revbot doctor` reads every process's."""
    now, process = bot.services.clock.now(), f"{socket.gethostname()}:{os.getpid()}"
    await bot.services.shard_reports.save(
        [
            ShardReport(
                s.shard_id,
                bot.shard_count or 1,
                None if s.latency_s is None else round(s.latency_s * 1000),
                s.servers,
                process,
                now,
            )
            for s in shards_here(bot)
        ]
    )


def job_label(job_id: str) -> str:
    """Return what a job does, from its id: 'daily post, server 123' or 'close post 45'."""
    match = _JOB_ID.match(job_id)
    if match is None:
        return job_id
    if match.group("post"):
        return f"close post {match.group('post')}"
    return f"{match.group('kind')} post, server {match.group('guild')}"


def resident_memory(pid: int | str = "self") -> int | None:
    """Return a process's resident memory (VmRSS) in bytes, or None where /proc is not available."""
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def duration(span: timedelta) -> str:
    """Return a span as days, hours and minutes, e.g. '2 d 3 h 5 min' (seconds under a minute)."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours or days else "", f"{minutes} min"]
    return " ".join(p for p in parts if p)
