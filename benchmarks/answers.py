"""Measure recording answers through AnswerService.record_answer on a database of 1M answers.

python -m benchmarks.answers [--answers 1000000] [--guilds 1000] [--rate 2000] [--seconds 10] [--learners 500]
                             [--only rate|closed|checkpoint|baselines|prototypes|sweep ...]

Every part runs on a fresh copy of the same seeded file (benchmarks/_seed.py):
  rate        the open loop: clicks arrive at --rate (one task per click, as discord.py dispatches interactions);
              latency is record_answer's own time (it includes waiting for the write lock), "due p99" the time since
              the click was due
  closed      --learners tasks click back to back: the saturation rate; also one learner alone, and how many trips
              to the connection threads one record_answer makes
  checkpoint  the open loop with SQLite's default wal_autocheckpoint=1000 on the writer (with and without the
              background checkpointer) against the shipped writer (0), at --rate and at --ckpt-rate (150/s)
  baselines   plain sqlite3: one INSERT + COMMIT per answer (default checkpointing, none, and with a weekly-totals
              trigger); record_answer's statements; aiosqlite with one INSERT per transaction
  prototypes  record_answer in one trip to the writer thread, the same without the asyncio lock, and group commit
              (benchmarks/_prototypes.py), open loop at --rate and closed loop
  sweep       the open loop at several rates, service and group commit: where p99 passes 5 ms
All parts take about 10 minutes on 2 cores; run them in groups with --only (results merge into the JSON file;
each row records when it was measured).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import json
import os
import pickle
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._prototypes import WEEK_TOTALS_DDL, GroupCommit, one_hop, pipelined
from benchmarks._seed import Core, Seeded, count_trips, open_core, percentile, seed, watch_machine
from bot.domain.clock import to_ms
from bot.domain.scoring import STREAK_BONUS_DAYS
from bot.storage.answers import answer_context, correct_run_before
from bot.storage.db import BUSY_TIMEOUT_MS

SEED_VERSION = 4  # bump when benchmarks/_seed.py changes what it writes: older cached copies are not reused
INSERT_SQL = (
    "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
    "element_id, item_id, answered_at, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (post_id, user_id) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class Click:
    """A learner pressing an answer button."""

    post_id: int
    guild_id: int
    user_id: int
    name: str
    choice: int


def make_clicks(seeded: Seeded, count: int, rng: random.Random) -> list[Click]:
    """Return count distinct (post, learner) clicks on today's open posts, busy servers clicking most."""
    guilds = seeded.guilds
    cumulative = []
    total = 0
    for g in guilds:
        total += g.answers
        cumulative.append(total)
    used: set[tuple[int, int]] = set()
    newcomer = 10**18  # learners with no answers yet, when a server's pool has answered both open posts
    clicks = []
    while len(clicks) < count:
        g = guilds[bisect.bisect_left(cumulative, rng.random() * total)]
        post_id, options = rng.choice(g.open_posts)
        user_id = rng.choice(g.learners)
        if (post_id, user_id) in used:
            newcomer += 1
            user_id = newcomer
        used.add((post_id, user_id))
        clicks.append(Click(post_id, g.guild_id, user_id, f"learner{user_id % 100_000}", rng.randrange(options)))
    return clicks


def summarise(
    name: str,
    service_s: list[float],
    since_due_s: list[float],
    statuses: Counter[str],
    elapsed_s: float,
    offered: float | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return one result row: rate achieved and latency percentiles in milliseconds."""
    ms = [x * 1000 for x in service_s]
    row: dict[str, Any] = {
        "run": name,
        "offered_per_s": offered,
        "answers": len(ms),
        "achieved_per_s": round(len(ms) / elapsed_s),
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "p999_ms": round(percentile(ms, 99.9), 3),
        "max_ms": round(max(ms), 3),
        "statuses": dict(statuses),
    }
    if since_due_s:
        due = [x * 1000 for x in since_due_s]
        row["since_due_p99_ms"] = round(percentile(due, 99), 3)
        row["since_due_max_ms"] = round(max(due), 3)
    row.update(extra or {})
    return row


def wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


@contextlib.contextmanager
def frozen_setup() -> Iterator[None]:
    """Leave the set-up's objects (the clicks, the seeded servers) out of garbage collection, as the bot does.

    The bot freezes what it built at start-up (bot/runner.py, freeze_when_ready); without this, every full collection
    during a run would walk the 200,000 prepared clicks, which the bot never has.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


Recorder = Callable[[Click], Awaitable[str]]


def recorder_for(core: Core, kind: str) -> tuple[Recorder, GroupCommit | None]:
    """Return how a click is recorded: the real service, or one of the prototypes of a fix."""
    if kind == "service":

        async def service(c: Click) -> str:
            return (await core.answers.record_answer(c.post_id, c.user_id, c.name, c.choice)).status.value

        return service, None
    if kind == "one-hop":

        async def hop(c: Click) -> str:
            return await one_hop(core.db, core.clock, c.post_id, c.user_id, c.name, c.choice)

        return hop, None
    if kind == "pipelined":

        async def piped(c: Click) -> str:
            return await pipelined(core.db, core.clock, c.post_id, c.user_id, c.name, c.choice)

        return piped, None
    group = GroupCommit(core.db, core.clock)
    group.start()

    async def grouped(c: Click) -> str:
        return await group.record(c.post_id, c.user_id, c.name, c.choice)

    return grouped, group


async def open_loop(
    record: Recorder, clicks: list[Click], rate: float
) -> tuple[list[float], list[float], Counter[str], float, int]:
    """Fire one task per click at a fixed rate; return service and since-due latencies, statuses, time, peak."""
    service: list[float] = []
    since_due: list[float] = []
    statuses: Counter[str] = Counter()
    in_flight = 0
    peak = 0

    async def one(click: Click, due: float) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        start = time.perf_counter()
        status = await record(click)
        end = time.perf_counter()
        in_flight -= 1
        service.append(end - start)
        since_due.append(end - due)
        statuses[status] += 1

    tasks = set()
    begin = time.perf_counter()
    sent = 0
    while sent < len(clicks):
        now = time.perf_counter()
        due_now = min(len(clicks), int((now - begin) * rate) + 1)
        while sent < due_now:
            task = asyncio.create_task(one(clicks[sent], begin + sent / rate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.sleep(max(0.0, begin + sent / rate - time.perf_counter()))
    while tasks:
        await asyncio.gather(*tasks)
    return service, since_due, statuses, time.perf_counter() - begin, peak


async def closed_loop(
    record: Recorder, clicks: list[Click], learners: int, seconds: float
) -> tuple[list[float], Counter[str], float]:
    """Let `learners` tasks click back to back for a while; return latencies, statuses and elapsed time."""
    service: list[float] = []
    statuses: Counter[str] = Counter()
    queue = iter(clicks)
    stop_at = time.perf_counter() + seconds

    async def learner() -> None:
        for click in queue:
            if time.perf_counter() >= stop_at:
                return
            start = time.perf_counter()
            status = await record(click)
            service.append(time.perf_counter() - start)
            statuses[status] += 1

    begin = time.perf_counter()
    await asyncio.gather(*(learner() for _ in range(learners)))
    return service, statuses, time.perf_counter() - begin


async def aiosqlite_floor(
    core: Core, clicks: list[Click], learners: int, seconds: float, post_rows: dict[int, tuple[str, str]]
) -> tuple[list[float], float]:
    """Closed loop of one INSERT per db.transaction(): what one aiosqlite writer can do at best."""
    service: list[float] = []
    queue = iter(clicks)
    stop_at = time.perf_counter() + seconds
    now_ms = to_ms(core.clock.now())

    async def learner() -> None:
        for c in queue:
            if time.perf_counter() >= stop_at:
                return
            element_id, item_id = post_rows[c.post_id]
            start = time.perf_counter()
            async with core.db.transaction() as tx:
                await tx.execute(
                    INSERT_SQL,
                    (c.post_id, c.guild_id, c.user_id, c.name, c.choice, 0, 0, 1, element_id, item_id, now_ms, 1000),
                )
            service.append(time.perf_counter() - start)

    begin = time.perf_counter()
    await asyncio.gather(*(learner() for _ in range(learners)))
    return service, time.perf_counter() - begin


def plain_connection(path: Path) -> sqlite3.Connection:
    """Open a plain sqlite3 connection configured as Database configures its connections."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def post_details(path: Path, post_ids: set[int]) -> dict[int, tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT post_id, element_id, item_id FROM posts WHERE state = 'open'").fetchall()
    finally:
        conn.close()
    return {r[0]: (r[1], r[2]) for r in rows if r[0] in post_ids}


def plain_inserts(
    path: Path,
    clicks: list[Click],
    post_rows: dict[int, tuple[str, str]],
    now_ms: int,
    seconds: float,
    autocheckpoint: int = 1000,
) -> tuple[list[float], float]:
    """Insert answers with plain sqlite3, one INSERT + COMMIT each, for a while; return latencies and time."""
    conn = plain_connection(path)
    conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
    service = []
    begin = time.perf_counter()
    try:
        for c in clicks:
            if time.perf_counter() - begin >= seconds:
                break
            element_id, item_id = post_rows[c.post_id]
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                INSERT_SQL,
                (c.post_id, c.guild_id, c.user_id, c.name, c.choice, 0, 0, 1, element_id, item_id, now_ms, 1000),
            )
            conn.execute("COMMIT")
            service.append(time.perf_counter() - start)
    finally:
        conn.close()
    return service, time.perf_counter() - begin


def plain_record_answer_sql(
    path: Path, clicks: list[Click], post_rows: dict[int, tuple[str, str]], now_ms: int, seconds: float
) -> tuple[list[float], float]:
    """Run record_answer's statements (post, earlier answer, server settings, streak, insert) with plain sqlite3."""
    conn = plain_connection(path)
    service = []
    begin = time.perf_counter()
    try:
        for c in clicks:
            if time.perf_counter() - begin >= seconds:
                break
            element_id, item_id = post_rows[c.post_id]
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            # The same statements as record_answer: post, earlier answer and settings in one, then the streak.
            context = answer_context(conn, c.post_id, c.user_id)
            post = context.post
            assert post is not None  # noqa: S101 - the clicks are on seeded open posts
            correct = c.choice == post.correct_option
            if correct and context.streak_bonus:
                correct_run_before(conn, post, c.user_id, STREAK_BONUS_DAYS)
            conn.execute(
                INSERT_SQL,
                (
                    c.post_id,
                    c.guild_id,
                    c.user_id,
                    c.name,
                    c.choice,
                    int(correct),
                    10 * int(correct),
                    1,
                    element_id,
                    item_id,
                    now_ms,
                    1000,
                ),
            )
            conn.execute("COMMIT")
            service.append(time.perf_counter() - start)
    finally:
        conn.close()
    return service, time.perf_counter() - begin


async def run_open(
    path: Path,
    seeded: Seeded,
    clicks: list[Click],
    rate: float,
    name: str,
    checkpoint: str = "shipped",
    kind: str = "service",
) -> dict[str, Any]:
    """Run the open loop once on path with the given checkpoint set-up and way of recording."""
    async with open_core(path, seeded.now) as core:
        if checkpoint != "shipped":
            await core.db._writer.execute("PRAGMA wal_autocheckpoint = 1000")
        if checkpoint == "writer-only" and core.db._checkpoint_task is not None:
            core.db._checkpoint_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await core.db._checkpoint_task
        record, group = recorder_for(core, kind)
        with frozen_setup(), watch_machine() as machine:
            service, since_due, statuses, elapsed, peak = await open_loop(record, clicks, rate)
        wal = wal_bytes(path)
        if group is not None:
            await group.stop()
    extra: dict[str, Any] = {
        "checkpoint": checkpoint,
        "peak_in_flight": peak,
        "wal_mb_at_end": round(wal / 1e6, 1),
        **machine,
    }
    if group is not None:
        extra["mean_batch"] = round(statistics.mean(group.batches), 1)
    return summarise(name, service, since_due, statuses, elapsed, rate, extra)


async def run_closed(
    path: Path, seeded: Seeded, clicks: list[Click], learners: int, seconds: float, name: str, kind: str = "service"
) -> dict[str, Any]:
    async with open_core(path, seeded.now) as core:
        record, group = recorder_for(core, kind)
        with frozen_setup(), watch_machine() as machine:
            service, statuses, elapsed = await closed_loop(record, clicks, learners, seconds)
        if group is not None:
            await group.stop()
    return summarise(name, service, [], statuses, elapsed, None, machine)


async def run_floor(
    path: Path,
    seeded: Seeded,
    clicks: list[Click],
    learners: int,
    seconds: float,
    post_rows: dict[int, tuple[str, str]],
) -> dict[str, Any]:
    async with open_core(path, seeded.now) as core:
        service, elapsed = await aiosqlite_floor(core, clicks, learners, seconds, post_rows)
    return summarise("aiosqlite: 1 INSERT per transaction", service, [], Counter(inserted=len(service)), elapsed, None)


async def diagnose(path: Path, seeded: Seeded, clicks: list[Click], calls: int = 500) -> dict[str, Any]:
    """Count trips to the connection threads per record_answer, and time one trip (SELECT 1) on the writer."""
    async with open_core(path, seeded.now) as core:
        async with count_trips(core.db) as trips:
            for c in clicks[:calls]:
                await core.answers.record_answer(c.post_id, c.user_id, c.name, c.choice)
        hop = []
        for _ in range(2000):
            start = time.perf_counter()
            await core.db._writer.execute("SELECT 1")
            hop.append((time.perf_counter() - start) * 1e6)
    return {
        "trips_per_record_answer": {k: round(v / calls, 2) for k, v in trips.by_connection.items()},
        "writer_trip_us_p50": round(percentile(hop, 50), 1),
        "writer_trip_us_p99": round(percentile(hop, 99), 1),
    }


def seeded_copy(base: Path, answers: int, guilds: int, cache: Path | None) -> Seeded:
    """Seed base, or copy it from a cache seeded earlier with the same sizes (seeding takes about a minute)."""
    if cache is None:
        return seed(base, answers, guilds)
    cached_db = cache / f"answers-{answers}-{guilds}-v{SEED_VERSION}.sqlite3"
    cached_info = cached_db.with_suffix(".pickle")
    if not (cached_db.exists() and cached_info.exists()):
        cache.mkdir(parents=True, exist_ok=True)
        seeded = seed(cached_db, answers, guilds)
        cached_info.write_bytes(pickle.dumps(seeded))
    shutil.copyfile(cached_db, base)
    seeded = pickle.loads(cached_info.read_bytes())  # noqa: S301 - our own file, written just above or earlier
    seeded.path = base
    return seeded


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'run':<56} {'offered/s':>9} {'got/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p99.9':>8} "
        f"{'max ms':>8} {'due p99':>8} {'steal%':>6} {'gc max':>6}"
    )
    for r in rows:
        offered = f"{r['offered_per_s']:.0f}" if r["offered_per_s"] else "max"
        due = r.get("since_due_p99_ms", "")
        print(
            f"{r['run']:<56} {offered:>9} {r['achieved_per_s']:>7} {r['p50_ms']:>8} {r['p90_ms']:>8} "
            f"{r['p99_ms']:>8} {r['p999_ms']:>8} {r['max_ms']:>8} {due:>8} {r.get('steal_pct', ''):>6} "
            f"{r.get('gc_max_ms', ''):>6}"
        )


PARTS = ("rate", "closed", "checkpoint", "baselines", "prototypes", "sweep")
CHECKPOINTS = {
    "shipped": "shipped (writer 0, background 1 s)",
    "writer-autocheckpoint": "writer 1000 + background 1 s",
    "writer-only": "writer 1000, no background",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument(
        "--ckpt-rate", type=float, default=150, help="also compare checkpointing at this rate, well below saturation"
    )
    parser.add_argument("--sweep-rates", default="250,500,1000,1500,2000", help="offered rates for the sweep part")
    parser.add_argument("--sweep-seconds", type=float, default=5)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/answers.json"))
    parser.add_argument(
        "--cache", type=Path, help="keep the seeded database in this directory and reuse it next time (same options)"
    )
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    rng = random.Random(11)
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.sqlite3"
        print(f"seeding {args.answers:,} answers across {args.guilds:,} servers…", flush=True)
        seeded = seeded_copy(base, args.answers, args.guilds, args.cache)
        largest = seeded.largest
        info.update(
            answers=seeded.answers,
            posts=seeded.posts,
            guilds=args.guilds,
            seed_s=round(seeded.seconds, 1),
            db_mb=round(base.stat().st_size / 1e6),
            largest_answers=largest.answers,
            largest_share=round(largest.answers / seeded.answers, 3),
            largest_learners=len(largest.learners),
        )
        print(
            f"seeded in {seeded.seconds:.0f} s: {seeded.posts:,} posts, {info['db_mb']} MB; largest server "
            f"{largest.answers:,} answers ({largest.answers / seeded.answers:.1%}), {len(largest.learners):,} "
            "learners",
            flush=True,
        )
        open_clicks = int(args.rate * args.seconds)
        # Enough distinct clicks for the fastest run (plain sqlite3) never to run out.
        clicks = make_clicks(seeded, max(open_clicks, 200_000), rng)
        post_rows = post_details(base, {c.post_id for c in clicks})
        now_ms = to_ms(seeded.now)
        runs = 0

        def fresh() -> Path:
            nonlocal runs
            runs += 1
            copy = Path(tmp) / f"run{runs}.sqlite3"
            shutil.copyfile(base, copy)
            return copy

        def done(row: dict[str, Any], copy: Path) -> dict[str, Any]:
            # Other work on the machine skews figures; keep the load beside each run. The time tells this run's rows
            # from older ones merged into the same file (run_all shows only the fresh ones).
            row["load_1min"] = round(os.getloadavg()[0], 2)
            row["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            rows.append(row)
            print_table([row])
            for suffix in ("", "-wal", "-shm"):
                copy.with_name(copy.name + suffix).unlink(missing_ok=True)
            return row

        if "rate" in parts:
            copy = fresh()
            done(
                asyncio.run(
                    run_open(
                        copy, seeded, clicks[:open_clicks], args.rate, f"record_answer open loop {args.rate:.0f}/s"
                    )
                ),
                copy,
            )
        if "closed" in parts:
            copy = fresh()
            info.update(asyncio.run(diagnose(copy, seeded, clicks[-1000:])))
            print(json.dumps(info), flush=True)
            copy = fresh()
            done(
                asyncio.run(run_closed(copy, seeded, clicks, 1, min(args.seconds, 5), "record_answer, 1 learner")), copy
            )
            copy = fresh()
            done(
                asyncio.run(
                    run_closed(
                        copy,
                        seeded,
                        clicks,
                        args.learners,
                        args.seconds,
                        f"record_answer closed loop, {args.learners} learners",
                    )
                ),
                copy,
            )
        if "checkpoint" in parts:
            rates = [args.rate]
            if args.ckpt_rate < args.rate:
                rates.append(args.ckpt_rate)
            for rate in rates:
                for checkpoint, label in CHECKPOINTS.items():
                    copy = fresh()
                    count = int(rate * args.seconds)
                    done(
                        asyncio.run(
                            run_open(copy, seeded, clicks[:count], rate, f"ckpt {rate:.0f}/s: {label}", checkpoint)
                        ),
                        copy,
                    )
        if "baselines" in parts:
            for label, autocheckpoint, week_totals in (
                ("plain sqlite3: INSERT + COMMIT", 1000, False),
                ("plain sqlite3: INSERT + COMMIT, no checkpoint", 0, False),
                ("plain sqlite3: INSERT + COMMIT, no checkpoint, week totals", 0, True),
            ):
                copy = fresh()
                if week_totals:
                    conn = sqlite3.connect(copy, isolation_level=None)
                    conn.executescript("BEGIN;" + WEEK_TOTALS_DDL + "COMMIT;")
                    conn.close()
                service, elapsed = plain_inserts(copy, clicks, post_rows, now_ms, args.seconds, autocheckpoint)
                done(summarise(label, service, [], Counter(inserted=len(service)), elapsed, None), copy)
            copy = fresh()
            service, elapsed = plain_record_answer_sql(copy, clicks, post_rows, now_ms, args.seconds)
            done(
                summarise(
                    "plain sqlite3: record_answer's statements",
                    service,
                    [],
                    Counter(inserted=len(service)),
                    elapsed,
                    None,
                ),
                copy,
            )
            copy = fresh()
            done(asyncio.run(run_floor(copy, seeded, clicks, args.learners, args.seconds, post_rows)), copy)
        if "prototypes" in parts:
            for kind in ("one-hop", "pipelined", "group-commit"):
                copy = fresh()
                done(
                    asyncio.run(
                        run_open(
                            copy,
                            seeded,
                            clicks[:open_clicks],
                            args.rate,
                            f"prototype {kind} open loop {args.rate:.0f}/s",
                            kind=kind,
                        )
                    ),
                    copy,
                )
                copy = fresh()
                done(
                    asyncio.run(
                        run_closed(
                            copy,
                            seeded,
                            clicks,
                            args.learners,
                            args.seconds,
                            f"prototype {kind} closed loop, {args.learners} learners",
                            kind,
                        )
                    ),
                    copy,
                )

        if "sweep" in parts:
            # The highest offered rate at which p99 stays within the goal, for the service and the best prototype.
            for kind in ("service", "group-commit"):
                for rate in (float(r) for r in args.sweep_rates.split(",")):
                    copy = fresh()
                    count = int(rate * args.sweep_seconds)
                    done(
                        asyncio.run(
                            run_open(copy, seeded, clicks[:count], rate, f"sweep {kind} {rate:.0f}/s", kind=kind)
                        ),
                        copy,
                    )

    print()
    print_table(rows)
    by_run = {r["run"]: r for r in rows}
    closed = by_run.get(f"record_answer closed loop, {args.learners} learners")
    plain = by_run.get("plain sqlite3: INSERT + COMMIT")
    if closed and plain:
        info["plain_over_record_answer"] = round(plain["achieved_per_s"] / closed["achieved_per_s"], 1)
    for r in rows:
        if r["run"].startswith("ckpt") and r.get("checkpoint") != "shipped":
            shipped = by_run[r["run"].split(":")[0] + ": " + CHECKPOINTS["shipped"]]
            r["p99_minus_shipped_ms"] = round(r["p99_ms"] - shipped["p99_ms"], 3)
            print(
                f"{r['run']}: p99 {r['p99_ms']} ms vs shipped {shipped['p99_ms']} ms ({r['p99_minus_shipped_ms']:+} ms)"
            )
    print(json.dumps(info))
    # Parts run separately (--only) merge into the same file, newest figures winning.
    previous: dict[str, Any] = {}
    if args.only and args.json.exists():
        previous = json.loads(args.json.read_text(encoding="utf-8"))
    merged_runs = {r["run"]: r for r in previous.get("runs", [])} | by_run
    merged_info = previous.get("info", {}) | info
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"info": merged_info, "runs": list(merged_runs.values())}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
