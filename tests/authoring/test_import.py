"""Importing revision notes: forgiving parsing, generated items, determinism, review, and the posting setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.authoring.acronyms import find_acronyms
from bot.authoring.notes import Notes, parse_notes
from bot.cli import main
from bot.course.catalog import Catalog
from bot.course.loader import ContentInvalid, load_catalog
from bot.course.models import BUTTON_LABEL_MAX
from bot.settings import Settings
from tests.course.conftest import ALPHA

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
needs_seeds = pytest.mark.skipif(not SEED_FILES, reason="the source notes are not beside this checkout")

NOTES = """\
Good service starts with listening to the customer and ends with a probl
Topic Synopsis
Good service starts with listening to the customer and ends with a problem solved. This element covers
complaints and communication.
Key Concepts & Core Principles
- Active listening: Giving the customer full attention: nodding, summarising and asking questions.
- Complaint handling: Using the 'HEAT' model (Hear, Empathise, Apologise, Take ownership) to resolve complaints.
- Service recovery: Turning a complaint into loyalty by fixing the problem quickly.
Exam Tips & Revision Strategies
- Use real workplace examples in every answer.
- Learn the 'FIX' steps: Find, Inform, Close to show a structured approach.
Common Misconceptions & Mistakes to Avoid
- Confusing sympathy with empathy; learners often show pity instead of understanding.
- Assuming that every complaint must be escalated to a manager.
Examiner Marking Points
- Award credit for a structured complaint-handling process with examples.
- Award credit for explaining how listening builds trust with customers.
"""


def _parse(text: str) -> Notes:
    return parse_notes(text.encode("utf-8"))


def _same_content(a: Notes, b: Notes) -> bool:
    return (a.title, a.synopsis, _items(a)) == (b.title, b.synopsis, _items(b))


def _items(notes: Notes) -> list[tuple[str, str, int]]:
    out = [("concept", f"{c.name}|{c.explanation}", c.line) for c in notes.concepts]
    out += [("tip", t.text, t.line) for t in notes.tips]
    out += [("mis", m.text, m.line) for m in notes.misconceptions]
    out += [("mark", m.text, m.line) for m in notes.marking_points]
    return out


def _import(tmp_path: Path, *texts: str, name: str = "notes", out: str = "course") -> tuple[int, Path]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"{name}{index or ''}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    target = tmp_path / out
    return main(["content", "import", *paths, "--course", "demo-course", "--out", str(target)]), target


def _element(folder: Path, element_id: str | None = None) -> dict:
    files = [p for p in sorted(folder.glob("*.yaml")) if p.name != "course.yaml"]
    path = folder / f"{element_id}.yaml" if element_id else files[0]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- the five seed files ----------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.name)
def test_each_seed_imports_to_valid_content(seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A seed file becomes a valid course: a question per concept and a challenge per misconception."""
    out = tmp_path / "course"
    assert main(["content", "import", str(seed), "--course", "notes", "--out", str(out)]) == 0
    catalog = load_catalog(out)
    (element,) = catalog.elements()
    tested = {c for q in catalog.questions(element.id) for c in q.item.concepts}
    assert {c.id for c in element.concepts} <= tested
    spotted = {c.item.misconception for c in catalog.challenges(element.id)}
    assert spotted == {m.id for m in element.misconceptions}
    for located in (*catalog.questions(), *catalog.challenges()):
        assert located.item.origin is not None
        assert located.item.origin.generated and not located.item.origin.reviewed
    assert str(seed) in capsys.readouterr().out


@needs_seeds
def test_all_seeds_import_together_as_one_course(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Five files make five elements, in order, with a summary line per file and progress."""
    out = tmp_path / "course"
    assert main(["content", "import", *map(str, SEED_FILES), "--course", "notes", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split(" ")[0] for line in lines[:5]] == [f"[{i}/5]" for i in range(1, 6)]
    assert "5 concepts, 3 tips, 2 misconceptions, 3 marking points; 5 questions, 2 challenges generated" in lines[0]
    assert "[5/5] reading" in captured.err
    assert main(["content", "validate", str(out)]) == 0
    assert capsys.readouterr().out == "5 elements, 31 questions, 21 challenges\n"
    course = yaml.safe_load((out / "course.yaml").read_text(encoding="utf-8"))
    assert course["id"] == "notes" and len(course["elements"]) == 5


@needs_seeds
def test_generated_options_respect_the_content_limits(tmp_path: Path) -> None:
    """Every question has 2-5 distinct options of at most 80 characters; every item explains itself."""
    out = tmp_path / "course"
    assert main(["content", "import", *map(str, SEED_FILES), "--course", "notes", "--out", str(out)]) == 0
    catalog = load_catalog(out)
    for located in catalog.questions():
        options = located.item.choices
        assert 2 <= len(options) <= 5
        assert len({o.casefold() for o in options}) == len(options)
        assert all(len(o) <= BUTTON_LABEL_MAX for o in options)
        assert len(located.item.explanation) > 40
    for located in catalog.challenges():
        assert 3 <= len(located.item.options) <= 5
        assert located.item.explanation.startswith(f"Statement {'ABCDE'[located.item.mistake]} is the mistake.")


# --- acronyms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "letters", "words"),
    [
        ("the 'HEAT' model (Hear, Empathise, Apologise, Take ownership) and", "HEAT", 4),
        ("(like 'APOLOGY': Apologise, Pause, Offer a solution, Listen, Act, Thank) to show", "APOLOGY", 6),
        ("Setting SMART goals: Specific, Measurable, Achievable, Relevant, and Time-bound targets help.", "SMART", 5),
        ("such as PESTLE (Political, Economic, Social, Technological, Legal, Environmental) to", "PESTLE", 6),
        ("use the PEE (Point, Evidence, Explain) structure in answers.", "PEE", 3),
    ],
)
def test_acronym_forms_in_the_notes_are_found(text: str, letters: str, words: int) -> None:
    """Brackets after the acronym, or a colon after it, both give its expansion."""
    (acronym,) = find_acronyms(text)
    assert (acronym.letters, len(acronym.words)) == (letters, words)


def test_brackets_that_do_not_expand_an_acronym_are_ignored() -> None:
    """`(e.g., GDPR)`, a bracket starting with another letter, and a one-phrase name are not expansions."""
    text = "in line with data protection law (e.g., GDPR). The UK (England, Wales) and GDPR (General Data Rules)."
    assert list(find_acronyms(text)) == []


def test_matching_acronym_gives_letter_and_order_questions(tmp_path: Path) -> None:
    """HEAT: one question on a letter, with the word it stands for as the answer, and one on what follows what."""
    code, out = _import(tmp_path, NOTES)
    assert code == 0
    questions = {q["id"]: q for q in _element(out)["questions"]}
    letter = questions["notes.q.heat-letter"]
    asked = re.match(r"In the HEAT model, what does the (\w+) letter, ([A-Z]), stand for\?$", letter["prompt"])
    assert asked is not None
    words = ["Hear", "Empathise", "Apologise", "Take ownership"]
    index = ["first", "second", "third", "fourth"].index(asked.group(1))
    assert asked.group(2) == "HEAT"[index]
    assert letter["options"][letter["answer"]] == words[index]
    order = questions["notes.q.heat-order"]
    after = re.match(r"In the HEAT model, which part comes straight after (.+)\?$", order["prompt"])
    assert after is not None
    assert order["options"][order["answer"]] == words[words.index(after.group(1)) + 1]
    assert order["origin"]["source"] == "notes.concept.complaint-handling"
    # One letter question per acronym: questions on each letter would ask the same point four times.
    assert [i for i in questions if i.startswith("notes.q.heat-")] == ["notes.q.heat-letter", "notes.q.heat-order"]


def test_mismatching_acronym_gives_a_warning_and_no_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FIX expanded as Find, Inform, Close: a warning naming it and the mismatch, and no question."""
    code, out = _import(tmp_path, NOTES)
    assert code == 0
    err = capsys.readouterr().err
    assert "acronym 'FIX' has 3 letters (F I X) but the notes expand it into 3 parts (Find, Inform, Close)" in err
    assert "whose first letters spell FIC: no questions made from it" in err
    assert f"{tmp_path / 'notes.txt'}:11:" in err
    assert not [q for q in _element(out)["questions"] if "fix" in q["id"]]


@needs_seeds
def test_apology_in_the_seed_notes_is_reported_not_taught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """APOLOGY has seven letters but six steps: warned about, and no question made from it."""
    seed = next(p for p in SEED_FILES if "APOLOGY" in p.read_text(encoding="utf-8"))
    out = tmp_path / "course"
    assert main(["content", "import", str(seed), "--course", "notes", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "acronym 'APOLOGY' has 7 letters (A P O L O G Y) but the notes expand it into 6 parts" in err
    ids = [q["id"] for q in _element(out)["questions"]]
    assert not [i for i in ids if "apology" in i]
    assert [i for i in ids if "smart-letter" in i]


# --- parsing variations ---------------------------------------------------------------------------


def test_windows_line_endings_read_the_same() -> None:
    """CRLF (and lone CR) line endings give the same notes as LF."""
    assert _same_content(_parse(NOTES.replace("\n", "\r\n")), _parse(NOTES))
    assert _same_content(_parse(NOTES.replace("\n", "\r")), _parse(NOTES))


def test_blank_lines_anywhere_are_ignored() -> None:
    """Blank lines at the start, between headings and bullets, and at the end change nothing."""
    spaced = "\n\n" + NOTES.replace("\n", "\n\n   \n") + "\n\n"
    assert [i[:2] for i in _items(_parse(spaced))] == [i[:2] for i in _items(_parse(NOTES))]
    assert _parse(spaced).synopsis == _parse(NOTES).synopsis


@pytest.mark.parametrize("bullet", ["* ", "• ", "•", "1. ", "  - ", "– "])
def test_any_bullet_style_reads_the_same(bullet: str) -> None:
    """`*`, `•`, numbered, indented and dash bullets all read as `-` bullets."""
    lines = [bullet + line[2:] if line.startswith("- ") else line for line in NOTES.splitlines()]
    if bullet == "1. ":
        lines = [f"{n}. {ln[3:]}" if ln.startswith("1. ") else ln for n, ln in enumerate(lines)]
    notes = _parse("\n".join(lines))
    assert [i[:2] for i in _items(notes)] == [i[:2] for i in _items(_parse(NOTES))]
    assert not notes.warnings


@pytest.mark.parametrize(
    "style",
    [str.lower, str.upper, lambda h: h + ":", lambda h: h.upper() + " :", lambda h: "## " + h, lambda h: f"**{h}**"],
    ids=["lower", "upper", "colon", "upper-colon", "markdown", "bold"],
)
def test_headings_in_any_case_with_or_without_colon(style: object) -> None:
    """Headings match whatever their case, a trailing colon or Markdown marks."""
    headings = {
        "Topic Synopsis",
        "Key Concepts & Core Principles",
        "Exam Tips & Revision Strategies",
        "Common Misconceptions & Mistakes to Avoid",
        "Examiner Marking Points",
    }
    text = "\n".join(style(line) if line in headings else line for line in NOTES.splitlines())  # type: ignore[operator]
    notes = _parse(text)
    assert [i[:2] for i in _items(notes)] == [i[:2] for i in _items(_parse(NOTES))]
    assert not notes.warnings


def test_short_heading_names_are_recognised() -> None:
    """'Synopsis', 'Key concepts', 'Exam tips', 'Common mistakes' and 'Marking points' also work."""
    text = (
        NOTES.replace("Topic Synopsis", "Synopsis")
        .replace("Key Concepts & Core Principles", "Key concepts")
        .replace("Exam Tips & Revision Strategies", "Exam tips")
        .replace("Common Misconceptions & Mistakes to Avoid", "Common mistakes")
        .replace("Examiner Marking Points", "Marking points")
    )
    assert [i[:2] for i in _items(_parse(text))] == [i[:2] for i in _items(_parse(NOTES))]


def test_missing_section_is_a_warning_and_the_output_still_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without exam tips: a warning, a placeholder that says what to add, and valid content."""
    start, end = NOTES.index("Exam Tips"), NOTES.index("Common Misconceptions")
    code, out = _import(tmp_path, NOTES[:start] + NOTES[end:])
    assert code == 0
    err = capsys.readouterr().err
    assert "no 'Exam Tips & Revision Strategies' section" in err
    assert "no exam tips ('Exam Tips & Revision Strategies'): a placeholder keeps the file valid" in err
    catalog = load_catalog(out)
    (element,) = catalog.elements()
    assert [t.id for t in element.tips] == ["notes.tip.missing"]
    assert catalog.challenge_count == 2  # the marking points still give each mistake something that helps


def test_extra_section_is_a_warning_and_its_lines_are_ignored(tmp_path: Path) -> None:
    """An unknown section is reported by name; its bullets do not leak into the section before it."""
    extra = "Further Reading\n- A book about service.\n- A website about complaints.\n"
    notes = _parse(NOTES.replace("Common Misconceptions", extra + "Common Misconceptions"))
    assert any("section 'Further Reading' is not one the importer knows" in w.message for w in notes.warnings)
    assert [t.text for t in notes.tips] == [t.text for t in _parse(NOTES).tips]
    colon = _parse(NOTES.replace("Common Misconceptions", "Useful links:\n- example\n" + "Common Misconceptions"))
    assert any("'Useful links'" in w.message for w in colon.warnings)
    assert [t.text for t in colon.tips] == [t.text for t in _parse(NOTES).tips]


def test_concept_explanations_may_contain_colons() -> None:
    """`Name: explanation: more` splits at the first colon only."""
    concept = _parse(NOTES).concepts[0]
    assert concept.name == "Active listening"
    assert concept.explanation == "Giving the customer full attention: nodding, summarising and asking questions."


def test_concept_line_without_a_name_is_left_out_with_a_warning() -> None:
    """A concept bullet that is not `Name: explanation` is reported, not guessed at."""
    notes = _parse(NOTES.replace("- Service recovery: Turning", "- Turning"))
    assert [c.name for c in notes.concepts] == ["Active listening", "Complaint handling"]
    assert any("should read 'Name: explanation'" in w.message and w.line == 8 for w in notes.warnings)


@pytest.mark.parametrize(
    "first_line",
    [
        "Good service starts with listening to the customer and ends with a probl",
        "Good service starts with lis",
        "Good service starts with listening to the customer and...",
        "Good service starts with listening to the customer and…",
        "",
    ],
    ids=["cut-mid-word", "short", "dots", "ellipsis", "none"],
)
def test_truncated_first_line_is_recognised_as_the_synopsis_start(first_line: str) -> None:
    """A first line that repeats the start of the synopsis, however it was cut, is dropped quietly."""
    text = first_line + "\n" + NOTES.split("\n", 1)[1]
    notes = _parse(text)
    assert notes.title is None
    assert notes.synopsis.startswith("Good service starts with listening to the customer and ends with")
    assert not notes.warnings


def test_first_line_that_is_a_title_becomes_the_title(tmp_path: Path) -> None:
    """A short first line that is not the synopsis names the element."""
    code, out = _import(tmp_path, "Complaints and listening\n" + NOTES.split("\n", 1)[1], name="unit-4")
    assert code == 0
    element = _element(out, "unit-4")
    assert element["title"] == "Complaints and listening"


def test_missing_synopsis_heading_uses_the_opening_paragraph() -> None:
    """Without a synopsis heading, the paragraph before the first heading is the synopsis (with a warning)."""
    text = NOTES.replace("Topic Synopsis\n", "")
    notes = _parse(text)
    assert notes.synopsis.startswith("Good service starts with listening to the customer and ends with a problem")
    assert any("no 'Topic Synopsis' heading" in w.message for w in notes.warnings)


def test_wrapped_bullets_are_joined() -> None:
    """A bullet continued on the next line (indented, or mid-sentence) is one item."""
    text = NOTES.replace(
        "- Use real workplace examples in every answer.", "- Use real workplace examples\n  in every answer."
    ).replace("escalated to a manager.", "escalated\nto a manager.")
    assert [i[:2] for i in _items(_parse(text))] == [i[:2] for i in _items(_parse(NOTES))]


def test_windows_1252_notes_are_read_with_a_warning() -> None:
    """Notes saved as Windows-1252 (• is byte 0x95) are read, with a warning to check accents."""
    notes = parse_notes(NOTES.replace("- ", "• ").encode("cp1252"))
    assert [i[:2] for i in _items(notes)] == [i[:2] for i in _items(_parse(NOTES))]
    assert any("Windows-1252" in w.message for w in notes.warnings)


# --- files that are not notes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"def main():\n    print('hello')\n", "no revision-notes sections found"),
        (b"Shopping list\n- eggs\n- milk\n", "no revision-notes sections found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is a binary file, not text"),
        (b"", "the file is empty"),
        (b"Topic Synopsis\nSome text.\nKey Concepts\n", "no key concepts, exam tips, misconceptions or marking points"),
    ],
    ids=["python", "list", "binary", "empty", "headings-only"],
)
def test_a_file_that_is_not_notes_fails_naming_the_file_and_why(
    content: bytes, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1; stderr names the file and the reason; nothing is written."""
    path = tmp_path / "wrong.txt"
    path.write_bytes(content)
    out = tmp_path / "course"
    assert main(["content", "import", str(path), "--course", "demo", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: cannot be read as revision notes: " in err
    assert reason in err
    assert not out.exists()


def test_a_bad_file_among_good_ones_still_imports_the_good_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The readable notes are written and validate; the exit code says one file failed."""
    bad = tmp_path / "missing.txt"
    good = tmp_path / "good.txt"
    good.write_text(NOTES, encoding="utf-8")
    out = tmp_path / "course"
    assert main(["content", "import", str(good), str(bad), "--course", "demo", "--out", str(out)]) == 1
    assert f"error: {bad}: cannot be read" in capsys.readouterr().err
    assert load_catalog(out).element_count == 1


def test_an_invalid_course_id_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--course must be an id: exit 2 before anything is read."""
    (tmp_path / "n.txt").write_text(NOTES, encoding="utf-8")
    assert main(["content", "import", str(tmp_path / "n.txt"), "--course", "Bad Id", "--out", str(tmp_path)]) == 2
    assert "is not a valid id" in capsys.readouterr().err


def test_importing_over_a_content_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder holding courses in sub-folders is not overwritten with a course.yaml."""
    (tmp_path / "content" / "other").mkdir(parents=True)
    (tmp_path / "content" / "other" / "course.yaml").write_text("id: other\n", encoding="utf-8")
    (tmp_path / "n.txt").write_text(NOTES, encoding="utf-8")
    args = ["content", "import", str(tmp_path / "n.txt"), "--course", "demo", "--out", str(tmp_path / "content")]
    assert main(args) == 2
    assert "holds courses in sub-folders" in capsys.readouterr().err
    assert not (tmp_path / "content" / "course.yaml").exists()


# --- distractors, long names, determinism ---------------------------------------------------------


def test_distractors_come_from_the_same_element_first_then_the_course(tmp_path: Path) -> None:
    """With three concepts, two wrong answers are from the element and the third from another file."""
    other = NOTES.replace("Active listening", "Rapport").replace("Complaint handling", "Escalation")
    other = other.replace("Service recovery", "Follow-up")
    code, out = _import(tmp_path, NOTES, other)
    assert code == 0
    question = next(q for q in _element(out, "notes")["questions"] if q["id"] == "notes.q.active-listening")
    wrong = [o for i, o in enumerate(question["options"]) if i != question["answer"]]
    assert set(wrong) & {"Complaint handling", "Service recovery"} == {"Complaint handling", "Service recovery"}
    assert set(wrong) - {"Complaint handling", "Service recovery"} <= {"Rapport", "Escalation", "Follow-up"}
    assert len(wrong) == 3


def test_a_concept_name_too_long_for_a_button_is_shortened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name over 80 characters is cut safely (and said so); the options still fit."""
    long_name = "Service recovery and the long-term rebuilding of trust with every customer who has complained"
    code, out = _import(tmp_path, NOTES.replace("Service recovery:", f"{long_name}:"))
    assert code == 0
    assert "is shortened to" in capsys.readouterr().err
    for question in _element(out)["questions"]:
        assert all(len(o) <= BUTTON_LABEL_MAX for o in question.get("options", []))
    load_catalog(out)


def test_long_names_that_would_clash_when_shortened_get_no_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two long names that shorten to the same label are skipped with a warning, never made ambiguous."""
    stem = "Service recovery and the long-term rebuilding of trust with every customer who complained"
    text = NOTES.replace("Active listening:", f"{stem} (in shops):").replace("Service recovery:", f"{stem} (online):")
    code, out = _import(tmp_path, text)
    assert code == 0
    assert capsys.readouterr().err.count("cannot be shortened without clashing with another: no question") == 2
    assert [q["id"] for q in _element(out)["questions"] if q["id"].startswith("notes.q.service")] == []
    load_catalog(out)


def test_same_notes_give_the_same_bytes(tmp_path: Path) -> None:
    """Two imports of the same files into different folders, and again over the first, are identical."""
    texts = (NOTES, NOTES.replace("Active listening", "Empathy"))
    _, first = _import(tmp_path, *texts, out="one")
    _, second = _import(tmp_path, *texts, out="two")
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(p.name for p in second.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    before = {name: (first / name).read_bytes() for name in files}
    _import(tmp_path, *texts, out="one")
    assert {name: (first / name).read_bytes() for name in files} == before


@needs_seeds
def test_seed_imports_are_byte_identical(tmp_path: Path) -> None:
    """The five seeds imported twice give identical files."""
    for name in ("a", "b"):
        assert main(["content", "import", *map(str, SEED_FILES), "--course", "n", "--out", str(tmp_path / name)]) == 0
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


# --- review ---------------------------------------------------------------------------------------


def test_review_lists_unreviewed_generated_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each unreviewed item is listed with its id, kind, source and prompt, then a count."""
    _, out = _import(tmp_path, NOTES)
    capsys.readouterr()
    assert main(["content", "review", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "kind", "source", "prompt"]
    row = next(line for line in lines if line.startswith("notes.q.heat-letter "))
    assert row.split()[1:3] == ["question", "notes.concept.complaint-handling"]
    assert "In the HEAT model, what does the" in row
    spot = next(line for line in lines if line.startswith("notes.spot."))
    assert spot.split()[1] == "challenge" and "spot the mistake:" in spot
    assert lines[-1].startswith("7 unreviewed generated items (5 questions, 2 challenges).")


def test_review_marks_items_by_changing_only_their_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--mark sets reviewed: true in place; the rest of the file is untouched and still valid."""
    _, out = _import(tmp_path, NOTES)
    path = out / "notes.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    assert main(["content", "review", str(out), "--mark", "notes.q.heat-order"]) == 0
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("      reviewed: false", "      reviewed: true")]
    capsys.readouterr()
    main(["content", "review", str(out)])
    listing = capsys.readouterr().out
    assert "notes.q.heat-order" not in listing
    assert "6 unreviewed generated items" in listing


def test_review_all_and_unknown_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown id marks nothing (exit 1); --all marks everything."""
    _, out = _import(tmp_path, NOTES)
    before = (out / "notes.yaml").read_bytes()
    assert main(["content", "review", str(out), "--mark", "notes.q.heat-order", "no.such.item"]) == 1
    assert "no.such.item: no question or challenge has this id" in capsys.readouterr().err
    assert (out / "notes.yaml").read_bytes() == before
    assert main(["content", "review", str(out), "--all"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "7 marked reviewed; 0 still to review"
    reviewed = load_catalog(out)
    assert reviewed.postable_question_ids() == reviewed.question_ids()


def test_review_adds_a_missing_flag_and_keeps_comments(tmp_path: Path) -> None:
    """An origin written without `reviewed` (flow or block style) gets one; comments stay."""
    _, out = _import(tmp_path, NOTES)
    path = out / "notes.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      reviewed: false\n", "", 1).replace("questions:\n", "# checked by Sam\nquestions:\n")
    text = re.sub(
        r"    origin:\n      generated: true\n      reviewed: false\n      source: (\S+)\n",
        r"    origin: {generated: true, source: \1}\n",
        text,
        count=1,
    )
    assert "origin: {generated: true, source:" in text
    path.write_text(text, encoding="utf-8")
    assert main(["content", "review", str(out), "--all"]) == 0
    result = path.read_text(encoding="utf-8")
    assert "# checked by Sam" in result
    assert "reviewed: false" not in result
    reviewed = load_catalog(out)
    assert reviewed.postable_question_ids() == reviewed.question_ids()


def test_reimport_keeps_reviews_and_hand_written_items(tmp_path: Path) -> None:
    """Importing again keeps a reviewed (even edited) item and a question a tutor added by hand."""
    _, out = _import(tmp_path, NOTES)
    path = out / "notes.yaml"
    main(["content", "review", str(out), "--mark", "notes.q.heat-order"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    order = next(q for q in data["questions"] if q["id"] == "notes.q.heat-order")
    order["prompt"] = "Which list gives HEAT in order?"
    data["questions"].append(
        {
            "id": "notes.q.by-hand",
            "kind": "true_false",
            "prompt": "True or false: listening builds trust.",
            "answer": True,
            "explanation": "Listening shows the customer they matter.",
            "concepts": ["notes.concept.active-listening"],
            "difficulty": 1,
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    path.write_text(f"# Generated by `revbot content import` from notes.txt\n{path.read_text()}", encoding="utf-8")
    _import(tmp_path, NOTES)
    catalog = load_catalog(out)
    assert catalog.question("notes.q.heat-order").item.prompt == "Which list gives HEAT in order?"
    assert "notes.q.heat-order" in catalog.postable_question_ids()
    assert catalog.question("notes.q.by-hand").item.origin is None


# --- provenance in the model, and the posting setting -----------------------------------------------


def test_origin_source_must_be_an_item_of_the_element(course_dir: Path) -> None:
    """An id-like source that names nothing in the element is an error at its line; a description is fine."""
    alpha = ALPHA.replace(
        "    difficulty: 1\n", "    difficulty: 1\n    origin:\n      generated: true\n      source: alpha.nope\n", 1
    ).replace("    difficulty: 2\n", "    difficulty: 2\n    origin: {generated: true, source: 'the synopsis'}\n", 1)
    (course_dir / "alpha.yaml").write_text(alpha, encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_catalog(course_dir)
    (error,) = caught.value.errors
    assert (error.line, error.path) == (35, "questions[0].origin.source")
    assert "'alpha.nope' is not a concept, tip, misconception or marking point of this element" in error.message


def _with_unreviewed(tmp_path: Path, cache: Path | None = None) -> Catalog:
    code, out = _import(tmp_path, NOTES)
    assert code == 0
    main(["content", "review", str(out), "--mark", "notes.q.heat-order", "notes.spot.confusing-sympathy-empathy"])
    return load_catalog(out, cache)


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "from-cache"])
def test_unreviewed_generated_items_are_not_postable_by_default(tmp_path: Path, cached: bool) -> None:
    """postable_*_ids leave out unreviewed generated items unless asked; question_ids is unchanged."""
    cache = tmp_path / "cache" if cached else None
    if cached:
        _with_unreviewed(tmp_path, cache)  # fill the cache, then load from it
    catalog = _with_unreviewed(tmp_path, cache)
    assert catalog.postable_question_ids() == ("notes.q.heat-order",)
    assert catalog.postable_question_ids("notes") == ("notes.q.heat-order",)
    assert catalog.postable_challenge_ids() == ("notes.spot.confusing-sympathy-empathy",)
    assert catalog.postable_question_ids(include_unreviewed=True) == catalog.question_ids()
    assert catalog.postable_challenge_ids("notes", include_unreviewed=True) == catalog.challenge_ids("notes")
    assert len(catalog.question_ids()) == 5


def test_hand_written_content_is_always_postable(course_dir: Path) -> None:
    """Content without origin (the shipped course) is unaffected by the setting."""
    catalog = load_catalog(course_dir)
    assert catalog.postable_question_ids() == catalog.question_ids()
    assert catalog.postable_challenge_ids() == catalog.challenge_ids()


def test_setting_defaults_to_reviewed_items_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """USE_UNREVIEWED_GENERATED is false unless set."""
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("USE_UNREVIEWED_GENERATED", raising=False)
    assert Settings().use_unreviewed_generated is False
    monkeypatch.setenv("USE_UNREVIEWED_GENERATED", "true")
    assert Settings().use_unreviewed_generated is True
