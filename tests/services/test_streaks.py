"""Streaks kept with each answer read the same as counting the server's whole history, whatever happens."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.domain.scoring import Origin
from bot.domain.streaks import StreakState, compute_streaks, state_after_answer, streaks_now
from bot.services.answers import AnswerStatus
from bot.storage.answers import scheduled_history
from bot.storage.learners import LearnerRepository
from tests.conftest import Core
from tests.helpers import make_post

LEARNERS = (1, 2, 3, 4)


async def _from_history(core: Core, user_id: int) -> tuple[int, int, int, int]:
    now = core.clock.now()

    def count(conn: object) -> tuple[int, int, int, int]:
        history = scheduled_history(conn, 1, "question", user_id, now)  # type: ignore[arg-type]
        s = compute_streaks(history.post_ids, history.answered, history.open_post_id)
        return s.current, s.best, s.current_correct, s.best_correct

    return await core.db.read(count)


async def _kept(core: Core, user_id: int) -> tuple[int, int, int, int]:
    s = await core.leaderboards.streaks(1, user_id)
    return s.current, s.best, s.current_correct, s.best_correct


async def _kept_rows(core: Core) -> int:
    row = await core.db.fetch_one("SELECT COUNT(*) FROM learner_streaks")
    return int(row[0]) if row else 0


def test_a_run_goes_on_only_from_the_post_just_before() -> None:
    """Answering the next post adds to the run; after a missed post the run starts again at one."""
    state = StreakState(last_post_id=7, last_opened_ms=0, run=3, run_correct=2, best=5, best_correct=2)
    after = state_after_answer(state, 8, 10, previous_id=7, correct=True)
    assert (after.run, after.run_correct, after.best, after.best_correct) == (4, 3, 5, 3)
    wrong = state_after_answer(after, 9, 20, previous_id=8, correct=False)
    assert (wrong.run, wrong.run_correct, wrong.best) == (5, 0, 5)
    gap = state_after_answer(wrong, 11, 40, previous_id=10, correct=True)
    assert (gap.run, gap.run_correct, gap.best, gap.best_correct) == (1, 1, 5, 3)


def test_a_run_stands_until_a_post_is_missed() -> None:
    """With no later post, or only today's still open, the run counts; a closed unanswered post ends it."""
    state = StreakState(last_post_id=7, last_opened_ms=0, run=3, run_correct=2, best=5, best_correct=4)
    assert (streaks_now(state, []).current, streaks_now(state, [True]).current) == (3, 3)
    assert streaks_now(state, [False]).current == 0
    assert streaks_now(state, [False, True]) == streaks_now(state, [True, True])
    assert streaks_now(state, [True, True]).current_correct == 0 and streaks_now(state, [False]).best == 5


async def test_kept_streaks_match_the_whole_history(core: Core) -> None:
    """Forty days of learners answering, missing, answering late and out of order: always the history's count."""
    rng = random.Random(2026)
    day = core.clock.now()
    open_posts = []
    for n in range(40):
        core.clock.set(day + timedelta(days=n))
        hours = 30 if rng.random() < 0.3 else 2  # some stay open into the next day, so they can be answered late
        open_posts.append(await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=hours)))
        open_posts = open_posts[-2:]
        for user in LEARNERS:
            for post in rng.sample(open_posts, k=len(open_posts)):  # yesterday's, if still open, maybe after today's
                if rng.random() < 0.6:
                    outcome = await core.answer_service.record_answer(post.post_id, user, "L", rng.randrange(2))
                    assert outcome.status in (AnswerStatus.RECORDED, AnswerStatus.ALREADY_ANSWERED, AnswerStatus.CLOSED)
        for later in (timedelta(hours=1), timedelta(hours=12)):  # today's open, then closed
            core.clock.set(day + timedelta(days=n) + later)
            for user in LEARNERS:
                assert await _kept(core, user) == await _from_history(core, user), (n, user)
    assert await _kept_rows(core) == len(LEARNERS)
    best = max([(await _kept(core, u))[1] for u in LEARNERS])
    assert best >= 3  # the run is long enough to mean something


async def test_deleting_data_drops_the_kept_streaks_and_they_are_counted_again(core: Core) -> None:
    """After a learner's data is erased, or a scheduled post removed, the next answer counts from the history."""
    day = core.clock.now()
    posts = []
    for n in range(4):
        core.clock.set(day + timedelta(days=n))
        posts.append(await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2)))
        for user in (1, 2):
            await core.answer_service.record_answer(posts[-1].post_id, user, "L", 0)
    assert await _kept_rows(core) == 2 and (await _kept(core, 2))[0] == 4

    await LearnerRepository(core.db).delete(1)
    assert await _kept_rows(core) == 1 and await _kept(core, 1) == (0, 0, 0, 0)

    core.clock.set(day + timedelta(days=4))
    post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
    await core.posts.delete(post.post_id)  # never reached its channel
    assert await _kept_rows(core) == 0
    core.clock.set(day + timedelta(days=5))
    post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
    await core.answer_service.record_answer(post.post_id, 2, "L", 0)
    assert await _kept(core, 2) == await _from_history(core, 2) == (5, 5, 5, 5)
    assert await _kept_rows(core) == 1
