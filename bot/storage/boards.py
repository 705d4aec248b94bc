"""Leaderboard queries: all-time from the totals the triggers keep, periods from the answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.clock import to_ms
from bot.domain.periods import Window
from bot.storage.db import Database


@dataclass(frozen=True, slots=True)
class BoardRow:
    user_id: int
    display_name: str
    points: int
    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class BoardScope:
    """Which answers a board counts: a server, optionally a time window and an element."""

    guild_id: int
    window: Window
    element_id: str | None = None

    @property
    def all_time(self) -> bool:
        return self.window.start is None and self.window.end is None


class BoardRepository:
    """Ranks learners by points in a scope."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _source(self, scope: BoardScope) -> tuple[str, list[Any]]:
        """Return a subquery of (user_id, display_name, points, answers, correct) and its parameters."""
        if scope.all_time and scope.element_id is None:
            return (
                "SELECT user_id, display_name, points, answers, correct FROM board_totals WHERE guild_id = ?",
                [scope.guild_id],
            )
        if scope.all_time:
            return (
                "SELECT user_id, display_name, points, answers, correct FROM board_element_totals "
                "WHERE guild_id = ? AND element_id = ?",
                [scope.guild_id, scope.element_id],
            )
        where, params = ["a.guild_id = ?", "a.on_board = 1"], [scope.guild_id]
        if scope.window.start is not None:
            where.append("a.answered_at >= ?")
            params.append(to_ms(scope.window.start))
        if scope.window.end is not None:
            where.append("a.answered_at < ?")
            params.append(to_ms(scope.window.end))
        if scope.element_id is not None:
            where.append("a.element_id = ?")
            params.append(scope.element_id)
        return (
            "SELECT a.user_id, (SELECT t.display_name FROM board_totals t WHERE t.guild_id = a.guild_id "
            "AND t.user_id = a.user_id) AS display_name, SUM(a.points) AS points, COUNT(*) AS answers, "
            f"SUM(a.correct) AS correct FROM answers a WHERE {' AND '.join(where)} GROUP BY a.user_id",
            params,
        )

    async def page(self, scope: BoardScope, limit: int, offset: int = 0) -> list[BoardRow]:
        """Return learners ordered by points (then fewer answers, then id), one page."""
        source, params = self._source(scope)
        rows = await self._db.fetch_all(
            f"SELECT user_id, display_name, points, answers, correct FROM ({source}) "
            "ORDER BY points DESC, answers ASC, user_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [BoardRow(r[0], r[1] or "Unknown learner", r[2], r[3], r[4]) for r in rows]

    async def count_above(self, scope: BoardScope, points: int) -> int:
        """Return how many learners have more points than this."""
        source, params = self._source(scope)
        row = await self._db.fetch_one(f"SELECT COUNT(*) FROM ({source}) WHERE points > ?", (*params, points))
        return int(row[0]) if row else 0

    async def size(self, scope: BoardScope) -> int:
        """Return how many learners are on the board."""
        source, params = self._source(scope)
        row = await self._db.fetch_one(f"SELECT COUNT(*) FROM ({source})", params)
        return int(row[0]) if row else 0

    async def learner(self, scope: BoardScope, user_id: int) -> BoardRow | None:
        """Return one learner's row, if they are on the board."""
        source, params = self._source(scope)
        row = await self._db.fetch_one(
            f"SELECT user_id, display_name, points, answers, correct FROM ({source}) WHERE user_id = ?",
            (*params, user_id),
        )
        return BoardRow(row[0], row[1] or "Unknown learner", row[2], row[3], row[4]) if row else None
