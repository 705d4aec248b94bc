"""Measure LeaderboardService.leaderboard for the largest server of a database of 1M answers.

python -m benchmarks.leaderboards [--answers 1000000] [--guilds 1000] [--calls 200]

For each period: page 0 with a viewer outside the top 10 (so the viewer's own line is looked up too), timed through
the real service; then where the time goes: trips to the reader thread per call, each statement the service sent
timed alone with plain sqlite3 (and its query plan), the same statements sent in one trip, and for windowed periods
one statement that aggregates the window once (benchmarks/_prototypes.py). Last, "week*": the weekly board read from a
prototype table of weekly totals kept by a trigger, like the all-time totals.
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

from benchmarks._prototypes import WEEK_TOTALS_DDL, WINDOW_BOARD_SQL, read_in_one_trip, week_board_statements
from benchmarks._seed import Seeded, count_trips, open_core, percentile, seed
from bot.domain.clock import to_ms
from bot.domain.periods import Period
from bot.services.leaderboards import BoardPage
from bot.storage.db import BUSY_TIMEOUT_MS, Database

PERIODS = (Period.ALL_TIME, Period.WEEK, Period.MONTH)  # today's posts are still open, so TODAY is empty
GOALS_MS = {Period.ALL_TIME: 1.0, Period.WEEK: 3.0}  # median, from the issue


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


def stats(ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
    }


def plain_statement_times(path: Path, statements: list[tuple[str, tuple[Any, ...]]], runs: int = 50) -> list[dict]:
    """Time each statement alone with plain sqlite3 (median of runs) and show SQLite's plan for it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    out = []
    try:
        for sql, params in statements:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                conn.execute(sql, params).fetchall()
                times.append((time.perf_counter() - start) * 1000)
            plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            out.append({"sql": " ".join(sql.split()), "median_ms": round(statistics.median(times), 3), "plan": plan})
    finally:
        conn.close()
    return out


async def measure(path: Path, seeded: Seeded, calls: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
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
            async with count_trips(core.db) as trips:
                page = await service.leaderboard(guild, period, page=0, viewer_id=viewer)
            statements = [(sql, params) for _, sql, params in trips.statements]
            one_trip = await timed(lambda s=statements: read_in_one_trip(core.db, s), calls)
            row: dict[str, Any] = {
                "period": period.value,
                "calls": calls,
                **stats(ms),
                "goal_median_ms": GOALS_MS.get(period),
                "learners_on_board": page.learners,
                "viewer_rank": page.viewer.rank if page.viewer else None,
                "trips_per_call": dict(trips.by_connection),
                "statements": plain_statement_times(path, statements),
                "same_statements_one_trip": stats(one_trip),
            }
            row["plain_sql_sum_ms"] = round(sum(s["median_ms"] for s in row["statements"]), 3)
            window = (await service.scope(guild, period)).window
            if window.start is not None and window.end is not None:
                params = {
                    "guild": guild,
                    "start": to_ms(window.start),
                    "end": to_ms(window.end),
                    "offset": 0,
                    "limit": 10,
                    "viewer": viewer,
                }
                # The settings lookup stays: the service needs the server's timezone to find the window.
                settings_sql = trips.statements[0][1:]
                single = await timed(
                    lambda p=params, s=settings_sql: read_in_one_trip(core.db, [s, (WINDOW_BOARD_SQL, p)]), calls
                )
                result = (await read_in_one_trip(core.db, [(WINDOW_BOARD_SQL, params)]))[0]
                expected = [(e.rank, e.user_id, e.points) for e in page.entries]
                if page.viewer is not None:
                    expected.append((page.viewer.rank, page.viewer.user_id, page.viewer.points))
                row["one_statement_one_trip"] = stats(single)
                row["one_statement_matches_service"] = [(r[0], r[1], r[3]) for r in result] == expected
                row["one_statement_plain_ms"] = plain_statement_times(path, [(WINDOW_BOARD_SQL, params)])[0]
            rows.append(row)
            print_row(row)
        week_page = await service.leaderboard(guild, Period.WEEK, page=0, viewer_id=viewer)
        settings_sql = trips.statements[0][1:]
        trip = await timed(lambda: core.db.fetch_all("SELECT 1"), 2000)
    rows.append(await measure_week_totals(path, seeded, calls, viewer, week_page, settings_sql))
    # The cost of one trip to the reader thread on this machine: it multiplies the trips per call.
    print(f"one trip to the reader thread (SELECT 1): {stats(trip)}")
    return rows, stats(trip)


async def measure_week_totals(
    path: Path, seeded: Seeded, calls: int, viewer: int, expected: BoardPage, settings_sql: tuple[str, tuple[Any, ...]]
) -> dict[str, Any]:
    """Add the weekly-totals prototype to the file, then time this week's board read from it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        started = time.perf_counter()
        conn.executescript("BEGIN;" + WEEK_TOTALS_DDL + "COMMIT;")
        build_s = time.perf_counter() - started
    finally:
        conn.close()
    assert expected.window.start is not None  # noqa: S101
    week = expected.window.start.date().isoformat()
    statements = week_board_statements(seeded.largest.guild_id, week, viewer)
    async with open_core(path, seeded.now) as core:
        separate = await timed(lambda: _separate_trips(core.db, [settings_sql, *statements]), calls)
        one_trip = await timed(lambda: read_in_one_trip(core.db, [settings_sql, *statements]), calls)
        size, page, mine = await read_in_one_trip(core.db, statements)
    matches = (
        size[0][0] == expected.learners
        and [(r[0], r[2]) for r in page] == [(e.user_id, e.points) for e in expected.entries]
        and expected.viewer is not None
        and (mine[0][1] + 1, mine[0][0]) == (expected.viewer.rank, expected.viewer.points)
    )
    row: dict[str, Any] = {
        "period": "week*",
        "calls": calls,
        **stats(separate),
        "goal_median_ms": GOALS_MS[Period.WEEK],
        "learners_on_board": size[0][0],
        "viewer_rank": mine[0][1] + 1 if mine else None,
        "trips_per_call": {"reader": 1 + len(statements)},
        "statements": plain_statement_times(path, statements),
        "same_statements_one_trip": stats(one_trip),
        "note": "prototype: weekly totals kept by a trigger (benchmarks/_prototypes.py), one fetch_all per statement",
        "matches_service": matches,
        "build_s": round(build_s, 1),
    }
    row["plain_sql_sum_ms"] = round(sum(s["median_ms"] for s in row["statements"]), 3)
    print_row(row)
    return row


async def _separate_trips(db: Database, statements: list[tuple[str, tuple[Any, ...]]]) -> list[list[tuple]]:
    return [await db.fetch_all(sql, params) for sql, params in statements]


def print_row(r: dict[str, Any]) -> None:
    goal = f"<= {r['goal_median_ms']}" if r["goal_median_ms"] else "-"
    one = r["same_statements_one_trip"]["median_ms"]
    single = r.get("one_statement_one_trip", {}).get("median_ms", "-")
    print(
        f"{r['period']:<6} {r['median_ms']:>8} {r['p90_ms']:>8} {r['p99_ms']:>8} {goal:>7} "
        f"{sum(r['trips_per_call'].values()):>6} {len(r['statements']):>6} {r['plain_sql_sum_ms']:>8} {one:>9} "
        f"{single:>9} {r['learners_on_board']:>8} {r['viewer_rank'] or '-':>6}",
        flush=True,
    )


HEADER = (
    f"{'period':<6} {'med ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'goal':>7} {'trips':>6} {'stmts':>6} {'sql ms':>8} "
    f"{'1 trip':>9} {'1 stmt':>9} {'learners':>8} {'viewer':>6}"
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
        print(HEADER)
        rows, trip = asyncio.run(measure(path, seeded, args.calls))
    print()
    print("med/p90/p99: LeaderboardService.leaderboard; trips: aiosqlite calls per leaderboard; sql ms: the same")
    print("statements alone in plain sqlite3; 1 trip: those statements in one trip to the reader thread; 1 stmt:")
    print("settings + one windowed statement in one trip (benchmarks/_prototypes.py). week*: prototype weekly totals")
    print("table, its reads as one fetch_all each (med/p90/p99) or in one trip (1 trip).")
    print(HEADER)
    for r in rows:
        print_row(r)
    for r in rows:
        print(f"\n{r['period']}:")
        for s in r["statements"]:
            print(f"  {s['median_ms']:>7} ms  {s['sql'][:150]}")
            for step in s["plan"]:
                print(f"             {step}")
        if "one_statement_plain_ms" in r:
            s = r["one_statement_plain_ms"]
            print(
                f"  one statement: {s['median_ms']} ms plain, matches the service: {r['one_statement_matches_service']}"
            )
            for step in s["plan"]:
                print(f"             {step}")
    info = {
        "answers": seeded.answers,
        "guilds": args.guilds,
        "largest_answers": largest.answers,
        "now": seeded.now.isoformat(),
        "reader_trip_ms": trip,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, "periods": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
