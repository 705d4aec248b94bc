"""An unmodified discord.py bot, defined here, logs in to the fake Discord and is driven end to end."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, running_bot

pytest_plugins = ["tests.fakediscord.fixtures"]

EPHEMERAL = 64
POST_ID = 7


class Vote(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"e2e:vote:(?P<post>\d+):(?P<option>\d+)"):
    """A persistent answer button whose state lives in its custom id."""

    def __init__(self, post: int, option: int) -> None:
        super().__init__(discord.ui.Button(label=f"Option {option}", custom_id=f"e2e:vote:{post}:{option}"))
        self.post = post
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> Vote:
        return cls(int(match["post"]), int(match["option"]))

    async def callback(self, interaction: discord.Interaction[MiniBot]) -> None:
        bot = interaction.client
        bot.clicks.append((self.post, self.option, interaction.user.id))
        await interaction.response.send_message(
            f"generation {bot.generation} recorded option {self.option}", ephemeral=True
        )


class PickView(discord.ui.View):
    """A persistent view with a select menu that rewrites its own message."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="e2e:pick",
        options=[discord.SelectOption(label="Red", value="red"), discord.SelectOption(label="Blue", value="blue")],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.edit_message(content=f"You picked {select.values[0]}", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Your feedback", custom_id="e2e:feedback:text")

    async def on_submit(self, interaction: discord.Interaction[MiniBot]) -> None:
        interaction.client.feedback.append(self.text.value)
        await interaction.response.send_message("Thanks!", ephemeral=True)


class MiniBot(commands.Bot):
    def __init__(self, generation: int = 1) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.generation = generation
        self.clicks: list[tuple[int, int, int]] = []
        self.feedback: list[str] = []

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Vote)
        self.add_view(PickView())

        @self.tree.command(description="Reply privately")
        @app_commands.describe(word="What to echo")
        async def ping(interaction: discord.Interaction, word: str) -> None:
            await interaction.response.send_message(f"pong {word}", ephemeral=True)

        @self.tree.command(description="Post the question with answer buttons")
        async def post(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            view = discord.ui.View(timeout=None)
            view.add_item(Vote(POST_ID, 1))
            view.add_item(Vote(POST_ID, 2))
            assert isinstance(interaction.channel, discord.TextChannel)
            try:
                message = await interaction.channel.send(f"Question {POST_ID}", view=view)
            except discord.Forbidden:
                await interaction.followup.send("I cannot post in this channel.", ephemeral=True)
                return
            await interaction.followup.send(f"Posted {message.id}", ephemeral=True)

        @self.tree.command(description="Close a posted question")
        async def close(interaction: discord.Interaction, message_id: str) -> None:
            assert isinstance(interaction.channel, discord.TextChannel)
            message = await interaction.channel.fetch_message(int(message_id))
            await message.edit(content=f"Question {POST_ID} (closed)", view=None)
            await interaction.response.send_message("Closed.", ephemeral=True)

        @self.tree.command(description="Pick a colour")
        async def pick(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Pick one", view=PickView())

        @self.tree.command(description="Send feedback")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback())

        topics = ["customer service", "sales", "values"]

        @self.tree.command(description="Study a topic")
        async def study(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(f"Studying {topic}", ephemeral=True)

        @study.autocomplete("topic")
        async def study_topics(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in topics if t.startswith(current)]


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[MiniBot]:
    bot = MiniBot()
    async with running_bot(bot, fake_discord):
        yield bot


async def test_bot_logs_in_and_syncs_a_command_with_an_option(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """Login reads the bot user and application; sync PUTs the commands with their options."""
    assert fake_discord.requests_to("GET", "/users/@me")
    assert fake_discord.requests_to("GET", "/oauth2/applications/@me")
    assert bot.application_id == fake_discord.world.application_id
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    assert [c.name for c in guild.text_channels] == ["general", "quiz"]
    assert guild.me is not None

    synced = await bot.tree.sync()

    put = fake_discord.requests_to("PUT", rf"/applications/{bot.application_id}/commands")[0]
    ping = next(c for c in put.json if c["name"] == "ping")
    assert ping["description"] == "Reply privately"
    [word] = ping["options"]
    assert (word["name"], word["type"], word["required"], word["description"]) == ("word", 3, True, "What to echo")
    assert {c.name for c in synced} == {"ping", "post", "close", "pick", "feedback", "study"}
    assert all(c.id for c in synced)


async def test_slash_command_answers_with_an_ephemeral_message(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A slash command's reply is a type 4 callback with the ephemeral flag."""
    await bot.tree.sync()
    interaction = await fake_discord.slash("ping", {"word": "hello"}, user="bob")

    callback = await fake_discord.wait_for_callback(interaction)

    assert callback["type"] == 4
    assert callback["data"]["flags"] & EPHEMERAL
    assert callback["data"]["content"] == "pong hello"
    original = fake_discord.original(interaction)
    assert original is not None
    assert original.ephemeral
    assert original.content == "pong hello"


async def test_post_click_and_edit(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """The bot posts buttons, a click reaches its DynamicItem, and closing edits the message."""
    posting = await fake_discord.slash("post")
    posted = await fake_discord.wait_for_followup(posting)
    assert posted.ephemeral
    question = fake_discord.messages_in(fake_discord.channel)[-1]
    assert posted.content == f"Posted {question.id}"
    assert question.content == f"Question {POST_ID}"
    assert question.custom_ids == [f"e2e:vote:{POST_ID}:1", f"e2e:vote:{POST_ID}:2"]

    bob = fake_discord.guild.member("bob")
    click = await fake_discord.click(question, f"e2e:vote:{POST_ID}:2", user=bob)
    callback = await fake_discord.wait_for_callback(click)

    assert callback["type"] == 4
    assert callback["data"]["flags"] & EPHEMERAL
    assert callback["data"]["content"] == "generation 1 recorded option 2"
    assert bot.clicks == [(POST_ID, 2, bob.id)]

    closing = await fake_discord.slash("close", {"message_id": str(question.id)})
    await fake_discord.wait_for_callback(closing)

    edit = fake_discord.requests_to("PATCH", rf"/channels/{question.channel_id}/messages/{question.id}")[0]
    assert edit.json["content"] == f"Question {POST_ID} (closed)"
    assert question.content == f"Question {POST_ID} (closed)"
    assert question.components == []
    assert question.edited


async def test_select_menu_updates_its_message(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A select on a persistent view answers with type 7, which rewrites the message."""
    picking = await fake_discord.slash("pick")
    await fake_discord.wait_for_callback(picking)
    message = fake_discord.original(picking)
    assert message is not None
    assert not message.ephemeral

    choice = await fake_discord.select(message, "e2e:pick", ["blue"])
    callback = await fake_discord.wait_for_callback(choice)

    assert callback["type"] == 7
    assert message.content == "You picked blue"
    assert message.components == []


async def test_modal_and_autocomplete(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A modal opens with type 9 and its submission reaches on_submit; autocomplete answers with type 8."""
    opening = await fake_discord.slash("feedback")
    assert (await fake_discord.wait_for_callback(opening))["type"] == 9

    submitted = await fake_discord.submit_modal(opening, {"e2e:feedback:text": "More quizzes"})
    assert (await fake_discord.wait_for_callback(submitted))["data"]["content"] == "Thanks!"
    assert bot.feedback == ["More quizzes"]

    typing = await fake_discord.autocomplete("study", "topic", "s")
    callback = await fake_discord.wait_for_callback(typing)
    assert callback["type"] == 8
    assert callback["data"]["choices"] == [{"name": "sales", "value": "sales"}]


async def test_forbidden_channel_raises_in_send_and_the_bot_carries_on(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A 403 on a channel surfaces as discord.Forbidden; the bot still answers and posts elsewhere."""
    general, quiz = fake_discord.guild.text_channels
    fake_discord.forbid_channel(general)
    channel = bot.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)

    with pytest.raises(discord.Forbidden) as raised:
        await channel.send("hello")
    assert raised.value.code == 50013

    refused = await fake_discord.slash("post", channel=general)
    assert (await fake_discord.wait_for_followup(refused)).content == "I cannot post in this channel."

    allowed = await fake_discord.slash("post", channel=quiz)
    await fake_discord.wait_for_followup(allowed)
    assert [m.content for m in fake_discord.messages_in(quiz) if not m.ephemeral] == [f"Question {POST_ID}"]
    assert [m for m in fake_discord.messages_in(general) if not m.ephemeral] == []


async def test_files_are_stored_and_served(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A multipart upload is stored with its bytes, which the bot can download again."""
    channel = bot.get_channel(fake_discord.channel.id)
    assert isinstance(channel, discord.TextChannel)

    sent = await channel.send("notes", file=discord.File(io.BytesIO(b"revise!"), filename="notes.txt"))

    stored = fake_discord.message(sent.id)
    assert stored.files == {"notes.txt": b"revise!"}
    assert await sent.attachments[0].read() == b"revise!"


async def test_rate_limits_are_retried_and_headers_respected(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """An injected 429 is retried; tight buckets and the global limit never lose a message."""
    channel = bot.get_channel(fake_discord.channel.id)
    assert isinstance(channel, discord.TextChannel)
    limits = fake_discord.rate_limits

    limits.inject(1, retry_after=0.01, is_global=True)
    await channel.send("after a global 429")
    assert limits.count == 1

    limits.set_route_limit("POST", r"/channels/\d+/messages", limit=2, window=0.05)
    for n in range(5):
        await channel.send(f"bucketed {n}")
    assert limits.count == 1, "a bot that honours X-RateLimit-* headers is never sent a bucket 429"

    limits.set_route_limit("POST", r"/channels/\d+/messages", limit=50, window=1.0)
    limits.global_limit, limits.global_window = 3, 0.05
    for n in range(5):
        await channel.send(f"global {n}")
    assert any(hit.scope == "global" and not hit.injected for hit in limits.hits)
    contents = [m.content for m in fake_discord.messages_in(fake_discord.channel)]
    assert contents[-5:] == [f"global {n}" for n in range(5)]
    assert len(contents) == 11


async def test_restart_reconnects_and_old_buttons_reach_the_new_bot(fake_discord: FakeDiscord) -> None:
    """After a restart the new bot identifies again and handles clicks on messages the old bot posted."""
    first = MiniBot(generation=1)
    async with running_bot(first, fake_discord):
        posting = await fake_discord.slash("post")
        await fake_discord.wait_for_followup(posting)
    question = next(m for m in fake_discord.messages_in() if m.content == f"Question {POST_ID}")

    second = MiniBot(generation=2)
    async with running_bot(second, fake_discord):
        assert fake_discord.identify_count == 2
        click = await fake_discord.click(question, f"e2e:vote:{POST_ID}:1", user="alice")
        callback = await fake_discord.wait_for_callback(click)

    assert callback["data"]["content"] == "generation 2 recorded option 1"
    assert first.clicks == []
    assert second.clicks == [(POST_ID, 1, fake_discord.guild.member("alice").id)]


async def test_dropped_connection_resumes_and_replays_events(fake_discord: FakeDiscord, bot: MiniBot) -> None:
    """A resumable close makes the bot RESUME; an interaction sent meanwhile is replayed to it."""
    await fake_discord.drop_connection()
    interaction = await fake_discord.slash("ping", {"word": "again"})

    callback = await fake_discord.wait_for_callback(interaction)

    assert callback["data"]["content"] == "pong again"
    assert fake_discord.gateway.resumes == 1
    assert fake_discord.identify_count == 1
