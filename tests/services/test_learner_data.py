"""A learner's data rights: a full copy of what is stored about them, and erasing it everywhere."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.domain.clock import to_ms
from bot.domain.periods import Period
from bot.domain.scoring import DAILY_POINTS, Origin
from bot.services.learner_data import LearnerDataService
from bot.storage.learners import LearnerRepository
from tests.conftest import Core
from tests.helpers import make_post

ME, OTHER, THIRD = 7, 8, 9


@pytest.fixture
def learner_data(core: Core) -> LearnerDataService:
    return LearnerDataService(LearnerRepository(core.db), core.clock)


async def _practice_card(core: Core, user_id: int, item_id: str) -> None:
    # There is no practice-card repository yet; write the row as one would.
    async with core.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO practice_cards (user_id, item_id, card, due_at, reviews, lapses) VALUES (?, ?, ?, ?, 2, 1)",
            (user_id, item_id, json.dumps({"stability": 3.5}), to_ms(core.clock.now() + timedelta(days=3))),
        )


async def _two_servers(core: Core) -> None:
    """ME leads both servers; OTHER is second in server 1 and THIRD second in server 2."""
    for guild_id, rivals in ((1, {OTHER: 0, THIRD: 1}), (2, {THIRD: 0})):
        for item in ("alpha.q.first", "alpha.q.truth"):
            post = await make_post(core, guild_id=guild_id, item_id=item, correct=0)
            await core.answer_service.record_answer(post.post_id, ME, "Me", 0)
            if item == "alpha.q.first":
                for user, choice in rivals.items():
                    await core.answer_service.record_answer(post.post_id, user, f"Learner {user}", choice)
        core.clock.advance(timedelta(minutes=5))
    practice = await make_post(core, origin=Origin.PRACTICE, item_id="alpha.q.first", correct=0)
    await core.answer_service.record_answer(practice.post_id, ME, "Me", 1)
    await core.answer_service.record_answer(practice.post_id, OTHER, "Learner 8", 0)
    await _practice_card(core, ME, "alpha.q.first")
    await _practice_card(core, OTHER, "alpha.q.first")


async def test_export_holds_exactly_the_learners_data(core: Core, learner_data: LearnerDataService) -> None:
    """The copy lists every answer, total and card of the learner, in both servers, and nobody else's."""
    await _two_servers(core)
    exported = json.loads(await learner_data.export_json(ME))

    assert exported["user_id"] == str(ME)
    assert exported["exported_at"] == core.clock.now().isoformat()
    answers = exported["answers"]
    assert [(a["server_id"], a["item_id"], a["origin"], a["choice"], a["correct"], a["points"]) for a in answers] == [
        ("1", "alpha.q.first", "manual", 0, True, DAILY_POINTS),
        ("1", "alpha.q.truth", "manual", 0, True, DAILY_POINTS),
        ("2", "alpha.q.first", "manual", 0, True, DAILY_POINTS),
        ("2", "alpha.q.truth", "manual", 0, True, DAILY_POINTS),
        ("1", "alpha.q.first", "practice", 1, False, 0),
    ]
    assert all(a["display_name"] == "Me" and a["element_id"] == "alpha" for a in answers)
    assert answers[0]["answered_at"].startswith("2026-03-02T09:00:00")
    assert [(t["server_id"], t["element_id"], t["points"], t["answers"]) for t in exported["board_totals"]] == [
        ("1", None, 2 * DAILY_POINTS, 2),
        ("1", "alpha", 2 * DAILY_POINTS, 2),
        ("2", None, 2 * DAILY_POINTS, 2),
        ("2", "alpha", 2 * DAILY_POINTS, 2),
    ]
    [card] = exported["practice_cards"]
    assert (card["item_id"], card["reviews"], card["lapses"], card["card"]) == (
        "alpha.q.first",
        2,
        1,
        {"stability": 3.5},
    )


async def test_export_of_an_unknown_learner_is_empty(core: Core, learner_data: LearnerDataService) -> None:
    """Someone who never answered gets a copy with nothing in it."""
    await _two_servers(core)
    exported = await learner_data.export(12345)
    assert (exported["answers"], exported["board_totals"], exported["practice_cards"]) == ([], [], [])


async def _ranks(core: Core, guild_id: int, period: Period) -> list[tuple[int, int, int]]:
    board = await core.leaderboards.leaderboard(guild_id, period)
    return [(e.rank, e.user_id, e.points) for e in board.entries]


async def test_delete_removes_the_learner_from_every_board(core: Core, learner_data: LearnerDataService) -> None:
    """After erasing, the learner is on no leaderboard in any server and the others move up."""
    await _two_servers(core)
    for period in (Period.ALL_TIME, Period.WEEK):
        assert await _ranks(core, 1, period) == [(1, ME, 20), (2, OTHER, 10), (3, THIRD, 0)]
        assert await _ranks(core, 2, period) == [(1, ME, 20), (2, THIRD, 10)]

    summary = await learner_data.delete(ME)

    assert (summary.answers, summary.board_rows, summary.practice_cards) == (5, 4, 1)
    assert summary.guild_ids == (1, 2)
    for period in (Period.ALL_TIME, Period.WEEK):
        assert await _ranks(core, 1, period) == [(1, OTHER, 10), (2, THIRD, 0)]
        assert await _ranks(core, 2, period) == [(1, THIRD, 10)]
    assert (await core.leaderboards.standing(1, ME)).rank is None


async def test_delete_leaves_other_learners_data_alone(core: Core, learner_data: LearnerDataService) -> None:
    """Erasing one learner leaves another's answers, totals and cards exactly as they were."""
    await _two_servers(core)
    before = await learner_data.export(OTHER)
    await learner_data.delete(ME)
    after = await learner_data.export(OTHER)
    assert after == before
    assert len(after["answers"]) == 2 and len(after["practice_cards"]) == 1
    mine = await learner_data.export(ME)
    assert (mine["answers"], mine["board_totals"], mine["practice_cards"]) == ([], [], [])


async def test_deleting_twice_is_harmless(core: Core, learner_data: LearnerDataService) -> None:
    """Asking again finds nothing to erase and changes nothing."""
    await _two_servers(core)
    await learner_data.delete(ME)
    board = await _ranks(core, 1, Period.ALL_TIME)
    again = await learner_data.delete(ME)
    assert again.nothing_found and again.guild_ids == ()
    assert await _ranks(core, 1, Period.ALL_TIME) == board


async def test_learner_can_answer_again_after_erasing(core: Core, learner_data: LearnerDataService) -> None:
    """A learner who erased their data starts from nothing when they next answer."""
    await _two_servers(core)
    await learner_data.delete(ME)
    post = await make_post(core, item_id="beta.q.first", element_id="beta", correct=0)
    await core.answer_service.record_answer(post.post_id, ME, "Me again", 0)
    assert await _ranks(core, 1, Period.ALL_TIME) == [(1, ME, 10), (1, OTHER, 10), (3, THIRD, 0)]


async def test_export_and_delete_cover_the_kept_streaks(core: Core, learner_data: LearnerDataService) -> None:
    """The streak kept for a learner's daily questions is in their copy, and goes when they are erased."""
    for day in range(2):
        core.clock.set(core.clock.now() + timedelta(days=day))
        post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
        for user in (ME, OTHER):
            await core.answer_service.record_answer(post.post_id, user, "L", 0 if user == ME or day else 1)
    [streak] = (await learner_data.export(ME))["streaks"]
    assert (streak["server_id"], streak["kind"], streak["days_in_a_row_to_then"], streak["best_right_in_a_row"]) == (
        "1",
        "question",
        2,
        2,
    )
    others = (await learner_data.export(OTHER))["streaks"]
    assert [(s["days_in_a_row_to_then"], s["right_in_a_row_to_then"]) for s in others] == [(2, 1)]

    await learner_data.delete(ME)
    assert (await learner_data.export(ME))["streaks"] == []
    assert (await learner_data.export(OTHER))["streaks"] == others
