"""Tutors' reports: question facility, option spread, discrimination, misconceptions and the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.domain.entities import Post, PostKind
from bot.domain.scoring import Origin
from bot.services.reports import ReportService
from bot.storage.reports import ReportRepository
from tests.conftest import Core
from tests.course.conftest import ALPHA, BETA, COURSE
from tests.helpers import make_post

# The demo course, with a second misconception and two more challenges in alpha: alpha.mis.one is
# behind two challenges, so its figures must add up across both.
ALPHA_MORE = (
    ALPHA.replace(
        "misconceptions:\n",
        "misconceptions:\n"
        "  - id: alpha.mis.two\n"
        "    belief: Complaints are best ignored.\n"
        "    correction: A complaint answered well keeps a customer.\n",
    )
    + """\
  - id: alpha.spot.again
    kind: statements
    options:
      - Politeness is the whole of service.
      - Solving the problem matters.
      - Follow up afterwards.
    mistake: 0
    misconception: alpha.mis.one
    explanation: Politeness is only part of service.
    helps: [alpha.tip.one]
  - id: alpha.spot.list
    kind: statements
    options:
      - Thank the customer.
      - Say sorry.
      - Ignore the complaint.
    mistake: 2
    misconception: alpha.mis.two
    explanation: Ignoring a complaint loses the customer.
    helps: [alpha.tip.one]
"""
)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    folder = tmp_path / "content" / "demo"
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE, encoding="utf-8")
    (folder / "alpha.yaml").write_text(ALPHA_MORE, encoding="utf-8")
    (folder / "beta.yaml").write_text(BETA, encoding="utf-8")
    return load_catalog(folder)


@pytest.fixture
def reports(core: Core, catalog: Catalog) -> ReportService:
    return ReportService(ReportRepository(core.db), catalog)


async def _question(core: Core, item_id: str, correct: int, options: int, **kwargs: object) -> Post:
    element_id = item_id.split(".")[0]
    return await make_post(core, item_id=item_id, element_id=element_id, correct=correct, options=options, **kwargs)  # type: ignore[arg-type]


async def _challenge(core: Core, item_id: str, mistake: int, **kwargs: object) -> Post:
    return await _question(core, item_id, mistake, 3, kind=PostKind.CHALLENGE, **kwargs)


async def _answers(core: Core, post: Post, choices: dict[int, int]) -> None:
    for user, choice in choices.items():
        await core.answer_service.record_answer(post.post_id, user, f"Learner {user}", choice)


async def test_facility_and_option_counts(core: Core, reports: ReportService) -> None:
    """A tutor sees each question's share right, how many chose each option, and the favourite wrong one."""
    first = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, first, {1: 0, 2: 2, 3: 2, 4: 1})
    [stats] = await reports.question_report(1)
    assert stats.item_id == "alpha.q.first"
    assert stats.attempts == 4
    assert stats.facility == pytest.approx(0.25)
    assert stats.choice_counts == (1, 1, 2)
    assert stats.most_chosen_wrong == 2


async def test_hardest_question_comes_first(core: Core, reports: ReportService) -> None:
    """Questions run from the lowest share right upwards, however often answered; unanswered ones are left out."""
    truth = await _question(core, "alpha.q.truth", correct=0, options=2)
    await _answers(core, truth, {1: 0, 2: 0, 3: 1, 4: 0})
    first = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, first, {1: 0, 2: 2, 3: 2})
    await _question(core, "beta.q.first", correct=0, options=3)
    report = await reports.question_report(1)
    assert [s.item_id for s in report] == ["alpha.q.first", "alpha.q.truth"]
    assert [s.facility for s in report] == pytest.approx([1 / 3, 3 / 4])


async def test_answers_to_every_posting_of_a_question_add_up(core: Core, reports: ReportService) -> None:
    """A question posted twice is reported once, counting the answers to both postings."""
    for choices in ({1: 0, 2: 1}, {1: 2, 3: 0}):
        post = await _question(core, "alpha.q.first", correct=0, options=3)
        await _answers(core, post, choices)
    [stats] = await reports.question_report(1)
    assert (stats.attempts, stats.choice_counts) == (4, (2, 1, 1))


async def test_practice_other_servers_challenges_and_other_elements_are_left_out(
    core: Core, reports: ReportService
) -> None:
    """Only this server's leaderboard answers to questions (of the chosen element) are counted."""
    counted = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, counted, {1: 0})
    practice = await _question(core, "alpha.q.first", correct=0, options=3, origin=Origin.PRACTICE)
    await _answers(core, practice, {2: 1, 3: 1})
    elsewhere = await _question(core, "alpha.q.first", correct=0, options=3, guild_id=2)
    await _answers(core, elsewhere, {4: 1})
    challenge = await _challenge(core, "alpha.spot.reply", mistake=1)
    await _answers(core, challenge, {5: 1})
    beta = await _question(core, "beta.q.first", correct=0, options=3)
    await _answers(core, beta, {6: 2})

    report = await reports.question_report(1)
    assert {s.item_id: (s.attempts, s.facility) for s in report} == {
        "alpha.q.first": (1, 1.0),
        "beta.q.first": (1, 0.0),
    }
    assert [s.item_id for s in await reports.question_report(1, "alpha")] == ["alpha.q.first"]
    assert await reports.question_report(3) == []


async def _strong_and_weak_learners(core: Core, strong: list[int], weak: list[int]) -> None:
    """Strong learners get three beta questions right and weak ones get them wrong."""
    for _ in range(3):
        filler = await _question(core, "beta.q.first", correct=0, options=3)
        await _answers(core, filler, {u: 0 for u in strong} | {u: 1 for u in weak})


async def test_discrimination_separates_good_items_from_misleading_ones(core: Core, reports: ReportService) -> None:
    """A question the strongest get right scores +1; one only the weakest get right scores -1."""
    strong, weak = list(range(100, 105)), list(range(105, 110))
    await _strong_and_weak_learners(core, strong, weak)
    good = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, good, {u: 0 for u in strong} | {u: 1 for u in weak})
    misleading = await _question(core, "alpha.q.truth", correct=0, options=2)
    await _answers(core, misleading, {u: 1 for u in strong} | {u: 0 for u in weak})

    report = {s.item_id: s for s in await reports.question_report(1)}
    assert report["alpha.q.first"].discrimination == pytest.approx(1.0)
    assert report["alpha.q.truth"].discrimination == pytest.approx(-1.0)


async def test_discrimination_needs_enough_learners(core: Core, reports: ReportService) -> None:
    """With seven answers there is no discrimination figure; with eight there is."""
    await _strong_and_weak_learners(core, [1, 2, 3, 4], [5, 6, 7, 8])
    item = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, item, {u: 0 if u <= 4 else 1 for u in range(1, 8)})
    [seven] = [s for s in await reports.question_report(1) if s.item_id == "alpha.q.first"]
    assert seven.attempts == 7 and seven.discrimination is None

    await _answers(core, item, {8: 1})
    [eight] = [s for s in await reports.question_report(1) if s.item_id == "alpha.q.first"]
    assert eight.attempts == 8 and eight.discrimination == pytest.approx(1.0)


async def test_misconceptions_most_fallen_for_first(core: Core, reports: ReportService) -> None:
    """Each misconception shows how often its mistake was missed, over all its challenges, highest rate first."""
    reply = await _challenge(core, "alpha.spot.reply", mistake=1)
    await _answers(core, reply, {1: 1, 2: 1, 3: 0, 4: 2})
    again = await _challenge(core, "alpha.spot.again", mistake=0)
    await _answers(core, again, {1: 1, 2: 2})
    listed = await _challenge(core, "alpha.spot.list", mistake=2)
    await _answers(core, listed, {1: 0, 2: 1})
    practice = await _challenge(core, "alpha.spot.list", mistake=2, origin=Origin.PRACTICE)
    await _answers(core, practice, {5: 0, 6: 0})

    report = await reports.misconception_report(1)
    assert [(s.misconception_id, s.element_id, s.attempts, s.fell_for) for s in report] == [
        ("alpha.mis.two", "alpha", 2, 2),
        ("alpha.mis.one", "alpha", 6, 4),
    ]
    assert [s.rate for s in report] == pytest.approx([1.0, 4 / 6])
    assert report[1].belief == "Service is only about being polite."
    assert report[0].belief == "Complaints are best ignored."


async def test_misconception_report_for_one_element(core: Core, reports: ReportService) -> None:
    """Choosing an element shows only the misconceptions of that element."""
    alpha = await _challenge(core, "alpha.spot.reply", mistake=1)
    await _answers(core, alpha, {1: 0})
    beta = await _challenge(core, "beta.spot.reply", mistake=1)
    await _answers(core, beta, {1: 1, 2: 0})
    report = await reports.misconception_report(1, "beta")
    assert [(s.misconception_id, s.attempts, s.fell_for) for s in report] == [("beta.mis.one", 2, 1)]


async def test_challenges_gone_from_the_content_are_skipped(core: Core, reports: ReportService) -> None:
    """Answers to a challenge no longer in the course do not break the report."""
    gone = await _challenge(core, "alpha.spot.retired", mistake=1)
    await _answers(core, gone, {1: 0})
    kept = await _challenge(core, "alpha.spot.reply", mistake=1)
    await _answers(core, kept, {1: 1})
    report = await reports.misconception_report(1)
    assert [(s.misconception_id, s.attempts, s.fell_for) for s in report] == [("alpha.mis.one", 1, 0)]


async def test_question_report_as_csv(core: Core, reports: ReportService) -> None:
    """The CSV has a header, a row per question, letters for the favourite wrong option and blanks for none."""
    first = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, first, {1: 0, 2: 2, 3: 2, 4: 1})
    truth = await _question(core, "alpha.q.truth", correct=0, options=2)
    await _answers(core, truth, {1: 0})
    csv_text = reports.question_report_csv(await reports.question_report(1))
    assert csv_text.splitlines() == [
        "item_id,element_id,attempts,facility,discrimination,most_chosen_wrong,most_chosen_wrong_text,A,B,C,D,E",
        "alpha.q.first,alpha,4,0.250,,C,Neither,1,1,2,,",
        "alpha.q.truth,alpha,1,1.000,,,,1,0,,,",
    ]


async def test_shuffled_posts_are_counted_by_the_written_option(core: Core, reports: ReportService) -> None:
    """Two posts showing the options in different orders add up per option as written in the content."""
    # Written: A "Concept one" (right), B "Concept two", C "Neither".
    as_written = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, as_written, {1: 0, 2: 2})  # right, "Neither"
    shuffled = await _question(core, "alpha.q.first", correct=2, options=3, order=(2, 1, 0))
    await _answers(core, shuffled, {3: 0, 4: 0, 5: 2})  # "Neither" twice, then right
    [stats] = await reports.question_report(1)
    assert stats.choice_counts == (2, 0, 3)
    assert stats.facility == 2 / 5
    assert stats.most_chosen_wrong_text == "Neither"


async def test_an_option_that_looks_like_a_formula_is_written_as_text(core: Core, tmp_path: Path) -> None:
    """An option starting with '-' (as an imported bank may have) cannot run as a formula in the CSV."""
    folder = tmp_path / "formula" / "demo"
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE, encoding="utf-8")
    (folder / "alpha.yaml").write_text(
        ALPHA_MORE.replace("      - Neither\n", '      - "-1 for neither"\n'), encoding="utf-8"
    )
    (folder / "beta.yaml").write_text(BETA, encoding="utf-8")
    reports = ReportService(ReportRepository(core.db), load_catalog(folder))
    post = await _question(core, "alpha.q.first", correct=0, options=3)
    await _answers(core, post, {1: 2, 2: 2})
    rows = list(csv.reader(io.StringIO(reports.question_report_csv(await reports.question_report(1)))))
    assert rows[1][6] == "'-1 for neither"
