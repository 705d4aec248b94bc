"""Imported questions a tutor can keep: cue-free, one fair challenge per mistake, no broken acronym taught."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.authoring.acronyms import find_acronyms
from bot.authoring.lint import lint
from bot.authoring.notes import parse_notes
from bot.authoring.wording import mistake_wording
from bot.cli import main
from bot.course.loader import load_catalog

NOTES_DIR = Path(__file__).parent / "notes"
OWN_NOTES = sorted(NOTES_DIR.glob("*.txt"))
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
needs_seeds = pytest.mark.skipif(not SEED_FILES, reason="the source notes are not beside this checkout")
# The bar for generated banks: every cue-only learner within 15 points of guessing.
CUE_BAR = 0.15
# Where a misconception in the notes stops stating the mistake and starts correcting it.
_CORRECTION_RE = re.compile(
    r": |; | — |, (?:which|when|leading to|ignoring|neglecting|overlooking|failing|assuming)\b"
    r"| (?:rather than|without)\b"
)


def _import(tmp_path: Path, *notes: Path) -> Path:
    out = tmp_path / "course"
    assert main(["content", "import", *map(str, notes), "--course", "own", "--out", str(out)]) == 0
    return out


def _element(out: Path, notes: Path) -> dict:
    return yaml.safe_load((out / f"{notes.stem}.yaml").read_text(encoding="utf-8"))


def _mismatched(notes: Path) -> list[str]:
    text = notes.read_bytes().decode("utf-8")
    return [a.letters for line in text.splitlines() for a in find_acronyms(line) if not a.matches]


def test_own_notes_are_windows_files_with_every_kind_of_bullet() -> None:
    """The fixtures keep CRLF line endings and use -, *, • and numbered bullets."""
    assert len(OWN_NOTES) >= 3
    for notes in OWN_NOTES:
        raw = notes.read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n"), notes.name
        text = raw.decode("utf-8")
        for bullet in ("\n- ", "\n* ", "\n• ", "\n1. "):
            assert bullet in text, (notes.name, bullet)
        assert _mismatched(notes), f"{notes.name} needs a mismatched acronym"
        assert any(":" in m.text for m in parse_notes(raw).misconceptions), notes.name


@pytest.mark.parametrize("notes", OWN_NOTES, ids=lambda p: p.stem)
def test_import_of_unseen_notes_is_valid_and_cue_free(notes: Path, tmp_path: Path) -> None:
    """Each file validates, and no cue-only learner scores more than 15 points above chance."""
    out = _import(tmp_path, notes)
    report = lint(load_catalog(out), lambda _: "?")
    for (scope, kind), score in report.scores.items():
        chance = score.rate(score.chance)
        cue, rate = score.best()
        assert rate <= chance + CUE_BAR, (notes.name, scope, kind, cue, rate, chance)
    assert report.duplicates == []


@pytest.mark.parametrize("notes", OWN_NOTES, ids=lambda p: p.stem)
def test_a_mismatched_acronym_is_taught_nowhere(
    notes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No question, challenge line or helps comes from the tip that holds a mismatched acronym."""
    out = _import(tmp_path, notes)
    err = capsys.readouterr().err
    element = _element(out, notes)
    for letters in _mismatched(notes):
        assert f"acronym '{letters}' has" in err
        assert "left out of questions, spot-the-mistake lines and helps" in err
        holders = {t["id"] for t in element["tips"] if letters in t["text"]}
        holders |= {c["id"] for c in element["concepts"] if letters in c["explanation"]}
        assert holders
        word = re.compile(rf"\b{letters}\b")
        for question in element["questions"]:
            assert not word.search(" ".join([question["prompt"], *question["options"], question["explanation"]]))
            assert not holders & set(question.get("concepts", []) + question.get("tips", []))
        for challenge in element["challenges"]:
            assert not word.search(" ".join([*challenge["options"], challenge["explanation"]]))
            assert not holders & set(challenge["helps"])


@pytest.mark.parametrize("notes", [*OWN_NOTES, *SEED_FILES], ids=lambda p: p.stem)
def test_every_misconception_has_a_fair_challenge(notes: Path, tmp_path: Path) -> None:
    """The mistaken line leaves out the notes' correction, and reads like the correct lines."""
    out = _import(tmp_path, notes)
    element = _element(out, notes) if (out / f"{notes.stem}.yaml").exists() else _only_element(out)
    parsed = parse_notes(notes.read_bytes())
    challenges = {c["misconception"]: c for c in element["challenges"]}
    names = [c["name"] for c in element["concepts"]]
    for misconception, written in zip(element["misconceptions"], parsed.misconceptions, strict=True):
        challenge = challenges[misconception["id"]]
        mistaken = challenge["options"][challenge["mistake"]]
        split = _CORRECTION_RE.split(written.text, maxsplit=1)
        if len(split) == 2:
            tail = re.findall(r"[a-z']+", split[1].casefold())
            trigrams = {" ".join(tail[i : i + 3]) for i in range(len(tail) - 2)}
            line = " ".join(re.findall(r"[a-z']+", mistaken.casefold()))
            assert not [t for t in trigrams if t in line], (mistaken, written.text)
        for option in challenge["options"]:
            assert not option.startswith(("It is fine to", "Examiners "))
            assert not any(option.startswith(f"{name}:") for name in names)


def _only_element(out: Path) -> dict:
    (path,) = [p for p in out.glob("*.yaml") if p.name != "course.yaml"]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_a_correction_cut_at_a_colon_reads_as_sentences() -> None:
    """'Thinking that X: Y' gives the belief X as advice, and 'Do not assume that X. Y.' as the correction."""
    wording = mistake_wording(
        "Thinking that a casualty who is breathing needs CPR: CPR is for casualties who are not breathing normally"
    )
    assert wording.belief == "Work on the basis that a casualty who is breathing needs CPR."
    assert wording.advice == "Do not assume that a casualty who is breathing needs CPR."
    assert wording.tail == "CPR is for casualties who are not breathing normally."
    confusing = mistake_wording("Confusing profit with cash: a profitable business can still fail if it runs out")
    assert confusing.belief == "Treat profit as another word for cash."
    assert confusing.advice.startswith("Profit and cash are different things")
    assert confusing.tail == "A profitable business can still fail if it runs out."


def test_absolute_words_are_taken_out_of_a_mistaken_line() -> None:
    """'all', 'solely' and 'the same' would mark the mistake; the belief is as wrong without them."""
    assert mistake_wording("Assuming all customers have the same needs").belief == (
        "Work on the basis that customers have similar needs."
    )
    assert mistake_wording("Focusing solely on price while ignoring quality").belief == "Focus on price alone."


@pytest.mark.parametrize(
    ("text", "letters", "words"),
    [
        (
            "under RIDDOR (Reporting of Injuries, Diseases and Dangerous Occurrences Regulations) within",
            "RIDDOR",
            ("Reporting", "Injuries", "Diseases", "Dangerous", "Occurrences", "Regulations"),
        ),
        (
            "the Reporting of Injuries, Diseases and Dangerous Occurrences Regulations (RIDDOR) require",
            "RIDDOR",
            ("Reporting", "Injuries", "Diseases", "Dangerous", "Occurrences", "Regulations"),
        ),
        ("the Control of Substances Hazardous to Health (COSHH) rules", "COSHH", None),
        ("using the Chartered Institute of Marketing (CIM) definition", "CIM", ("Chartered", "Institute", "Marketing")),
        ("check with DRABC (Danger, Response, Airway, Breathing and Circulation) so", "DRABC", None),
        ("Set goals that are 'SMART': Specific, Measurable, Achievable, Relevant and Time-bound, and", "SMART", None),
    ],
)
def test_acronyms_may_skip_small_words(text: str, letters: str, words: tuple[str, ...] | None) -> None:
    """Small words (of, and, to ...) need not give a letter; hyphens, quotes and brackets are handled."""
    (acronym,) = find_acronyms(text)
    assert acronym.letters == letters and acronym.matches
    if words is not None:
        assert acronym.words == words


def test_a_real_mismatch_is_still_reported() -> None:
    """SAFER expanded into four steps still does not match, small words or not."""
    (acronym,) = find_acronyms("the 'SAFER' approach: Shout for help, Assess the scene, Free from danger, Evaluate it.")
    assert not acronym.matches
    assert "'SAFER' has 5 letters" in acronym.mismatch()


def test_concept_questions_take_three_forms(tmp_path: Path) -> None:
    """Term from description, description from term, and a learner's answer that uses an example."""
    out = _import(tmp_path, *OWN_NOTES)
    prompts = [
        q["prompt"]
        for notes in OWN_NOTES
        for q in _element(out, notes)["questions"]
        if q.get("concepts") and q["origin"]["source"] in q["concepts"]
    ]
    forms = {
        "term": [p for p in prompts if p.startswith("Which key concept do the notes describe here?")],
        "description": [p for p in prompts if p.startswith("Which of these does the key concept")],
        "scenario": [p for p in prompts if p.startswith("A learner's answer brings in")],
    }
    assert all(forms.values()), forms


def test_reimporting_own_notes_gives_the_same_bytes(tmp_path: Path) -> None:
    """The choices are fixed by hashes of the text, so a second import is byte for byte the same."""
    first = _import(tmp_path / "a", *OWN_NOTES)
    second = _import(tmp_path / "b", *OWN_NOTES)
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_import_prints_the_lint_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After the files, the import says how a cue-only learner does against chance, and the duplicates."""
    _import(tmp_path, *OWN_NOTES)
    last = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(
        r"lint: \d+ items; a cue-only learner scores at most \d+% against \d+% by chance \(.+\); "
        r"0 near-duplicate pairs; details with `revbot content lint .+`",
        last,
    ), last


@needs_seeds
def test_the_five_seeds_pass_strict_lint(tmp_path: Path) -> None:
    """Imported together, the seed notes pass every `content lint --strict` check."""
    out = _import(tmp_path, *SEED_FILES)
    assert main(["content", "lint", str(out), "--strict"]) == 0
