"""Streaks kept with each answer read the same as counting the server's whole history, whatever happens."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

import bot.services.answers as answers_service
from bot.domain.entities import PostKind
from bot.domain.scoring import Origin
from bot.domain.streaks import StreakState, compute_streaks, state_after_answer, streaks_now
from bot.services.answers import AnswerStatus
from bot.storage.answers import scheduled_history
from bot.storage.db import Connection
from bot.storage.learners import LearnerRepository
from tests.conftest import Core
from tests.helpers import make_post

LEARNERS = (1, 2, 3, 4)


async def _from_history(core: Core, user_id: int, guild_id: int = 1) -> tuple[int, int, int, int]:
    now = core.clock.now()

    def count(conn: object) -> tuple[int, int, int, int]:
        history = scheduled_history(conn, guild_id, "question", user_id, now)  # type: ignore[arg-type]
        s = compute_streaks(history.post_ids, history.answered, history.open_post_id)
        return s.current, s.best, s.current_correct, s.best_correct

    return await core.db.read(count)


async def _kept(core: Core, user_id: int, guild_id: int = 1) -> tuple[int, int, int, int]:
    s = await core.leaderboards.streaks(guild_id, user_id)
    return s.current, s.best, s.current_correct, s.best_correct


async def _kept_row(core: Core, guild_id: int, user_id: int) -> int | None:
    """The post id of the learner's latest answered daily question, as kept."""
    row = await core.db.fetch_one(
        "SELECT last_post_id FROM learner_streaks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return row[0] if row else None


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
    """Forty days in two servers, with challenges and tutors' posts between the daily questions, learners missing
    days and answering yesterday's question after today's: the kept streaks always read as the history counts."""
    rng = random.Random(2026)
    day = core.clock.now()
    still_open: dict[int, list] = {1: [], 2: []}
    recounts = 0
    for n in range(40):
        core.clock.set(day + timedelta(days=n))
        for guild in (1, 2):
            hours = 30 if rng.random() < 0.5 else 2  # open into the next day, so it can be answered after the next
            question = await make_post(
                core, guild_id=guild, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=hours)
            )
            still_open[guild] = [*still_open[guild][-1:], question]
            others = [
                await make_post(core, guild_id=guild, origin=Origin.SCHEDULED, kind=PostKind.CHALLENGE, correct=0),
                await make_post(core, guild_id=guild, origin=Origin.MANUAL, correct=0),
            ]
            for user in LEARNERS:
                for post in rng.sample([*still_open[guild], *others], k=len(still_open[guild]) + 2):
                    if rng.random() < 0.6:
                        before = await _kept_row(core, guild, user)
                        await core.answer_service.record_answer(post.post_id, user, "L", rng.randrange(2))
                        recounts += before is not None and post.post_id < before  # an older question, late
        for later in (timedelta(hours=1), timedelta(hours=12)):  # today's open, then closed
            core.clock.set(day + timedelta(days=n) + later)
            for guild in (1, 2):
                for user in LEARNERS:
                    assert await _kept(core, user, guild) == await _from_history(core, user, guild), (n, guild, user)
    assert await _kept_rows(core) == 2 * len(LEARNERS)  # question streaks only, one per learner and server
    assert recounts >= 5  # the late answers really happened
    assert max([(await _kept(core, u))[1] for u in LEARNERS]) >= 3  # runs long enough to mean something


async def test_deleted_answers_and_posts_drop_the_kept_streaks_and_they_are_counted_again(core: Core) -> None:
    """Erasing a learner, deleting one answer or an older scheduled post: the streaks read as the history counts;
    deleting the newest post (one that never reached its channel) keeps the other streaks."""
    day = core.clock.now()
    posts = []
    for n in range(5):
        core.clock.set(day + timedelta(days=n))
        posts.append(await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2)))
        for user in (1, 2, 3):
            await core.answer_service.record_answer(posts[-1].post_id, user, "L", 0)
    assert await _kept_rows(core) == 3 and (await _kept(core, 2))[0] == 5

    await LearnerRepository(core.db).delete(1)
    assert await _kept_rows(core) == 2 and await _kept(core, 1) == (0, 0, 0, 0)

    async with core.db.transaction() as tx:  # one answer goes: learner 2's run is broken in the middle
        await tx.execute("DELETE FROM answers WHERE post_id = ? AND user_id = 2", (posts[2].post_id,))
    assert await _kept_rows(core) == 1
    assert await _kept(core, 2) == await _from_history(core, 2) == (2, 2, 2, 2)

    core.clock.set(day + timedelta(days=5))
    newest = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
    await core.posts.delete(newest.post_id)  # never reached its channel: learner 3's streak stays kept
    assert await _kept_rows(core) == 1 and await _kept(core, 3) == (5, 5, 5, 5)

    await core.posts.delete(posts[0].post_id)  # an older post, with its answers: counted again
    assert await _kept_rows(core) == 0
    core.clock.set(day + timedelta(days=6))
    post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
    for user in (2, 3):
        await core.answer_service.record_answer(post.post_id, user, "L", 0)
        assert await _kept(core, user) == await _from_history(core, user)
    assert [await _kept(core, u) for u in (2, 3)] == [(3, 3, 3, 3), (5, 5, 5, 5)]


async def test_the_answer_is_kept_when_keeping_the_streak_fails(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while updating the streak is logged; the answer stands and the streak is counted afresh later."""
    day = core.clock.now()
    for n in range(2):
        core.clock.set(day + timedelta(days=n))
        post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
        if n == 1:

            def broken(conn: Connection, *_: object) -> None:  # a real error inside the database
                conn.execute("INSERT INTO learner_streaks (guild_id) VALUES (NULL)")

            monkeypatch.setattr(answers_service, "keep_streaks_in", broken)
        outcome = await core.answer_service.record_answer(post.post_id, 1, "Ada", 0)
        assert outcome.status is AnswerStatus.RECORDED
    assert await _kept_rows(core) == 0  # dropped, not left behind the answers
    assert await _kept(core, 1) == await _from_history(core, 1) == (2, 2, 2, 2)
