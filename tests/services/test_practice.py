"""Personal practice: wrong answers come back soon, mastered ones rarely, and rounds put due questions first."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.domain.clock import FixedClock
from bot.domain.entities import NewPost, PostKind
from bot.domain.scoring import Origin
from bot.services.answers import AnswerService
from bot.services.practice import PracticeService
from bot.storage.db import Database
from bot.storage.learners import LearnerRepository
from bot.storage.posts import PostRepository
from bot.storage.practice import PracticeRepository

CONTENT = Path(__file__).resolve().parents[2] / "content"
LEARNER, OTHER = 42, 43


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


@pytest.fixture
def practice(db: Database, clock: FixedClock, catalog: Catalog) -> PracticeService:
    return PracticeService(db, PracticeRepository(db), catalog, clock)


Review = Callable[..., Awaitable[datetime]]


@pytest.fixture
def review(db: Database, clock: FixedClock, catalog: Catalog) -> Review:
    """Answer a question as a learner does (a practice post, then a click); return when the card is next due."""
    return partial(_review, db, clock, catalog)


async def _review(
    db: Database, clock: FixedClock, catalog: Catalog, user_id: int, item_id: str, *, correct: bool
) -> datetime:
    new = NewPost(
        guild_id=1,
        kind=PostKind.QUESTION,
        origin=Origin.PRACTICE,
        item_id=item_id,
        element_id=catalog.question(item_id).element.id,
        correct_option=0,
        option_count=2,
        opens_at=clock.now(),
        closes_at=None,
    )
    async with db.transaction() as tx:
        post = await PostRepository(db).create(tx, new)
    assert post is not None
    practice = PracticeService(db, PracticeRepository(db), catalog, clock)
    await AnswerService(db, clock, practice).record_answer(post.post_id, user_id, "Learner", 0 if correct else 1)
    card = await PracticeRepository(db).get(user_id, item_id)
    assert card is not None
    return card.due_at


def first_element(catalog: Catalog) -> tuple[str, tuple[str, ...]]:
    element = next(catalog.elements()).id
    return element, catalog.question_ids(element)


async def test_wrong_answer_comes_back_soon_and_right_one_later(
    practice: PracticeService, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """A question answered wrongly is due again within a day; one answered rightly waits longer."""
    _, pool = first_element(catalog)
    now = clock.now()
    wrong_due = await review(LEARNER, pool[0], correct=False)
    right_due = await review(LEARNER, pool[1], correct=True)
    assert now < wrong_due <= now + timedelta(days=1)
    assert right_due >= now + timedelta(days=1)
    assert right_due > wrong_due


async def test_mastered_question_is_due_rarely(
    practice: PracticeService, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """After several right answers in a row, a question is not seen again for months."""
    _, pool = first_element(catalog)
    intervals = []
    for _ in range(5):
        due = await review(LEARNER, pool[0], correct=True)
        intervals.append(due - clock.now())
        clock.set(due)
    assert intervals == sorted(intervals) and intervals[0] < intervals[-1]
    assert intervals[-1] >= timedelta(days=60)


async def test_forgetting_a_mastered_question_brings_it_back_soon(
    practice: PracticeService, db: Database, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """Getting a well-known question wrong brings it back within a day and counts as a lapse."""
    _, pool = first_element(catalog)
    for _ in range(3):
        clock.set(await review(LEARNER, pool[0], correct=True))
    due = await review(LEARNER, pool[0], correct=False)
    assert due <= clock.now() + timedelta(days=1)
    stored = await PracticeRepository(db).get(LEARNER, pool[0])
    assert stored is not None and (stored.reviews, stored.lapses) == (4, 1)


async def test_round_puts_due_questions_first_then_new_ones(
    practice: PracticeService, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """A round starts with what is due, most overdue first, then questions never seen, in course order."""
    element, pool = first_element(catalog)
    # The more overdue one sorts last by id, so only ordering by due time puts it first.
    older, newer = sorted([pool[3], pool[5]], reverse=True)
    await review(LEARNER, older, correct=False)
    clock.advance(timedelta(minutes=5))
    await review(LEARNER, newer, correct=False)
    await review(LEARNER, pool[0], correct=True)
    clock.advance(timedelta(hours=1))
    unseen = [i for i in pool if i not in {pool[0], older, newer}]
    assert await practice.next_round(LEARNER, element, size=5) == [older, newer, *unseen[:3]]
    assert await practice.due_count(LEARNER) == 2


async def test_round_falls_back_to_the_soonest_due(
    practice: PracticeService, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """With nothing due and nothing new left, a round offers the questions due soonest."""
    element, pool = first_element(catalog)
    for item_id in reversed(pool):
        await review(LEARNER, item_id, correct=True)
        clock.advance(timedelta(minutes=1))
    assert await practice.due_count(LEARNER) == 0
    assert await practice.next_round(LEARNER, element, size=3) == [pool[-1], pool[-2], pool[-3]]


async def test_round_respects_element_and_size_without_duplicates(
    practice: PracticeService, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """A round keeps to the chosen topic and length and never shows a question twice."""
    element, pool = first_element(catalog)
    elsewhere = next(i for i in catalog.question_ids() if i not in pool)
    await review(LEARNER, elsewhere, correct=False)
    clock.advance(timedelta(minutes=1))
    await review(LEARNER, pool[1], correct=False)
    await review(LEARNER, pool[2], correct=True)
    clock.advance(timedelta(hours=1))

    short = await practice.next_round(LEARNER, element, size=3)
    assert len(short) == 3 and short[0] == pool[1] and set(short) <= set(pool)

    whole = await practice.next_round(LEARNER, element, size=len(pool) + 10)
    assert len(whole) == len(set(whole)) == len(pool) and set(whole) == set(pool)
    assert whole[0] == pool[1] and whole[-1] == pool[2]

    everything = await practice.next_round(LEARNER, size=4)
    assert everything[:2] == [elsewhere, pool[1]] and len(everything) == len(set(everything)) == 4
    assert await practice.next_round(LEARNER, element, size=0) == []


async def test_cards_survive_a_restart(tmp_path: Path, clock: FixedClock, catalog: Catalog) -> None:
    """Practice history is still there after the bot closes and reopens its database."""
    path = tmp_path / "restart.sqlite3"
    _, pool = first_element(catalog)
    db = await Database.open(path)
    try:
        due = await _review(db, clock, catalog, LEARNER, pool[4], correct=False)
    finally:
        await db.close()

    clock.set(due)
    db = await Database.open(path)
    try:
        repo = PracticeRepository(db)
        practice = PracticeService(db, repo, catalog, clock)
        assert await practice.due_count(LEARNER) == 1
        assert (await practice.next_round(LEARNER, size=1)) == [pool[4]]
        await _review(db, clock, catalog, LEARNER, pool[4], correct=True)
        stored = await repo.get(LEARNER, pool[4])
        assert stored is not None and stored.reviews == 2
    finally:
        await db.close()


async def test_learners_have_their_own_cards(
    practice: PracticeService, db: Database, clock: FixedClock, catalog: Catalog, review: Review
) -> None:
    """One learner's mistakes do not change another learner's practice."""
    element, pool = first_element(catalog)
    await review(LEARNER, pool[2], correct=False)
    await review(OTHER, pool[2], correct=True)
    clock.advance(timedelta(hours=1))
    assert await practice.due_count(LEARNER) == 1
    assert await practice.due_count(OTHER) == 0
    assert (await practice.next_round(LEARNER, element, size=2))[0] == pool[2]
    assert await practice.next_round(OTHER, element, size=2) == [pool[0], pool[1]]

    learners = LearnerRepository(db)
    assert (await learners.delete(LEARNER)).practice_cards == 1
    assert (await learners.records(LEARNER)).cards == ()
    [kept] = (await learners.records(OTHER)).cards
    assert (kept.item_id, kept.reviews, kept.lapses) == (pool[2], 1, 0)
    assert json.loads(kept.card)["last_review"] is not None
