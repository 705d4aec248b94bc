"""Answers: one per learner per post, enforced by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import from_ms, to_ms
from bot.domain.entities import Answer, GuildSettings, Post, PostState
from bot.domain.periods import week_key
from bot.domain.streaks import StreakState
from bot.storage.db import Connection, Database
from bot.storage.guilds import guild_settings_from_row
from bot.storage.posts import POST_COLUMNS, POST_WIDTH, post_from_row

_ANSWER_COLUMNS = "post_id, user_id, display_name, choice, correct, points, answered_at"
_POST_FIELDS = ", ".join(f"p.{c.strip()}" for c in POST_COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What deciding on a click needs, read in one statement."""

    post: Post | None
    first: Answer | None  # the learner's earlier answer, if any
    streak_bonus: bool
    settings: GuildSettings | None = None
    streak: StreakState | None = None  # the learner's kept streak for this kind of post in the server


@dataclass(frozen=True, slots=True)
class ScheduledHistory:
    """A server's scheduled posts of a kind (oldest first), which of them a learner answered, and the open one."""

    post_ids: list[int]
    opened_ms: list[int]  # when each opened (UTC milliseconds)
    answered: dict[int, bool]
    open_post_id: int | None = None


def answer_context(conn: Connection, post_id: int, user_id: int) -> AnswerContext:
    """Return the post, the learner's earlier answer and kept streak, and the server's settings."""
    row = conn.execute(
        f"SELECT {_POST_FIELDS}, a.display_name, a.choice, a.correct, a.points, a.answered_at, "
        "g.guild_id, g.timezone, g.week_start, g.tutor_role_id, g.streak_bonus, "
        "s.last_post_id, s.last_opened_at, s.run, s.run_correct, s.best, s.best_correct FROM posts p "
        "LEFT JOIN answers a ON a.post_id = p.post_id AND a.user_id = ? "
        "LEFT JOIN guilds g ON g.guild_id = p.guild_id "
        "LEFT JOIN learner_streaks s ON s.guild_id = p.guild_id AND s.user_id = ? AND s.kind = p.kind "
        "WHERE p.post_id = ?",
        (user_id, user_id, post_id),
    ).fetchone()
    if row is None:
        return AnswerContext(None, None, False)
    post, rest = post_from_row(row[:POST_WIDTH]), row[POST_WIDTH:]
    name, choice, correct, points, answered_at = rest[:5]
    first = None
    if choice is not None:
        first = Answer(post_id, user_id, name, choice, bool(correct), points, from_ms(answered_at))
    settings = guild_settings_from_row(rest[5:10]) if rest[5] is not None else GuildSettings(post.guild_id)
    streak = StreakState(*rest[10:16]) if rest[10] is not None else None
    return AnswerContext(post, first, settings.streak_bonus, settings, streak)


def insert_answer(
    conn: Connection, post: Post, answer: Answer, *, on_board: bool, elapsed_ms: int | None, week: str | None
) -> bool:
    """Insert an answer; return False if the learner had already answered (nothing is written)."""
    cursor = conn.execute(
        "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
        "element_id, item_id, answered_at, elapsed_ms, week_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (post_id, user_id) DO NOTHING",
        (
            post.post_id,
            post.guild_id,
            answer.user_id,
            answer.display_name,
            answer.choice,
            int(answer.correct),
            answer.points,
            int(on_board),
            post.element_id,
            post.item_id,
            to_ms(answer.answered_at),
            elapsed_ms,
            week,
        ),
    )
    return cursor.rowcount == 1


def rebuild_week_totals(conn: Connection, settings: GuildSettings) -> int:
    """Recompute a server's week keys and weekly totals (after its timezone or week start changes)."""
    zone = settings.zone
    rows = conn.execute("SELECT answer_id, answered_at FROM answers WHERE guild_id = ?", (settings.guild_id,))
    keys = [(week_key(from_ms(ms), zone, settings.week_start), answer_id) for answer_id, ms in rows.fetchall()]
    conn.executemany("UPDATE answers SET week_key = ? WHERE answer_id = ?", keys)
    conn.execute("DELETE FROM board_week_totals WHERE guild_id = ?", (settings.guild_id,))
    conn.execute(
        "INSERT INTO board_week_totals (guild_id, week_key, user_id, points, answers, correct) "
        "SELECT guild_id, week_key, user_id, SUM(points), COUNT(*), SUM(correct) FROM answers "
        "WHERE guild_id = ? AND on_board = 1 GROUP BY guild_id, week_key, user_id",
        (settings.guild_id,),
    )
    return len(keys)


def scheduled_history(
    conn: Connection, guild_id: int, kind: str, user_id: int, now: datetime | None
) -> ScheduledHistory:
    """Return the server's scheduled posts of a kind opened by now, the learner's answers to them, and which is open
    (now None: every scheduled post, none counted as open).

    One walk along the server's posts index probing the learner's answer to each: about 3 µs a post, so the answer
    path keeps a streak state instead (bot/services/streaks.py) and comes here only to count one afresh.
    """
    now_ms = to_ms(now) if now is not None else None
    opened = "" if now_ms is None else "AND p.opens_at <= ? "
    rows = conn.execute(
        "SELECT p.post_id, p.opens_at, a.correct FROM posts p "
        "LEFT JOIN answers a ON a.post_id = p.post_id AND a.user_id = ? "
        f"WHERE p.guild_id = ? AND p.kind = ? AND p.origin = 'scheduled' {opened}"
        "ORDER BY p.opens_at, p.post_id",
        (user_id, guild_id, kind) if now_ms is None else (user_id, guild_id, kind, now_ms),
    ).fetchall()
    post_ids = [post_id for post_id, _, _ in rows]
    open_id = None
    if rows and now_ms is not None:
        state, closes_at = conn.execute(
            "SELECT state, closes_at FROM posts WHERE post_id = ?", (post_ids[-1],)
        ).fetchone()
        if state == PostState.OPEN.value and (closes_at is None or now_ms < closes_at):
            open_id = post_ids[-1]
    return ScheduledHistory(
        post_ids,
        [opened for _, opened, _ in rows],
        {post_id: bool(correct) for post_id, _, correct in rows if correct is not None},
        open_id,
    )


def correct_run_before(conn: Connection, post: Post, user_id: int, limit: int) -> int:
    """Return how many of the server's scheduled posts of this kind just before this one the learner got right.

    Counts back from the latest earlier post until one was missed or wrong, looking at no more than limit posts
    (the streak bonus stops growing there), so the cost does not grow with the server's history.
    """
    rows = conn.execute(
        "SELECT a.correct FROM posts p LEFT JOIN answers a ON a.post_id = p.post_id AND a.user_id = ? "
        "WHERE p.guild_id = ? AND p.kind = ? AND p.origin = 'scheduled' AND p.opens_at <= ? AND p.post_id != ? "
        "ORDER BY p.opens_at DESC LIMIT ?",
        (user_id, post.guild_id, post.kind.value, to_ms(post.opens_at), post.post_id, limit),
    )
    run = 0
    for (correct,) in rows:
        if not correct:
            break
        run += 1
    return run


class AnswerRepository:
    """Reads answers outside the answer path."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def choice_counts(self, post_id: int) -> dict[int, int]:
        """Return how many learners picked each option of a post."""
        rows = await self._db.fetch_all(
            "SELECT choice, COUNT(*) FROM answers WHERE post_id = ? GROUP BY choice", (post_id,)
        )
        return {r[0]: r[1] for r in rows}
