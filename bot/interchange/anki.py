"""Anki decks (.apkg) of course items, written with genanki: one note per item, found again by its id.

Anki recognises a note it has seen before by the note's guid, so re-importing a deck updates the
learner's cards (and keeps their review history) instead of adding copies. The guid here is made from
the item's id alone, and the deck and note type ids are fixed, so every export of an item agrees.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import logging
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import genanki

from bot.course.models import OPTION_LETTERS
from bot.interchange.items import FlatItem

log = logging.getLogger(__name__)

FIELDS = ("Question", "Options", "Answer", "Explanation", "Element", "Id")
_FRONT = '<div class="question">{{Question}}</div><div class="options">{{Options}}</div>'
_BACK = '{{FrontSide}}<hr id="answer"><div class="answer">{{Answer}}</div><div class="why">{{Explanation}}</div>'
_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.options, .answer, .why { margin-top: 1em; }
.answer { font-weight: bold; }"""


def _stable_id(key: str) -> int:
    """Return an id for a deck or note type, the same on every run, in the range genanki recommends."""
    return (1 << 30) + int.from_bytes(hashlib.sha256(f"revbot\0{key}".encode()).digest()[:4], "big") % (1 << 30)


MODEL = genanki.Model(
    _stable_id("note type: question v1"),
    "revbot question",
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}],
    css=_CSS,
)


def note_guid(item_id: str) -> str:
    """Return the guid Anki knows an item's note by; it depends on the item's id only."""
    return genanki.guid_for("revbot", item_id)


def _html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<b>\1</b>", escaped)
    return escaped.replace("\n", "<br>")


def _tag(value: str) -> str:
    return re.sub(r"\s+", "_", value)  # Anki splits tags at spaces; ids have none, this is only a guard


def item_note(item: FlatItem) -> genanki.Note:
    """Return the note for one item: the options lettered, the right one and the explanation on the back."""
    options = "<br>".join(f"{OPTION_LETTERS[i]}. {_html(o)}" for i, o in enumerate(item.options))
    return genanki.Note(
        model=MODEL,
        fields=[
            _html(item.prompt),
            options,
            f"{OPTION_LETTERS[item.answer]}. {_html(item.right)}",
            _html(item.explanation),
            _html(item.element.title),
            item.id,
        ],
        tags=[_tag(item.element.id), *(_tag(c) for c in item.concepts)],
        guid=note_guid(item.id),
    )


def deck_bytes(items: Sequence[FlatItem], deck_name: str, deck_key: str, timestamp: float) -> bytes:
    """Return an .apkg holding one deck with a note per item; deck_key fixes the deck's id."""
    deck = genanki.Deck(_stable_id(f"deck: {deck_key}"), deck_name)
    for item in items:
        deck.add_note(item_note(item))
    package = genanki.Package(deck)
    # Package.write_to_file leaves its temporary collection behind; build it in a folder removed afterwards.
    with tempfile.TemporaryDirectory(prefix="revbot-anki-") as folder:
        collection = Path(folder) / "collection.anki2"
        conn = sqlite3.connect(collection)
        try:
            package.write_to_db(conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            conn.commit()
        finally:
            conn.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(collection, "collection.anki2")
            archive.writestr("media", "{}")
    log.debug("wrote an Anki deck %r with %d notes", deck_name, len(items))
    return buffer.getvalue()
