"""Measure the bot's resident memory (VmRSS) after start-up: no servers, and 10,000 servers' schedules.

python -m benchmarks.memory [--servers 10000] [--settle 3] [--only NAME ...] [--trace] [--json PATH]

Each row is a fresh process running the real bot (`RevisionBot`, logging, Discord endpoints, as `revbot run`
does) against the fake Discord from tests/fakediscord, which runs in this parent process. The child waits until
the bot is ready, lets it settle, collects garbage, and reports VmRSS and VmHWM from /proc/self/status, the
number of scheduler jobs and the servers it sees. Schedules are written before start with the real repository
(GuildRepository.save_schedule), so Delivery.start() schedules them as it would on a server.

Rows:
  imports          the floor: a process that only imports the bot, its cogs and its libraries
  idle-cold        start-up with the shipped content and no servers, the content cache not yet built
  idle-warm        the same start again, the content cache built (the usual start)
  revbot-run       `python -m bot run` with no servers, measured from outside (checks the harness)
  schedules        --servers servers with a daily schedule each (warm cache; the bot sees no guilds)
  schedules-x3     --servers servers with daily, spot and weekly schedules (3 jobs each)
  schedules-guilds --servers servers' daily schedules, and the same servers in the gateway cache
--trace adds a tracemalloc breakdown (by package) to each bot row; it costs memory, so RSS is then higher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from benchmarks._process import bot_env

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
GOALS_MB = {"idle": 64, "schedules": 128}
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
# What the bot imports, in steps, to see what the floor is made of (each step includes what it pulls in).
IMPORT_STEPS = (
    ("asyncio, ssl, sqlite3, zoneinfo", ("asyncio", "ssl", "sqlite3", "zoneinfo")),
    ("PyYAML", ("yaml",)),
    ("pydantic, pydantic-settings", ("pydantic", "pydantic_settings")),
    ("aiohttp", ("aiohttp",)),
    ("discord.py", ("discord", "discord.ext.commands")),
    ("APScheduler, aiosqlite, fsrs", ("apscheduler.schedulers.asyncio", "aiosqlite", "fsrs")),
    (
        "bot and cogs",
        ("bot.app", "bot.runner", "cogs.admin", "cogs.leaderboard", "cogs.post", "cogs.setup", "cogs.study"),
    ),
)
GUILD_BASE = 900_000_000_000_000_000
CHANNEL_BASE = 800_000_000_000_000_000


def status_kb(pid: int | str = "self") -> dict[str, int]:
    """Return VmRSS, VmHWM (peak), RssAnon (private) and RssFile (mapped files: code, shared libraries) in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0])
    return out


# --- the child: runs the bot and reports ---------------------------------------------------------------------


def child(trace: bool, settle: float) -> None:
    if trace:
        import tracemalloc

        tracemalloc.start(12)
    import gc

    import discord

    from bot.app import RevisionBot
    from bot.logging_setup import configure_logging
    from bot.runner import point_at_discord
    from bot.settings import Settings

    settings = Settings()
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    configure_logging(settings.log_level, (token,))
    point_at_discord(settings)

    async def run() -> dict[str, Any]:
        bot = RevisionBot(settings)
        task = asyncio.create_task(bot.start(token))
        started = time.perf_counter()
        while not bot.is_ready():
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        ready_s = time.perf_counter() - started
        await asyncio.sleep(settle)
        gc.collect()
        report: dict[str, Any] = {
            **status_kb(),
            "jobs": len(bot.scheduler.job_ids()),
            "guilds": len(bot.guilds),
            "ready_s": round(ready_s, 2),
            "discord_py": discord.__version__,
        }
        if trace:
            report["traced"] = _traced()
        await bot.close()
        await asyncio.wait({task}, timeout=10)
        return report

    print("REPORT " + json.dumps(asyncio.run(run())), flush=True)


def _traced() -> dict[str, Any]:
    import tracemalloc

    snapshot = tracemalloc.take_snapshot()
    by_package: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        by_package[_package(stat.traceback[0].filename)] = (
            by_package.get(_package(stat.traceback[0].filename), 0) + stat.size
        )
    current, peak = tracemalloc.get_traced_memory()
    top = sorted(by_package.items(), key=lambda kv: -kv[1])[:15]
    return {"current_kb": current // 1024, "peak_kb": peak // 1024, "top_kb": {k: v // 1024 for k, v in top}}


def _package(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if str(ROOT) in filename:
        return "/".join(path.relative_to(ROOT).parts[:2])
    if "<frozen" in filename or "/lib/python3" in filename:
        return "stdlib"
    return filename


def imports_only() -> None:
    import gc
    import importlib

    steps = [{"step": "python and this script", **status_kb()}]
    for label, modules in IMPORT_STEPS:
        for module in modules:
            importlib.import_module(module)
        gc.collect()
        steps.append({"step": label, **status_kb()})
    print("REPORT " + json.dumps({**status_kb(), "steps": steps}), flush=True)


# --- the parent: seeds, serves the fake Discord, starts children ---------------------------------------------


async def seed_schedules(database: Path, servers: int, kinds: tuple[str, ...]) -> float:
    """Write servers × kinds schedules with the real repository; times avoid 'missed today' catch-up posts."""
    from bot.domain.entities import GuildSettings, Schedule, ScheduleKind, Weekdays
    from bot.storage.db import Database
    from bot.storage.guilds import GuildRepository

    started = time.perf_counter()
    now = datetime.now(UTC)
    db = await Database.open(database)
    try:
        guilds = GuildRepository(db)
        for i in range(servers):
            guild_id = GUILD_BASE + i
            zone = ZONES[i % len(ZONES)]
            settings = GuildSettings(guild_id, timezone=zone)
            await guilds.save(settings, now)
            for k, kind in enumerate(kinds):
                local_now = now.astimezone(settings.zone)
                # Spread over the day, but never in the last hour: that slot would count as missed and be posted.
                minutes = (local_now.hour * 60 + local_now.minute + 5 + (i * 7 + k * 97) % (22 * 60)) % (24 * 60)
                await guilds.save_schedule(
                    Schedule(
                        guild_id=guild_id,
                        kind=ScheduleKind(kind),
                        channel_id=CHANNEL_BASE + i,
                        local_time=clock_time(minutes // 60, minutes % 60),
                        weekdays=Weekdays.EVERY_DAY if kind != "weekly" else Weekdays.FRI,
                        close_after_minutes=60,
                    ),
                    now,
                )
    finally:
        await db.close()
    return time.perf_counter() - started


def _world(guilds: int) -> Any:
    from tests.fakediscord.world import World

    world = World()
    for i in range(guilds):
        guild = world.add_guild(f"Server {i}")
        guild.add_text_channel("quiz")
    return world


async def run_child(
    fake: Any, data_dir: Path, *, mode: str, trace: bool = False, settle: float = 3.0
) -> dict[str, Any]:
    env = bot_env(fake, data_dir)
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    if mode == "revbot-run":
        return await _outside(fake, env, settle)
    args = [sys.executable, "-m", "benchmarks.memory", "--child", mode, "--settle", str(settle)]
    if trace:
        args.append("--trace")
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=data_dir.parent, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=600)
    for line in out.decode().splitlines():
        if line.startswith("REPORT "):
            return json.loads(line[len("REPORT ") :])
    raise RuntimeError(f"the child reported nothing (exit {proc.returncode}):\n{out.decode()[-3000:]}")


async def _outside(fake: Any, env: dict[str, str], settle: float) -> dict[str, Any]:
    """Run `python -m bot run` exactly as a user would and read its /proc status once it has synced commands."""
    mark = fake.mark()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=Path(env["DATA_DIR"]).parent, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await fake.wait_for_request("PUT", r"/applications/\d+/commands", since=mark, timeout=120)
        await asyncio.sleep(settle)
        return status_kb(proc.pid)
    finally:
        proc.terminate()
        await proc.wait()


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from tests.fakediscord.server import FakeDiscord

    rows: list[dict[str, Any]] = []

    def add(name: str, goal: int | None, report: dict[str, Any], **extra: Any) -> None:
        row = {"run": name} | {
            key: round(report[field] / 1024, 1)
            for key, field in (
                ("rss_mb", "VmRSS"),
                ("private_mb", "RssAnon"),
                ("files_mb", "RssFile"),
                ("peak_mb", "VmHWM"),
            )
        }
        row |= {k: report[k] for k in ("jobs", "guilds", "ready_s", "traced") if k in report}
        if "steps" in report:
            row["import_steps"] = [
                {"step": s["step"], "rss_mb": round(s["VmRSS"] / 1024, 1), "private_mb": round(s["RssAnon"] / 1024, 1)}
                for s in report["steps"]
            ]
        row |= extra
        if goal is not None:
            row["goal_mb"] = goal
            row["meets_goal"] = row["rss_mb"] <= goal
        rows.append(row)
        print(_format_row(row), flush=True)

    def wanted(name: str) -> bool:
        return not args.only or name in args.only

    print(_HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if wanted("imports"):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.memory",
                "--child",
                "imports",
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await proc.communicate()
            add("imports", None, json.loads(out.decode().split("REPORT ", 1)[1]))

        async with FakeDiscord(_world(0)) as fake:
            idle = work / "idle" / "data"
            for name in ("idle-cold", "idle-warm"):
                if wanted(name) or (name == "idle-cold" and wanted("idle-warm")):
                    report = await run_child(fake, idle, mode="bot", trace=args.trace, settle=args.settle)
                    if wanted(name):
                        add(name, GOALS_MB["idle"], report)
            if wanted("revbot-run"):
                add("revbot-run", GOALS_MB["idle"], await run_child(fake, idle, mode="revbot-run", settle=args.settle))

            for name, kinds in (("schedules", ("daily",)), ("schedules-x3", ("daily", "spot", "weekly"))):
                if not wanted(name):
                    continue
                data = work / name / "data"
                seconds = await seed_schedules(data / "revbot.sqlite3", args.servers, kinds)
                await run_child(fake, data, mode="bot", settle=0.5)  # builds the content cache, as on a server
                report = await run_child(fake, data, mode="bot", trace=args.trace, settle=args.settle)
                add(name, GOALS_MB["schedules"], report, servers=args.servers, seed_s=round(seconds, 1))

        if wanted("schedules-guilds"):
            async with FakeDiscord(_world(args.servers)) as fake:
                data = work / "schedules-guilds" / "data"
                seconds = await seed_schedules(data / "revbot.sqlite3", args.servers, ("daily",))
                await run_child(fake, data, mode="bot", settle=0.5)
                report = await run_child(fake, data, mode="bot", trace=args.trace, settle=args.settle)
                add("schedules-guilds", GOALS_MB["schedules"], report, servers=args.servers, seed_s=round(seconds, 1))
    return rows


_HEADER = (
    f"{'run':<17} {'RSS MB':>7} {'private':>8} {'files':>6} {'peak MB':>8} {'goal':>5} {'jobs':>6} {'guilds':>6} "
    f"{'ready s':>7}"
)


def _format_row(row: dict[str, Any]) -> str:
    goal = f"{row['goal_mb']}" + ("✓" if row["meets_goal"] else "✗") if "goal_mb" in row else ""
    return (
        f"{row['run']:<17} {row['rss_mb']:>7.1f} {row['private_mb']:>8.1f} {row['files_mb']:>6.1f} "
        f"{row['peak_mb']:>8.1f} {goal:>5} {row.get('jobs', ''):>6} "
        f"{row.get('guilds', ''):>6} {row.get('ready_s', ''):>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after ready before measuring")
    parser.add_argument("--only", nargs="*", default=[], help="run only these rows")
    parser.add_argument("--trace", action="store_true", help="add a tracemalloc breakdown (raises RSS)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/memory.json")
    parser.add_argument("--child", choices=("bot", "imports"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "imports":
        imports_only()
        return
    if args.child == "bot":
        child(args.trace, args.settle)
        return
    rows = asyncio.run(measure(args))
    for row in rows:
        for step in row.get("import_steps", []):
            print(f"  import {step['step']:<34} RSS {step['rss_mb']:>5.1f} MB, private {step['private_mb']:>5.1f} MB")
    machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "when": datetime.now(UTC).isoformat()}
    existing = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() and args.only else {}
    merged = {r["run"]: r for r in existing.get("runs", [])} | {r["run"]: r for r in rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"info": machine, "runs": list(merged.values())}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
