"""Recording answers: once per learner, never after closing, scored by the rules."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.course.loader import load_catalog
from bot.domain.entities import GuildSettings
from bot.domain.periods import Period
from bot.domain.scoring import CLASS_MAX_POINTS, DAILY_POINTS, Origin
from bot.services.answers import AnswerService, AnswerStatus
from bot.services.practice import PracticeService
from bot.storage.practice import PracticeRepository
from tests.conftest import Core
from tests.helpers import make_post, stored_answers

CONTENT = Path(__file__).resolve().parents[2] / "content"


async def test_right_answer_is_recorded_with_points(core: Core) -> None:
    """A right answer earns the daily points and is stored with the learner's display name."""
    post = await make_post(core, correct=2)
    outcome = await core.answer_service.record_answer(post.post_id, 42, "Priya", 2)
    assert outcome.status is AnswerStatus.RECORDED
    assert outcome.answer is not None and outcome.answer.correct and outcome.answer.points == DAILY_POINTS
    [stored] = await stored_answers(core.db, post.post_id)
    assert (stored.user_id, stored.display_name, stored.choice) == (42, "Priya", 2)


async def test_wrong_answer_scores_nothing(core: Core) -> None:
    """A wrong answer is recorded but earns no points."""
    post = await make_post(core, correct=0)
    outcome = await core.answer_service.record_answer(post.post_id, 42, "Priya", 3)
    assert outcome.status is AnswerStatus.RECORDED
    assert outcome.answer is not None and not outcome.answer.correct and outcome.answer.points == 0


async def test_second_click_reports_the_first_answer(core: Core) -> None:
    """Clicking again records nothing and says which option was picked first."""
    post = await make_post(core, correct=1)
    await core.answer_service.record_answer(post.post_id, 42, "Priya", 1)
    again = await core.answer_service.record_answer(post.post_id, 42, "Priya", 3)
    assert again.status is AnswerStatus.ALREADY_ANSWERED
    assert again.answer is not None and again.answer.choice == 1
    assert len(await stored_answers(core.db, post.post_id)) == 1


async def test_hundreds_of_concurrent_clicks_by_one_learner_record_once(core: Core) -> None:
    """300 simultaneous clicks from one learner leave exactly one answer and one set of points."""
    post = await make_post(core, correct=1)
    outcomes = await asyncio.gather(
        *(core.answer_service.record_answer(post.post_id, 7, "Sam", i % 4) for i in range(300))
    )
    statuses = [o.status for o in outcomes]
    assert statuses.count(AnswerStatus.RECORDED) == 1
    assert statuses.count(AnswerStatus.ALREADY_ANSWERED) == 299
    first = next(o.answer for o in outcomes if o.status is AnswerStatus.RECORDED)
    assert all(o.answer == first for o in outcomes)
    assert len(await stored_answers(core.db, post.post_id)) == 1
    board = await core.leaderboards.leaderboard(1, Period.ALL_TIME)
    assert [(e.user_id, e.answers) for e in board.entries] == [(7, 1)]


async def test_hundreds_of_learners_at_once_are_each_recorded(core: Core) -> None:
    """200 learners clicking together are all recorded exactly once."""
    post = await make_post(core, correct=0)
    outcomes = await asyncio.gather(
        *(core.answer_service.record_answer(post.post_id, user, f"L{user}", user % 4) for user in range(200))
    )
    assert all(o.status is AnswerStatus.RECORDED for o in outcomes)
    counts = await core.answers.choice_counts(post.post_id)
    assert counts == {0: 50, 1: 50, 2: 50, 3: 50}


async def test_answer_after_closing_is_refused(core: Core) -> None:
    """Once the closing time has passed, a click is refused and nothing is stored."""
    post = await make_post(core, correct=1, open_for=timedelta(minutes=30))
    core.clock.advance(timedelta(minutes=30))
    outcome = await core.answer_service.record_answer(post.post_id, 42, "Priya", 1)
    assert outcome.status is AnswerStatus.CLOSED
    assert outcome.correct_option == 1
    assert await stored_answers(core.db, post.post_id) == []


async def test_answer_to_a_closed_post_is_refused_even_before_its_time(core: Core) -> None:
    """A post closed early (by a tutor) refuses answers."""
    post = await make_post(core)
    assert await core.posts.close(post.post_id, core.clock.now())
    outcome = await core.answer_service.record_answer(post.post_id, 42, "Priya", 1)
    assert outcome.status is AnswerStatus.CLOSED


async def test_unknown_post_and_bad_choice(core: Core) -> None:
    """A click on a post that does not exist, or an option out of range, records nothing."""
    assert (await core.answer_service.record_answer(999, 1, "X", 0)).status is AnswerStatus.UNKNOWN_POST
    post = await make_post(core, options=3)
    assert (await core.answer_service.record_answer(post.post_id, 1, "X", 3)).status is AnswerStatus.INVALID_CHOICE


async def test_class_quiz_points_fall_with_time(core: Core) -> None:
    """In a class quiz an instant answer earns full points and one at the limit half."""
    post = await make_post(core, origin=Origin.CLASS, correct=0, open_for=timedelta(seconds=20))
    fast = await core.answer_service.record_answer(post.post_id, 1, "Fast", 0)
    core.clock.advance(timedelta(seconds=10))
    middle = await core.answer_service.record_answer(post.post_id, 2, "Middle", 0)
    core.clock.advance(timedelta(seconds=9, milliseconds=999))
    slow = await core.answer_service.record_answer(post.post_id, 3, "Slow", 0)
    wrong = await core.answer_service.record_answer(post.post_id, 4, "Wrong", 1)
    points = [o.answer.points for o in (fast, middle, slow, wrong) if o.answer]
    assert points == [CLASS_MAX_POINTS, 75, 50, 0]


async def test_practice_answers_stay_off_the_board(core: Core) -> None:
    """Practice answers count for the learner but never on a leaderboard."""
    post = await make_post(core, origin=Origin.PRACTICE, correct=1)
    outcome = await core.answer_service.record_answer(post.post_id, 5, "Practiser", 1)
    assert outcome.status is AnswerStatus.RECORDED and outcome.answer is not None
    assert outcome.answer.points == 0
    board = await core.leaderboards.leaderboard(1, Period.ALL_TIME)
    assert board.entries == ()


async def test_streak_bonus_only_when_the_server_turns_it_on(core: Core) -> None:
    """With the bonus on, a right answer on a streak earns extra; with it off, it does not."""
    for day in range(3):
        post = await make_post(core, origin=Origin.SCHEDULED, correct=1, open_for=timedelta(hours=2))
        outcome = await core.answer_service.record_answer(post.post_id, 9, "Streaker", 1)
        assert outcome.answer is not None and outcome.answer.points == DAILY_POINTS, day
        core.clock.advance(timedelta(days=1))
    await core.guilds.save(GuildSettings(1, streak_bonus=True), core.clock.now())
    post = await make_post(core, origin=Origin.SCHEDULED, correct=1, open_for=timedelta(hours=2))
    outcome = await core.answer_service.record_answer(post.post_id, 9, "Streaker", 1)
    assert outcome.answer is not None and outcome.answer.points == DAILY_POINTS + 6


async def test_streak_bonus_counts_back_to_the_last_miss_or_mistake(core: Core) -> None:
    """The bonus grows with each right answer in a row, restarts after a wrong or missed day, and stops at the cap."""
    await core.guilds.save(GuildSettings(1, streak_bonus=True), core.clock.now())
    # (what the learner does each day, the points they should get)
    days = [("right", 10), ("right", 12), ("wrong", 0), ("right", 10), ("miss", None), ("right", 10)]
    days += [("right", 12), ("right", 14), ("right", 16), ("right", 18), ("right", 20), ("right", 20)]
    for day, (action, points) in enumerate(days):
        post = await make_post(core, origin=Origin.SCHEDULED, correct=1, open_for=timedelta(hours=2))
        if action != "miss":
            choice = 1 if action == "right" else 0
            outcome = await core.answer_service.record_answer(post.post_id, 9, "Streaker", choice)
            assert outcome.answer is not None and outcome.answer.points == points, (day, action)
        core.clock.advance(timedelta(days=1))


# A rule that makes every new practice card fail, and its removal, per engine.
REFUSE_CARDS = {
    "sqlite": (
        "CREATE TRIGGER refuse_cards BEFORE INSERT ON practice_cards BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
        "DROP TRIGGER refuse_cards",
    ),
    "postgresql": (
        "ALTER TABLE practice_cards ADD CONSTRAINT refuse_cards CHECK (user_id < 0) NOT VALID",
        "ALTER TABLE practice_cards DROP CONSTRAINT refuse_cards",
    ),
}


async def test_an_answer_updates_the_practice_card_and_a_failure_there_loses_nothing(core: Core) -> None:
    """The practice card commits with the answer; if writing it fails, the answer stays and the card is undone."""
    catalog = load_catalog(CONTENT)
    question = next(catalog.questions())
    practice = PracticeService(core.db, PracticeRepository(core.db), catalog, core.clock)
    answers = AnswerService(core.db, core.clock, practice)
    post = await make_post(core, item_id=question.item.id, element_id=question.element.id, correct=1)
    noted = await answers.record_answer(post.post_id, 41, "Noted", 1)
    assert await PracticeRepository(core.db).get(41, question.item.id) is not None
    refuse, allow = REFUSE_CARDS[core.db.engine]
    async with core.db.transaction() as tx:  # a real failure inside the database, after the answer is written
        await tx.execute(refuse)
    try:
        failed = await answers.record_answer(post.post_id, 42, "Failed", 1)
    finally:
        async with core.db.transaction() as tx:
            await tx.execute(allow)
    again = await answers.record_answer(post.post_id, 41, "Noted", 0)
    assert (noted.status, failed.status, again.status) == (
        AnswerStatus.RECORDED,
        AnswerStatus.RECORDED,
        AnswerStatus.ALREADY_ANSWERED,
    )
    assert [a.user_id for a in await stored_answers(core.db, post.post_id)] == [41, 42]
    assert await PracticeRepository(core.db).get(42, question.item.id) is None
