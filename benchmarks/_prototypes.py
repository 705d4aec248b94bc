"""Prototypes of a faster record_answer, to measure proposed fixes before anyone changes bot/ (benchmarks only).

Both keep record_answer's rules (unknown post, already answered, closed, invalid choice, scoring and the streak
bonus) and its SQL, but cross to the writer thread once instead of once per statement:
  one_hop     the whole transaction is one function run on the writer connection's thread
  pipelined   the same without the asyncio lock, so transactions queue on the writer thread back to back
  GroupCommit clicks queue up; one writer task runs every queued click in one transaction (a savepoint each)
They reach into Database and aiosqlite internals (_writer, _conn, _execute); a real fix would add a public
"run this function on the writer" method to Database instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import datetime

from bot.domain.clock import Clock, to_ms
from bot.domain.entities import Post
from bot.domain.scoring import Origin, score_answer
from bot.domain.streaks import compute_streaks
from bot.storage.db import Database
from bot.storage.posts import post_from_row

_POST_AND_SETTINGS = (
    "SELECT p.post_id, p.guild_id, p.kind, p.origin, p.item_id, p.element_id, p.correct_option, p.option_count, "
    "p.opens_at, p.closes_at, p.state, p.channel_id, p.message_id, p.local_date, p.class_quiz_id, "
    "coalesce(g.streak_bonus, 0) FROM posts p LEFT JOIN guilds g ON g.guild_id = p.guild_id WHERE p.post_id = ?"
)
_INSERT = (
    "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
    "element_id, item_id, answered_at, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (post_id, user_id) DO NOTHING"
)


def _streak_before(conn: sqlite3.Connection, post: Post, user_id: int) -> int:
    earlier = [
        r[0]
        for r in conn.execute(
            "SELECT post_id FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' AND opens_at <= ? "
            "ORDER BY opens_at",
            (post.guild_id, post.kind.value, to_ms(post.opens_at)),
        )
        if r[0] != post.post_id
    ]
    answered = {
        r[0]: bool(r[1])
        for r in conn.execute(
            "SELECT a.post_id, a.correct FROM answers a JOIN posts p ON p.post_id = a.post_id "
            "WHERE p.guild_id = ? AND p.kind = ? AND p.origin = 'scheduled' AND a.user_id = ?",
            (post.guild_id, post.kind.value, user_id),
        )
    }
    return compute_streaks(earlier, answered).current_correct


def record_in_thread(
    conn: sqlite3.Connection, post_id: int, user_id: int, name: str, choice: int, now: datetime
) -> str:
    """Apply record_answer's rules with plain sqlite3 inside the caller's transaction; return the status."""
    row = conn.execute(_POST_AND_SETTINGS, (post_id,)).fetchone()
    if row is None:
        return "unknown_post"
    post, streak_bonus = post_from_row(row[:15]), bool(row[15])
    if not post.is_open_at(now) or not 0 <= choice < post.option_count:
        # Rare paths keep record_answer's order of checks: an earlier answer wins over "closed".
        earlier = conn.execute("SELECT 1 FROM answers WHERE post_id = ? AND user_id = ?", (post_id, user_id)).fetchone()
        if earlier is not None:
            return "already_answered"
        return "closed" if not post.is_open_at(now) else "invalid_choice"
    correct = choice == post.correct_option
    streak = 0
    if correct and post.origin is Origin.SCHEDULED and streak_bonus:
        streak = _streak_before(conn, post, user_id)
    score = score_answer(
        kind=post.kind.value,
        origin=post.origin,
        correct=correct,
        elapsed_s=(now - post.opens_at).total_seconds(),
        limit_s=(post.closes_at - post.opens_at).total_seconds() if post.closes_at else None,
        streak_before=streak,
        streak_bonus_enabled=True,
    )
    elapsed_ms = max(0, int((now - post.opens_at).total_seconds() * 1000))
    # Insert first and read the earlier answer only on a conflict: one statement in the common case.
    cursor = conn.execute(
        _INSERT,
        (
            post_id,
            post.guild_id,
            user_id,
            name[:100],
            choice,
            int(correct),
            score.points,
            int(score.on_board),
            post.element_id,
            post.item_id,
            to_ms(now),
            elapsed_ms,
        ),
    )
    return "recorded" if cursor.rowcount == 1 else "already_answered"


def _one_transaction(
    conn: sqlite3.Connection, post_id: int, user_id: int, name: str, choice: int, now: datetime
) -> str:
    conn.execute("BEGIN IMMEDIATE")
    try:
        status = record_in_thread(conn, post_id, user_id, name, choice, now)
    except BaseException:
        conn.rollback()
        raise
    conn.execute("COMMIT")
    return status


async def one_hop(db: Database, clock: Clock, post_id: int, user_id: int, name: str, choice: int) -> str:
    """Record an answer with one trip to the writer thread, holding Database's write lock meanwhile."""
    writer = db._writer
    async with db._write_lock:
        return await writer._execute(_one_transaction, writer._conn, post_id, user_id, name, choice, clock.now())


async def pipelined(db: Database, clock: Clock, post_id: int, user_id: int, name: str, choice: int) -> str:
    """Record an answer with one trip and no asyncio lock: the writer thread's queue runs transactions back to back.

    Safe only if every write is a whole transaction in one trip (a Database.write(fn) API); a transaction spread
    over several trips could otherwise have another one run in the middle of it.
    """
    writer = db._writer
    return await writer._execute(_one_transaction, writer._conn, post_id, user_id, name, choice, clock.now())


def _batch(conn: sqlite3.Connection, clicks: list[tuple[int, int, str, int]], now: datetime) -> list[str | Exception]:
    conn.execute("BEGIN IMMEDIATE")
    results: list[str | Exception] = []
    try:
        for post_id, user_id, name, choice in clicks:
            # A savepoint per click: one learner's failure never loses another learner's answer.
            conn.execute("SAVEPOINT click")
            try:
                results.append(record_in_thread(conn, post_id, user_id, name, choice, now))
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK TO click")
                results.append(exc)
            conn.execute("RELEASE click")
    except BaseException:
        conn.rollback()
        raise
    conn.execute("COMMIT")
    return results


class GroupCommit:
    """Queue clicks and record every click waiting in one transaction, one trip to the writer thread."""

    def __init__(self, db: Database, clock: Clock, max_batch: int = 256) -> None:
        self._db = db
        self._clock = clock
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[tuple[int, int, str, int], asyncio.Future[str]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches: list[int] = []

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def record(self, post_id: int, user_id: int, name: str, choice: int) -> str:
        """Queue a click and wait until its transaction has committed."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(((post_id, user_id, name, choice), future))
        return await future

    async def _run(self) -> None:
        writer = self._db._writer
        while True:
            pending = [await self._queue.get()]
            while len(pending) < self._max_batch and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            self.batches.append(len(pending))
            try:
                async with self._db._write_lock:
                    results = await writer._execute(_batch, writer._conn, [p[0] for p in pending], self._clock.now())
            except Exception as exc:  # the whole batch failed: tell every waiting learner
                for _, future in pending:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(pending, results, strict=True):
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


# The weekly (or any windowed) board in one statement: one aggregation of the window's answers instead of four
# (size, page, the viewer's row, the count above the viewer), and display names looked up for the page only.
WINDOW_BOARD_SQL = """
WITH board AS (
    SELECT user_id, SUM(points) AS points, COUNT(*) AS answers, SUM(correct) AS correct
    FROM answers
    WHERE guild_id = :guild AND on_board = 1 AND answered_at >= :start AND answered_at < :end
    GROUP BY user_id
), ranked AS (
    SELECT user_id, points, answers, correct,
           RANK() OVER (ORDER BY points DESC) AS rank,
           ROW_NUMBER() OVER (ORDER BY points DESC, answers, user_id) AS position,
           COUNT(*) OVER () AS learners
    FROM board
)
SELECT r.rank, r.user_id, coalesce(t.display_name, 'Unknown learner'), r.points, r.answers, r.correct, r.learners
FROM ranked r LEFT JOIN board_totals t ON t.guild_id = :guild AND t.user_id = r.user_id
WHERE (r.position > :offset AND r.position <= :offset + :limit) OR r.user_id = :viewer
ORDER BY r.position
"""


def _statements(conn: sqlite3.Connection, statements: list[tuple[str, tuple[object, ...]]]) -> list[list[tuple]]:
    # One read transaction: every statement sees the same snapshot, which separate trips do not guarantee.
    conn.execute("BEGIN")
    try:
        return [conn.execute(sql, params).fetchall() for sql, params in statements]
    finally:
        conn.execute("COMMIT")


async def read_in_one_trip(db: Database, statements: list[tuple[str, tuple[object, ...]]]) -> list[list[tuple]]:
    """Run several reads on the reader connection's thread in one trip."""
    reader = db._reader
    return await reader._execute(_statements, reader._conn, statements)


# Weekly totals kept like the all-time ones, so "this week" reads an index instead of aggregating answers. The
# week here is the UTC Monday week (the seeded servers are all in Europe/London, on GMT in the measured week); a real
# version would store the server-local week on each answer (the service knows the server's zone and week start) and
# rebuild a server's rows if those settings change.
WEEK_TOTALS_DDL = """
CREATE TABLE proto_week_totals (
    guild_id INTEGER NOT NULL,
    week     TEXT    NOT NULL,
    user_id  INTEGER NOT NULL,
    points   INTEGER NOT NULL,
    answers  INTEGER NOT NULL,
    correct  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, week, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX proto_week_totals_rank ON proto_week_totals (guild_id, week, points DESC, answers, user_id);
INSERT INTO proto_week_totals
    SELECT guild_id, date(answered_at / 1000, 'unixepoch', '-6 days', 'weekday 1'), user_id,
           SUM(points), COUNT(*), SUM(correct)
    FROM answers WHERE on_board = 1 GROUP BY 1, 2, 3;
CREATE TRIGGER proto_week_totals_add AFTER INSERT ON answers WHEN NEW.on_board = 1
BEGIN
    INSERT INTO proto_week_totals (guild_id, week, user_id, points, answers, correct)
    VALUES (NEW.guild_id, date(NEW.answered_at / 1000, 'unixepoch', '-6 days', 'weekday 1'), NEW.user_id,
            NEW.points, 1, NEW.correct)
    ON CONFLICT (guild_id, week, user_id) DO UPDATE SET
        points = points + excluded.points, answers = answers + 1, correct = correct + excluded.correct;
END;
"""


def week_board_statements(
    guild_id: int, week: str, viewer_id: int, limit: int = 10, offset: int = 0
) -> list[tuple[str, tuple[object, ...]]]:
    """Return the weekly board's reads on proto_week_totals: size, page, the viewer's row, and the count above it."""
    return [
        ("SELECT COUNT(*) FROM proto_week_totals WHERE guild_id = ? AND week = ?", (guild_id, week)),
        (
            "SELECT w.user_id, coalesce(t.display_name, 'Unknown learner'), w.points, w.answers, w.correct "
            "FROM proto_week_totals w LEFT JOIN board_totals t ON t.guild_id = w.guild_id AND t.user_id = w.user_id "
            "WHERE w.guild_id = ? AND w.week = ? ORDER BY w.points DESC, w.answers, w.user_id LIMIT ? OFFSET ?",
            (guild_id, week, limit, offset),
        ),
        (
            "SELECT w.points, (SELECT COUNT(*) FROM proto_week_totals a WHERE a.guild_id = w.guild_id "
            "AND a.week = w.week AND a.points > w.points) FROM proto_week_totals w "
            "WHERE w.guild_id = ? AND w.week = ? AND w.user_id = ?",
            (guild_id, week, viewer_id),
        ),
    ]
