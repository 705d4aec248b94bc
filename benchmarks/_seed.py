"""Build a realistic revbot database for benchmarks: many servers of skewed sizes, six months of answers.

The schema comes from Database.open (the real migrations); the rows are bulk-inserted with plain sqlite3 in one
transaction because going through the services would take hours. The triggers still keep the board totals.
copy_to_postgres copies such a file into PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.clock import FixedClock, from_ms, to_ms
from bot.domain.periods import week_key
from bot.services.answers import AnswerService
from bot.services.leaderboards import LeaderboardService
from bot.storage.db import Database

# A Sunday evening: "this week" is almost full, the worst case for the weekly board.
NOW = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
DAYS = 182  # about six months of history
ELEMENTS = 10
ANSWERS_PER_LEARNER = 40  # a server's learner pool is its answers / this (at least 20)
GUILD_BASE = 900_000_000_000_000_000  # Discord-sized snowflakes, so rows are as wide as real ones
GUILD_STEP = 1 << 22  # consecutive servers on consecutive shards: Discord's shard is (guild_id >> 22) % count
USER_BASE = 300_000_000_000_000_000
QUESTION_HOUR, CHALLENGE_HOUR, OPEN_HOURS = 9, 11, 12


@dataclass
class GuildInfo:
    """One seeded server: its id, learners and the posts open at NOW."""

    guild_id: int
    answers: int
    learners: list[int]
    open_posts: list[tuple[int, int]] = field(default_factory=list)  # (post_id, option_count)
    streak_bonus: bool = False


@dataclass
class Seeded:
    """What a benchmark needs to know about the seeded database."""

    path: Path
    now: datetime
    guilds: list[GuildInfo]
    answers: int
    posts: int
    seconds: float

    @property
    def largest(self) -> GuildInfo:
        return max(self.guilds, key=lambda g: g.answers)


def zipf_sizes(total: int, count: int, exponent: float = 1.0) -> list[int]:
    """Split total into count sizes proportional to 1/rank**exponent (largest first), summing to total."""
    weights = [1 / (k**exponent) for k in range(1, count + 1)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def _learner_pick(rng: random.Random, pool: int) -> int:
    # Squaring a uniform number favours low indexes: a few keen learners answer most days, many rarely do.
    return int(pool * rng.random() ** 2)


def _post_rows(guild: GuildInfo, first_post_id: int, now: datetime, rng: random.Random) -> list[tuple]:
    """Return two scheduled posts a day (a question and a challenge) for DAYS days up to today; today's are open."""
    rows = []
    post_id = first_post_id
    today = now.date()
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        for kind, hour in (("question", QUESTION_HOUR), ("challenge", CHALLENGE_HOUR)):
            opens = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            closes = opens + timedelta(hours=OPEN_HOURS)
            element = rng.randrange(ELEMENTS)
            options = 4
            is_open = back == 0
            rows.append(
                (
                    post_id,
                    guild.guild_id,
                    kind,
                    "scheduled",
                    f"el{element:02d}.q.n{rng.randrange(1000)}",
                    f"el{element:02d}",
                    rng.randrange(options),
                    options,
                    day.isoformat(),
                    to_ms(opens),
                    to_ms(now + timedelta(hours=OPEN_HOURS) if is_open else closes),
                    "open" if is_open else "closed",
                )
            )
            if is_open:
                guild.open_posts.append((post_id, options))
            post_id += 1
    return rows


def _answer_rows(guild: GuildInfo, posts: list[tuple], now: datetime, rng: random.Random) -> list[tuple]:
    """Spread the server's answers over its closed posts, one per learner per post."""
    closed = [p for p in posts if p[11] == "closed"]
    per_post = [0] * len(closed)
    for _ in range(guild.answers):
        per_post[rng.randrange(len(closed))] += 1
    pool = len(guild.learners)
    rows = []
    for post, count in zip(closed, per_post, strict=True):
        count = min(count, pool)
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(_learner_pick(rng, pool))
        post_id, guild_id, kind, _, item_id, element_id, correct_option, options, _, opens_ms = post[:10]
        for index in chosen:
            user_id = guild.learners[index]
            choice = correct_option if rng.random() < 0.65 else rng.randrange(options)
            correct = int(choice == correct_option)
            points = (15 if kind == "challenge" else 10) * correct
            # Most answers come in the first hour after posting.
            elapsed = int(min(rng.expovariate(1 / 2_400_000), OPEN_HOURS * 3_600_000 - 1))
            rows.append(
                (
                    post_id,
                    guild_id,
                    user_id,
                    f"learner{user_id % 100_000}",
                    choice,
                    correct,
                    points,
                    1,
                    element_id,
                    item_id,
                    opens_ms + elapsed,
                    elapsed,
                )
            )
    return rows


def seed(
    path: Path,
    answers: int = 1_000_000,
    guilds: int = 1000,
    now: datetime = NOW,
    seed_value: int = 7,
    streak_every: int = 3,
) -> Seeded:
    """Create and migrate the database at path, then bulk-insert the servers, posts and answers."""
    started = time.perf_counter()

    async def _migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(_migrate())
    rng = random.Random(seed_value)
    infos = []
    next_user = USER_BASE
    for rank, size in enumerate(zipf_sizes(answers, guilds)):
        pool = max(20, size // ANSWERS_PER_LEARNER)
        learners = list(range(next_user, next_user + pool))
        next_user += pool
        # Every third server has the streak bonus on, including the largest: it costs two more queries per answer.
        infos.append(GuildInfo(GUILD_BASE + rank * GUILD_STEP, size, learners, streak_bonus=rank % streak_every == 0))

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Setup only, nothing to lose if it crashes: no journal, no syncs, a big cache. WAL comes back below.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO guilds (guild_id, timezone, week_start, streak_bonus, created_at) VALUES (?, ?, 0, ?, ?)",
            [(g.guild_id, "Europe/London", int(g.streak_bonus), to_ms(now - timedelta(days=DAYS + 1))) for g in infos],
        )
        all_posts: list[tuple] = []
        all_answers: list[tuple] = []
        for g in infos:
            posts = _post_rows(g, len(all_posts) + 1, now, rng)
            all_posts.extend(posts)
            all_answers.extend(_answer_rows(g, posts, now, rng))
        conn.executemany(
            "INSERT INTO posts (post_id, guild_id, kind, origin, item_id, element_id, correct_option, option_count, "
            "local_date, opens_at, closes_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            all_posts,
        )
        all_answers.sort(key=lambda r: r[10])  # answers arrive in time order, so the rowids follow the clock
        # Every server here is in London with weeks from Monday: the week key the bot would store.
        london = ZoneInfo("Europe/London")
        conn.executemany(
            "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
            "element_id, item_id, answered_at, elapsed_ms, week_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, week_key(from_ms(row[10]), london, 0)) for row in all_answers],
        )
        conn.execute(STREAK_STATES_SQL)
        conn.execute("COMMIT")
        # No ANALYZE: the bot never runs it, so the planner must do without statistics here too.
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    return Seeded(path, now, infos, len(all_answers), len(all_posts), time.perf_counter() - started)


# The daily-question streak state the bot keeps with each answer (bot/services/streaks.py), for answers inserted in
# bulk: the learner's latest run of consecutive scheduled posts answered (and answered right), and the longest of each.
STREAK_STATES_SQL = """
WITH seq AS (
    SELECT post_id, kind, opens_at,
           ROW_NUMBER() OVER (PARTITION BY guild_id, kind ORDER BY opens_at, post_id) AS n
    FROM posts WHERE origin = 'scheduled' AND kind = 'question'
), ans AS (
    SELECT a.guild_id, a.user_id, s.kind, s.n, s.post_id, s.opens_at, a.correct,
           s.n - ROW_NUMBER() OVER (PARTITION BY a.guild_id, a.user_id, s.kind ORDER BY s.n) AS run_id
    FROM answers a JOIN seq s ON s.post_id = a.post_id
), rights AS (
    SELECT guild_id, user_id, kind, n,
           n - ROW_NUMBER() OVER (PARTITION BY guild_id, user_id, kind ORDER BY n) AS run_id
    FROM ans WHERE correct = 1
), runs AS (
    SELECT guild_id, user_id, kind, COUNT(*) AS len, MAX(n) AS last_n FROM ans GROUP BY guild_id, user_id, kind, run_id
), right_runs AS (
    SELECT guild_id, user_id, kind, COUNT(*) AS len, MAX(n) AS last_n
    FROM rights GROUP BY guild_id, user_id, kind, run_id
), latest AS (
    SELECT guild_id, user_id, kind, MAX(n) AS n, MAX(len) AS best FROM (
        SELECT a.guild_id, a.user_id, a.kind, a.n, r.len FROM ans a
        JOIN runs r ON r.guild_id = a.guild_id AND r.user_id = a.user_id AND r.kind = a.kind AND r.last_n = a.n
    ) GROUP BY guild_id, user_id, kind
)
INSERT INTO learner_streaks (guild_id, user_id, kind, last_post_id, last_opened_at, run, run_correct, best,
                             best_correct)
SELECT l.guild_id, l.user_id, l.kind, a.post_id, a.opens_at, r.len, coalesce(rr.len, 0), l.best,
       coalesce((SELECT MAX(x.len) FROM right_runs x
                 WHERE x.guild_id = l.guild_id AND x.user_id = l.user_id AND x.kind = l.kind), 0)
FROM latest l
JOIN ans a ON a.guild_id = l.guild_id AND a.user_id = l.user_id AND a.kind = l.kind AND a.n = l.n
JOIN runs r ON r.guild_id = l.guild_id AND r.user_id = l.user_id AND r.kind = l.kind AND r.last_n = l.n
LEFT JOIN right_runs rr ON rr.guild_id = l.guild_id AND rr.user_id = l.user_id AND rr.kind = l.kind AND rr.last_n = l.n
"""


def copy_to_postgres(path: Path, url: str) -> None:
    """Copy the SQLite database at path into the empty PostgreSQL database at url, as `revbot db copy` does.

    Then ANALYZE, as autovacuum would soon after a bulk load.
    """
    import psycopg

    from bot.storage.pgcopy import copy_to_postgres as copy

    copy(path, url, lambda _progress: None)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


@dataclass
class Core:
    """The storage and services wired as the bot wires them."""

    db: Database
    clock: FixedClock
    answers: AnswerService
    leaderboards: LeaderboardService


@contextlib.asynccontextmanager
async def open_core(path: Path | str, now: datetime = NOW) -> AsyncIterator[Core]:
    """Open the database (an SQLite file or a PostgreSQL URL) and build the real services over it with a fixed clock."""
    db = await Database.open(path)
    clock = FixedClock(now)
    try:
        yield Core(
            db,
            clock,
            AnswerService(db, clock),
            LeaderboardService(db, clock),
        )
    finally:
        await db.close()


def _cpu_ticks() -> tuple[int, int]:
    """Return (steal, total) CPU ticks from /proc/stat, or zeros where there is none."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


@contextlib.contextmanager
def watch_machine() -> Iterator[dict[str, float]]:
    """Record what the machine did to a run: CPU stolen by the hypervisor, and garbage-collector pauses."""
    found: dict[str, float] = {}
    pauses: list[float] = []
    started: list[float] = []
    by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append((time.perf_counter() - started.pop()) * 1000)
            by_generation[info["generation"]].append(pauses[-1])

    steal0, total0 = _cpu_ticks()
    gc.callbacks.append(on_gc)
    try:
        yield found
    finally:
        gc.callbacks.remove(on_gc)
        steal1, total1 = _cpu_ticks()
        found["steal_pct"] = round(100 * (steal1 - steal0) / max(1, total1 - total0), 1)
        found["gc_pauses"] = len(pauses)
        found["gc_max_ms"] = round(max(pauses, default=0.0), 2)
        found["gc_total_ms"] = round(sum(pauses), 1)
        for generation, times in by_generation.items():
            found[f"gc{generation}_count"] = len(times)
            found[f"gc{generation}_max_ms"] = round(max(times, default=0.0), 2)


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
