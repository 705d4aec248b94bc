"""Learners' streaks over a server's scheduled posts: the kept state, and the posts around it."""

from __future__ import annotations

import sqlite3

from bot.domain.entities import PostState
from bot.domain.streaks import StreakState

_STATE_COLUMNS = "last_post_id, last_opened_at, run, run_correct, best, best_correct"


def read_state(conn: sqlite3.Connection, guild_id: int, user_id: int, kind: str) -> StreakState | None:
    """Return the learner's kept streak state, if any."""
    row = conn.execute(
        f"SELECT {_STATE_COLUMNS} FROM learner_streaks WHERE guild_id = ? AND user_id = ? AND kind = ?",
        (guild_id, user_id, kind),
    ).fetchone()
    return StreakState(*row) if row else None


def write_state(conn: sqlite3.Connection, guild_id: int, user_id: int, kind: str, state: StreakState) -> None:
    """Keep the learner's streak state (replacing the one before)."""
    conn.execute(
        f"INSERT OR REPLACE INTO learner_streaks (guild_id, user_id, kind, {_STATE_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            user_id,
            kind,
            state.last_post_id,
            state.last_opened_ms,
            state.run,
            state.run_correct,
            state.best,
            state.best_correct,
        ),
    )


def previous_scheduled(conn: sqlite3.Connection, guild_id: int, kind: str, post_id: int, opened_ms: int) -> int | None:
    """Return the id of the server's scheduled post of this kind just before the given one, if any."""
    row = conn.execute(
        "SELECT post_id FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' "
        "AND (opens_at < ? OR (opens_at = ? AND post_id < ?)) ORDER BY opens_at DESC, post_id DESC LIMIT 1",
        (guild_id, kind, opened_ms, opened_ms, post_id),
    ).fetchone()
    return row[0] if row else None


def later_scheduled_open(
    conn: sqlite3.Connection, guild_id: int, kind: str, state: StreakState, now_ms: int, limit: int = 2
) -> list[bool]:
    """Return, for the first few scheduled posts opened after the state's post and by now, whether each is open."""
    rows = conn.execute(
        "SELECT state, closes_at FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' "
        "AND (opens_at > ? OR (opens_at = ? AND post_id > ?)) AND opens_at <= ? ORDER BY opens_at, post_id LIMIT ?",
        (guild_id, kind, state.last_opened_ms, state.last_opened_ms, state.last_post_id, now_ms, limit),
    ).fetchall()
    return [s == PostState.OPEN.value and (closes is None or now_ms < closes) for s, closes in rows]
