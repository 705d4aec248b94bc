"""Recording answers: once per learner per post, never after closing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from bot.domain.clock import Clock
from bot.domain.entities import Answer, Post
from bot.domain.scoring import Origin, score_answer
from bot.domain.streaks import compute_streaks
from bot.storage.answers import AnswerRepository
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from bot.storage.posts import PostRepository

log = logging.getLogger(__name__)


class AnswerStatus(StrEnum):
    RECORDED = "recorded"
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"
    UNKNOWN_POST = "unknown_post"
    INVALID_CHOICE = "invalid_choice"


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What happened to a click, with what the learner needs to be told."""

    status: AnswerStatus
    post: Post | None = None
    answer: Answer | None = None  # the answer recorded now, or the learner's first answer

    @property
    def correct_option(self) -> int | None:
        return self.post.correct_option if self.post else None


class AnswerService:
    """Records learners' answers to posts."""

    def __init__(
        self, db: Database, posts: PostRepository, answers: AnswerRepository, guilds: GuildRepository, clock: Clock
    ) -> None:
        self._db = db
        self._posts = posts
        self._answers = answers
        self._guilds = guilds
        self._clock = clock

    async def record_answer(self, post_id: int, user_id: int, display_name: str, choice: int) -> AnswerOutcome:
        """Record a learner's choice, or say why it was not recorded."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            post = await self._posts.get_in(tx, post_id)
            if post is None:
                return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
            first = await self._answers.find_in(tx, post_id, user_id)
            if first is not None:
                return AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, post, first)
            if not post.is_open_at(now):
                return AnswerOutcome(AnswerStatus.CLOSED, post)
            if not 0 <= choice < post.option_count:
                return AnswerOutcome(AnswerStatus.INVALID_CHOICE, post)
            correct = choice == post.correct_option
            streak_before = 0
            if correct and post.origin is Origin.SCHEDULED:
                settings = await self._guilds.get(post.guild_id)
                if settings.streak_bonus:
                    streak_before = await self._correct_streak_before(tx, post, user_id)
            score = score_answer(
                kind=post.kind.value,
                origin=post.origin,
                correct=correct,
                elapsed_s=(now - post.opens_at).total_seconds(),
                limit_s=(post.closes_at - post.opens_at).total_seconds() if post.closes_at else None,
                streak_before=streak_before,
                streak_bonus_enabled=True,
            )
            answer = Answer(post_id, user_id, display_name[:100], choice, correct, score.points, now)
            elapsed_ms = max(0, int((now - post.opens_at).total_seconds() * 1000))
            if not await self._answers.insert(tx, post, answer, on_board=score.on_board, elapsed_ms=elapsed_ms):
                first = await self._answers.find_in(tx, post_id, user_id)
                return AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, post, first)
        return AnswerOutcome(AnswerStatus.RECORDED, post, answer)

    async def _correct_streak_before(self, tx: aiosqlite.Connection, post: Post, user_id: int) -> int:
        earlier = await self._answers.scheduled_post_ids(post.guild_id, post.kind.value, post.opens_at, tx)
        earlier = [p for p in earlier if p != post.post_id]
        answered = await self._answers.scheduled_answers(post.guild_id, user_id, post.kind.value, tx)
        return compute_streaks(earlier, answered).current_correct
