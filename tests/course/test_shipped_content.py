"""The shipped course loads, covers everything in the notes, and meets the content targets."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.authoring.coverage import coverage
from bot.authoring.schema import stale_schemas
from bot.cli import main
from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.course.models import QuestionKind

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


def test_every_shipped_file_loads(catalog: Catalog) -> None:
    """Every YAML file under content/ is part of a course that validates."""
    files = {p.stem for p in CONTENT.glob("*/*.yaml")} - {"course"}
    assert files == {e.id for e in catalog.elements()}
    assert [c.id for c in catalog.courses] == ["customer-service"]


def test_five_elements_with_enough_questions(catalog: Catalog) -> None:
    """Each element has at least 20 questions, both kinds and every difficulty, and the course at least 100."""
    assert catalog.element_count == 5
    for element in catalog.elements():
        questions = [q.item for q in catalog.questions(element.id)]
        kinds = Counter(q.kind for q in questions)
        assert len(questions) >= 20, element.id
        assert kinds[QuestionKind.TRUE_FALSE] >= 1, element.id
        assert kinds[QuestionKind.MULTIPLE_CHOICE] >= 1, element.id
        assert {q.difficulty for q in questions} == {1, 2, 3}, element.id
    assert catalog.question_count >= 100


def test_every_misconception_has_a_challenge(catalog: Catalog) -> None:
    """Each misconception is the source of at least one spot-the-mistake challenge."""
    for element in catalog.elements():
        used = {c.item.misconception for c in catalog.challenges(element.id)}
        assert used == {m.id for m in element.misconceptions}, element.id
    assert catalog.challenge_count >= 21


def test_coverage_is_complete(catalog: Catalog) -> None:
    """No concept, tip, misconception or marking point of the notes goes untested."""
    untested = [r.item_id for r in coverage(catalog) if r.count == 0]
    assert untested == []


def test_notes_items_are_all_present(catalog: Catalog) -> None:
    """The content has as many concepts, tips, misconceptions and marking points as the source notes."""
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("the source notes are not beside this checkout")
    counts = []
    for path in sorted(seeds.glob("*.txt")):
        sections = re.split(
            r"^(Key Concepts.*|Exam Tips.*|Common Misconceptions.*|Examiner Marking Points.*)$",
            path.read_text(encoding="utf-8"),
            flags=re.M,
        )
        bullets = [sum(1 for ln in body.splitlines() if ln.startswith("- ")) for body in sections[2::2]]
        counts.append(bullets)
    ours = [[len(e.concepts), len(e.tips), len(e.misconceptions), len(e.marking_points)] for e in catalog.elements()]
    assert sorted(ours) == sorted(counts)


def test_right_answers_are_not_always_in_one_place(catalog: Catalog) -> None:
    """Learners cannot score by always picking the same button."""
    for element in catalog.elements():
        positions = Counter(
            q.item.correct_index for q in catalog.questions(element.id) if q.item.kind is QuestionKind.MULTIPLE_CHOICE
        )
        assert max(positions.values()) <= 0.5 * sum(positions.values()), element.id


def test_committed_schemas_match_the_models() -> None:
    """content/schema is regenerated whenever the models change."""
    assert stale_schemas(CONTENT / "schema") == []


def test_content_files_point_editors_at_the_schema() -> None:
    """Every shipped YAML file names its JSON schema on the first line."""
    for path in CONTENT.glob("*/*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        expected = "course" if path.stem == "course" else "element"
        assert first == f"# yaml-language-server: $schema=../schema/{expected}.schema.json", path


def test_lint_strict_passes_on_the_shipped_course(capsys: pytest.CaptureFixture[str]) -> None:
    """No cue lifts a guesser more than 10 points above chance, and no two items ask one point twice."""
    assert main(["content", "lint", str(CONTENT), "--strict"]) == 0
    assert "every cue within 10% of chance, no near-duplicates" in capsys.readouterr().out


ABSOLUTE = re.compile(r"\b(only|never|always|all|every|none|same|enough|just|must|completely|entirely)\b", re.I)
INCLUSIVE = re.compile(r"\b(both|all of|all the|all four|all three|at least)\b", re.I)


def _test_wise_pick(options: tuple[str, ...], rng: random.Random, *, spot: bool) -> int:
    """Answer by cues alone, as test-wise learners are taught: no knowledge of customer service at all."""
    places = list(range(len(options)))
    if spot:  # the mistake is the sweeping line, else the longest
        absolute = [i for i in places if ABSOLUTE.search(options[i])]
        places = absolute or places
    else:  # pick "both/all"; otherwise avoid sweeping options; then take the longest, most careful one
        places = [i for i in places if INCLUSIVE.search(options[i])] or places
        places = [i for i in places if not ABSOLUTE.search(options[i])] or places
    longest = max(len(options[i]) for i in places)
    return rng.choice([i for i in places if len(options[i]) == longest])


def test_a_learner_using_cues_alone_scores_within_ten_points_of_chance(catalog: Catalog) -> None:
    """A guesser who knows the cues but not the subject gains at most 10 points over chance, per kind and overall."""
    rng = random.Random(20261207)
    marks: dict[str, list[float]] = {"multiple choice": [], "true/false": [], "spot the mistake": [], "all": []}
    chance: dict[str, list[float]] = {kind: [] for kind in marks}
    for _ in range(50):  # ties are broken at random: average over many sittings
        for question in (q.item for q in catalog.questions()):
            if question.kind is QuestionKind.TRUE_FALSE:
                kind, right = "true/false", (not ABSOLUTE.search(question.prompt)) == question.answer
            else:
                kind = "multiple choice"
                right = _test_wise_pick(question.choices, rng, spot=False) == question.correct_index
            for group in (kind, "all"):
                marks[group].append(float(right))
                chance[group].append(1 / len(question.choices))
        for challenge in (c.item for c in catalog.challenges()):
            right = _test_wise_pick(challenge.options, rng, spot=True) == challenge.mistake
            for group in ("spot the mistake", "all"):
                marks[group].append(float(right))
                chance[group].append(1 / len(challenge.options))
    for group, scores in marks.items():
        score, guess = sum(scores) / len(scores), sum(chance[group]) / len(chance[group])
        assert score <= guess + 0.10, f"{group}: cues alone score {score:.0%} against {guess:.0%} by chance"
