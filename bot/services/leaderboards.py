"""Leaderboards and a learner's standing, in the server's timezone and week."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.periods import Period, Window, period_window, week_key
from bot.domain.ranking import competition_ranks
from bot.domain.streaks import Streaks
from bot.services.streaks import streaks_in
from bot.storage.boards import BoardRepository, BoardRow, BoardScope
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class BoardEntry:
    rank: int
    user_id: int
    display_name: str
    points: int
    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of a leaderboard, and the viewer's own line when it is not on the page."""

    period: Period
    element_id: str | None
    window: Window
    page: int
    pages: int
    learners: int
    entries: tuple[BoardEntry, ...]
    viewer: BoardEntry | None


@dataclass(frozen=True, slots=True)
class LearnerStanding:
    """What /rank shows: points, rank, accuracy and streaks."""

    user_id: int
    display_name: str | None
    points: int
    rank: int | None
    learners: int
    answers: int
    correct: int
    streaks: Streaks

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None


class LeaderboardService:
    """Builds leaderboards from recorded answers; nothing ever needs resetting."""

    def __init__(
        self,
        db: Database,
        boards: BoardRepository,
        guilds: GuildRepository,
        clock: Clock,
    ) -> None:
        self._db = db
        self._boards = boards
        self._guilds = guilds
        self._clock = clock

    async def scope(self, guild_id: int, period: Period, element_id: str | None = None) -> BoardScope:
        settings = await self._guilds.get(guild_id)
        now = self._clock.now()
        window = period_window(period, now, settings.zone, settings.week_start)
        week = week_key(now, settings.zone, settings.week_start) if period is Period.WEEK else None
        return BoardScope(guild_id, window, element_id, week)

    async def leaderboard(
        self,
        guild_id: int,
        period: Period,
        element_id: str | None = None,
        page: int = 0,
        viewer_id: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> BoardPage:
        """Return one page of the board (ties share a rank) and the viewer's line if it is elsewhere."""
        scope = await self.scope(guild_id, period, element_id)
        page = max(page, 0)
        snap = await self._boards.snapshot(scope, page_size, page * page_size, viewer_id)
        pages = max(1, math.ceil(snap.learners / page_size))
        if page >= pages:  # a stale Next button: show the last page instead
            page = pages - 1
            snap = await self._boards.snapshot(scope, page_size, page * page_size, viewer_id)
        offset = page * page_size
        ranks = competition_ranks([r.points for r in snap.rows], offset, 1 + snap.above_first)
        entries = tuple(_entry(rank, row) for rank, row in zip(ranks, snap.rows, strict=True))
        viewer = _entry(1 + snap.above_viewer, snap.viewer) if snap.viewer else None
        return BoardPage(period, element_id, scope.window, page, pages, snap.learners, entries, viewer)

    async def standing(self, guild_id: int, user_id: int) -> LearnerStanding:
        """Return a learner's all-time points, rank, accuracy and daily-question streaks."""
        scope = await self.scope(guild_id, Period.ALL_TIME)
        row, above, learners = await self._boards.standing(scope, user_id)
        streaks = await self.streaks(guild_id, user_id)
        if row is None:
            return LearnerStanding(user_id, None, 0, None, learners, 0, 0, streaks)
        return LearnerStanding(
            user_id, row.display_name, row.points, 1 + above, learners, row.answers, row.correct, streaks
        )

    async def streaks(self, guild_id: int, user_id: int) -> Streaks:
        """Return the learner's daily-question streaks (one trip, one snapshot)."""
        now = self._clock.now()
        return await self._db.read(lambda conn: streaks_in(conn, guild_id, user_id, now))


def _entry(rank: int, row: BoardRow) -> BoardEntry:
    return BoardEntry(rank, row.user_id, row.display_name, row.points, row.answers, row.correct)
