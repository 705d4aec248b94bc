"""The rules the database keeps hold for several processes at once, on both engines.

Two Database objects on one database stand for two bot processes (shard ranges): each has its own
connections, and only the database itself can keep them from doubling a post, an answer or a quiz.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.classquiz import Mode
from bot.domain.clock import FixedClock
from bot.domain.entities import NewPost, PostKind
from bot.domain.scoring import Origin
from bot.services.answers import AnswerService, AnswerStatus
from bot.storage.classquiz import ClassQuizRepository
from bot.storage.db import Database
from bot.storage.posts import PostRepository
from bot.storage.summaries import SummaryRepository
from tests.conftest import Core
from tests.helpers import make_post, stored_answers


@pytest.fixture
async def second(database_location: Path | str, core: Core) -> AsyncIterator[Database]:
    """Another process's database, opened on the same database as core.db."""
    db = await Database.open(database_location)
    yield db
    await db.close()


async def test_a_learner_answers_a_post_once_whichever_process_takes_the_clicks(
    core: Core, second: Database, clock: FixedClock
) -> None:
    """Clicks for the same post delivered to both processes at once: one answer, counted once on the board."""
    post = await make_post(core, correct=1)
    services = (core.answer_service, AnswerService(second, clock))
    outcomes = await asyncio.gather(*(services[n % 2].record_answer(post.post_id, 7, "Ada", n % 4) for n in range(40)))
    statuses = [o.status for o in outcomes]
    assert statuses.count(AnswerStatus.RECORDED) == 1
    assert statuses.count(AnswerStatus.ALREADY_ANSWERED) == 39
    assert [a.user_id for a in await stored_answers(second, post.post_id)] == [7]
    row = await second.fetch_one("SELECT answers FROM board_totals WHERE user_id = 7")
    assert row == (1,)


def _slot(clock: FixedClock) -> NewPost:
    return NewPost(
        guild_id=1,
        kind=PostKind.QUESTION,
        origin=Origin.SCHEDULED,
        item_id="alpha.q.first",
        element_id="alpha",
        correct_option=0,
        option_count=2,
        opens_at=clock.now(),
        closes_at=None,
        local_date="2026-03-02",
    )


async def test_a_slot_is_posted_once_when_both_processes_try(core: Core, second: Database, clock: FixedClock) -> None:
    async def create(db: Database) -> object:
        async with db.transaction() as tx:
            return await PostRepository(db).create(tx, _slot(clock))

    made = await asyncio.gather(*(create(db) for db in (core.db, second) for _ in range(5)))
    assert sum(post is not None for post in made) == 1
    assert await second.fetch_one("SELECT COUNT(*) FROM posts") == (1,)


async def test_a_channel_has_one_live_class_quiz_when_both_processes_start_one(
    core: Core, second: Database, clock: FixedClock
) -> None:
    async def start(db: Database) -> object:
        return await ClassQuizRepository(db).create(
            guild_id=1,
            channel_id=5,
            tutor_id=9,
            element_id=None,
            question_count=5,
            seconds=30,
            mode=Mode.TIMED,
            now=clock.now(),
        )

    started = await asyncio.gather(*(start(db) for db in (core.db, second) for _ in range(5)))
    assert sum(quiz is not None for quiz in started) == 1


async def test_a_weekly_summary_is_claimed_once(core: Core, second: Database, clock: FixedClock) -> None:
    claims = await asyncio.gather(
        *(SummaryRepository(db).claim(1, "2026-03-02", 5, clock.now()) for db in (core.db, second) for _ in range(3))
    )
    assert claims.count(True) == 1
