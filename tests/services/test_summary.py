"""The weekly summary: who is named most improved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.course.loader import load_catalog
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
