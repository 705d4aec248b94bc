"""Class quiz rows: one live quiz per channel, and moves that lose a race are refused."""

from __future__ import annotations

from bot.domain.classquiz import Mode, Phase
from bot.domain.clock import FixedClock
from bot.storage.classquiz import ClassQuizRepository
from bot.storage.db import Database


async def _create(repo: ClassQuizRepository, clock: FixedClock, channel_id: int = 7) -> object:
    return await repo.create(
        guild_id=1,
        channel_id=channel_id,
        tutor_id=2,
        element_id=None,
        question_count=3,
        seconds=20,
        mode=Mode.TIMED,
        now=clock.now(),
    )


async def test_a_channel_has_one_live_quiz_at_a_time(db: Database, clock: FixedClock) -> None:
    """A second quiz in the same channel is refused until the first finishes; other channels are free."""
    repo = ClassQuizRepository(db)
    first = await repo.create(
        guild_id=1,
        channel_id=7,
        tutor_id=2,
        element_id=None,
        question_count=3,
        seconds=20,
        mode=Mode.TIMED,
        now=clock.now(),
    )
    assert first is not None and first.phase is Phase.LOBBY and first.index == -1
    assert await _create(repo, clock) is None
    assert await _create(repo, clock, channel_id=8) is not None
    async with db.transaction() as tx:
        assert await repo.move(tx, first, first.state.finish(), ended_at=clock.now(), reason="stopped")
    assert await _create(repo, clock) is not None


async def test_a_stale_move_is_refused(db: Database, clock: FixedClock) -> None:
    """Moving from a state the quiz has already left does nothing (a timer racing /class next)."""
    repo = ClassQuizRepository(db)
    quiz = await repo.create(
        guild_id=1,
        channel_id=7,
        tutor_id=2,
        element_id=None,
        question_count=3,
        seconds=20,
        mode=Mode.PACED,
        now=clock.now(),
    )
    assert quiz is not None
    async with db.transaction() as tx:
        assert await repo.move(tx, quiz, quiz.state.open_next())
    async with db.transaction() as tx:
        assert not await repo.move(tx, quiz, quiz.state.open_next())
    stored = await repo.get(quiz.quiz_id)
    assert stored is not None and (stored.phase, stored.index) == (Phase.QUESTION, 0)
