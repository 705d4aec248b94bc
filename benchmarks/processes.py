"""Several bot processes sharing one PostgreSQL database, beside one process on SQLite, at 10,000 servers.

python -m benchmarks.processes [--only fleet|answers ...] [--setups sqlite:1,postgresql:4] [--repeat 3]
                               [--servers 10000] [--shards 4] [--due 1000] [--lead 40]
                               [--answer-setups sqlite:1,postgresql:1,postgresql:4] [--answers 1000000]
                               [--guilds 1000] [--rate 2000] [--seconds 10] [--learners 500] [--cache DIR] [--json PATH]

It needs a PostgreSQL server: REVBOT_BENCH_POSTGRES_URL names it (postgresql://user@host:port/postgres). The
benchmark creates its own databases there (bench_processes_<pid>_...), which that user then owns, and drops them at
the end. Without the variable it says so and measures nothing. A setup is ENGINE:PROCESSES.

fleet    The fake Discord from tests/fakediscord (in this process) holds --servers servers spread evenly over --shards
         shards, each with a #quiz channel and a daily question schedule in a random IANA zone, written through the
         bot's repository (benchmarks/scheduler.py's seed). The bot runs as `python -m bot run` processes, as an
         operator starts them, with SHARD_COUNT=--shards: "sqlite:1" is one process running every shard on an SQLite
         file; "postgresql:4" is four processes (SHARD_IDS=0 to 3) sharing one PostgreSQL database. The fake reports
         max_concurrency = --shards, so no shard waits for Discord's IDENTIFY window (5 s a shard otherwise).
           start-up  from spawning the processes until every one has logged that it is ready (every server of its
                     shards in its cache); before that each logs how many schedules it registered, and these must add
                     up to --servers
           RSS       VmRSS of each process 3 seconds after all are ready
           fan-out   --due servers' schedules fall on one UTC minute T, at least --lead seconds after seeding and
                     after start-up. At the fake: seconds from T until every one has its post, the most posts in any
                     one second (all processes, and each), the most requests the bots sent in any one second that
                     count against Discord's global limit (all but interaction replies; those the fake refused too),
                     and the global 429s the fake sent (it allows 50 a second per token, as Discord does). Every due
                     server must get exactly one post and no other server any.
answers  AnswerService.record_answer on benchmarks/answers.py's database (--answers answers across --guilds servers,
         copied into PostgreSQL for its setups), a fresh copy for each run, in child processes that each open the
         database as the bot does. Clicks go to the process of their server's shard, as Discord sends them.
           rate      --rate answers a second offered for --seconds, split by the processes' share of the clicks; the
                     p99 of record_answer's own time, and the rate achieved
           closed    --learners learners clicking back to back for --seconds: the rate at saturation

Every figure is the median of --repeat runs; each run's figures are in the JSON. The machine's load average is
recorded with each run: on a shared machine, compare runs where it is low.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._process import bot_env
from benchmarks.burst import _machine_cpu_s
from benchmarks.memory import status_kb

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
ENV = "REVBOT_BENCH_POSTGRES_URL"
POSTS = r"/channels/\d+/messages"
READY = re.compile(r"ready as .* servers=(\d+)")
SCHEDULED = re.compile(r"scheduled (\d+) slots")
SETTLE_S = 3.0
PARTS = ("fleet", "answers")


@dataclass(frozen=True)
class Setup:
    """An engine and how many processes share the shards."""

    engine: str
    processes: int

    @property
    def label(self) -> str:
        return f"{self.processes} process{'es' if self.processes > 1 else ''}, {self.engine}"


def parse_setups(text: str) -> list[Setup]:
    setups = []
    for part in text.split(","):
        engine, _, count = part.strip().partition(":")
        if engine not in ("sqlite", "postgresql") or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"{part!r} is not ENGINE:PROCESSES, e.g. postgresql:4")
        setups.append(Setup(engine, int(count)))
    return setups


def shard_split(shards: int, processes: int) -> list[list[int]]:
    """Return each process's shards: consecutive, as even as they can be."""
    return [list(range(shards))[k * shards // processes : (k + 1) * shards // processes] for k in range(processes)]


# --- PostgreSQL databases of our own on the server ---------------------------------------------------------------


def create_database(server: str, name: str, template: str | None = None) -> str:
    """Create database name on the server (empty, or a copy of template); return its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    from tests.pg import with_database

    return with_database(server, name)


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load() -> float:
    return round(os.getloadavg()[0], 2)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Return the share of the machine's CPU time that was busy between two _machine_cpu_s readings."""
    return round((after[0] - before[0]) / max(1e-9, after[1] - before[1]), 2)


# --- fleet: start-up, memory and the fan-out, through the fake ---------------------------------------------------


def peak_per_second(times: list[float]) -> int:
    """Return the most of these moments that fall within any one second (as the fake counts: (t - 1, t])."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def _world(servers: int, shards: int) -> Any:
    from tests.fakediscord.world import World

    world = World()
    for i in range(servers):
        world.add_guild(f"Server {i}", shard=(i % shards, shards)).add_text_channel("quiz")
    return world


@dataclass
class BotProcess:
    """A running `python -m bot run` and the file it logs to."""

    proc: asyncio.subprocess.Process
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


async def _spawn(fake: Any, setup: Setup, shards: int, data: Path, url: str | None, log_dir: Path) -> list[BotProcess]:
    """Start the setup's `python -m bot run` processes, each logging to its own file."""
    bots = []
    for k, own in enumerate(shard_split(shards, setup.processes)):
        env = {**bot_env(fake, data), "LOG_LEVEL": "INFO", "SHARD_COUNT": str(shards)}
        if setup.processes > 1:
            env["SHARD_IDS"] = ",".join(map(str, own))
        if url is not None:
            env["DATABASE_URL"] = url
        log = log_dir / f"bot{k}.log"
        with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the bot
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=data.parent, env=env, stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        bots.append(BotProcess(proc, log))
    return bots


async def _until_ready(bots: list[BotProcess], started: float, timeout: float) -> list[float]:  # noqa: ASYNC109
    """Wait until every process has logged that it is ready; return each one's seconds from started."""
    ready: dict[int, float] = {}
    while len(ready) < len(bots):
        for k, bot in enumerate(bots):
            if k not in ready and READY.search(await asyncio.to_thread(bot.text)):
                ready[k] = time.monotonic() - started
            elif bot.proc.returncode is not None:
                raise RuntimeError(f"bot {k} exited with {bot.proc.returncode}; its log ends:\n{bot.text()[-3000:]}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"not every bot was ready after {timeout} s")
        await asyncio.sleep(0.02)
    return [ready[k] for k in range(len(bots))]


async def _stop(bots: list[BotProcess]) -> None:
    for bot in bots:
        if bot.proc.returncode is None:
            bot.proc.send_signal(signal.SIGTERM)
    for bot in bots:
        try:
            await asyncio.wait_for(bot.proc.wait(), 60)
        except TimeoutError:
            bot.proc.kill()
            await bot.proc.wait()


def _sent(fake: Any, since: int) -> tuple[list[Any], list[Any]]:
    """Return the requests since the mark that count against the global limit (429s too), and the posts made."""
    exempt = ("/interactions/", "/webhooks/")
    counted = [r for r in fake.requests[since:] if r.status is not None and not r.path.startswith(exempt)]
    return counted, [r for r in counted if r.method == "POST" and re.fullmatch(POSTS, r.path) and r.status < 300]


async def fleet_once(args: argparse.Namespace, setup: Setup, work: Path, server: str | None, n: int) -> dict[str, Any]:
    """Seed, start the setup's processes against a fresh fake, measure start-up, RSS and the fan-out at T."""
    from benchmarks.scheduler import _zones, seed
    from bot.course.loader import load_catalog
    from bot.domain.shards import shard_of
    from tests.fakediscord.server import FakeDiscord

    world = await asyncio.to_thread(_world, args.servers, args.shards)
    servers = [(guild.id, guild.channel("quiz").id) for guild in world.guilds.values()]
    zones = _zones(9 + n, args.servers)
    data = work / f"{setup.engine}-{setup.processes}-{n}" / "data"
    await asyncio.to_thread(data.mkdir, parents=True)
    name = f"bench_processes_{os.getpid()}_fleet"
    url = await asyncio.to_thread(create_database, server, name) if setup.engine == "postgresql" else None
    location = url or data / "revbot.sqlite3"
    try:
        # The servers not due first; then T, and the due ones, so that seeding never eats into the lead.
        seed_s = await seed(location, servers[args.due :], 0, datetime.now(UTC), zones[args.due :], n)
        due_at = (datetime.now(UTC) + timedelta(seconds=args.lead + 59)).replace(second=0, microsecond=0)
        seed_s += await seed(location, servers[: args.due], args.due, due_at, zones[: args.due], n)
        await asyncio.to_thread(load_catalog, CONTENT, data / "cache")  # the content cache, as after a first start
        load_before = load()
        async with FakeDiscord(world) as fake:
            fake.gateway.recommended_shards = fake.gateway.max_concurrency = args.shards
            started = time.monotonic()
            bots = await _spawn(fake, setup, args.shards, data, url, work)
            try:
                ready = await _until_ready(bots, started, timeout=600)
                logs = [bot.text() for bot in bots]
                scheduled = sum(int(m[1]) for text in logs for m in SCHEDULED.finditer(text))
                in_cache = sum(int(m[1]) for text in logs for m in READY.finditer(text))
                await asyncio.sleep(SETTLE_S)
                rss = [status_kb(bot.proc.pid) for bot in bots]
                due_mono = time.monotonic() + (due_at.timestamp() - time.time())
                if due_mono - time.monotonic() < 1:
                    raise RuntimeError(f"start-up ended {time.monotonic() - due_mono:.0f} s after T: raise --lead")
                mark = fake.mark()
                busy0 = _machine_cpu_s()
                due_channels = {channel for _, channel in servers[: args.due]}
                deadline = due_mono + args.due / 10 + 120
                while sum(len(fake.messages_in(c)) > 0 for c in due_channels) < args.due:
                    if time.monotonic() > deadline or any(bot.proc.returncode is not None for bot in bots):
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(2)  # anything sent twice, or to a server not due, would come now
                busy1 = _machine_cpu_s()
            finally:
                await _stop(bots)
            counted, posts = _sent(fake, mark)
            per_channel = Counter(int(r.path.split("/")[2]) for r in posts)
            global_429s = sum(1 for hit in fake.rate_limits.hits if hit.scope == "global")
            all_429s = fake.rate_limits.count
        logs = [bot.text() for bot in bots]
    finally:
        if url is not None:
            await asyncio.to_thread(drop_database, server, name)
    problems = [line for text in logs for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
    posted_once = set(per_channel) == due_channels and set(per_channel.values()) == {1}
    times = [r.at for r in posts]
    process_of = {
        channel: k
        for k, own in enumerate(shard_split(args.shards, setup.processes))
        for guild_id, channel in servers
        if shard_of(guild_id, args.shards) in own
    }
    each = [[r.at for r in posts if process_of.get(int(r.path.split("/")[2])) == k] for k in range(setup.processes)]
    return {
        "run": f"{setup.label}: fleet",
        "setup": setup.label,
        "repeat": n,
        "servers": args.servers,
        "shards": args.shards,
        "processes": setup.processes,
        "seed_s": round(seed_s, 1),
        "startup_s": round(max(ready), 2),
        "ready_each_s": [round(r, 2) for r in ready],
        "schedules_registered": scheduled,
        "servers_in_cache": in_cache,
        "rss_mb_each": [round(r["VmRSS"] / 1024, 1) for r in rss],
        "rss_mb_total": round(sum(r["VmRSS"] for r in rss) / 1024, 1),
        "due": args.due,
        "posted": len(times),
        "posted_once_each_due_server_only": posted_once,
        "all_posted_after_due_s": round(max(times) - due_mono, 2) if len(times) >= args.due else None,
        "first_post_after_due_s": round(min(times) - due_mono, 2) if times else None,
        "peak_posts_per_s": peak_per_second(times),
        "peak_posts_per_s_each": [peak_per_second(t) for t in each],
        "peak_requests_per_s": peak_per_second([r.at for r in counted]),
        "global_429s": global_429s,
        "all_429s": all_429s,
        "bot_errors": len(problems),
        "bot_error_sample": problems[:5],
        "machine_busy_share": busy_share(busy0, busy1),
        "load_before": load_before,
        "load_after": load(),
    }


FLEET_FIGURES = (
    "startup_s", "rss_mb_total", "all_posted_after_due_s", "peak_posts_per_s", "peak_requests_per_s", "global_429s",
)  # fmt: skip


def median_row(runs: list[dict[str, Any]], figures: tuple[str, ...]) -> dict[str, Any]:
    """Return the first run with each figure replaced by the median over the runs (every run's value beside it)."""
    row = {k: v for k, v in runs[0].items() if k != "repeat"}
    for figure in figures:
        values = [r[figure] for r in runs if r.get(figure) is not None]
        if values:
            row[figure] = round(statistics.median(values), 2)
            row[f"{figure}_runs"] = [r.get(figure) for r in runs]
    row["runs"] = len(runs)
    return row


def print_fleet(row: dict[str, Any]) -> None:
    print(
        f"{row['setup']:<26} start-up {row['startup_s']} s (each {row['ready_each_s']}), "
        f"registered {row['schedules_registered']}, in cache {row['servers_in_cache']}; "
        f"RSS {row['rss_mb_each']} MB; {row['due']} due: all posted after {row['all_posted_after_due_s']} s, "
        f"peak {row['peak_posts_per_s']} posts/s (each process {row['peak_posts_per_s_each']}), "
        f"{row['peak_requests_per_s']} requests/s, "
        f"{row['global_429s']} global 429s, once each {row['posted_once_each_due_server_only']}, "
        f"bot errors {row['bot_errors']}; load {row['load_before']} -> {row['load_after']}",
        flush=True,
    )


async def fleet(args: argparse.Namespace, server: str | None) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for setup in args.setups:
            runs = []
            for n in range(args.repeat):
                run = await fleet_once(args, setup, Path(tmp), server, n)
                print_fleet(run)
                runs.append(run)
            rows.append(median_row(runs, FLEET_FIGURES))
    return rows


# --- answers: record_answer in child processes -------------------------------------------------------------------


def answers_child(spec_path: Path) -> None:
    """Run one loop of clicks on the database the spec names, starting at its wall-clock moment; write the figures."""
    from benchmarks._seed import open_core
    from benchmarks.answers import closed_loop, open_loop, recorder_for

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    clicks = pickle.loads(Path(spec["clicks"]).read_bytes())  # noqa: S301 - written by the parent just before

    async def run() -> dict[str, Any]:
        async with open_core(spec["location"], datetime.fromisoformat(spec["now"])) as core:
            await asyncio.sleep(max(0.0, spec["start_at"] - time.time()))
            record = recorder_for(core)
            if spec["mode"] == "rate":
                service, since_due, statuses, elapsed, _ = await open_loop(record, clicks, spec["rate"])
            else:
                service, statuses, elapsed = await closed_loop(record, clicks, spec["learners"], spec["seconds"])
                since_due = []
        return {"service": service, "since_due": since_due, "statuses": dict(statuses), "elapsed": elapsed}

    Path(spec["out"]).write_text(json.dumps(asyncio.run(run())), encoding="utf-8")


async def _answers_run(
    setup: Setup, location: str, clicks: list[Any], mode: str, args: argparse.Namespace, now: datetime, work: Path
) -> dict[str, Any]:
    """Split the clicks by shard over the setup's processes, run them together, and summarise."""
    from benchmarks.answers import summarise
    from bot.domain.shards import shard_of

    owners = [set(s) for s in shard_split(args.shards, setup.processes)]
    parts = [[c for c in clicks if shard_of(c.guild_id, args.shards) in own] for own in owners]
    start_at = time.time() + 8  # every child has imported the bot and opened the database by then
    procs = []
    outs = []
    for k, part in enumerate(parts):
        share = len(part) / len(clicks)
        (work / f"clicks{k}.pickle").write_bytes(pickle.dumps(part))
        spec = {
            "location": location,
            "now": now.isoformat(),
            "clicks": str(work / f"clicks{k}.pickle"),
            "mode": mode,
            "rate": args.rate * share,
            "learners": max(1, round(args.learners * share)),
            "seconds": args.seconds,
            "start_at": start_at,
            "out": str(work / f"out{k}.json"),
        }
        (work / f"spec{k}.json").write_text(json.dumps(spec), encoding="utf-8")
        outs.append(work / f"out{k}.json")
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.processes", "--answers-child", str(work / f"spec{k}.json"), cwd=ROOT
            )
        )
    busy0 = _machine_cpu_s()
    codes = [await p.wait() for p in procs]
    busy1 = _machine_cpu_s()
    if any(codes):
        raise RuntimeError(f"an answers child failed: exit codes {codes}")
    results = [json.loads(out.read_text(encoding="utf-8")) for out in outs]
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    offered = args.rate if mode == "rate" else None
    name = f"{setup.label}, " + (f"{args.rate:.0f}/s offered" if mode == "rate" else f"{args.learners} learners")
    return summarise(
        name,
        [x for r in results for x in r["service"]],
        [x for r in results for x in r["since_due"]],
        statuses,
        max(r["elapsed"] for r in results),
        offered,
        {
            "setup": setup.label,
            "mode": mode,
            "clicks_each": [len(p) for p in parts],
            "machine_busy_share": busy_share(busy0, busy1),
            "load_1min": load(),
        },
    )


async def answers(args: argparse.Namespace, server: str | None) -> list[dict[str, Any]]:
    from benchmarks._seed import copy_to_postgres
    from benchmarks.answers import make_clicks, print_table, seeded_copy

    rows = []
    base_name = f"bench_processes_{os.getpid()}_answers"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base.sqlite3"
        print(f"seeding {args.answers:,} answers across {args.guilds:,} servers…", flush=True)
        seeded = await asyncio.to_thread(seeded_copy, base, args.answers, args.guilds, args.cache)
        if any(s.engine == "postgresql" for s in args.answer_setups):
            started = time.perf_counter()
            base_url = await asyncio.to_thread(create_database, server, base_name)
            await asyncio.to_thread(copy_to_postgres, base, base_url)
            print(f"copied into PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
        clicks = make_clicks(seeded, max(int(args.rate * args.seconds), 200_000), random.Random(11))
        try:
            for setup in args.answer_setups:
                for mode in ("rate", "closed"):
                    runs = []
                    for _ in range(args.repeat):
                        if setup.engine == "postgresql":
                            copy_name = f"{base_name}_run"
                            location = await asyncio.to_thread(create_database, server, copy_name, base_name)
                        else:
                            location = str(work / "run.sqlite3")
                            await asyncio.to_thread(shutil.copyfile, base, location)
                        try:
                            batch = clicks[: int(args.rate * args.seconds)] if mode == "rate" else clicks
                            run = await _answers_run(setup, location, batch, mode, args, seeded.now, work)
                        finally:
                            if setup.engine == "postgresql":
                                await asyncio.to_thread(drop_database, server, copy_name)
                            else:
                                await asyncio.to_thread(_remove_sqlite, Path(location))
                        print_table([run])
                        runs.append(run)
                    row = median_row(runs, ("achieved_per_s", "p50_ms", "p99_ms", "since_due_p99_ms", "load_1min"))
                    rows.append(row)
        finally:
            if any(s.engine == "postgresql" for s in args.answer_setups):
                await asyncio.to_thread(drop_database, server, base_name)
    return rows


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    parser.add_argument("--setups", type=parse_setups, default=parse_setups("sqlite:1,postgresql:4"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure (the median is reported)")
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--due", type=int, default=1_000, help="schedules that come due in the same minute")
    parser.add_argument("--lead", type=float, default=40.0, help="at least this many seconds from seeding to T")
    parser.add_argument(
        "--answer-setups", type=parse_setups, default=parse_setups("sqlite:1,postgresql:1,postgresql:4")
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--cache", type=Path, help="keep the seeded SQLite database here and reuse it next time")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/processes.json")
    parser.add_argument("--answers-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.answers_child is not None:
        answers_child(args.answers_child)
        return
    server = os.environ.get(ENV)
    info: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    info["when"] = datetime.now(UTC).isoformat()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    if not server:
        print(f"skipped: set {ENV} to a PostgreSQL server's URL (the benchmark creates and drops its own databases)")
        skipped = {"info": info, "skipped": f"{ENV} not set"}
        args.json.write_text(json.dumps(skipped, indent=2) + "\n", encoding="utf-8")
        return
    for setup in args.setups:
        if args.shards % setup.processes:
            raise SystemExit(f"{args.shards} shards do not split evenly over {setup.processes} processes")
    parts = set(args.only or PARTS)
    info["postgresql"] = _server_settings(server)
    result: dict[str, Any] = {"info": info}
    if "fleet" in parts:
        result["fleet"] = asyncio.run(fleet(args, server))
    if "answers" in parts:
        result["answers"] = asyncio.run(answers(args, server))
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    for row in result.get("fleet", []):
        print_fleet(row)
    if result.get("answers"):
        from benchmarks.answers import print_table

        print_table(result["answers"])
    print(f"wrote {args.json}")


def _server_settings(server: str) -> dict[str, str]:
    """Return the PostgreSQL server's version and the settings that matter for commit speed."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        names = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "max_connections")
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in names}  # type: ignore[index]


if __name__ == "__main__":
    main()
