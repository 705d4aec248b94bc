"""Answer burst: 500 learners click one post's buttons within one second, through the fake Discord server.

python -m benchmarks.burst [--learners 500] [--spread 1.0] [--history-days 180] [--log-level INFO] [--profile PATH]
                          [--json PATH]

The real bot (`python -m bot run`, exactly as a user starts it) runs in a child process against the fake Discord
from tests/fakediscord, which runs in this parent process, so the fake's work does not queue behind the bot's on
one event loop. Before the bot starts, its database gets a daily question schedule for the fake server's #quiz
whose slot was a minute ago, so the bot's start-up catch-up posts a scheduled question about two seconds after it
is ready: clicks on it take the whole answer path (record the answer, keep and read the streaks, write the
practice review, reply privately). The server also has --history-days earlier daily questions that most learners
answered (0 for a new server).

Then --learners members click its buttons (option = learner number modulo the option count), one every
--spread / --learners seconds. Measured at the fake, per click: from just before the fake builds and sends
INTERACTION_CREATE on the gateway to the bot's interaction callback (POST /interactions/{id}/{token}/callback)
arriving. Also measured over the burst (first click to last callback): the CPU time of the fake (this process)
and of the bot (the child, from /proc), each per click, and how late the fake sent clicks against their plan, so
that a slow fake shows up as such. After the bot has stopped, its SQLite file is read: every learner must have
exactly one answer, with the option they clicked, and one practice card for the question; every callback must be
a private reply that is not the error apology.

The machine is shared, and a neighbour's busy core can double the latencies: before the burst it waits (up to
--quiet-wait seconds) until other processes use at most a quarter of a core, and it reports how much of the
machine they used during the burst ("other processes"). Compare figures from runs where that is near 0.

--profile PATH attaches py-spy (`record --native --format raw`) to the bot for the burst alone; the latencies of a
profiled run are inflated by the sampling, so take figures from runs without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._process import bot_env

ROOT = Path(__file__).resolve().parents[1]
GOAL_P99_MS = 50.0
ANSWER_ID = re.compile(r"rb:ans:(?P<post>\d+):(?P<opt>\d)")
CALLBACK = r"/interactions/\d+/[^/]+/callback"
EPHEMERAL = 64
PY_SPY = Path(sys.executable).with_name("py-spy")
QUIET_CORES = 0.25


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _tenths(values: list[float]) -> list[list[float]]:
    size = max(1, len(values) // 10)
    return [values[i : i + size] for i in range(0, len(values), size)][:10]


def _cpu_s(pid: int, tid: int | None = None) -> float:
    """Return a process's user + system CPU time in seconds (all its threads, or thread tid), from /proc."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    fields = Path(path).read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu_s() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


async def _wait_for_quiet(bot_pid: int, limit: float, most: float = QUIET_CORES) -> float:
    """Wait (up to limit seconds) until other processes use at most `most` cores over half a second; return theirs.

    The machine is shared: a neighbour's busy core can double the latencies, so the burst waits for a quiet moment.
    """
    deadline = time.monotonic() + limit
    while True:
        ours = time.process_time() + _cpu_s(bot_pid)
        machine = _machine_cpu_s()[0]
        await asyncio.sleep(0.5)
        others = (_machine_cpu_s()[0] - machine - (time.process_time() + _cpu_s(bot_pid) - ours)) / 0.5
        if others <= most or time.monotonic() > deadline:
            return others


async def seed(database: Path, guild_id: int, channel_id: int, learners: list[int], days: int) -> None:
    """Give the server a daily question schedule (UTC) whose slot was a minute ago: the bot catches it up at start.

    Also `days` earlier daily questions, closed, which most learners answered, so each click works on a database
    the size a server that has run for months has (the reply shows the learner's streak, which used to be counted
    from the whole history on every click).
    """
    from datetime import time as clock_time

    from bot.domain.entities import GuildSettings, Schedule, ScheduleKind
    from bot.storage.db import Database
    from bot.storage.guilds import GuildRepository

    now = datetime.now(UTC)
    slot = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    db = await Database.open(database)
    try:
        guilds = GuildRepository(db)
        await guilds.save(GuildSettings(guild_id, timezone="UTC"), now)
        await guilds.save_schedule(
            Schedule(
                guild_id, ScheduleKind.DAILY, channel_id, clock_time(slot.hour, slot.minute), close_after_minutes=60
            ),
            now,
        )
        if days:
            await db.write(lambda conn: _history(conn, guild_id, channel_id, learners, days, slot))
    finally:
        await db.close()


def _history(
    conn: sqlite3.Connection, guild_id: int, channel_id: int, learners: list[int], days: int, slot: datetime
) -> None:
    """Insert `days` closed daily questions before slot; learner n misses one day in five (not the same days).

    The learners' streak states are kept as the bot keeps them when it records those answers itself.
    """
    from bot.course.loader import load_catalog
    from bot.domain.clock import to_ms
    from bot.services.streaks import recount_state
    from bot.storage.streaks import write_state

    catalog = load_catalog(ROOT / "content")
    items = [(e.id, q) for e in catalog.elements() for q in catalog.question_ids(e.id)]
    for back in range(days, 0, -1):
        opens = slot - timedelta(days=back)
        element_id, item_id = items[back % len(items)]
        (post_id,) = conn.execute(
            "INSERT INTO posts (guild_id, kind, origin, item_id, element_id, correct_option, option_count, opens_at, "
            "closes_at, state, channel_id, local_date) VALUES (?, 'question', 'scheduled', ?, ?, 0, 4, ?, ?, 'closed', "
            "?, ?) RETURNING post_id",
            (guild_id, item_id, element_id, to_ms(opens), to_ms(opens + timedelta(hours=1)), channel_id,
             opens.date().isoformat()),
        ).fetchone()  # fmt: skip
        week = (opens.date() - timedelta(days=opens.weekday())).isoformat()
        conn.executemany(
            "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
            "element_id, item_id, answered_at, elapsed_ms, week_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 60000, ?)",
            [
                (post_id, guild_id, user_id, f"l{n}", n % 4, int(n % 4 == 0), 10 * int(n % 4 == 0), element_id,
                 item_id, to_ms(opens + timedelta(minutes=1)), week)
                for n, user_id in enumerate(learners)
                if (n + back) % 5
            ],
        )  # fmt: skip
    for user_id in learners:
        state = recount_state(conn, guild_id, user_id, "question")
        if state is not None:
            write_state(conn, guild_id, user_id, "question", state, replacing=False)


async def _until(condition: Any, proc: asyncio.subprocess.Process, log: Path, timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll condition() until it is true; fail with the bot's log if the bot exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.returncode is not None or time.monotonic() > deadline:
            state = f"exited with {proc.returncode}" if proc.returncode is not None else f"still running ({timeout} s)"
            tail = (await asyncio.to_thread(log.read_text, encoding="utf-8", errors="replace"))[-3000:]
            raise RuntimeError(f"waiting for {what}: the bot {state}; its log ends:\n{tail}")
        await asyncio.sleep(0.01)


async def _stop(proc: asyncio.subprocess.Process, timeout: float = 30) -> None:  # noqa: ASYNC109
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _start_profiler(pid: int, output: Path) -> asyncio.subprocess.Process:
    profiler = await asyncio.create_subprocess_exec(
        str(PY_SPY), "record", "--pid", str(pid), "--native", "--rate", "250", "--format", "raw",
        "--output", str(output), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1.0)  # py-spy needs a moment to attach
    return profiler


def check_database(database: Path, post_id: int, clicked: dict[int, int]) -> dict[str, Any]:
    """Read the stopped bot's database: answers to the post and practice cards for its question."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        answers = conn.execute("SELECT user_id, choice FROM answers WHERE post_id = ?", (post_id,)).fetchall()
        (item_id,) = conn.execute("SELECT item_id FROM posts WHERE post_id = ?", (post_id,)).fetchone()
        cards = conn.execute("SELECT user_id, reviews FROM practice_cards WHERE item_id = ?", (item_id,)).fetchall()
    finally:
        conn.close()
    users = [user for user, _ in answers]
    return {
        "recorded": len(answers),
        "recorded_once_each": len(users) == len(set(users)) == len(clicked) and set(users) == set(clicked),
        "choices_match": dict(answers) == clicked,
        "practice_once_each": sorted(cards) == sorted((user, 1) for user in clicked),
    }


async def burst(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from bot.ui.errors import APOLOGY
    from tests.fakediscord.server import FakeDiscord
    from tests.fakediscord.world import World

    world = World.default()
    guild = next(iter(world.guilds.values()))
    members = [guild.add_member(world.add_user(f"l{i}")) for i in range(args.learners)]
    channel = guild.channel("quiz")
    data = work / "data"
    await asyncio.to_thread(data.mkdir, parents=True)
    database = data / "revbot.sqlite3"
    await seed(database, guild.id, channel.id, [m.user.id for m in members], args.history_days)
    log = work / "bot.log"
    async with FakeDiscord(world) as fake:
        env = {**bot_env(fake, data), "LOG_LEVEL": args.log_level}
        with log.open("wb") as log_file:  # a file, not a pipe: a full pipe would stall the bot
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=work, env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT
            )  # fmt: skip
        try:

            def posted() -> Any:
                return next((m for m in fake.messages_in(channel) if any(map(ANSWER_ID.fullmatch, m.custom_ids))), None)

            await _until(lambda: posted() is not None, proc, log, 120, "the scheduled post")
            message = posted()
            custom_ids = [c for c in message.custom_ids if ANSWER_ID.fullmatch(c)]
            post_id = int(ANSWER_ID.fullmatch(custom_ids[0])["post"])  # type: ignore[index]
            await asyncio.sleep(args.settle)  # let the bot finish posting (message id, close job)
            others_before = await _wait_for_quiet(proc.pid, args.quiet_wait)
            profiler = await _start_profiler(proc.pid, args.profile) if args.profile else None
            mark = fake.mark()
            sent: dict[int, float] = {}
            late: list[float] = []
            clicked: dict[int, int] = {}
            interactions = []
            gap = args.spread / args.learners
            cpu_fake, cpu_bot, cpu_loop = time.process_time(), _cpu_s(proc.pid), _cpu_s(proc.pid, proc.pid)
            machine = _machine_cpu_s()
            began = time.monotonic()
            for index, member in enumerate(members):
                planned = began + index * gap
                if planned > time.monotonic():
                    await asyncio.sleep(planned - time.monotonic())
                at = time.monotonic()
                late.append((at - planned) * 1000)
                interaction = await fake.click(message, custom_ids[index % len(custom_ids)], user=member.user)
                sent[interaction.id] = at
                clicked[member.id] = index % len(custom_ids)
                interactions.append(interaction)
            await _until(lambda: all(ix.callback is not None for ix in interactions), proc, log, 120, "every callback")
            elapsed = time.monotonic() - began
            cpu_fake, cpu_bot = time.process_time() - cpu_fake, _cpu_s(proc.pid) - cpu_bot
            cpu_loop = _cpu_s(proc.pid, proc.pid) - cpu_loop
            machine = tuple(after - before for after, before in zip(_machine_cpu_s(), machine, strict=True))
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                await asyncio.wait_for(profiler.wait(), 60)
            arrived = {int(r.path.split("/")[2]): r.at for r in fake.requests_to("POST", CALLBACK, since=mark)}
            latencies = [(arrived[ix_id] - at) * 1000 for ix_id, at in sent.items()]
            replies_ok = all(
                ix.callback_type == 4
                and (ix.callback or {}).get("data", {}).get("flags", 0) & EPHEMERAL
                and (ix.callback or {}).get("data", {}).get("content") != APOLOGY
                for ix in interactions
            )
        finally:
            await _stop(proc)
    bot_log = log.read_text(encoding="utf-8", errors="replace").splitlines()
    checked = await asyncio.to_thread(check_database, database, post_id, clicked)
    return {
        "learners": args.learners,
        "history_days": args.history_days,
        "spread_s": args.spread,
        "log_level": args.log_level,
        "profiled": bool(args.profile),
        "wall_s": round(elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        # The median latency of each tenth of the clicks in the order sent: a steady rise means the bot is short
        # of throughput (a queue builds), a bump means a pause.
        "p50_by_tenth_ms": [round(statistics.median(part), 1) for part in _tenths(latencies)],
        **checked,
        "replies_ok": replies_ok,
        "bot_cpu_ms_per_click": round(cpu_bot * 1000 / args.learners, 2),
        "bot_cpu_share": round(cpu_bot / elapsed, 2),
        "bot_loop_cpu_ms_per_click": round(cpu_loop * 1000 / args.learners, 2),  # its main thread: the event loop
        "fake_cpu_ms_per_click": round(cpu_fake * 1000 / args.learners, 2),
        "fake_cpu_share": round(cpu_fake / elapsed, 2),
        "send_late_p99_ms": round(_pct(late, 99), 1),
        "other_cpu_cores_before": round(others_before, 2),
        # Everything else the machine ran meanwhile (other benchmarks, other users), in cores.
        "other_cpu_cores": round((machine[0] - cpu_bot - cpu_fake) / elapsed, 2),
        "machine_busy_share": round(machine[0] / machine[1], 2) if machine[1] else None,
        "bot_errors": [line for line in bot_log if " ERROR " in line or "Traceback" in line][:5],
        "goal_p99_ms": GOAL_P99_MS,
        "meets_goal": _pct(latencies, 99) <= GOAL_P99_MS
        and replies_ok
        and all(checked[k] for k in ("recorded_once_each", "choices_match", "practice_once_each")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the clicks arrive")
    parser.add_argument(
        "--history-days", type=int, default=180, help="earlier daily questions the server has had (0: a new server)"
    )
    parser.add_argument("--log-level", default="INFO", help="the bot's LOG_LEVEL (INFO is its default)")
    parser.add_argument("--settle", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, help="seconds to wait for other processes to go quiet first"
    )
    parser.add_argument("--profile", type=Path, help="write a py-spy raw profile of the bot during the burst here")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/burst.json")
    args = parser.parse_args()
    if args.profile and not PY_SPY.exists():
        raise SystemExit(f"--profile needs py-spy beside the interpreter ({PY_SPY})")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(burst(args, Path(tmp)))
    r = result
    print(f"{'learners':>8} {'spread s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'recorded':>8}  once each")
    print(
        f"{r['learners']:>8} {r['spread_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
        f"{r['max_ms']:>8} {r['recorded']:>8}  {r['recorded_once_each']}"
    )
    print(
        f"bot CPU {r['bot_cpu_ms_per_click']} ms/click ({r['bot_cpu_share']:.0%} of a core; event loop thread "
        f"{r['bot_loop_cpu_ms_per_click']} ms/click); "
        f"fake CPU {r['fake_cpu_ms_per_click']} ms/click ({r['fake_cpu_share']:.0%}); "
        f"clicks sent late p99 {r['send_late_p99_ms']} ms; replies ok {r['replies_ok']}; "
        f"practice once each {r['practice_once_each']}; other processes {r['other_cpu_cores']} cores; "
        f"machine busy {r['machine_busy_share']:.0%}; load before {load_before[0]:.2f}"
    )
    for line in r["bot_errors"]:
        print(f"bot: {line}")
    info = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "when": datetime.now(UTC).isoformat()}
    info["loadavg_before"] = [round(v, 2) for v in load_before]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, **result}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
