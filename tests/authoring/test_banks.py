"""Question banks in: Moodle GIFT and Aiken files and Red trivia lists become a course folder that validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.authoring.banks.aiken import parse_aiken
from bot.authoring.banks.gift import parse_gift
from bot.authoring.banks.red import parse_red
from bot.cli import main
from bot.course.loader import load_catalog

BANKS = Path(__file__).parent / "banks"
GIFT = BANKS / "moodle.gift"


def _gift() -> dict[str, object]:
    bank = parse_gift(GIFT.read_text(encoding="utf-8"))
    return {q.title or q.prompt: q for q in bank.questions}


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_gift_multiple_choice_uses_general_and_right_feedback_as_the_explanation() -> None:
    """One right answer (=), wrong ones (~); the general feedback (####) and the right answer's (#) explain it."""
    q = _gift()["heat-steps"]
    assert q.prompt == "What does the H in the HEAT model stand for?"
    assert q.options == ("Hear", "Help", "Hurry")
    assert q.answer == 0
    assert q.explanation == "HEAT is Hear, Empathise, Apologise, Take ownership.\n\nRight: the customer speaks first."
    assert q.category == "complaints"


def test_gift_true_false_in_every_spelling_with_feedback() -> None:
    """{F}, {TRUE} and friends become true/false; of the two feedbacks, the one for a right answer explains."""
    questions = _gift()
    assert questions["empathy-tf"].options is None
    assert questions["empathy-tf"].answer is False
    assert questions["empathy-tf"].explanation == "Right: empathy is understanding their feelings."
    assert questions["listening-true"].answer is True
    assert questions["listening-true"].explanation == "The right answer is “True”."
    for spelling, answer in (("T", True), ("F", False), ("TRUE", True), ("FALSE", False), ("true", True)):
        (q,) = parse_gift(f"A statement.{{{spelling}}}\n").questions
        assert (q.options, q.answer) == (None, answer)


def test_gift_text_formats_reduce_to_discord_markdown() -> None:
    """[html] becomes markdown in prompts and plain text on buttons; [markdown] and [plain] keep their text."""
    questions = _gift()
    html = questions["html-question"]
    assert html.prompt == "Which is the **best** first reply\nto an *angry* customer?"
    assert html.options == ("I can hear how frustrating this has been.", "Calm down, please.", "It's company policy.")
    assert html.explanation == "Acknowledging feelings comes **first**."
    ownership = questions["ownership"]
    assert ownership.prompt == "**Taking ownership** means the customer hears:"
    assert ownership.options[1] == '"I\'ll sort this out and call you back by five."'
    assert questions["plain-question"].options[0] == "A call back when it said it would"


def test_gift_escapes_multiline_questions_and_missing_words() -> None:
    """Escaped \\~ \\= \\# \\{ \\} \\: are text; a question may span lines; answers mid-sentence leave a blank."""
    questions = _gift()
    assert questions["escapes"].prompt == "Which symbols need a backslash in GIFT: ~ = # { } ?"
    multi = next(q for q in questions.values() if q.prompt.startswith("A customer asks"))
    assert multi.prompt == "A customer asks for a refund\nafter the return period. What should\nyou do first?"
    assert multi.line == _line_of(GIFT, "A customer asks for a refund")
    assert multi.options[multi.answer] == "Check the policy and their rights"
    blank = next(q for q in questions.values() if q.prompt.startswith("Grant"))
    assert blank.prompt == "Grant is _____ in Grant's tomb."
    assert blank.options[blank.answer] == "entombed"


def test_gift_skips_what_buttons_cannot_ask_naming_each_line() -> None:
    """Essay, numerical, matching, short-answer, weighted and description questions are skipped with their line."""
    bank = parse_gift(GIFT.read_text(encoding="utf-8"))
    skipped = {p.line: p.message for p in bank.skipped}
    expected = {
        "::essay::": "essay",
        "::numeric::": "numerical",
        "::matching::": "matching",
        "::short::": "short-answer",
        "::weighted::": "several right answers",
        "::description::": "a description",
    }
    assert len(skipped) == len(expected)
    for marker, words in expected.items():
        assert words in skipped[_line_of(GIFT, marker)]
    assert bank.errors == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("::ok::Fine?{=a ~b}\n\n::broken::Where is\nthe end? { =a ~b\n", 4, "never closed"),
        ("::none::Which?{~a ~b ~c}\n", 1, "marks no answer right"),
        ("::nested::Which?{=a {~b}\n", 1, "opens inside the answers"),
        ("// only comments\n", None, "holds no GIFT questions"),
    ],
)
def test_gift_malformed_input_is_an_error_with_its_line(text: str, line: int | None, words: str) -> None:
    """Unclosed braces, no right answer, nested braces and a file of no questions are errors, not skips."""
    bank = parse_gift(text)
    assert [(e.line, words in e.message) for e in bank.errors] == [(line, True)]


def test_aiken_reads_both_option_styles() -> None:
    """`A.` and `A)` both letter options; ANSWER: names the right one; the explanation names it too."""
    bank = parse_aiken((BANKS / "moodle_aiken.txt").read_text(encoding="utf-8"))
    assert bank.errors == []
    first, second = bank.questions
    assert (first.prompt, first.options, first.answer) == (
        "What does the H in the HEAT model stand for?",
        ("Hear", "Help", "Hurry"),
        0,
    )
    assert (second.options, second.answer, second.line) == (("Phone", "Face to face", "Email"), 2, 7)
    assert second.explanation == "The right answer is “Email”."


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Which?\nA. one\nB. two\nANSWER: D\n", 4, "the answer key 'D' names no option (options are A to B)"),
        ("Which?\nA. one\nB. two\n\nNext?\nA. x\nB. y\nANSWER: A\n", 1, "no 'ANSWER: X' line"),
        ("Which?\nA. one\nC. two\nANSWER: A\n", 3, "out of order"),
        ("ANSWER: A\n", 1, "without a question"),
        ("Just a line of text.\n", 1, "no lettered options"),
    ],
)
def test_aiken_malformed_input_is_an_error_with_its_line(text: str, line: int, words: str) -> None:
    """A key naming no option, a missing key, options out of order: each an error at its line."""
    bank = parse_aiken(text)
    assert any(e.line == line and words in e.message for e in bank.errors), bank.errors


def test_red_list_becomes_multiple_choice_where_the_list_gives_wrong_options() -> None:
    """Wrong options are other answers of the same kind; accepted answers are never wrong options."""
    bank = parse_red((BANKS / "capitals.yaml").read_text(encoding="utf-8"))
    assert bank.errors == []
    france = next(q for q in bank.questions if "France" in q.prompt)
    assert france.options[france.answer] == "Paris"
    assert set(france.options) - {"Paris"} <= {"Madrid", "Rome", "Berlin"}
    assert len(france.options) == 4
    assert "Also accepted when typed: “paris, france”" in france.explanation
    assert len(bank.questions) == 4  # AUTHOR and CONFIG are not questions
    (spider,) = bank.skipped
    assert "too few other answers of the same kind" in spider.message
    assert bank.notes == ["4 typed-answer questions converted to multiple choice, 1 skipped"]


def test_red_list_errors_name_their_line() -> None:
    """A question without answers and a repeated question are errors at their line."""
    bank = parse_red("Q one?:\n- a\nQ two?: []\nQ one?:\n- b\n")
    assert [(e.line, e.message.split(" ")[1]) for e in bank.errors] == [(3, "question"), (4, "question")]


# --- the command -----------------------------------------------------------------------------------


def _import(tmp_path: Path, *files: Path, extra: tuple[str, ...] = ()) -> int:
    out = str(tmp_path / "bank")
    return main(["content", "import-bank", *(str(f) for f in files), "--course", "bank", "--out", out, *extra])


def test_import_bank_writes_a_course_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three formats in one command: categories become elements, titles ids, and every item is marked unreviewed."""
    files = (GIFT, BANKS / "moodle_aiken.txt", BANKS / "capitals.yaml")
    assert _import(tmp_path, *files) == 0
    out = capsys.readouterr()
    assert f"{GIFT} (GIFT): 10 imported, 6 skipped" in out.out
    assert "moodle_aiken.txt (Aiken): 2 imported, 0 skipped" in out.out
    assert "capitals.yaml (Red trivia list): 4 imported, 1 skipped" in out.out
    assert "4 typed-answer questions converted to multiple choice, 1 skipped" in out.out
    assert f"warning: {GIFT}:{_line_of(GIFT, '::essay::')}: skipped:" in out.err
    catalog = load_catalog(tmp_path)
    assert [e.id for e in catalog.elements()] == ["complaints", "service-delivery", "moodle-aiken", "capitals"]
    heat = catalog.question("complaints.heat-steps").item
    assert heat.origin is not None
    assert (heat.origin.generated, heat.origin.reviewed) == (True, False)
    assert heat.origin.source == f"GIFT moodle.gift:{_line_of(GIFT, '::heat-steps::')}"
    notes = catalog.element("complaints")
    assert notes.concepts[0].id == "complaints.concept.missing"  # a placeholder the tutor replaces
    assert main(["content", "coverage", str(tmp_path)]) == 0
    assert main(["content", "lint", str(tmp_path)]) == 0


def test_element_option_puts_every_question_in_one_element(tmp_path: Path) -> None:
    """--element overrides the GIFT categories."""
    assert _import(tmp_path, GIFT, extra=("--element", "heat")) == 0
    catalog = load_catalog(tmp_path)
    assert [e.id for e in catalog.elements()] == ["heat"]
    assert catalog.question_count == 10


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("broken.gift", b"::a::Which?{=x ~y}\n\n::b::Unclosed {=x ~y\n", "broken.gift:3: question 'b': the '{'"),
        ("key.txt", b"Which?\nA. one\nB. two\nANSWER: E\n", "key.txt:4: the answer key 'E' names no option"),
        ("empty.gift", b"  \n\n", "empty.gift: is empty"),
        ("latin1.gift", "Caf\u00e9?{=yes ~no}\n".encode("latin-1"), "latin1.gift:1: is not UTF-8 text (byte 0xe9)"),
    ],
)
def test_bad_files_are_reported_as_file_line_message_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, raw: bytes, expected: str
) -> None:
    """Malformed input exits 1 with file:line: message, and writes nothing at all, even for the good files."""
    bad = tmp_path / name
    bad.write_bytes(raw)
    assert _import(tmp_path, GIFT, bad) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/{expected}" in err
    assert "nothing written" in err
    assert not (tmp_path / "bank").exists()


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two broken questions give two errors in one run."""
    bad = tmp_path / "two.gift"
    bad.write_text("One?{~a ~b}\n\nTwo?{=a ~b\n", encoding="utf-8")
    assert _import(tmp_path, bad) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1: this question marks no answer right" in err
    assert f"{bad}:3: this question: the '{{' opened here is never closed" in err


def test_unrecognisable_file_asks_for_the_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .txt that is neither format is refused with a hint; --format reads it as asked."""
    odd = tmp_path / "odd.txt"
    odd.write_text("Which?{=yes ~no}\n", encoding="utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_text("Just some words.\n", encoding="utf-8")
    assert _import(tmp_path, plain) == 1
    assert "name the format with --format" in capsys.readouterr().err
    assert _import(tmp_path, odd) == 0  # braces with = and ~ read as GIFT
    assert _import(tmp_path, odd, extra=("--format", "aiken")) == 1


def test_reimport_keeps_reviewed_items_hand_written_ones_and_the_tutors_notes(tmp_path: Path) -> None:
    """The tutor's reviewed edits, added questions and notes survive importing the bank again."""
    assert _import(tmp_path, GIFT) == 0
    path = tmp_path / "bank" / "complaints.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    header = "".join(line + "\n" for line in path.read_text(encoding="utf-8").splitlines()[:2])
    data["concepts"] = [{"id": "complaints.concept.heat", "name": "HEAT", "explanation": "Hear, Empathise..."}]
    heat = next(q for q in data["questions"] if q["id"] == "complaints.heat-steps")
    heat |= {"explanation": "The tutor's own explanation.", "concepts": ["complaints.concept.heat"]}
    heat["origin"]["reviewed"] = True
    for q in data["questions"]:
        q["concepts"] = ["complaints.concept.heat"]
    data["questions"].append(
        {
            "id": "complaints.by-hand",
            "prompt": "A question the tutor wrote?",
            "options": ["Yes", "No"],
            "answer": 0,
            "explanation": "Written by hand.",
            "concepts": ["complaints.concept.heat"],
            "difficulty": 1,
        }
    )
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    assert _import(tmp_path, GIFT) == 0
    catalog = load_catalog(tmp_path)
    # The tutor's concept stays; the placeholder comes back only for the new questions not yet linked.
    concepts = [c.id for c in catalog.element("complaints").concepts]
    assert concepts == ["complaints.concept.heat", "complaints.concept.missing"]
    assert catalog.question("complaints.ownership").item.concepts == ("complaints.concept.missing",)
    assert catalog.question("complaints.heat-steps").item.explanation == "The tutor's own explanation."
    assert catalog.question("complaints.by-hand").item.prompt == "A question the tutor wrote?"
    assert catalog.question("complaints.ownership").item.origin.reviewed is False
    assert catalog.question("complaints.heat-steps").item.origin.reviewed is True


def test_an_element_file_not_written_by_import_bank_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-written element with the same id is never overwritten."""
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "complaints.yaml").write_text("id: complaints\n", encoding="utf-8")
    assert _import(tmp_path, GIFT) == 1
    assert "was not written by `revbot content import-bank`" in capsys.readouterr().err
    assert (folder / "complaints.yaml").read_text(encoding="utf-8") == "id: complaints\n"


def test_bad_course_or_element_id_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ids the loader would refuse are refused before anything is read."""
    assert _import(tmp_path, GIFT, extra=("--element", "Not An Id")) == 2
    assert "--element 'Not An Id' is not a valid element id" in capsys.readouterr().err


def test_questions_discord_cannot_show_are_skipped_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Six options, an option too long for a button: skipped by line; a mention in a prompt cannot ping."""
    bank = tmp_path / "wide.gift"
    long_option = "x" * 81
    bank.write_text(
        f"Six?{{=a ~b ~c ~d ~e ~f}}\n\nLong?{{={long_option} ~short}}\n\nAsk @everyone?{{=yes ~no}}\n",
        encoding="utf-8",
    )
    assert _import(tmp_path, bank) == 0
    captured = capsys.readouterr()
    assert f"{bank}:1: skipped: it has 6 options; the bot shows at most 5" in captured.err
    assert f"{bank}:3: skipped: option A is 81 characters long; a button shows at most 80" in captured.err
    assert "wide.gift (GIFT): 1 imported, 2 skipped" in captured.out
    (question,) = load_catalog(tmp_path).questions()
    assert question.item.prompt == "Ask @\u200beveryone?"
