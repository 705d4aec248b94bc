"""`revbot content lint`: what test-taking cues alone would score, and items that ask one point twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.authoring.lint import item_lines, lint
from bot.cli import main
from bot.course.loader import load_catalog
from tests.course.conftest import ALPHA, COURSE

NOTES = ALPHA.split("questions:\n")[0]
SITUATIONS = (
    "A kettle broke after a week.",
    "Mr Shah waits at an empty counter.",
    "The queue reaches the door on Saturday.",
    "An angry email arrives about a late parcel.",
    "A regular wants to swap unworn shoes.",
    "Somebody rings twice about one bill.",
    "Priya complains that staff ignored her.",
    "A delivery driver left flowers outside.",
)


def _mc(n: int, right: int, options: list[str], prompt: str | None = None) -> dict[str, object]:
    return {
        "id": f"alpha.q.mc{n}",
        "prompt": prompt or f"{SITUATIONS[n % len(SITUATIONS)]} What should happen?",
        "options": options,
        "answer": right,
        "explanation": f"{SITUATIONS[n % len(SITUATIONS)]} So: {options[right]}.",
        "concepts": ["alpha.concept.one" if n % 2 else "alpha.concept.two"],
        "difficulty": 2,
    }


def _tf(n: int, statement: str, answer: bool) -> dict[str, object]:
    return {
        "id": f"alpha.q.tf{n}",
        "kind": "true_false",
        "prompt": f"True or false: {statement}",
        "answer": answer,
        "explanation": f"Because {statement}: that is {answer}.",
        "concepts": ["alpha.concept.two"],
        "difficulty": 2,
    }


def _challenge(n: int, lines: list[str], mistake: int) -> dict[str, object]:
    return {
        "id": f"alpha.spot.s{n}",
        "kind": "statements",
        "options": lines,
        "mistake": mistake,
        "misconception": "alpha.mis.one",
        "explanation": f"The mistake is '{lines[mistake]}'.",
        "helps": ["alpha.tip.one"],
        "difficulty": 2,
    }


def _write(tmp_path: Path, questions: list[dict[str, object]], challenges: list[dict[str, object]]) -> Path:
    folder = tmp_path / "content" / "demo"
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE.replace("  - beta\n", ""), encoding="utf-8")
    challenges_yaml = "\n" + _yaml_list(challenges) if challenges else " []\n"
    body = NOTES + "questions:\n" + _yaml_list(questions) + "challenges:" + challenges_yaml
    (folder / "alpha.yaml").write_text(body, encoding="utf-8")
    return folder


def _yaml_list(items: list[dict[str, object]]) -> str:
    # JSON is YAML: one flow mapping a line keeps each item's "- id:" line easy to find.
    return "".join(f"  - id: {json.dumps(i['id'])}\n    " + _rest(i) for i in items)


def _rest(item: dict[str, object]) -> str:
    return "\n    ".join(f"{key}: {json.dumps(value)}" for key, value in item.items() if key != "id") + "\n"


def _cued(tmp_path: Path) -> Path:
    """A bank a cue-only learner beats: the right option is always the longest and falsehoods are absolute."""
    questions = [
        _mc(
            n,
            n % 4,
            [
                ("Listen to the customer and explain what happens next" if i == n % 4 else f"Say no {i}")
                for i in range(4)
            ],
        )
        for n in range(8)
    ]
    questions += [_tf(n, f"staff {n} must always do the same thing", False) for n in range(3)]
    questions += [_tf(n + 3, f"staff {n} may adapt what they do", True) for n in range(3)]
    challenges = [
        _challenge(n, ["Greet them.", "Every customer always wants exactly the same thing.", "Follow up."], 1)
        for n in range(3)
    ]
    return _write(tmp_path, questions, challenges)


def _balanced(tmp_path: Path) -> Path:
    """A bank written against the cues: similar lengths, absolute words on both sides, true and false alike."""
    sets = [
        ["Offer a refund", "Offer a repair", "Offer a credit", "Offer a refund and a card"],
        ["Ask what they need", "Tell them to wait", "Send them an email", "Call the manager only"],
        ["Check the receipt", "Check the shelf", "Check the stock list", "Check with a colleague"],
        ["Apologise and act", "Apologise only", "Act, then apologise", "Explain the policy"],
    ]
    questions = [_mc(n, (n + n // 4) % 4, sets[n % 4]) for n in range(8)]
    statements = [
        ("the Act always gives a full refund within 30 days of a fault", True),
        ("a shop must refund a customer who changed their mind", False),
        ("staff may explain the returns policy before a sale", True),
        ("the manufacturer answers for a fault in goods a shop sold", False),
        ("every complaint should be logged, even a small one", True),
        ("a polite tone can replace fixing the problem", False),
    ]
    questions += [_tf(n, s, a) for n, (s, a) in enumerate(statements)]
    challenges = [
        _challenge(0, ["Greet them by name.", "Offer a fix at once.", "Always log the call."], 1),
        _challenge(1, ["Only log big cases.", "Listen to the end.", "Follow up in a week."], 0),
        _challenge(2, ["Ask what went wrong.", "Thank them for waiting.", "Promise a refund now."], 2),
        _challenge(3, ["Note every detail.", "Skip the apology.", "Check what they need."], 1),
    ]
    return _write(tmp_path, questions, challenges)


def _report(folder: Path):  # type: ignore[no-untyped-def]
    where = item_lines(folder)
    return lint(load_catalog(folder), lambda item_id: where.get(item_id, "?"))


def test_a_cued_bank_fails_with_the_cues_named(tmp_path: Path) -> None:
    """Longest-right options, absolute falsehoods and absolute mistakes are each reported as over the limit."""
    report = _report(_cued(tmp_path))
    assert report.failed
    text = "\n".join(report.failures)
    assert "cue 'longest option' scores 100% on multiple choice items" in text
    assert "cue 'absolute words are false' scores 100% on true/false items" in text
    assert "cue 'absolute words' scores 100% on spot the mistake items" in text
    assert "the right option is the longest in 8 of 8 multiple choice items" in text
    assert "the mistaken line is the longest in 3 of 3" in text


def test_findings_name_the_file_line_item_and_cue(tmp_path: Path) -> None:
    """Each finding reads file:line: id: message, with the line of the item's id."""
    folder = _cued(tmp_path)
    report = _report(folder)
    lines = (folder / "alpha.yaml").read_text(encoding="utf-8").splitlines()
    finding = next(f for f in report.findings if f.item_id == "alpha.q.mc3" and "longest" in f.message)
    path, line = str(finding).split(": ")[0].rsplit(":", 1)
    assert path == str(folder / "alpha.yaml")
    assert lines[int(line) - 1] == '  - id: "alpha.q.mc3"'
    assert str(finding).endswith(": alpha.q.mc3: 'longest option' gives the answer away")


def test_a_balanced_bank_passes(tmp_path: Path) -> None:
    """Items whose wording gives nothing away keep every cue within ten points of chance."""
    report = _report(_balanced(tmp_path))
    assert report.failures == []
    course = report.scores[("course", "all")]
    assert course.rate(course.cues["all cues together"]) <= course.rate(course.chance) + 0.10


def test_near_duplicates_are_found(tmp_path: Path) -> None:
    """Two questions on one concept asked in nearly the same words are reported as a pair."""
    prompt = "A customer brings back a faulty kettle after a week. What is she entitled to?"
    questions = [
        _mc(1, 0, ["A refund", "A repair", "Nothing", "A voucher"], prompt),
        _mc(3, 1, ["A repair", "A refund", "A voucher", "Nothing"], prompt.replace("a week", "six days")),
        _mc(2, 2, ["Greet them", "Ignore them", "Queue them", "Email them"]),
    ]
    report = _report(_write(tmp_path, questions, []))
    assert [(a.id, b.id) for a, b, _ in report.duplicates] == [("alpha.q.mc1", "alpha.q.mc3")]
    assert any("near-duplicate of alpha.q.mc3" in str(f) and "alpha.concept.one" in str(f) for f in report.findings)
    assert "1 pair(s) of near-duplicate items" in report.failures


def test_strict_exit_codes_and_an_unknown_element(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--strict exits 1 on a cued bank and 0 on a balanced one; an unknown element is a usage error."""
    cued = _cued(tmp_path / "cued")
    assert main(["content", "lint", str(cued)]) == 0
    assert main(["content", "lint", str(cued), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "check(s) over the limit" in out and "alpha.yaml:" in out
    assert main(["content", "lint", str(_balanced(tmp_path / "fine")), "--strict"]) == 0
    assert "every cue within 10% of chance" in capsys.readouterr().out
    assert main(["content", "lint", str(cued), "--element", "nope"]) == 2
    assert "No element 'nope'. Elements: alpha" in capsys.readouterr().err


def test_recall_only_and_easy_elements_are_reported(tmp_path: Path) -> None:
    """An element of bare statements at difficulty 1 fails the applied and harder shares."""
    questions = [{**_tf(n, f"rule {n} of the notes holds", n % 2 == 0), "difficulty": 1} for n in range(6)]
    challenges = [{**_challenge(0, ["Greet them.", "Skip the log.", "Follow up."], 1), "difficulty": 1}]
    report = _report(_write(tmp_path, questions, challenges))
    assert "alpha: 0 of 6 questions are applied (at least 25%)" in report.failures
    assert "alpha: 0 of 7 items are difficulty 2 or 3 (at least 33%)" in report.failures
