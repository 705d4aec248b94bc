"""Measure recording answers through AnswerService.record_answer on a database of 1M answers.

python -m benchmarks.answers [--answers 1000000] [--guilds 1000] [--rate 2000] [--seconds 10] [--learners 500]
                             [--only rate|closed ...] [--cache DIR]

Every part runs on a fresh copy of the same seeded file (benchmarks/_seed.py):
  rate    the open loop: clicks arrive at --rate (one task per click, as discord.py dispatches interactions);
          latency is record_answer's own time, "due p99" the time since the click was due
  closed  --learners tasks click back to back: the saturation rate; also one learner alone
Both take about 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import pickle
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._seed import Core, Seeded, open_core, percentile, seed, watch_machine

SEED_VERSION = 5  # bump when benchmarks/_seed.py changes what it writes: older cached copies are not reused


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


Recorder = Callable[[Click], Awaitable[str]]


def recorder_for(core: Core) -> Recorder:
    """Return how a click is recorded: through the real service."""

    async def service(c: Click) -> str:
        return (await core.answers.record_answer(c.post_id, c.user_id, c.name, c.choice)).status.value

    return service


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


async def run_open(path: Path, seeded: Seeded, clicks: list[Click], rate: float, name: str) -> dict[str, Any]:
    """Run the open loop once on path."""
    async with open_core(path, seeded.now) as core:
        with watch_machine() as machine:
            service, since_due, statuses, elapsed, peak = await open_loop(recorder_for(core), clicks, rate)
    return summarise(name, service, since_due, statuses, elapsed, rate, {"peak_in_flight": peak, **machine})


async def run_closed(
    path: Path, seeded: Seeded, clicks: list[Click], learners: int, seconds: float, name: str
) -> dict[str, Any]:
    """Run the closed loop once on path."""
    async with open_core(path, seeded.now) as core:
        with watch_machine() as machine:
            service, statuses, elapsed = await closed_loop(recorder_for(core), clicks, learners, seconds)
    return summarise(name, service, [], statuses, elapsed, None, machine)


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


PARTS = ("rate", "closed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--learners", type=int, default=500)
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
        # Enough distinct clicks for the closed loop never to run out.
        clicks = make_clicks(seeded, max(open_clicks, 200_000), rng)
        runs = 0

        def fresh() -> Path:
            nonlocal runs
            runs += 1
            copy = Path(tmp) / f"run{runs}.sqlite3"
            shutil.copyfile(base, copy)
            return copy

        def done(row: dict[str, Any], copy: Path) -> dict[str, Any]:
            row["load_1min"] = round(os.getloadavg()[0], 2)  # other work on the machine skews figures
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

    print()
    print_table(rows)
    print(json.dumps(info))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, "runs": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
