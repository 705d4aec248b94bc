"""Bad content gets a clear error naming file, line and field, and every error is reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.course.loader import ContentInvalid, load_catalog
from tests.course.conftest import ALPHA


@dataclass(frozen=True)
class Case:
    name: str
    old: str  # text in alpha.yaml to replace ("" means: replace the whole file)
    new: str
    line_of: str | None  # the error's line is the first line containing this text after the change
    path: str
    message: str
    nth: int = 1  # which occurrence of line_of


CASES = [
    Case(
        "bad indentation",
        "title: Alpha element",
        "title: Alpha element\n  bad: indent",
        "bad: indent",
        "",
        "invalid YAML",
    ),
    Case(
        "unclosed quote",
        'prompt: "True or false: concept two comes second."',
        'prompt: "True or false: concept two',
        None,
        "",
        "invalid YAML",
    ),
    Case("tab indentation", "    name: Concept one", "\tname: Concept one", "\tname: Concept one", "", "invalid YAML"),
    Case(
        "difficulty is a word",
        "difficulty: 1",
        "difficulty: hard",
        "difficulty: hard",
        "questions[0].difficulty",
        "1, 2 or 3",
    ),
    Case(
        "difficulty out of range",
        "difficulty: 1",
        "difficulty: 4",
        "difficulty: 4",
        "questions[0].difficulty",
        "1, 2 or 3",
    ),
    Case(
        "options is a string",
        "    options:\n      - Concept one\n      - Concept two\n      - Neither",
        "    options: Concept one",
        "options: Concept one",
        "questions[0].options",
        "tuple",
    ),
    Case(
        "unknown top-level key",
        "synopsis: What alpha is about.",
        "synopis: What alpha is about.",
        "synopis:",
        "synopis",
        "unknown key; allowed keys are: id, title, synopsis",
    ),
    Case(
        "unknown key in a question",
        "    answer: 0",
        "    answer: 0\n    hint: think",
        "hint: think",
        "questions[0].hint",
        "unknown key",
    ),
    Case(
        "missing explanation",
        "    explanation: Concept one comes first because it is numbered one.\n",
        "",
        "  - id: alpha.q.first",
        "questions[0].explanation",
        "required, but missing",
    ),
    Case(
        "invalid id", "id: alpha.q.first", "id: Alpha Q First", "id: Alpha Q First", "questions[0].id", "not a valid id"
    ),
    Case(
        "duplicate id in one element",
        "id: alpha.q.truth",
        "id: alpha.q.first",
        "id: alpha.q.first",
        "questions[1].id",
        "already used at",
        nth=2,
    ),
    Case(
        "dangling concept",
        "concepts: [alpha.concept.one]",
        "concepts: [alpha.concept.nine]",
        "concepts: [alpha.concept.nine]",
        "questions[0].concepts[0]",
        "'alpha.concept.nine' is not a key concept",
    ),
    Case(
        "concept from another element",
        "concepts: [alpha.concept.one]",
        "concepts: [beta.concept.one]",
        "concepts: [beta.concept.one]",
        "questions[0].concepts[0]",
        "not a key concept of element 'alpha'",
    ),
    Case(
        "dangling misconception",
        "misconception: alpha.mis.one",
        "misconception: alpha.mis.two",
        "misconception: alpha.mis.two",
        "challenges[0].misconception",
        "not a misconception",
    ),
    Case(
        "helps names a concept",
        "helps: [alpha.tip.one]",
        "helps: [alpha.concept.one]",
        "helps: [alpha.concept.one]",
        "challenges[0].helps[0]",
        "not an exam tip or marking point",
    ),
    Case(
        "answer out of range",
        "answer: 0",
        "answer: 3",
        "answer: 3",
        "questions[0].answer",
        "out of range: options are numbered 0 to 2",
    ),
    Case(
        "true/false with options",
        "    kind: true_false\n",
        "    kind: true_false\n    options: [Agree, Disagree]\n",
        "options: [Agree, Disagree]",
        "questions[1].options",
        "takes no options",
    ),
    Case(
        "yes read as a boolean",
        "      - Neither",
        "      - Yes",
        "      - Yes",
        "questions[0].options[2]",
        "was read as true/false, not text: put it in quotes",
    ),
    Case(
        "true/false answer is a number",
        "answer: true",
        "answer: 1",
        "answer: 1",
        "questions[1].answer",
        "must be true or false",
    ),
    Case(
        "multiple choice answer is true",
        "answer: 0",
        "answer: true",
        "answer: true",
        "questions[0].answer",
        "index of the right option",
    ),
    Case(
        "multiple choice without options",
        "    options:\n      - Concept one\n      - Concept two\n      - Neither\n",
        "",
        "  - id: alpha.q.first",
        "questions[0].options",
        "needs options",
    ),
    Case(
        "six options",
        "      - Neither",
        "      - Neither\n      - D\n      - E\n      - F",
        "    options:",
        "questions[0].options",
        "2 to 5 options, not 6",
    ),
    Case(
        "duplicate option",
        "      - Neither",
        "      - concept ONE",
        "    options:",
        "questions[0].options",
        "appears more than once",
    ),
    Case(
        "empty option",
        "      - Neither",
        '      - "  "',
        '      - "  "',
        "questions[0].options[2]",
        "must not be empty",
    ),
    Case(
        "empty prompt",
        "prompt: Which concept comes first?",
        'prompt: ""',
        'prompt: ""',
        "questions[0].prompt",
        "must not be empty",
    ),
    Case(
        "option too long for a button",
        "      - Neither",
        "      - " + "x" * 81,
        "x" * 81,
        "questions[0].options[2]",
        "is 81 characters long; at most 80 allowed (what fits on a Discord button)",
    ),
    Case(
        "explanation too long for a field",
        "explanation: It is numbered two.",
        "explanation: " + "y" * 1025,
        "y" * 1025,
        "questions[1].explanation",
        "at most 1024 allowed",
    ),
    Case(
        "challenge with two options",
        "      - I will fix this today.\n",
        "",
        "    options:",
        "challenges[0].options",
        "3 to 5 options, not 2",
        nth=2,
    ),
    Case("mistake out of range", "mistake: 1", "mistake: 7", "mistake: 7", "challenges[0].mistake", "out of range"),
    Case(
        "scenario challenge without scenario",
        "    scenario: A customer complains. Which line of the reply holds the mistake?\n",
        "",
        "  - id: alpha.spot.reply",
        "challenges[0]",
        "needs a scenario",
    ),
    Case(
        "statements challenge with a scenario",
        "kind: scenario",
        "kind: statements",
        "  - id: alpha.spot.reply",
        "challenges[0]",
        "has no scenario",
    ),
    Case(
        "mention in text",
        "synopsis: What alpha is about.",
        "synopsis: Hello @everyone",
        "synopsis:",
        "synopsis",
        "must not mention anyone",
    ),
    Case(
        "role mention in text",
        "text: Use real examples.",
        "text: Ask <@&123456> for help.",
        "text: Ask",
        "tips[0].text",
        "must not mention anyone",
    ),
    Case(
        "duplicate key",
        "title: Alpha element",
        "title: Alpha element\ntitle: Again",
        "title: Again",
        "title",
        "key appears twice",
    ),
    Case(
        "question tests nothing",
        "    concepts: [alpha.concept.one]\n    difficulty: 1",
        "    difficulty: 1",
        "  - id: alpha.q.first",
        "questions[0]",
        "must test at least one",
    ),
    Case("no concepts at all", "", "", None, "", ""),  # replaced below
    Case("top level is a list", "", "- id: alpha\n- title: Alpha\n", "- id: alpha", "", "must hold a mapping"),
    Case("empty file", "", "", None, "", "file is empty"),
    Case("only comments", "", "# nothing here yet\n\n# still nothing\n", None, "", "file is empty"),
]
CASES[CASES.index(next(c for c in CASES if c.name == "no concepts at all"))] = Case(
    "no concepts at all",
    ALPHA[ALPHA.index("concepts:\n") : ALPHA.index("tips:\n")],
    "concepts: []\n",
    "concepts: []",
    "concepts",
    "needs at least 1 item",
)


def _line(text: str, needle: str, nth: int = 1) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            nth -= 1
            if nth == 0:
                return number
    raise AssertionError(f"{needle!r} not in the test file")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_reported_with_file_line_and_field(course_dir: Path, case: Case) -> None:
    """Each kind of bad input names the file, the line and the field, with a clear message."""
    if case.old:
        assert case.old in ALPHA, f"test setup: {case.old!r} not in ALPHA"
        text = ALPHA.replace(case.old, case.new, 1)
    else:
        text = case.new
    (course_dir / "alpha.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)

    errors = caught.value.errors
    matching = [e for e in errors if case.message in e.message and e.path == case.path]
    assert matching, f"no error with path {case.path!r} and {case.message!r} in: {[str(e) for e in errors]}"
    error = matching[0]
    assert error.file == str(course_dir / "alpha.yaml")
    if case.line_of is not None:
        assert error.line == _line(text, case.line_of, case.nth)
    rendered = str(error)
    assert rendered.startswith(f"{course_dir / 'alpha.yaml'}:")
    assert case.message in rendered


def test_file_that_is_not_utf8_names_the_line(course_dir: Path) -> None:
    """A Latin-1 file is refused with the line of the first bad byte."""
    text = ALPHA.replace("What alpha is about.", "What alpha is about, café.")
    (course_dir / "alpha.yaml").write_bytes(text.encode("latin-1"))
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    [error] = caught.value.errors
    assert error.message == "file is not UTF-8 (byte 0xe9)"
    assert error.line == _line(text, "café")


def test_every_error_is_reported_at_once(course_dir: Path) -> None:
    """Problems in several places and files all come back in one run, ordered by file and line."""
    alpha = ALPHA.replace("difficulty: 1", "difficulty: 9").replace("answer: true", "answer: 1")
    alpha = alpha.replace("title: Alpha element", "title: Alpha element\ncolour: blue")
    (course_dir / "alpha.yaml").write_text(alpha, encoding="utf-8")
    beta = (course_dir / "beta.yaml").read_text(encoding="utf-8")
    (course_dir / "beta.yaml").write_text(beta.replace("misconception: beta.mis.one", "misconception: nope"))

    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)

    rendered = [str(e) for e in caught.value.errors]
    assert len(rendered) == 4, rendered
    assert [e.path for e in caught.value.errors] == [
        "colour",
        "questions[0].difficulty",
        "questions[1].answer",
        "challenges[0].misconception",
    ]
    assert caught.value.errors[-1].file.endswith("beta.yaml")


def test_id_used_in_two_elements_points_to_the_first(course_dir: Path) -> None:
    """An id reused in another element is reported with where it was first used."""
    beta = (course_dir / "beta.yaml").read_text(encoding="utf-8")
    (course_dir / "beta.yaml").write_text(beta.replace("id: beta.q.first", "id: alpha.q.first"))
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    [error] = caught.value.errors
    assert error.file.endswith("beta.yaml")
    assert (
        error.message
        == f"id 'alpha.q.first' is already used at {course_dir / 'alpha.yaml'}:{_line(ALPHA, 'id: alpha.q.first')}"
    )


def test_element_file_must_match_its_id(course_dir: Path) -> None:
    """An element whose id differs from its file name is refused."""
    (course_dir / "beta.yaml").rename(course_dir / "gamma.yaml")
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    messages = [str(e) for e in caught.value.errors]
    assert any("gamma.yaml:2: id: element id 'beta' must match the file name (beta.yaml)" in m for m in messages)


def test_element_missing_from_course_file(course_dir: Path) -> None:
    """An element file the course does not list is refused, so nothing is silently left out."""
    course = (course_dir / "course.yaml").read_text(encoding="utf-8")
    (course_dir / "course.yaml").write_text(course.replace("  - beta\n", ""))
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    [error] = caught.value.errors
    assert error.file.endswith("beta.yaml")
    assert "not listed in" in error.message


def test_course_lists_an_element_with_no_file(course_dir: Path) -> None:
    """A course that lists an element with no file says which file is missing, at the list's line."""
    (course_dir / "beta.yaml").unlink()
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    [error] = caught.value.errors
    assert str(error) == f"{course_dir / 'course.yaml'}:5: elements[1]: no file beta.yaml in {course_dir}"


def test_folder_without_a_course(tmp_path: Path) -> None:
    """A folder with no course.yaml anywhere says what it expected."""
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(tmp_path)
    assert "no course found: expected course.yaml" in str(caught.value.errors[0])


def test_missing_folder(tmp_path: Path) -> None:
    """A path that does not exist is reported, not a traceback."""
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(tmp_path / "nowhere")
    assert caught.value.errors[0].message == "no such file or folder"
