"""Recording answers: once per learner per post, never after closing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import partial

from bot.domain.clock import Clock
from bot.domain.entities import Answer, GuildSettings, Post, PostKind
from bot.domain.periods import week_key
from bot.domain.scoring import STREAK_BONUS_DAYS, Origin, score_answer
from bot.domain.streaks import Streaks
from bot.services.practice import PracticeService
from bot.services.streaks import STREAK_KIND, keep_streaks_in, streaks_in
from bot.storage.answers import answer_context, correct_run_before, insert_answer
from bot.storage.db import Connection, Database
from bot.storage.streaks import forget_streak

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
    streaks: Streaks | None = None  # for an answer to a scheduled question: the daily streaks it made

    @property
    def correct_option(self) -> int | None:
        return self.post.correct_option if self.post else None


class AnswerService:
    """Records learners' answers to posts, with what follows from each: the practice card and the streaks."""

    def __init__(self, db: Database, clock: Clock, practice: PracticeService | None = None) -> None:
        self._db = db
        self._clock = clock
        self._practice = practice

    async def record_answer(self, post_id: int, user_id: int, display_name: str, choice: int) -> AnswerOutcome:
        """Record a learner's choice, or say why it was not recorded (one transaction, one round trip).

        An answer to a question also updates the learner's practice card, and one to a scheduled question
        reads the daily streaks it made, in the same transaction. If either fails, the error is logged and the
        answer is still recorded.
        """
        now = self._clock.now()
        return await self._db.write_batched(partial(self._record, post_id, user_id, display_name, choice, now))

    def _record(
        self, post_id: int, user_id: int, display_name: str, choice: int, now: datetime, conn: Connection
    ) -> AnswerOutcome:
        outcome = decide_answer(post_id, user_id, display_name, choice, now, conn)
        post, answer = outcome.post, outcome.answer
        if outcome.status is not AnswerStatus.RECORDED or post is None or answer is None:
            return outcome
        if post.kind is not PostKind.QUESTION:
            return outcome
        conn.execute("SAVEPOINT after_answer")  # what follows is undone on its own if it fails
        try:
            if self._practice is not None:
                self._practice.review_in(conn, user_id, post.item_id, answer.correct, now)
            streaks = streaks_in(conn, post.guild_id, user_id, now) if post.origin is Origin.SCHEDULED else None
        except Exception:  # the answer matters more than what follows from it
            conn.execute("ROLLBACK TO after_answer")
            log.exception("after recording failed post=%s user=%s", post_id, user_id)
            streaks = None
        conn.execute("RELEASE after_answer")
        return replace(outcome, streaks=streaks)


def decide_answer(
    post_id: int, user_id: int, display_name: str, choice: int, now: datetime, conn: Connection
) -> AnswerOutcome:
    """Decide on a click and record it if it counts; runs on the writer's thread inside a transaction."""
    context = answer_context(conn, post_id, user_id)
    post = context.post
    if post is None:
        return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
    if context.first is not None:
        return AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, post, context.first)
    if not post.is_open_at(now):
        return AnswerOutcome(AnswerStatus.CLOSED, post)
    if not 0 <= choice < post.option_count:
        return AnswerOutcome(AnswerStatus.INVALID_CHOICE, post)
    correct = choice == post.correct_option
    streak_before = 0
    if correct and post.origin is Origin.SCHEDULED and context.streak_bonus:
        streak_before = correct_run_before(conn, post, user_id, STREAK_BONUS_DAYS)
    elapsed_s = (now - post.opens_at).total_seconds()
    score = score_answer(
        kind=post.kind.value,
        origin=post.origin,
        correct=correct,
        elapsed_s=elapsed_s,
        limit_s=(post.closes_at - post.opens_at).total_seconds() if post.closes_at else None,
        streak_before=streak_before,
        streak_bonus_enabled=context.streak_bonus,
    )
    answer = Answer(post_id, user_id, display_name[:100], choice, correct, score.points, now)
    settings = context.settings or GuildSettings(post.guild_id)
    week = week_key(now, settings.zone, settings.week_start)
    elapsed_ms = max(0, int(elapsed_s * 1000))
    if not insert_answer(conn, post, answer, on_board=score.on_board, elapsed_ms=elapsed_ms, week=week):
        return AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, post, answer_context(conn, post_id, user_id).first)
    if post.origin is Origin.SCHEDULED and post.kind is STREAK_KIND:
        # A savepoint, because after an error PostgreSQL refuses the rest of the transaction until rolled back.
        conn.execute("SAVEPOINT streak")
        try:
            keep_streaks_in(conn, post, user_id, correct, context.streak)
        except Exception:  # the answer matters more: drop the kept streak, so the next answer counts it afresh
            conn.execute("ROLLBACK TO streak")
            log.exception("keeping the streak failed post=%s user=%s", post_id, user_id)
            forget_streak(conn, post.guild_id, user_id, post.kind.value)
        conn.execute("RELEASE streak")
    return AnswerOutcome(AnswerStatus.RECORDED, post, answer)
