"""Leaderboards and a learner's standing, in the server's timezone and week."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.entities import PostKind
from bot.domain.periods import Period, Window, period_window
from bot.domain.ranking import competition_ranks
from bot.domain.streaks import Streaks, compute_streaks
from bot.storage.answers import AnswerRepository
from bot.storage.boards import BoardRepository, BoardRow, BoardScope
from bot.storage.guilds import GuildRepository
from bot.storage.posts import PostRepository

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
        boards: BoardRepository,
        guilds: GuildRepository,
        posts: PostRepository,
        answers: AnswerRepository,
        clock: Clock,
    ) -> None:
        self._boards = boards
        self._guilds = guilds
        self._posts = posts
        self._answers = answers
        self._clock = clock

    async def scope(self, guild_id: int, period: Period, element_id: str | None = None) -> BoardScope:
        settings = await self._guilds.get(guild_id)
        window = period_window(period, self._clock.now(), settings.zone, settings.week_start)
        return BoardScope(guild_id, window, element_id)

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
        learners = await self._boards.size(scope)
        pages = max(1, math.ceil(learners / page_size))
        page = min(max(page, 0), pages - 1)
        rows = await self._boards.page(scope, page_size, page * page_size)
        entries = await self._rank(scope, rows, page * page_size)
        viewer = None
        if viewer_id is not None and all(e.user_id != viewer_id for e in entries):
            viewer = await self._entry_for(scope, viewer_id)
        return BoardPage(period, element_id, scope.window, page, pages, learners, tuple(entries), viewer)

    async def _rank(self, scope: BoardScope, rows: list[BoardRow], offset: int) -> list[BoardEntry]:
        if not rows:
            return []
        first_rank = 1 + (await self._boards.count_above(scope, rows[0].points) if offset else 0)
        ranks = competition_ranks([r.points for r in rows], offset, first_rank)
        return [
            BoardEntry(rank, r.user_id, r.display_name, r.points, r.answers, r.correct)
            for rank, r in zip(ranks, rows, strict=True)
        ]

    async def _entry_for(self, scope: BoardScope, user_id: int) -> BoardEntry | None:
        row = await self._boards.learner(scope, user_id)
        if row is None:
            return None
        rank = 1 + await self._boards.count_above(scope, row.points)
        return BoardEntry(rank, row.user_id, row.display_name, row.points, row.answers, row.correct)

    async def standing(self, guild_id: int, user_id: int) -> LearnerStanding:
        """Return a learner's all-time points, rank, accuracy and daily-question streaks."""
        scope = await self.scope(guild_id, Period.ALL_TIME)
        entry = await self._entry_for(scope, user_id)
        learners = await self._boards.size(scope)
        streaks = await self.streaks(guild_id, user_id)
        if entry is None:
            return LearnerStanding(user_id, None, 0, None, learners, 0, 0, streaks)
        return LearnerStanding(
            user_id, entry.display_name, entry.points, entry.rank, learners, entry.answers, entry.correct, streaks
        )

    async def streaks(self, guild_id: int, user_id: int, kind: PostKind = PostKind.QUESTION) -> Streaks:
        """Return the learner's streaks over the server's scheduled posts of a kind."""
        now = self._clock.now()
        post_ids = await self._answers.scheduled_post_ids(guild_id, kind.value, now)
        answered = await self._answers.scheduled_answers(guild_id, user_id, kind.value)
        latest = await self._posts.latest(guild_id, kind)
        open_id = latest.post_id if latest is not None and latest.is_open_at(now) else None
        return compute_streaks(post_ids, answered, open_id)
