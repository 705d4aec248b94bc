"""Leaderboards per period and element, in the server's timezone, with shared ranks and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.course.catalog import CourseInfo
from bot.domain.entities import GuildSettings
from bot.domain.periods import Period
from bot.domain.scoring import Origin
from tests.conftest import Core
from tests.helpers import make_post


async def _answer_at(
    core: Core,
    when: datetime,
    user: int,
    right: bool,
    *,
    guild_id: int = 1,
    element_id: str = "alpha",
    name: str | None = None,
) -> None:
    core.clock.set(when)
    post = await make_post(core, guild_id=guild_id, correct=0, element_id=element_id, origin=Origin.MANUAL)
    await core.answer_service.record_answer(post.post_id, user, name or f"Learner {user}", 0 if right else 1)


async def test_ties_share_a_rank(core: Core) -> None:
    """Equal points share a rank and the next rank skips (1, 2, 2, 4)."""
    now = core.clock.now()
    for user, rights in ((1, 3), (2, 2), (3, 2), (4, 1)):
        for _ in range(rights):
            await _answer_at(core, now, user, True)
    board = await core.leaderboards.leaderboard(1, Period.ALL_TIME)
    assert [(e.rank, e.user_id, e.points) for e in board.entries] == [(1, 1, 30), (2, 2, 20), (2, 3, 20), (4, 4, 10)]


async def test_more_than_ten_learners_page_and_keep_ranks(core: Core) -> None:
    """Page two continues the ranks, and a tie across the page break keeps its shared rank."""
    now = core.clock.now()
    # 12 learners: user u scores (13 - u) right answers, except users 10 and 11 tie.
    scores = {u: 13 - u for u in range(1, 13)}
    scores[11] = scores[10]
    for user, rights in scores.items():
        for _ in range(rights):
            await _answer_at(core, now, user, True)
    first = await core.leaderboards.leaderboard(1, Period.ALL_TIME, page=0)
    second = await core.leaderboards.leaderboard(1, Period.ALL_TIME, page=1)
    assert (first.pages, first.learners) == (2, 12)
    assert [e.rank for e in first.entries] == list(range(1, 11))
    assert [(e.user_id, e.rank) for e in second.entries] == [(11, 10), (12, 12)]


async def test_learner_outside_the_top_ten_sees_their_own_rank(core: Core) -> None:
    """A viewer not on the page gets their own rank and points."""
    now = core.clock.now()
    for user in range(1, 13):
        for _ in range(13 - user):
            await _answer_at(core, now, user, True)
    board = await core.leaderboards.leaderboard(1, Period.ALL_TIME, viewer_id=12)
    assert board.viewer is not None
    assert (board.viewer.rank, board.viewer.points) == (12, 10)
    on_page = await core.leaderboards.leaderboard(1, Period.ALL_TIME, viewer_id=3)
    assert on_page.viewer is None


async def test_periods_count_only_their_answers(core: Core) -> None:
    """Today, this week, this month and all time each count the right answers (week starts Monday)."""
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # server in Europe/London, GMT in March before the 29th
    await _answer_at(core, monday - timedelta(days=40), 1, True)  # January: all time only
    await _answer_at(core, monday - timedelta(days=1), 1, True)  # Sunday 1 March: month, not week
    await _answer_at(core, monday, 1, True)  # Monday: today, week, month
    await _answer_at(core, monday + timedelta(days=1), 2, True)  # Tuesday
    core.clock.set(monday + timedelta(days=1, hours=1))
    points = {}
    for period in Period:
        board = await core.leaderboards.leaderboard(1, period)
        points[period] = {e.user_id: e.points for e in board.entries}
    assert points[Period.TODAY] == {2: 10}
    assert points[Period.WEEK] == {1: 10, 2: 10}
    assert points[Period.MONTH] == {1: 20, 2: 10}
    assert points[Period.ALL_TIME] == {1: 30, 2: 10}


async def test_week_start_is_the_servers_choice(core: Core) -> None:
    """A server whose week starts on Sunday counts Sunday's answers in this week."""
    await core.guilds.save(GuildSettings(1, week_start=6), core.clock.now())
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await _answer_at(core, monday - timedelta(days=1), 1, True)
    core.clock.set(monday)
    board = await core.leaderboards.leaderboard(1, Period.WEEK)
    assert [e.user_id for e in board.entries] == [1]


async def test_today_in_a_utc_plus_13_server(core: Core) -> None:
    """For a server in Tonga (UTC+13), 'today' starts at 11:00 UTC the day before."""
    await core.guilds.save(GuildSettings(1, timezone="Pacific/Tongatapu"), core.clock.now())
    # 10:30 UTC on 2 March is 23:30 on 2 March in Tonga; 11:30 UTC is 00:30 on 3 March.
    await _answer_at(core, datetime(2026, 3, 2, 10, 30, tzinfo=UTC), 1, True)
    await _answer_at(core, datetime(2026, 3, 2, 11, 30, tzinfo=UTC), 2, True)
    core.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    board = await core.leaderboards.leaderboard(1, Period.TODAY)
    assert [e.user_id for e in board.entries] == [2]


async def test_week_across_the_clocks_going_forward(core: Core) -> None:
    """In London the week of the spring change (29 March 2026) still starts at local midnight."""
    # Monday 23 March 00:00 GMT = 00:00 UTC; Monday 30 March 00:00 BST = 29 March 23:00 UTC.
    await _answer_at(core, datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 1, True)  # Sunday 23:30 BST: old week
    await _answer_at(core, datetime(2026, 3, 29, 23, 30, tzinfo=UTC), 2, True)  # Monday 00:30 BST: new week
    core.clock.set(datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    board = await core.leaderboards.leaderboard(1, Period.WEEK)
    assert [e.user_id for e in board.entries] == [2]


async def test_element_board_counts_only_that_element(core: Core) -> None:
    """A board for one element ignores answers to other elements, for a period and for all time."""
    now = core.clock.now()
    await _answer_at(core, now, 1, True, element_id="alpha")
    await _answer_at(core, now, 2, True, element_id="beta")
    await _answer_at(core, now, 2, True, element_id="beta")
    for period in (Period.ALL_TIME, Period.WEEK):
        board = await core.leaderboards.leaderboard(1, period, element_id="alpha")
        assert [(e.user_id, e.points) for e in board.entries] == [(1, 10)], period


async def test_boards_are_per_server(core: Core) -> None:
    """Answers in one server never appear on another's board."""
    now = core.clock.now()
    await _answer_at(core, now, 1, True, guild_id=1)
    await _answer_at(core, now, 2, True, guild_id=2)
    board = await core.leaderboards.leaderboard(2, Period.ALL_TIME)
    assert [e.user_id for e in board.entries] == [2]


async def test_names_are_kept_after_a_learner_changes_theirs(core: Core) -> None:
    """The board shows the name a learner last answered with, as stored."""
    now = core.clock.now()
    await _answer_at(core, now, 1, True, name="Old Name")
    await _answer_at(core, now, 1, True, name="New Name")
    for period in (Period.ALL_TIME, Period.TODAY):
        board = await core.leaderboards.leaderboard(1, period)
        assert board.entries[0].display_name == "New Name"


async def test_standing_shows_points_rank_accuracy_and_streaks(core: Core) -> None:
    """A learner's standing gives points, rank, accuracy and daily streaks."""
    day = core.clock.now()
    for n, right in enumerate((True, True, False, True)):
        core.clock.set(day + timedelta(days=n))
        post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
        await core.answer_service.record_answer(post.post_id, 1, "Ada", 0 if right else 1)
    core.clock.set(day + timedelta(days=4))
    await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))  # missed
    core.clock.set(day + timedelta(days=5))
    standing = await core.leaderboards.standing(1, 1)
    assert (standing.points, standing.rank, standing.answers, standing.correct) == (30, 1, 4, 3)
    assert standing.accuracy == 0.75
    assert (standing.streaks.current, standing.streaks.best) == (0, 4)
    assert (standing.streaks.current_correct, standing.streaks.best_correct) == (0, 2)


async def test_todays_open_question_does_not_break_a_streak_even_after_a_tutors_post(core: Core) -> None:
    """A scheduled question still open and not yet answered leaves the streak alone, whatever was posted since."""
    day = core.clock.now()
    for n in range(3):
        core.clock.set(day + timedelta(days=n))
        post = await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))
        await core.answer_service.record_answer(post.post_id, 1, "Ada", 0)
    core.clock.set(day + timedelta(days=3))
    await make_post(core, origin=Origin.SCHEDULED, correct=0, open_for=timedelta(hours=2))  # today's, open
    await make_post(core, origin=Origin.MANUAL, correct=0, open_for=timedelta(hours=2))  # a tutor's, after it
    streaks = await core.leaderboards.streaks(1, 1)
    assert (streaks.current, streaks.best, streaks.current_correct) == (3, 3, 3)
    core.clock.set(day + timedelta(days=3, hours=3))  # today's has closed unanswered
    assert (await core.leaderboards.streaks(1, 1)).current == 0


async def test_changing_the_week_start_regroups_earlier_answers(core: Core) -> None:
    """Weekly totals follow a server that changes its week start after answers were recorded."""
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await _answer_at(core, monday - timedelta(days=1), 1, True)  # Sunday
    await _answer_at(core, monday, 2, True)  # Monday
    core.clock.set(monday + timedelta(days=1))
    board = await core.leaderboards.leaderboard(1, Period.WEEK)
    assert [e.user_id for e in board.entries] == [2]
    await core.guilds.save(GuildSettings(1, week_start=6), core.clock.now())
    board = await core.leaderboards.leaderboard(1, Period.WEEK)
    assert sorted(e.user_id for e in board.entries) == [1, 2]


async def test_weekly_totals_match_the_answers(core: Core) -> None:
    """The kept weekly totals give the same board as adding up the week's answers."""
    from dataclasses import replace

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(30):
        await _answer_at(core, start + timedelta(hours=5 * n), n % 7, n % 3 != 0)
    core.clock.set(start + timedelta(days=6))
    scope = await core.leaderboards.scope(1, Period.WEEK)
    assert scope.week_key == "2026-03-02"
    kept = await core.boards.page(scope, 100)
    summed = await core.boards.page(replace(scope, week_key=None), 100)
    assert kept == summed and len(kept) == 7


async def test_a_course_board_counts_only_its_elements_in_every_period(core: Core) -> None:
    """A course's board adds up its elements' answers, and leaves out other courses', all time and in a period."""
    now = core.clock.now()
    course = CourseInfo("demo", "Demo course", ("alpha", "beta"))
    for user, element in ((1, "alpha"), (1, "beta"), (2, "alpha"), (3, "value"), (3, "value"), (3, "value")):
        await _answer_at(core, now, user, True, element_id=element)
    for period in (Period.ALL_TIME, Period.WEEK, Period.TODAY):
        board = await core.leaderboards.leaderboard(1, period, course=course, viewer_id=3)
        assert [(e.rank, e.user_id, e.points, e.answers) for e in board.entries] == [(1, 1, 20, 2), (2, 2, 10, 1)]
        assert (board.learners, board.viewer, board.course) == (2, None, course)
    whole = await core.leaderboards.leaderboard(1, Period.ALL_TIME)
    assert [e.user_id for e in whole.entries] == [3, 1, 2]
