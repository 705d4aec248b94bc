"""Scheduler at scale: 10,000 servers' daily schedules in random time zones, 1,000 of them due in the same minute.

python -m benchmarks.scheduler [--servers 10000] [--due 1000] [--lead 45] [--window 60] [--seed 9] [--json PATH]

The real bot (`RevisionBot`, as in benchmarks/memory.py) runs in a child process against the fake Discord from
tests/fakediscord, which runs in this parent process, so the fake's own work does not show up as the bot's stall.
Schedules are written before start with the real repository (GuildRepository.save_schedule), each server in a
random IANA zone (zoneinfo.available_timezones(), seeded). --due of them get the local time that falls on one UTC
minute boundary T, at least --lead seconds after seeding; the fake world holds those servers and their channels,
so the real APScheduler fires them at T and the bot posts to the fake. The others are spread over the day but
never within 30 minutes, so they neither catch up at start nor fire during the run.

Measured in the child:
  registration  how long Delivery.start() takes (it reads every enabled schedule and adds one APScheduler job each),
                and Scheduler.start() after it (APScheduler puts the jobs added before it started in order)
  added memory  VmRSS after Delivery.start() minus VmRSS just before it (both after gc.collect())
  loop stall    a ticker task sleeps 10 ms in a loop and records how late it wakes; max and p99 over the
                --window seconds from T (the minute the --due schedules come due), over the whole run after
                ready, and the max before ready (start-up, registration included)
Measured in the parent (the fake): when each channel post arrived, relative to T, and how many 429s were sent.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from benchmarks._process import bot_env
from benchmarks.memory import CHANNEL_BASE, GUILD_BASE, status_kb

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
GOALS = {"registration_s": 2.0, "added_mb": 40.0, "stall_ms": 250.0}
TICK_S = 0.010
POSTS = r"/channels/\d+/messages$"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


# --- the child: runs the bot, times Delivery.start, runs the ticker --------------------------------------------


def child(due_at: float, window: float, tail: float) -> None:
    from bot.app import RevisionBot
    from bot.logging_setup import configure_logging
    from bot.runner import point_at_discord
    from bot.settings import Settings

    settings = Settings()
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    configure_logging(settings.log_level, (token,))
    point_at_discord(settings)
    samples: list[tuple[float, float]] = []  # (wall clock when it woke, lateness in ms)

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK_S)
            late = (loop.time() - before - TICK_S) * 1000
            samples.append((time.time(), late))

    async def run() -> dict[str, Any]:
        tick = asyncio.create_task(ticker())
        bot = RevisionBot(settings)
        registration: dict[str, Any] = {}
        original = bot.delivery.start

        async def timed_start() -> None:
            gc.collect()
            before = status_kb()
            started = time.perf_counter()
            await original()
            registration["registration_s"] = time.perf_counter() - started
            gc.collect()
            after = status_kb()
            registration["rss_before_kb"] = before["VmRSS"]
            registration["rss_after_kb"] = after["VmRSS"]
            registration["jobs"] = len(bot.scheduler.job_ids())

        start_scheduler = bot.scheduler.start

        def timed_scheduler_start() -> None:
            started = time.perf_counter()
            start_scheduler()
            registration["scheduler_start_s"] = time.perf_counter() - started

        bot.delivery.start = timed_start  # type: ignore[method-assign]
        bot.scheduler.start = timed_scheduler_start  # type: ignore[method-assign]
        task = asyncio.create_task(bot.start(token))
        started = time.perf_counter()
        while not bot.is_ready():
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        ready_s = time.perf_counter() - started
        ready_at = time.time()
        await asyncio.sleep(max(0.0, due_at + window + tail - time.time()))
        in_window = [late for at, late in samples if due_at <= at <= due_at + window]
        after_ready = [late for at, late in samples if at >= ready_at]
        before_ready = [late for at, late in samples if at < ready_at]
        worst_at = max((s for s in samples if due_at <= s[0] <= due_at + window), key=lambda s: s[1], default=(0, 0))
        report = {
            **registration,
            "ready_s": ready_s,
            "ready_before_due_s": due_at - ready_at,
            "rss_end_kb": status_kb()["VmRSS"],
            "ticks_in_window": len(in_window),
            "stall_max_ms": max(in_window, default=0.0),
            "stall_p99_ms": _pct(in_window, 99),
            "stall_p50_ms": _pct(in_window, 50),
            "worst_stall_after_due_s": worst_at[0] - due_at,
            "stall_max_after_ready_ms": max(after_ready, default=0.0),
            "stall_max_before_ready_ms": max(before_ready, default=0.0),
            "guilds": len(bot.guilds),
        }
        tick.cancel()
        await bot.close()
        await asyncio.wait({task}, timeout=10)
        return report

    print("REPORT " + json.dumps(asyncio.run(run())), flush=True)


# --- the parent: seeds, serves the fake Discord, starts the child ----------------------------------------------


def _zones(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    zones = sorted(zoneinfo.available_timezones())
    return [rng.choice(zones) for _ in range(count)]


async def seed(
    database: Path | str,
    servers: list[tuple[int, int]],
    due: int,
    due_at: datetime,
    zones: list[str],
    rng_seed: int,
) -> float:
    """Write one daily schedule per (guild id, channel id) in servers: the first `due` fire at due_at, the rest later.

    database is an SQLite file or a PostgreSQL URL; zones[i] is server i's time zone.
    """
    from bot.domain.entities import Schedule, ScheduleKind, Weekdays
    from bot.storage.db import Database
    from bot.storage.guilds import GuildRepository

    rng = random.Random(rng_seed)
    started = time.perf_counter()
    now = datetime.now(UTC)
    db = await Database.open(database)
    try:
        guilds = GuildRepository(db)
        for i, (guild_id, channel_id) in enumerate(servers):
            zone = zoneinfo.ZoneInfo(zones[i])
            if i < due:
                local = due_at.astimezone(zone)
                local_time = clock_time(local.hour, local.minute)
            else:
                local_now = now.astimezone(zone)
                # 30 minutes to 22.5 hours ahead: no catch-up at start (the last hour), none fires during the run.
                minutes = (local_now.hour * 60 + local_now.minute + 30 + rng.randrange(22 * 60)) % (24 * 60)
                local_time = clock_time(minutes // 60, minutes % 60)
            schedule = Schedule(
                guild_id=guild_id,
                kind=ScheduleKind.DAILY,
                channel_id=channel_id,
                local_time=local_time,
                weekdays=Weekdays.EVERY_DAY,
                close_after_minutes=60,
            )
            await guilds.save_with_schedule(schedule, zones[i], now)
    finally:
        await db.close()
    return time.perf_counter() - started


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from tests.fakediscord.server import FakeDiscord
    from tests.fakediscord.world import World

    world = World()
    due_channels = []
    for i in range(args.due):
        guild = world.add_guild(f"Server {i}")
        due_channels.append((guild.id, guild.add_text_channel("quiz").id))
    zones = _zones(args.seed, args.servers)
    # T: the first whole UTC minute at least --lead seconds after the seeding is expected to end (seeding ~1 ms/row).
    earliest = datetime.now(UTC) + timedelta(seconds=args.lead + args.servers / 1000)
    due_at = (earliest + timedelta(minutes=1)).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        await asyncio.to_thread(data.mkdir, parents=True)
        servers = due_channels + [(GUILD_BASE + i, CHANNEL_BASE + i) for i in range(args.due, args.servers)]
        seed_s = await seed(data / "revbot.sqlite3", servers, args.due, due_at, zones, args.seed)
        async with FakeDiscord(world) as fake:
            env = bot_env(fake, data)
            lead_s = due_at.timestamp() - time.time()
            print(f"seeded {args.servers} servers in {seed_s:.1f} s; {args.due} due at {due_at:%H:%M:%S} UTC "
                  f"({lead_s:.0f} s from now)", flush=True)  # fmt: skip
            if lead_s < 20:
                raise SystemExit("seeding took too long for the chosen --lead: raise it")
            mark = fake.mark()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.scheduler", "--child", str(due_at.timestamp()),
                "--window", str(args.window), "--tail", str(args.tail),
                cwd=data.parent, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=lead_s + args.window + args.tail + 300)
            text = out.decode()
            report = next(
                (json.loads(line[len("REPORT ") :]) for line in text.splitlines() if line.startswith("REPORT ")), None
            )
            if report is None:
                raise RuntimeError(f"the child reported nothing (exit {proc.returncode}):\n{text[-3000:]}")
            posts = [r for r in fake.requests_to("POST", POSTS, since=mark) if r.status is not None and r.status < 300]
            times = sorted(r.at for r in posts)
            wall_minus_mono = time.time() - time.monotonic()
            rate_limited = fake.rate_limits.count
            warnings = [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]
    due_ts = due_at.timestamp() - wall_minus_mono  # T on the fake's clock (time.monotonic())
    return {
        "servers": args.servers,
        "due": args.due,
        "seed_s": round(seed_s, 1),
        "registration_s": round(report["registration_s"], 3),
        "scheduler_start_s": round(report["scheduler_start_s"], 3),
        "jobs": report["jobs"],
        "rss_before_mb": round(report["rss_before_kb"] / 1024, 1),
        "rss_after_mb": round(report["rss_after_kb"] / 1024, 1),
        "added_mb": round((report["rss_after_kb"] - report["rss_before_kb"]) / 1024, 1),
        "rss_end_mb": round(report["rss_end_kb"] / 1024, 1),
        "ready_s": round(report["ready_s"], 2),
        "ready_before_due_s": round(report["ready_before_due_s"], 1),
        "window_s": args.window,
        "ticks_in_window": report["ticks_in_window"],
        "stall_max_ms": round(report["stall_max_ms"], 1),
        "stall_p99_ms": round(report["stall_p99_ms"], 1),
        "stall_p50_ms": round(report["stall_p50_ms"], 1),
        "worst_stall_after_due_s": round(report["worst_stall_after_due_s"], 2),
        "stall_max_after_ready_ms": round(report["stall_max_after_ready_ms"], 1),
        "stall_max_before_ready_ms": round(report["stall_max_before_ready_ms"], 1),
        "posted": len(posts),
        "first_post_after_due_s": round(times[0] - due_ts, 2) if times else None,
        "all_posted_after_due_s": round(times[-1] - due_ts, 2) if len(times) >= args.due else None,
        # Posts that arrived in each second after T: where the fan-out fell short of the pacer's rate.
        "posts_per_second": [
            sum(1 for t in times if second <= t - due_ts < second + 1) for second in range(int(times[-1] - due_ts) + 1)
        ]
        if times
        else [],
        "last_post_after_due_s": round(times[-1] - due_ts, 2) if times else None,
        "rate_limited_429s": rate_limited,
        "bot_warnings": len(warnings),
        "bot_warning_sample": warnings[:5],
        "goals": GOALS,
        "meets": {
            "registration": report["registration_s"] <= GOALS["registration_s"],
            "memory": (report["rss_after_kb"] - report["rss_before_kb"]) / 1024 <= GOALS["added_mb"],
            "stall": report["stall_max_ms"] <= GOALS["stall_ms"],
        },
    }


def _table(r: dict[str, Any]) -> str:
    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    all_posted = r["all_posted_after_due_s"]
    rows = [
        ("servers (daily schedules)", f"{r['servers']:,} ({r['jobs']:,} jobs)", ""),
        ("registration (Delivery.start)", f"{r['registration_s']:.2f} s",
         f"≤ {GOALS['registration_s']} s {mark(r['meets']['registration'])}"),
        ("then Scheduler.start (jobs in order)", f"{r['scheduler_start_s']:.2f} s", ""),
        ("worst loop stall before ready", f"{r['stall_max_before_ready_ms']:.0f} ms (start-up, registration)", ""),
        ("added RSS (around Delivery.start)", f"{r['added_mb']:.1f} MB ({r['rss_before_mb']} → {r['rss_after_mb']})",
         f"≤ {GOALS['added_mb']:.0f} MB {mark(r['meets']['memory'])}"),
        (f"worst loop stall, {r['window_s']} s from T", f"{r['stall_max_ms']:.0f} ms (p99 {r['stall_p99_ms']:.0f} ms)",
         f"≤ {GOALS['stall_ms']:.0f} ms {mark(r['meets']['stall'])}"),
        ("worst stall came at", f"T + {r['worst_stall_after_due_s']:.1f} s", ""),
        (f"{r['due']:,} due at T: posted", f"{r['posted']:,}", ""),
        ("first / last post after T", f"{r['first_post_after_due_s']} s / {r['last_post_after_due_s']} s", ""),
        ("all posted after T", f"{all_posted} s" if all_posted is not None else "not all", ""),
        ("429s sent by the fake", f"{r['rate_limited_429s']}", ""),
        ("bot ready before T", f"{r['ready_before_due_s']} s (ready in {r['ready_s']} s)", ""),
    ]  # fmt: skip
    return "\n".join(f"{what:<38} {value:<34} {goal}" for what, value, goal in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000, help="schedules that come due in the same minute")
    parser.add_argument("--lead", type=float, default=45.0, help="at least this many seconds from seeding to T")
    parser.add_argument("--window", type=float, default=60.0, help="seconds from T over which stalls are measured")
    parser.add_argument("--tail", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/scheduler.json")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.window, args.tail)
        return
    result = asyncio.run(measure(args))
    print(_table(result))
    info = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "when": datetime.now(UTC).isoformat()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, **result}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
