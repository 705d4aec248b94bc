"""Leaderboard queries: all-time from the totals the triggers keep, periods from the answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.clock import to_ms
from bot.domain.periods import Window
from bot.storage.db import Connection, Database

UNKNOWN_NAME = "Unknown learner"


@dataclass(frozen=True, slots=True)
class BoardRow:
    user_id: int
    display_name: str
    points: int
    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class BoardScope:
    """Which answers a board counts: a server, optionally a time window and an element or a course's elements."""

    guild_id: int
    window: Window
    element_id: str | None = None
    week_key: str | None = None  # set for "this week" boards: read the weekly totals instead of answers
    course_elements: tuple[str, ...] | None = None  # a course's board: answers to any of its elements

    @property
    def whole_server(self) -> bool:
        return self.element_id is None and self.course_elements is None

    @property
    def all_time(self) -> bool:
        return self.window.start is None and self.window.end is None


@dataclass(frozen=True, slots=True)
class BoardSnapshot:
    """One consistent read of a board: its size, a page, and a viewer's row."""

    learners: int
    rows: list[BoardRow]
    above_first: int  # learners with more points than the page's first row
    viewer: BoardRow | None
    above_viewer: int


def _source(scope: BoardScope) -> tuple[str, list[Any]]:
    """Return a subquery of (user_id, points, answers, correct) and its parameters."""
    if scope.all_time and scope.whole_server:
        return "SELECT user_id, points, answers, correct FROM board_totals WHERE guild_id = ?", [scope.guild_id]
    if scope.week_key is not None and scope.whole_server:
        return (
            "SELECT user_id, points, answers, correct FROM board_week_totals WHERE guild_id = ? AND week_key = ?",
            [scope.guild_id, scope.week_key],
        )
    if scope.all_time and scope.element_id is not None:
        return (
            "SELECT user_id, points, answers, correct FROM board_element_totals WHERE guild_id = ? AND element_id = ?",
            [scope.guild_id, scope.element_id],
        )
    if scope.all_time and scope.course_elements is not None:
        return (
            "SELECT user_id, SUM(points) AS points, SUM(answers) AS answers, SUM(correct) AS correct "
            f"FROM board_element_totals WHERE guild_id = ? AND element_id IN ({_marks(scope.course_elements)}) "
            "GROUP BY user_id",
            [scope.guild_id, *scope.course_elements],
        )
    where, params = ["guild_id = ?", "on_board = 1"], [scope.guild_id]
    if scope.window.start is not None:
        where.append("answered_at >= ?")
        params.append(to_ms(scope.window.start))
    if scope.window.end is not None:
        where.append("answered_at < ?")
        params.append(to_ms(scope.window.end))
    if scope.element_id is not None:
        where.append("element_id = ?")
        params.append(scope.element_id)
    elif scope.course_elements is not None:
        where.append(f"element_id IN ({_marks(scope.course_elements)})")
        params.extend(scope.course_elements)
    return (
        "SELECT user_id, SUM(points) AS points, COUNT(*) AS answers, SUM(correct) AS correct FROM answers "
        f"WHERE {' AND '.join(where)} GROUP BY user_id",
        params,
    )


def _marks(values: Sequence[Any]) -> str:
    """Return one placeholder per value, for an IN list."""
    return ", ".join("?" for _ in values)


def _names(conn: Connection, guild_id: int, user_ids: list[int]) -> dict[int, str]:
    # Names only for the rows shown: looking them up for every learner was half a period board's cost.
    if not user_ids:
        return {}
    rows = conn.execute(
        f"SELECT user_id, display_name FROM board_totals WHERE guild_id = ? AND user_id IN ({_marks(user_ids)})",
        (guild_id, *user_ids),
    )
    return dict(rows.fetchall())


def _rows(conn: Connection, scope: BoardScope, raw: list[tuple[Any, ...]]) -> list[BoardRow]:
    names = _names(conn, scope.guild_id, [r[0] for r in raw])
    return [BoardRow(r[0], names.get(r[0], UNKNOWN_NAME), r[1], r[2], r[3]) for r in raw]


def board_page(conn: Connection, scope: BoardScope, limit: int, offset: int = 0) -> list[BoardRow]:
    """Return learners ordered by points (then fewer answers, then id), one page."""
    source, params = _source(scope)
    raw = conn.execute(
        f"SELECT user_id, points, answers, correct FROM ({source}) AS board "
        "ORDER BY points DESC, answers ASC, user_id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return _rows(conn, scope, raw)


def count_above(conn: Connection, scope: BoardScope, points: int) -> int:
    """Return how many learners have more points than this."""
    source, params = _source(scope)
    return int(
        conn.execute(f"SELECT COUNT(*) FROM ({source}) AS board WHERE points > ?", (*params, points)).fetchone()[0]
    )


def board_size(conn: Connection, scope: BoardScope) -> int:
    source, params = _source(scope)
    return int(conn.execute(f"SELECT COUNT(*) FROM ({source}) AS board", params).fetchone()[0])


def board_learner(conn: Connection, scope: BoardScope, user_id: int) -> BoardRow | None:
    source, params = _source(scope)
    raw = conn.execute(
        f"SELECT user_id, points, answers, correct FROM ({source}) AS board WHERE user_id = ?", (*params, user_id)
    ).fetchall()
    rows = _rows(conn, scope, raw)
    return rows[0] if rows else None


def board_snapshot(
    conn: Connection, scope: BoardScope, limit: int, offset: int, viewer_id: int | None
) -> BoardSnapshot:
    """Read everything a leaderboard page shows in one snapshot."""
    rows = board_page(conn, scope, limit, offset)
    above_first = count_above(conn, scope, rows[0].points) if rows and offset else 0
    viewer = None
    if viewer_id is not None and all(r.user_id != viewer_id for r in rows):
        viewer = board_learner(conn, scope, viewer_id)
    above_viewer = count_above(conn, scope, viewer.points) if viewer else 0
    return BoardSnapshot(board_size(conn, scope), rows, above_first, viewer, above_viewer)


def board_standing(conn: Connection, scope: BoardScope, user_id: int) -> tuple[BoardRow | None, int, int]:
    """Return a learner's row, how many are above them, and how many are on the board."""
    row = board_learner(conn, scope, user_id)
    above = count_above(conn, scope, row.points) if row else 0
    return row, above, board_size(conn, scope)


class BoardRepository:
    """Ranks learners by points in a scope; each call is one round trip."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, scope: BoardScope, limit: int, offset: int = 0) -> list[BoardRow]:
        return await self._db.read(lambda conn: board_page(conn, scope, limit, offset))
