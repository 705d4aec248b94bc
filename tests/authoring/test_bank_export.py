"""Question banks out: the shipped course to Moodle (GIFT, Aiken) and back, and to Anki."""

from __future__ import annotations

import html
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.interchange.anki import FIELDS, note_guid
from bot.interchange.items import flat_items

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog(CONTENT)


def _export(tmp_path: Path, fmt: str, name: str, *extra: str) -> Path:
    out = tmp_path / name
    assert main(["content", "export", str(CONTENT), "--format", fmt, "--out", str(out), *extra]) == 0
    return out


def _import(tmp_path: Path, bank: Path, *extra: str) -> Catalog:
    folder = tmp_path / "back"
    assert main(["content", "import-bank", str(bank), "--course", "back", "--out", str(folder), *extra]) == 0
    return load_catalog(tmp_path)


def _shape(item: object) -> tuple[object, ...]:
    return (item.prompt, item.choices, item.correct_index, item.explanation)


def test_gift_round_trip_gives_the_same_questions(tmp_path: Path, shipped: Catalog) -> None:
    """Every shipped question comes back from GIFT with its prompt, options, answer and explanation."""
    back = _import(tmp_path, _export(tmp_path, "gift", "course.gift"))
    for located in shipped.questions():
        assert _shape(back.question(located.item.id).item) == _shape(located.item)  # ids survive too
    assert [e.id for e in back.elements()] == [e.id for e in shipped.elements()]


def test_gift_challenges_ask_which_line_holds_the_mistake(tmp_path: Path, shipped: Catalog) -> None:
    """A challenge goes to Moodle as multiple choice whose right answer is the mistaken line."""
    text = _export(tmp_path, "gift", "course.gift").read_text(encoding="utf-8")
    challenge = next(shipped.challenges()).item
    block = text[text.index(f"::{challenge.id}::") :].split("\n}\n", 1)[0]
    mistake = challenge.options[challenge.mistake].replace(":", "\\:")
    assert f"\t={mistake}\n" in block
    assert block.count("\t~") == len(challenge.options) - 1
    assert "####" in block


def test_aiken_round_trip_gives_the_same_questions_and_answers(tmp_path: Path, shipped: Catalog) -> None:
    """Aiken carries prompts (on one line), options and the answer; true/false goes as True and False."""
    out = _export(tmp_path, "aiken", "course.txt", "--element", "sectors")
    back = _import(tmp_path, out, "--element", "sectors-back")
    expected = [
        (" ".join(q.item.prompt.split()), q.item.choices, q.item.correct_index) for q in shipped.questions("sectors")
    ]
    got = [(q.item.prompt, q.item.choices, q.item.correct_index) for q in back.questions("sectors-back")]
    assert got[: len(expected)] == expected


def _collection(apkg: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as archive:
        assert "collection.anki2" in archive.namelist()
        target = apkg.with_suffix(".anki2")
        target.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(target)


def test_anki_deck_is_a_collection_with_one_note_per_item(tmp_path: Path, shipped: Catalog) -> None:
    """The .apkg holds an Anki collection: a note per question and challenge, its fields, tags and guid."""
    conn = _collection(_export(tmp_path, "anki", "course.apkg"))
    rows = {guid: (flds, tags) for guid, flds, tags in conn.execute("SELECT guid, flds, tags FROM notes")}
    items = flat_items(shipped)
    assert len(rows) == len(items) == shipped.question_count + shipped.challenge_count
    assert conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == len(items)
    question = items[0]
    fields, tags = rows[note_guid(question.id)]
    values = dict(zip(FIELDS, fields.split("\x1f"), strict=True))
    assert values["Id"] == question.id
    assert values["Answer"] == f"{'ABCDE'[question.answer]}. {html.escape(question.right, quote=False)}"
    assert values["Explanation"] == html.escape(question.explanation, quote=False).replace("\n", "<br>")
    assert "A. " in values["Options"]
    assert question.element.id in tags.split()
    assert all(concept in tags.split() for concept in question.concepts)


def test_a_second_anki_export_keeps_the_note_guids(tmp_path: Path) -> None:
    """Anki matches notes by guid: exporting again gives the same guids, deck and note type ids."""
    first = _collection(_export(tmp_path, "anki", "one.apkg"))
    second = _collection(_export(tmp_path, "anki", "two.apkg"))
    query = "SELECT guid, mid FROM notes ORDER BY guid"
    assert first.execute(query).fetchall() == second.execute(query).fetchall()
    decks = "SELECT DISTINCT did FROM cards"
    assert first.execute(decks).fetchall() == second.execute(decks).fetchall()


def test_export_of_an_unknown_element_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An element the course lacks is named, with the ones it has."""
    out = tmp_path / "x"
    code = main(["content", "export", str(CONTENT), "--format", "gift", "--element", "nope", "--out", str(out)])
    assert code == 2
    assert "No element 'nope'" in capsys.readouterr().err
    assert not out.exists()
