"""/practice export: a learner's most-missed questions arrive privately as an Anki deck."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

from bot.interchange.anki import FIELDS, note_guid
from bot.ui.practice import MISSED_DECK_FILE
from tests.e2e.conftest import BotRunner
from tests.e2e.test_study import _answer
from tests.fakediscord.server import FakeDiscord


def _notes(apkg: bytes, tmp_path: Path) -> dict[str, dict[str, str]]:
    """Open the .apkg as Anki does (a zip with an SQLite collection) and return its notes by guid."""
    with zipfile.ZipFile(io.BytesIO(apkg)) as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        rows = conn.execute("SELECT guid, flds FROM notes").fetchall()
    finally:
        conn.close()
    return {guid: dict(zip(FIELDS, flds.split("\x1f"), strict=True)) for guid, flds in rows}


async def test_practice_export_sends_the_missed_questions_as_an_anki_deck(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    """Before any mistake a clear message; after two wrong answers, a private .apkg with exactly those two."""
    async with run_bot() as bot:
        early = await fake_discord.slash("practice", {"export": True}, user="alice")
        await fake_discord.wait_for_callback(early)
        reply = await fake_discord.wait_for_followup(early)
        assert reply.flags & 64
        assert reply.content.startswith("You have not got any questions wrong yet")
        assert reply.files == {}

        command = await fake_discord.slash("practice", {"element": "value"}, user="alice")
        await fake_discord.wait_for_callback(command)
        message = fake_discord.original(command)
        wrong, _ = await _answer(fake_discord, bot, message, "alice", right=False)
        other = await fake_discord.slash("practice", {"element": "sectors"}, user="alice")
        await fake_discord.wait_for_callback(other)
        second, _ = await _answer(fake_discord, bot, fake_discord.original(other), "alice", right=False)

        export = await fake_discord.slash("practice", {"export": True}, user="alice")
        assert (await fake_discord.wait_for_callback(export))["data"]["flags"] & 64
        sent = await fake_discord.wait_for_followup(export)
        assert sent.flags & 64
        assert sent.content.startswith("Here are the 2 questions you got wrong most, as an Anki deck.")
        notes = _notes(sent.files[MISSED_DECK_FILE], tmp_path)
        assert set(notes) == {note_guid(wrong.item_id), note_guid(second.item_id)}
        question = bot.services.catalog.question(wrong.item_id).item
        assert notes[note_guid(wrong.item_id)]["Id"] == wrong.item_id
        assert question.choices[question.correct_index] in notes[note_guid(wrong.item_id)]["Answer"]

        only = await fake_discord.slash("practice", {"export": True, "element": "sectors"}, user="alice")
        await fake_discord.wait_for_callback(only)
        one = await fake_discord.wait_for_followup(only)
        assert one.content.startswith("Here is the question you got wrong most")
        assert set(_notes(one.files[MISSED_DECK_FILE], tmp_path)) == {note_guid(second.item_id)}

        bob = await fake_discord.slash("practice", {"export": True, "element": "value"}, user="bob")
        await fake_discord.wait_for_callback(bob)
        assert (await fake_discord.wait_for_followup(bob)).content.startswith(
            "You have not got any questions wrong in value yet"
        )
