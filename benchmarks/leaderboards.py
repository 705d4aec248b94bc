"""Measure LeaderboardService.leaderboard for the largest server of a database of 1M answers.

python -m benchmarks.leaderboards [--answers 1000000] [--guilds 1000] [--calls 200]

For each period: page 0 with a viewer outside the top 10 (so the viewer's own line is looked up too), timed through
the real service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks._seed import Seeded, open_core, percentile, seed
from bot.domain.clock import to_ms
from bot.domain.periods import Period

PERIODS = (Period.ALL_TIME, Period.WEEK, Period.MONTH)  # today's posts are still open, so TODAY is empty
GOALS_MS = {Period.ALL_TIME: 1.0, Period.WEEK: 3.0}  # median, from docs/architecture.md


def choose_viewer(path: Path, guild_id: int, start_ms: int, end_ms: int) -> int:
    """Return a learner in the middle of both the all-time and this week's board (well outside the top 10)."""
    conn = sqlite3.connect(path)
    try:
        week = [
            r[0]
            for r in conn.execute(
                "SELECT user_id FROM answers WHERE guild_id = ? AND on_board = 1 AND answered_at >= ? "
                "AND answered_at < ? GROUP BY user_id ORDER BY SUM(points) DESC, COUNT(*), user_id",
                (guild_id, start_ms, end_ms),
            )
        ]
    finally:
        conn.close()
    return week[len(week) // 2]


async def timed(fn: Callable[[], Awaitable[object]], calls: int, warm: int = 20) -> list[float]:
    """Call fn warm times untimed, then calls times; return milliseconds."""
    for _ in range(warm):
        await fn()
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def measure(path: Path, seeded: Seeded, calls: int) -> list[dict[str, Any]]:
    guild = seeded.largest.guild_id
    rows = []
    async with open_core(path, seeded.now) as core:
        service = core.leaderboards
        week = (await service.scope(guild, Period.WEEK)).window
        assert week.start is not None and week.end is not None  # noqa: S101
        viewer = choose_viewer(path, guild, to_ms(week.start), to_ms(week.end))
        for period in PERIODS:

            async def call(period: Period = period) -> object:
                return await service.leaderboard(guild, period, page=0, viewer_id=viewer)

            ms = await timed(call, calls)
            page = await service.leaderboard(guild, period, page=0, viewer_id=viewer)
            row = {
                "period": period.value,
                "calls": calls,
                "median_ms": round(statistics.median(ms), 3),
                "p99_ms": round(percentile(ms, 99), 3),
                "goal_median_ms": GOALS_MS.get(period),
                "learners_on_board": page.learners,
                "viewer_rank": page.viewer.rank if page.viewer else None,
            }
            rows.append(row)
            print_row(row)
    return rows


def print_row(r: dict[str, Any]) -> None:
    goal = f"<= {r['goal_median_ms']}" if r["goal_median_ms"] else "-"
    print(
        f"{r['period']:<8} {r['median_ms']:>8} {r['p99_ms']:>8} {goal:>7} {r['learners_on_board']:>8} "
        f"{r['viewer_rank'] or '-':>6}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/leaderboards.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "boards.sqlite3"
        print(f"seeding {args.answers:,} answers across {args.guilds:,} servers…", flush=True)
        seeded = seed(path, args.answers, args.guilds)
        largest = seeded.largest
        print(
            f"seeded in {seeded.seconds:.0f} s; largest server {largest.answers:,} answers "
            f"({largest.answers / seeded.answers:.1%}); now {seeded.now.isoformat()}",
            flush=True,
        )
        print(f"{'period':<8} {'med ms':>8} {'p99 ms':>8} {'goal':>7} {'learners':>8} {'viewer':>6}")
        rows = asyncio.run(measure(path, seeded, args.calls))
    info = {
        "answers": seeded.answers,
        "guilds": args.guilds,
        "largest_answers": largest.answers,
        "now": seeded.now.isoformat(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, "periods": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
