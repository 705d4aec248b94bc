"""Leaderboards and a learner's standing, in the server's timezone and week."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from bot.course.catalog import CourseInfo
from bot.domain.clock import Clock
from bot.domain.periods import Period, Window, period_window, week_key
from bot.domain.ranking import competition_ranks
from bot.domain.streaks import Streaks
from bot.services.streaks import streaks_in
from bot.storage.boards import BoardRow, BoardScope, BoardSnapshot, board_snapshot, board_standing
from bot.storage.db import Connection, Database
from bot.storage.guilds import guild_settings_in

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
    course: CourseInfo | None = None  # a course's board (element_id is then None)


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

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def scope(self, guild_id: int, period: Period, element_id: str | None = None) -> BoardScope:
        """Return what a board covers now, in the server's timezone and week."""
        now = self._clock.now()
        return await self._db.read(lambda conn: _scope_in(conn, guild_id, period, element_id, now))

    async def leaderboard(
        self,
        guild_id: int,
        period: Period,
        element_id: str | None = None,
        page: int = 0,
        viewer_id: int | None = None,
        page_size: int = PAGE_SIZE,
        course: CourseInfo | None = None,
    ) -> BoardPage:
        """Return one page of the board (ties share a rank) and the viewer's line if it is elsewhere.

        A board of an element, else of a course's elements, else of the whole server.

        The server's settings and the board are read in one trip to the reader's thread and one snapshot.
        """
        now = self._clock.now()

        def read(conn: Connection) -> tuple[BoardScope, BoardSnapshot, int, int]:
            scope = _scope_in(conn, guild_id, period, element_id, now)
            if element_id is None and course is not None:
                scope = replace(scope, course_elements=course.element_ids)
            shown = max(page, 0)
            snap = board_snapshot(conn, scope, page_size, shown * page_size, viewer_id)
            pages = max(1, math.ceil(snap.learners / page_size))
            if shown >= pages:  # a stale Next button: show the last page instead
                shown = pages - 1
                snap = board_snapshot(conn, scope, page_size, shown * page_size, viewer_id)
            return scope, snap, shown, pages

        scope, snap, shown, pages = await self._db.read(read)
        ranks = competition_ranks([r.points for r in snap.rows], shown * page_size, 1 + snap.above_first)
        entries = tuple(_entry(rank, row) for rank, row in zip(ranks, snap.rows, strict=True))
        viewer = _entry(1 + snap.above_viewer, snap.viewer) if snap.viewer else None
        return BoardPage(period, element_id, scope.window, shown, pages, snap.learners, entries, viewer, course)

    async def standing(self, guild_id: int, user_id: int) -> LearnerStanding:
        """Return a learner's all-time points, rank, accuracy and daily-question streaks (one trip)."""
        now = self._clock.now()

        def read(conn: Connection) -> tuple[BoardRow | None, int, int, Streaks]:
            scope = _scope_in(conn, guild_id, Period.ALL_TIME, None, now)
            return (*board_standing(conn, scope, user_id), streaks_in(conn, guild_id, user_id, now))

        row, above, learners, streaks = await self._db.read(read)
        if row is None:
            return LearnerStanding(user_id, None, 0, None, learners, 0, 0, streaks)
        return LearnerStanding(
            user_id, row.display_name, row.points, 1 + above, learners, row.answers, row.correct, streaks
        )

    async def streaks(self, guild_id: int, user_id: int) -> Streaks:
        """Return the learner's daily-question streaks (one trip, one snapshot)."""
        now = self._clock.now()
        return await self._db.read(lambda conn: streaks_in(conn, guild_id, user_id, now))


def _scope_in(conn: Connection, guild_id: int, period: Period, element_id: str | None, now: datetime) -> BoardScope:
    settings = guild_settings_in(conn, guild_id)
    window = period_window(period, now, settings.zone, settings.week_start)
    week = week_key(now, settings.zone, settings.week_start) if period is Period.WEEK else None
    return BoardScope(guild_id, window, element_id, week)


def _entry(rank: int, row: BoardRow) -> BoardEntry:
    return BoardEntry(rank, row.user_id, row.display_name, row.points, row.answers, row.correct)
