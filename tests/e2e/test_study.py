"""Learners on their own, end to end: /practice, /revise, /stats, /mydata and the tutors' /report."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind
from bot.domain.scoring import Origin
from bot.ui.errors import APOLOGY
from tests.e2e.conftest import BotRunner
from tests.e2e.test_daily import MANAGE_GUILD, _buttons
from tests.e2e.test_spot_and_boards import _record
from tests.fakediscord.server import FakeDiscord

NEXT_ID = re.compile(r"^rb:pr:")


def _next_id(message: Any) -> str:
    return next(c for c in message.custom_ids if NEXT_ID.match(c))


async def _answer(fake: FakeDiscord, bot: Any, message: Any, user: str, right: bool) -> tuple[Any, dict[str, Any]]:
    post_id = _buttons(message)[0][0]
    post = await bot.services.posts.get(post_id)
    choice = post.correct_option if right else (post.correct_option + 1) % post.option_count
    click = await fake.click(message, f"rb:ans:{post_id}:{choice}", user=user)
    return post, (await fake.wait_for_callback(click))["data"]


async def test_practice_round_with_next_and_a_mistake_coming_back(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """A round of 5 private questions turned with Next; a wrong answer is off the board and comes back later."""
    async with run_bot() as bot:
        command = await fake_discord.slash("practice", {"element": "value"}, user="alice")
        assert (await fake_discord.wait_for_callback(command))["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        assert message.embeds[0]["footer"]["text"].startswith("Practice · question 1 of 5")
        assert all(len(c) <= 100 for c in message.custom_ids)
        wrong_post, reply = await _answer(fake_discord, bot, message, "alice", right=False)
        assert wrong_post.origin is Origin.PRACTICE and wrong_post.element_id == "value"
        assert reply["flags"] & 64 and reply["content"].startswith("❌ Not quite.")

        intruder = await fake_discord.click(message, _next_id(message), user="bob")
        assert "someone else" in (await fake_discord.wait_for_callback(intruder))["data"]["content"]

        seen = {wrong_post.post_id}
        for position in range(2, 6):
            turn = await fake_discord.click(message, _next_id(message), user="alice")
            update = await fake_discord.wait_for_callback(turn)
            assert update["type"] == 7
            message = fake_discord.message(message.id)
            assert message.embeds[0]["footer"]["text"].startswith(f"Practice · question {position} of 5")
            seen.add(_buttons(message)[0][0])
        assert len(seen) == 5
        assert [c["label"] for row in message.components for c in row["components"]][-1] == "Finish"
        finish = await fake_discord.click(message, _next_id(message), user="alice")
        await fake_discord.wait_for_callback(finish)
        summary = fake_discord.message(message.id).embeds[0]
        assert summary["title"] == "Practice round finished"
        assert "You answered 1 of 5 and got 0 right." in summary["description"]

        board = await fake_discord.slash("leaderboard", {"period": "all"}, user="alice")
        assert "No points yet" in (await fake_discord.wait_for_callback(board))["data"]["embeds"][0]["description"]

        clock.advance(timedelta(minutes=11))
        again = await fake_discord.slash("practice", {"element": "value"}, user="alice")
        await fake_discord.wait_for_callback(again)
        first = fake_discord.original(again)
        assert first is not None
        post = await bot.services.posts.get(_buttons(first)[0][0])
        assert post is not None and post.item_id == wrong_post.item_id


async def test_revise_pages_turn_both_ways(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/revise shows the synopsis first; Next shows the key concepts and Previous goes back."""
    async with run_bot() as bot:
        notes = bot.services.catalog.element("value")
        command = await fake_discord.slash("revise", {"element": "value"}, user="alice")
        callback = await fake_discord.wait_for_callback(command)
        assert callback["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        page = message.embeds[0]
        assert page["title"].endswith("Synopsis") and page["description"] == notes.synopsis
        assert page["footer"]["text"].startswith("Page 1 of ")
        forward = await fake_discord.click(message, "rb:rv:value:1:n", user="alice")
        assert (await fake_discord.wait_for_callback(forward))["type"] == 7
        message = fake_discord.message(message.id)
        fields = message.embeds[0]["fields"]
        assert "Key concepts" in message.embeds[0]["title"] and fields[0]["name"] == notes.concepts[0].name
        back = await fake_discord.click(message, "rb:rv:value:0:p", user="alice")
        await fake_discord.wait_for_callback(back)
        assert fake_discord.message(message.id).embeds[0]["title"].endswith("Synopsis")

        unknown = await fake_discord.slash("revise", {"element": "nope"}, user="alice")
        assert "There is no element 'nope'" in (await fake_discord.wait_for_callback(unknown))["data"]["content"]


async def test_stats_show_accuracy_bars_and_weak_concepts(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/stats shows a labelled text bar of accuracy per element and the weakest concepts."""
    guild = fake_discord.guild
    alice = guild.member("alice").user
    async with run_bot() as bot:
        empty = await fake_discord.slash("stats", {}, user="alice")
        assert "No answers yet" in (await fake_discord.wait_for_callback(empty))["data"]["embeds"][0]["description"]
        await _record(bot, alice, True, guild_id=guild.id, element="value")
        await _record(bot, alice, False, guild_id=guild.id, element="value")
        await _record(bot, alice, False, guild_id=guild.id, element="delivery")
        tested = next(q for q in bot.services.catalog.questions("delivery") if q.item.concepts)
        opened = await bot.services.posting.open_practice_item(guild.id, PostKind.QUESTION, tested.item.id)
        wrong = (opened.post.correct_option + 1) % opened.post.option_count
        await bot.services.answers.record_answer(opened.post.post_id, alice.id, "Alice", wrong)
        concept = next(c for c in tested.element.concepts if c.id == tested.item.concepts[0])
        command = await fake_discord.slash("stats", {}, user="alice")
        callback = await fake_discord.wait_for_callback(command)
        assert callback["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        embed = message.embeds[0]
        assert embed["description"].startswith("4 answers, 25% right")
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        accuracy = fields["Accuracy by element"].splitlines()
        value = bot.services.catalog.element("value").title
        delivery = bot.services.catalog.element("delivery").title
        assert f"`█████░░░░░`  50% **{value}** (1/2)" in accuracy
        assert f"`░░░░░░░░░░`   0% **{delivery}** (0/2)" in accuracy
        assert re.search(rf"\*\*{re.escape(concept.name)}\*\*: 0% of [12]\. Revise: ", fields["Weakest concepts"])
        assert "Daily streak" in fields
        assert "image" not in embed and not message.files


async def test_mydata_export_is_a_json_file(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/mydata export sends the caller's answers as a private JSON file, ids as strings."""
    guild = fake_discord.guild
    alice = guild.member("alice").user
    async with run_bot() as bot:
        await _record(bot, alice, True, guild_id=guild.id)
        await _record(bot, guild.member("bob").user, True, guild_id=guild.id)
        command = await fake_discord.slash("mydata export", {}, user="alice")
        assert (await fake_discord.wait_for_callback(command))["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        data = json.loads(message.files["my-revbot-data.json"])
        assert data["user_id"] == str(alice.id)
        assert len(data["answers"]) == 1 and data["answers"][0]["server_id"] == str(guild.id)
        assert data["answers"][0]["points"] == 10 and data["board_totals"]


async def test_mydata_delete_needs_the_learners_own_confirmation(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/mydata delete asks first; only the learner can confirm; then the data and leaderboard points are gone."""
    guild = fake_discord.guild
    alice = guild.member("alice").user
    async with run_bot() as bot:
        await _record(bot, alice, True, guild_id=guild.id)
        board = await fake_discord.slash("leaderboard", {"period": "all"}, user="bob")
        assert "Alice" in (await fake_discord.wait_for_callback(board))["data"]["embeds"][0]["description"]

        command = await fake_discord.slash("mydata delete", {}, user="alice")
        callback = await fake_discord.wait_for_callback(command)
        assert callback["data"]["flags"] & 64 and "cannot be undone" in callback["data"]["content"]
        message = fake_discord.original(command)
        assert message is not None and message.custom_ids == [f"rb:md:del:{alice.id}"]
        other = await fake_discord.click(message, f"rb:md:del:{alice.id}", user="bob")
        assert "Only the person" in (await fake_discord.wait_for_callback(other))["data"]["content"]
        assert (await bot.services.learner_data.export(alice.id))["answers"]

        confirm = await fake_discord.click(message, f"rb:md:del:{alice.id}", user="alice")
        assert (await fake_discord.wait_for_callback(confirm))["type"] == 7
        done = fake_discord.message(message.id)
        assert done.content.startswith("Done. Removed 1 answer, ") and not done.components
        assert not (await bot.services.learner_data.export(alice.id))["answers"]
        board = await fake_discord.slash("leaderboard", {"period": "all"}, user="bob")
        assert "No points yet" in (await fake_discord.wait_for_callback(board))["data"]["embeds"][0]["description"]


async def test_report_for_tutors_with_csv_and_refused_for_learners(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    """A tutor gets question statistics and a CSV; a learner is refused."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        commands = {c["name"]: c for c in fake_discord.commands[None]}
        assert {"practice", "revise", "stats", "mydata", "report"} <= set(commands)
        assert int(commands["report"]["default_member_permissions"]) == MANAGE_GUILD
        await _record(bot, guild.member("alice").user, True, guild_id=guild.id, element="value")
        await _record(bot, guild.member("bob").user, False, guild_id=guild.id, element="value")
        refused = await fake_discord.slash("report", {}, user="alice")
        reply = (await fake_discord.wait_for_callback(refused))["data"]
        assert reply["flags"] & 64 and reply["content"].startswith("Only tutors and admins")

        command = await fake_discord.slash("report", {"element": "value"}, user="tutor", permissions=MANAGE_GUILD)
        assert (await fake_discord.wait_for_callback(command))["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        embed = message.embeds[0]
        assert "Hardest questions" in embed["description"] and "facility" in embed["description"]
        assert embed["fields"][0]["name"] == "Misconceptions learners fall for most"
        rows = list(csv.reader(io.StringIO(message.files["question-report.csv"].decode())))
        assert rows[0][:6] == ["item_id", "element_id", "attempts", "facility", "discrimination", "most_chosen_wrong"]
        assert rows[1][1] == "value" and sum(int(r[2]) for r in rows[1:]) == 2


async def test_a_button_that_fails_answers_privately_and_logs_why(
    fake_discord: FakeDiscord, run_bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    """A click whose work fails gets a private apology, and the log names the button (no silent "did not respond")."""
    async with run_bot() as bot:
        command = await fake_discord.slash("practice", {"element": "value"}, user="alice")
        await fake_discord.wait_for_callback(command)
        message = fake_discord.original(command)
        next_id = _next_id(message)
        shown = _buttons(message)[0][0]
        async with bot.services.db.transaction() as tx:  # the round's other questions vanish
            await tx.execute("DELETE FROM posts WHERE origin = 'practice' AND post_id != ?", (shown,))
        with caplog.at_level(logging.ERROR, logger="bot"):
            click = await fake_discord.click(message, next_id, user="alice")
            reply = (await fake_discord.wait_for_callback(click))["data"]
    assert reply["flags"] & 64 and reply["content"] == APOLOGY
    assert any("button failed custom_id=rb:pr:" in r.getMessage() for r in caplog.records)
