"""The content commands as a tutor runs them: exit codes and what they print."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.course.conftest import ALPHA


def test_validate_prints_a_summary_for_valid_content(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Valid content: exit 0 and one line with the counts."""
    assert main(["content", "validate", str(course_dir)]) == 0
    assert capsys.readouterr().out == "2 elements, 4 questions, 2 challenges\n"


def test_validate_lists_every_error_and_exits_1(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Invalid content: exit 1, each problem as file:line: field: message, and a count."""
    (course_dir / "alpha.yaml").write_text(
        ALPHA.replace("difficulty: 1", "difficulty: 5").replace("answer: 0", "answer: 9"), encoding="utf-8"
    )
    assert main(["content", "validate", str(course_dir)]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines == [
        f"{course_dir / 'alpha.yaml'}:29: questions[0].answer: answer 9 is out of range: options are numbered 0 to 2",
        f"{course_dir / 'alpha.yaml'}:32: questions[0].difficulty: input should be 1, 2 or 3",
    ]
    assert out.err == "2 problems in 1 file\n"


def test_coverage_strict_fails_when_something_is_untested(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--strict exits 1 and flags the item no question tests."""
    alpha = ALPHA.replace("    marking_points: [alpha.mark.one]\n", "")
    (course_dir / "alpha.yaml").write_text(alpha, encoding="utf-8")
    assert main(["content", "coverage", str(course_dir)]) == 0
    assert main(["content", "coverage", "--strict", str(course_dir)]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "alpha.mark.one" in line)
    assert row.split()[:4] == ["alpha", "marking", "point", "alpha.mark.one"]
    assert row.endswith("<- not tested")
    assert out.splitlines()[-1] == "10 items, 1 not tested"


def test_coverage_counts_questions_and_challenges(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tip tested by a question and cited by a challenge counts twice."""
    assert main(["content", "coverage", "--strict", str(course_dir)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "alpha.tip.one" in line)
    assert row.split()[3] == "2"


def test_preview_asks_and_explains(
    course_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tutor answers in the terminal and sees right/wrong with the explanation, then a score."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\nA\nb\nB\n"))
    assert main(["content", "preview", str(course_dir), "--element", "alpha"]) == 0
    out = capsys.readouterr().out
    assert "Which concept comes first?" in out
    assert "  A) Concept one" in out
    assert "Please type a letter from A to C, s to skip or q to quit." in out
    assert "Right!" in out
    assert "Not quite. The answer was A." in out  # the true/false question: B (False) is wrong
    assert "Why: It is numbered two." in out
    assert "Spot the mistake" in out
    assert "Helps: Use real examples." in out
    assert out.rstrip().endswith("You answered 3 and got 2 right (0 skipped).")


def test_preview_stops_cleanly_at_end_of_input(
    course_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-D (end of input) ends the preview with the score so far."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("s\n"))
    assert main(["content", "preview", str(course_dir), "--kind", "questions"]) == 0
    out = capsys.readouterr().out
    assert "Skipped. The answer was A." in out
    assert out.rstrip().endswith("You answered 0 and got 0 right (1 skipped).")


def test_preview_unknown_element_lists_the_known_ones(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped element id is answered with the ids that exist."""
    assert main(["content", "preview", str(course_dir), "--element", "gamma"]) == 2
    assert capsys.readouterr().err == "No element 'gamma'. Elements: alpha, beta\n"


def test_schema_check_flags_out_of_date_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """schema --check fails until the schemas are written, then passes."""
    assert main(["content", "schema", "--check", "--out", str(tmp_path)]) == 1
    assert main(["content", "schema", "--out", str(tmp_path)]) == 0
    assert main(["content", "schema", "--check", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "element.schema.json").is_file()


def test_python_m_bot_is_the_same_cli(course_dir: Path) -> None:
    """`python -m bot` runs the same commands as `revbot`."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "validate", str(course_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == "2 elements, 4 questions, 2 challenges\n"
