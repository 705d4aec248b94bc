"""Tutors' own questions from Discord: upload, review with persistent buttons, posting in that server only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.course.loader import load_content
from bot.services.server_content import server_course_id
from cogs.classquiz import next_job_id
from tests.e2e.conftest import BotRunner, two_server_world
from tests.e2e.test_classquiz import _fire, _question
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import FakeGuild, World

MANAGE_GUILD = 1 << 5
DATA = Path(__file__).parent / "data"
NOTES = Path(__file__).resolve().parents[1] / "authoring" / "notes" / "first-aid.txt"


@pytest.fixture
def fake_discord_world() -> World:
    """Two servers with a #quiz channel each; the tutor and alice are in both."""
    return two_server_world()


async def _slash(fake: FakeDiscord, guild: FakeGuild, name: str, options: dict[str, Any], user: str = "tutor") -> Any:
    perms = MANAGE_GUILD if user == "tutor" else 0
    return await fake.slash(name, options, guild=guild, channel=guild.channel("quiz"), user=user, permissions=perms)


async def _upload(fake: FakeDiscord, guild: FakeGuild, name: str, data: bytes, user: str = "tutor") -> Any:
    interaction = await _slash(fake, guild, "content upload", {"file": (name, data)}, user)
    return await fake.wait_for_reply(interaction, timeout=30)


async def _review(fake: FakeDiscord, guild: FakeGuild) -> Any:
    interaction = await _slash(fake, guild, "content review", {})
    await fake.wait_for_callback(interaction)
    return fake.original(interaction)


async def _decide(fake: FakeDiscord, message: Any, verdict: str, user: str = "tutor") -> tuple[str, Any]:
    """Click Approve ('a') or Reject ('r') on a review page; return the item id and the page after the click."""
    custom_id = next(c for c in message.custom_ids if c.startswith(f"rb:rev:{verdict}:"))
    interaction = await fake.click(message, custom_id, user=user, permissions=MANAGE_GUILD if user == "tutor" else 0)
    await fake.wait_for_callback(interaction)
    return custom_id.split(":", 3)[3], fake.message(message.id)


async def _post(fake: FakeDiscord, guild: FakeGuild, element: str | None = None) -> Any:
    options = {"element": element} if element else {}
    interaction = await _slash(fake, guild, "post question", options)
    return await fake.wait_for_reply(interaction)


async def _statuses(bot: Any, guild: FakeGuild) -> dict[str, str]:
    rows = await bot.services.db.fetch_all("SELECT item_id, status FROM server_items WHERE guild_id = ?", (guild.id,))
    return dict(rows)


async def test_tutor_uploads_reviews_and_only_approved_items_are_posted_in_that_server(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    """Notes and a GIFT file become items; two approved ones are posted by /post question, here and nowhere else."""
    first, second = fake_discord.world.guilds.values()
    async with run_bot() as bot:
        await bot.tree.sync()
        notes = await _upload(fake_discord, first, "first-aid.txt", NOTES.read_bytes())
        assert notes.ephemeral and notes.content.startswith("Imported ") and "/content review" in notes.content
        gift = await _upload(fake_discord, first, "service.gift", (DATA / "service.gift").read_bytes())
        assert gift.content.startswith("Imported 2 questions and 0 challenges from service.gift")
        page = await _review(fake_discord, first)
        assert page.ephemeral and {c.split(":")[2] for c in page.custom_ids} == {"a", "r"}
        assert "Lint warnings" in [f["name"] for f in page.embeds[1]["fields"]]
        approved_one, page = await _decide(fake_discord, page, "a")
        assert page.content.startswith("Approved")
        approved_two, page = await _decide(fake_discord, page, "a")
        rejected, page = await _decide(fake_discord, page, "r")
        assert page.content.startswith("Rejected")
        statuses = await _statuses(bot, first)
        assert (statuses[approved_one], statuses[approved_two], statuses[rejected]) == ("approved",) * 2 + ("rejected",)
        own = bot.services.courses.own(first.id)
        assert own is not None and bot.services.courses.own(second.id) is None
        element = bot.services.catalog.question(approved_one).element.id
        posted = set()
        for _ in range(3):
            reply = await _post(fake_discord, first, element)
            assert reply.content.startswith("Posted a question")
        rows = await bot.services.db.fetch_all(
            "SELECT item_id FROM posts WHERE guild_id = ? AND element_id = ?", (first.id, element)
        )
        posted = {r[0] for r in rows}
        assert posted == {approved_one, approved_two}
        refused = await _post(fake_discord, second, element)
        assert refused.content.startswith("There is no element")
        choose = await _slash(fake_discord, second, "setup course", {"course": server_course_id(first.id)})
        assert "There is no course" in (await fake_discord.wait_for_reply(choose)).content
        other_posts = await bot.services.db.fetch_all("SELECT item_id FROM posts WHERE guild_id = ?", (second.id,))
        assert other_posts == []


async def test_a_learner_can_neither_upload_nor_review(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """alice is refused privately: nothing is stored and a review button she clicks changes nothing."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        await bot.tree.sync()
        refused = await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes(), "alice")
        assert refused.ephemeral and refused.content.startswith("Only tutors")
        assert await _statuses(bot, guild) == {}
        review = await _slash(fake_discord, guild, "content review", {}, "alice")
        assert (await fake_discord.wait_for_reply(review)).content.startswith("Only tutors")
        await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes())
        page = await _review(fake_discord, guild)
        custom_id = next(c for c in page.custom_ids if c.startswith("rb:rev:a:"))
        click = await fake_discord.click(page, custom_id, user="alice")
        assert (await fake_discord.wait_for_callback(click))["data"]["content"].startswith("Only tutors")
        assert set((await _statuses(bot, guild)).values()) == {"pending"}


async def test_review_buttons_work_after_a_restart(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A review page shown before a restart still approves its item afterwards, and the item is posted."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        await bot.tree.sync()
        await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes())
        page = await _review(fake_discord, guild)
    async with run_bot() as bot:
        item_id, after = await _decide(fake_discord, page, "a")
        assert after.content.startswith("Approved")
        assert (await _statuses(bot, guild))[item_id] == "approved"
        element = bot.services.catalog.question(item_id).element.id
        assert (await _post(fake_discord, guild, element)).content.startswith("Posted a question")


async def test_a_hostile_file_can_neither_ping_nor_break_an_embed(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    """Mentions in an uploaded file reach Discord defused, in embeds that fit, with no mention allowed."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        await bot.tree.sync()
        reply = await _upload(fake_discord, guild, "hostile.gift", (DATA / "hostile.gift").read_bytes())
        assert reply.content.startswith("Imported 2 questions")
        page = await _review(fake_discord, guild)
        _, page = await _decide(fake_discord, page, "a")
        _, page = await _decide(fake_discord, page, "a")
        element = next(iter(bot.services.courses.own(guild.id).element_ids))  # type: ignore[union-attr]
        for _ in range(2):
            await _post(fake_discord, guild, element)
        sent = fake_discord.requests_to("POST", r"/channels/\d+/messages")  # the two posts: nothing else posts here
        assert len(sent) == 2
        for request in sent:
            body = request.json
            text = str(body)
            assert "@everyone" not in text and "@here" not in text
            assert "<@&123456789012345678>" not in text and "<@123456789012345678>" not in text
            assert body["allowed_mentions"]["parse"] == []


async def test_a_bad_file_gets_file_line_messages_privately(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A GIFT file with a broken question is refused with its file:line message; a wrong type is refused."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        await bot.tree.sync()
        broken = await _upload(fake_discord, guild, "broken.gift", b"::q1::What is two plus two?{=4 ~5\n")
        assert broken.ephemeral and "Nothing was imported" in broken.content and "broken.gift:1" in broken.content
        wrong = await _upload(fake_discord, guild, "picture.png", b"\x89PNG")
        assert "Upload a notes file or question bank" in wrong.content
        assert await _statuses(bot, guild) == {}


async def test_backup_and_restore_bring_the_server_course_back(
    fake_discord: FakeDiscord, run_bot: BotRunner, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`revbot db backup` holds the uploaded course; after a restore the approved items are posted again."""
    guild = fake_discord.guild
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DISCORD_TOKEN", fake_discord.token)
    async with run_bot() as bot:
        await bot.tree.sync()
        await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes())
        item_id, _ = await _decide(fake_discord, await _review(fake_discord, guild), "a")
        before = await _statuses(bot, guild)
    copy = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(copy)]) == 0
    settings.database_file.unlink()
    assert main(["db", "restore", str(copy)]) == 0
    async with run_bot() as bot:
        assert await _statuses(bot, guild) == before
        element = bot.services.catalog.question(item_id).element.id
        assert (await _post(fake_discord, guild, element)).content.startswith("Posted a question")


async def test_export_gives_the_approved_items_as_a_content_folder_and_gift(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    """/content export sends YAML that loads as a course and GIFT with the approved question only."""
    guild = fake_discord.guild
    async with run_bot() as bot:
        await bot.tree.sync()
        await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes())
        approved, page = await _decide(fake_discord, await _review(fake_discord, guild), "a")
        await _decide(fake_discord, page, "r")
        interaction = await _slash(fake_discord, guild, "content export", {})
        reply = await fake_discord.wait_for_reply(interaction, timeout=30)
    assert reply.ephemeral
    gift = reply.files.pop("server-course.gift").decode()
    assert "HEAT model" in gift and "Empathy" not in gift
    folder = tmp_path / "exported" / server_course_id(guild.id)
    folder.mkdir(parents=True)
    for name, data in reply.files.items():
        (folder / name).write_bytes(data)
    content, _version = load_content(folder.parent)
    assert [q.id for c in content.courses for e in c.elements for q in e.questions] == [approved]


async def test_approved_items_run_as_a_live_class_quiz(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """From an uploaded GIFT file to a class quiz: the quiz's question is one the tutor approved."""
    guild = next(iter(fake_discord.world.guilds.values()))
    async with run_bot() as bot:
        await bot.tree.sync()
        await _upload(fake_discord, guild, "service.gift", (DATA / "service.gift").read_bytes())
        approved = set()
        page = await _review(fake_discord, guild)
        for _ in range(2):
            item_id, page = await _decide(fake_discord, page, "a")
            approved.add(item_id)
        element = bot.services.catalog.question(next(iter(approved))).element.id
        start = await _slash(fake_discord, guild, "class start", {"element": element, "questions": 2, "seconds": 20})
        callback = await fake_discord.wait_for_callback(start)
        assert "get ready" in callback["data"]["embeds"][0]["title"]
        quiz = await bot.services.class_quizzes.live_in_channel(guild.channel("quiz").id)
        assert quiz is not None
        await _fire(fake_discord, bot, next_job_id(quiz.quiz_id))
        _message, post_id, _right = await _question(fake_discord, bot, 1)
        post = await bot.services.posts.get(post_id)
        assert post is not None and post.item_id in approved and post.guild_id == guild.id
