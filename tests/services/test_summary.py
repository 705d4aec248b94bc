"""The weekly summary: who is named most improved, and when a summary missed while down is caught up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.course.loader import load_catalog
from bot.domain.entities import GuildSettings, Schedule, ScheduleKind, Weekdays
from bot.domain.scoring import Origin
from bot.services.summary import WeeklySummaryService
from bot.storage.summaries import SummaryRepository
from tests.conftest import Core
from tests.course.conftest import ALPHA, BETA, COURSE
from tests.helpers import make_post

MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # a summary posted now covers 9 to 15 March (London)


@pytest.fixture
def weekly(core: Core, tmp_path: Path) -> WeeklySummaryService:
    folder = tmp_path / "content" / "demo"
    folder.mkdir(parents=True)
    for name, text in (("course.yaml", COURSE), ("alpha.yaml", ALPHA), ("beta.yaml", BETA)):
        (folder / name).write_text(text, encoding="utf-8")
    return WeeklySummaryService(core.boards, SummaryRepository(core.db), core.guilds, load_catalog(folder), core.clock)


async def _right_answers(core: Core, when: datetime, user: int, count: int) -> None:
    core.clock.set(when)
    for _ in range(count):
        post = await make_post(core, correct=0, origin=Origin.MANUAL)
        await core.answer_service.record_answer(post.post_id, user, f"Learner {user}", 0)


async def test_most_improved_is_chosen_among_learners_who_scored_the_week_before(
    core: Core, weekly: WeeklySummaryService
) -> None:
    """A newcomer who scored more does not hide the returning learner who improved most."""
    await _right_answers(core, MONDAY - timedelta(days=10), 1, 1)  # week before: 10 points
    await _right_answers(core, MONDAY - timedelta(days=10), 2, 2)  # week before: 20 points
    await _right_answers(core, MONDAY - timedelta(days=3), 1, 3)  # this week: 30 points, 20 more
    await _right_answers(core, MONDAY - timedelta(days=3), 2, 1)  # this week: 10 points, 10 fewer
    await _right_answers(core, MONDAY - timedelta(days=3), 3, 5)  # new this week: 50 points
    core.clock.set(MONDAY)
    summary = await weekly.build(1)
    assert summary.most_improved is not None
    assert (summary.most_improved.display_name, summary.most_improved.points, summary.most_improved.gain) == (
        "Learner 1",
        30,
        20,
    )


async def test_nobody_is_most_improved_when_no_returning_learner_gained(
    core: Core, weekly: WeeklySummaryService
) -> None:
    """Only newcomers and learners who scored less: no most improved."""
    await _right_answers(core, MONDAY - timedelta(days=10), 1, 3)
    await _right_answers(core, MONDAY - timedelta(days=3), 1, 2)
    await _right_answers(core, MONDAY - timedelta(days=3), 2, 4)
    core.clock.set(MONDAY)
    assert (await weekly.build(1)).most_improved is None


FRIDAY_SLOT = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)  # Friday 13 March, 18:00 in London (GMT)


def _weekly(day: Weekdays, at: time = time(18, 0)) -> list[tuple[Schedule, GuildSettings]]:
    return [(Schedule(1, ScheduleKind.WEEKLY, 5, at, day), GuildSettings(1))]


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (FRIDAY_SLOT - timedelta(minutes=1), False),  # the slot has not come yet
        (FRIDAY_SLOT + timedelta(hours=1), True),
        (FRIDAY_SLOT + timedelta(days=2, hours=5), True),  # Sunday 23:00: still that week
        (FRIDAY_SLOT + timedelta(days=3), False),  # Monday: a new week has begun
    ],
)
async def test_a_missed_summary_is_due_while_its_week_is_still_the_one_a_post_covers(
    core: Core, weekly: WeeklySummaryService, now: datetime, due: bool
) -> None:
    """A Friday summary missed while the bot was down is due until its week ends."""
    core.clock.set(now)
    assert bool(await weekly.due_now(_weekly(Weekdays.FRI))) is due


async def test_a_missed_summary_is_due_once(core: Core, weekly: WeeklySummaryService) -> None:
    """Once the week's summary has been claimed, it is no longer due."""
    core.clock.set(FRIDAY_SLOT + timedelta(hours=1))
    assert await weekly.due_now(_weekly(Weekdays.FRI))
    week = (await weekly.week_for(1)).isoformat()
    assert await SummaryRepository(core.db).claim(1, week, 5, core.clock.now())
    assert await weekly.due_now(_weekly(Weekdays.FRI)) == []


async def test_a_monday_summary_is_due_that_monday_only(core: Core, weekly: WeeklySummaryService) -> None:
    """A summary on the week's first day covers the week before; by Tuesday a new week is the current one."""
    monday = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    core.clock.set(monday + timedelta(hours=6))
    assert await weekly.due_now(_weekly(Weekdays.MON, time(9, 0)))
    core.clock.set(monday + timedelta(days=1))
    assert await weekly.due_now(_weekly(Weekdays.MON, time(9, 0))) == []
