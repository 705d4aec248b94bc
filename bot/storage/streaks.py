"""Learners' streaks over a server's scheduled posts: the kept state, and the posts around it."""

from __future__ import annotations

from bot.domain.entities import PostState
from bot.domain.streaks import StreakState
from bot.storage.db import Connection

_STATE_COLUMNS = "last_post_id, last_opened_at, run, run_correct, best, best_correct"


def read_state(conn: Connection, guild_id: int, user_id: int, kind: str) -> StreakState | None:
    """Return the learner's kept streak state, if any."""
    row = conn.execute(
        f"SELECT {_STATE_COLUMNS} FROM learner_streaks WHERE guild_id = ? AND user_id = ? AND kind = ?",
        (guild_id, user_id, kind),
    ).fetchone()
    return StreakState(*row) if row else None


def write_state(
    conn: Connection, guild_id: int, user_id: int, kind: str, state: StreakState, *, replacing: bool
) -> None:
    """Keep the learner's streak state: update the row read before (replacing) or add the first one."""
    values = (
        state.last_post_id,
        state.last_opened_ms,
        state.run,
        state.run_correct,
        state.best,
        state.best_correct,
        guild_id,
        user_id,
        kind,
    )
    if replacing:
        conn.execute(
            "UPDATE learner_streaks SET last_post_id = ?, last_opened_at = ?, run = ?, run_correct = ?, best = ?, "
            "best_correct = ? WHERE guild_id = ? AND user_id = ? AND kind = ?",
            values,
        )
    else:
        conn.execute(
            f"INSERT INTO learner_streaks ({_STATE_COLUMNS}, guild_id, user_id, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )


def forget_streak(conn: Connection, guild_id: int, user_id: int, kind: str) -> None:
    """Drop the learner's kept streak state (it is counted afresh from the history when next needed)."""
    conn.execute(
        "DELETE FROM learner_streaks WHERE guild_id = ? AND user_id = ? AND kind = ?", (guild_id, user_id, kind)
    )


def previous_scheduled(conn: Connection, guild_id: int, kind: str, post_id: int, opened_ms: int) -> int | None:
    """Return the id of the server's scheduled post of this kind just before the given one, if any."""
    row = conn.execute(
        "SELECT post_id FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' "
        "AND (opens_at < ? OR (opens_at = ? AND post_id < ?)) ORDER BY opens_at DESC, post_id DESC LIMIT 1",
        (guild_id, kind, opened_ms, opened_ms, post_id),
    ).fetchone()
    return row[0] if row else None


def answered_scheduled_before(conn: Connection, guild_id: int, user_id: int, kind: str, post_id: int) -> bool:
    """Return whether the learner answered any other scheduled post of this kind in the server (a walk along their
    own answers, so it costs nothing for a newcomer however long the server's history)."""
    row = conn.execute(
        "SELECT 1 FROM answers a JOIN posts p ON p.post_id = a.post_id WHERE a.user_id = ? AND a.guild_id = ? "
        "AND a.post_id != ? AND p.kind = ? AND p.origin = 'scheduled' LIMIT 1",
        (user_id, guild_id, post_id, kind),
    ).fetchone()
    return row is not None


def later_scheduled_open(
    conn: Connection, guild_id: int, kind: str, state: StreakState, now_ms: int, limit: int = 2
) -> list[bool]:
    """Return, for the first few scheduled posts opened after the state's post and by now, whether each is open."""
    rows = conn.execute(
        "SELECT state, closes_at FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' "
        "AND (opens_at > ? OR (opens_at = ? AND post_id > ?)) AND opens_at <= ? ORDER BY opens_at, post_id LIMIT ?",
        (guild_id, kind, state.last_opened_ms, state.last_opened_ms, state.last_post_id, now_ms, limit),
    ).fetchall()
    return [s == PostState.OPEN.value and (closes is None or now_ms < closes) for s, closes in rows]
