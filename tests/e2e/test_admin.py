"""/admin status and /admin reload end to end: owner only, and a bad reload never replaces good content."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.course.loader import ContentInvalid, load_catalog
from bot.domain.clock import FixedClock
from bot.domain.entities import ScheduleKind
from bot.scheduling import slot_job_id
from tests.e2e.conftest import CONTENT, BotRunner
from tests.fakediscord.server import FakeDiscord

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
OWNER = "app-owner"  # the application's owner in the fake's GET /oauth2/applications/@me
VALUE_TITLE = 'title: "The value of customer service"'


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the shipped content that a test may edit while the bot runs."""
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of old in a content file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def _admin(fake: FakeDiscord, action: str, user: str = OWNER) -> dict:
    interaction = await fake.slash(f"admin {action}", {}, user=user)
    callback = await fake.wait_for_callback(interaction)
    if callback["type"] == 5:  # deferred: the answer is the follow-up
        message = await fake.wait_for_followup(interaction)
        return {"content": message.content, "flags": message.flags, "files": message.files, "embeds": message.embeds}
    return callback["data"]


async def test_admin_commands_are_synced_hidden_from_members(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/admin is synced with status and reload, and shown by default only to server administrators."""
    async with run_bot():
        commands = {c["name"]: c for c in fake_discord.commands[None]}
    admin = commands["admin"]
    assert int(admin["default_member_permissions"]) == ADMINISTRATOR
    assert {o["name"] for o in admin["options"]} == {"status", "reload"}


async def test_status_shows_uptime_servers_jobs_database_and_content(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """The owner sees uptime, servers, the scheduled jobs with the soonest next run, database size and content."""
    async with run_bot() as bot:
        setup = await fake_discord.slash(
            "setup daily",
            {"channel": fake_discord.guild.channel("quiz"), "time": "09:00", "timezone": "Europe/London"},
            user="tutor",
            permissions=MANAGE_GUILD,
        )
        await fake_discord.wait_for_callback(setup)
        clock.advance(timedelta(hours=2, minutes=5))
        data = await _admin(fake_discord, "status")
        assert data["flags"] & 64
        fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
        assert fields["Uptime"] == "2 h 5 min"
        assert fields["Servers"] == "1"
        jobs = fields["Scheduled jobs"].split("\n")
        assert jobs[0] == "1 scheduled job"
        next_run = bot.scheduler.next_run(slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        assert next_run is not None
        when = int(next_run.timestamp())
        assert jobs[1] == f"<t:{when}:f> (<t:{when}:R>) daily post, server {fake_discord.guild.id}"
        assert re.fullmatch(r"\d+\.\d MB · `revbot\.sqlite3`", fields["Database"])
        catalog = bot.services.catalog
        assert fields["Content"] == f"version `{catalog.version[:12]}` · {catalog.summary()}"
        assert re.fullmatch(r"\d+ MB", fields["Memory (resident)"])


async def test_only_the_owner_may_use_admin(fake_discord: FakeDiscord, run_bot: BotRunner, content: Path) -> None:
    """A server member, even one with Manage Server, is refused; a refused reload changes nothing."""
    async with run_bot(content_dir=content) as bot:
        before = bot.services
        _edit(content / "customer-service" / "value.yaml", VALUE_TITLE, 'title: "Changed"')
        for action in ("status", "reload"):
            interaction = await fake_discord.slash(f"admin {action}", {}, user="tutor", permissions=ADMINISTRATOR)
            data = (await fake_discord.wait_for_callback(interaction))["data"]
            assert data["flags"] & 64
            assert data["content"] == "Only the bot's owner can use /admin."
        assert bot.services is before


async def test_invalid_content_stays_out_and_every_error_is_shown(
    fake_discord: FakeDiscord, run_bot: BotRunner, content: Path
) -> None:
    """A reload of broken content lists every problem privately, and the old content stays live."""
    async with run_bot(content_dir=content) as bot:
        before = bot.services
        value = content / "customer-service" / "value.yaml"
        _edit(value, "    answer: 2\n", "    answer: 7\n")
        _edit(content / "customer-service" / "sectors.yaml", "    difficulty: 1\n", "    difficulty: 5\n")
        with pytest.raises(ContentInvalid) as expected:
            load_catalog(content)
        data = await _admin(fake_discord, "reload")
        assert data["flags"] & 64
        head, _, listing = data["content"].partition("\n")
        count = len(expected.value.errors)
        assert count >= 2
        assert head == (
            f"❌ The new content has {count} problems. The current content (version {before.catalog.version[:12]}) "
            "stays live."
        )
        assert listing.strip("`\n").split("\n") == [str(e) for e in expected.value.errors]
        assert "value.yaml" in listing and "sectors.yaml" in listing
        assert bot.services is before


async def test_a_long_error_list_comes_as_a_file(fake_discord: FakeDiscord, run_bot: BotRunner, content: Path) -> None:
    """When the problems do not fit in a message, every one of them is in an attached text file."""
    async with run_bot(content_dir=content) as bot:
        before = bot.services
        for path in (content / "customer-service").glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"difficulty: \d", "difficulty: 9", text), encoding="utf-8")
        with pytest.raises(ContentInvalid) as expected:
            load_catalog(content)
        data = await _admin(fake_discord, "reload")
        errors = [str(e) for e in expected.value.errors]
        assert len(errors) >= 100
        assert data["content"].endswith("stays live. Every problem is in content-errors.txt.")
        assert data["files"]["content-errors.txt"].decode("utf-8").splitlines() == errors
        assert bot.services is before


async def test_valid_content_is_used_everywhere_after_reload(
    fake_discord: FakeDiscord, run_bot: BotRunner, content: Path
) -> None:
    """After a good reload, new posts and boards use the new content; the database and clock are the same."""
    async with run_bot(content_dir=content) as bot:
        before = bot.services
        _edit(content / "customer-service" / "value.yaml", VALUE_TITLE, 'title: "The value of service (v2)"')
        data = await _admin(fake_discord, "reload")
        after = bot.services
        assert after is not before and after.db is before.db and after.clock is before.clock
        assert after.catalog.version != before.catalog.version
        assert data["content"] == (
            f"✅ Content reloaded: {after.catalog.summary()}, version {after.catalog.version[:12]} "
            f"(was {before.catalog.version[:12]})."
        )
        post = await fake_discord.slash("post question", {"element": "value"}, user="tutor", permissions=MANAGE_GUILD)
        await fake_discord.wait_for_callback(post)
        general = fake_discord.guild.channel("general")
        message = await fake_discord.wait_for_message(general, lambda m: bool(m.embeds))
        await fake_discord.wait_for_reply(post)
        assert message.embeds[0]["title"].endswith("· The value of service (v2)")
        board = await fake_discord.slash("leaderboard", {"element": "value"}, user="alice")
        embed = (await fake_discord.wait_for_callback(board))["data"]["embeds"][0]
        assert "The value of service (v2)" in embed["title"]

        data = await _admin(fake_discord, "reload")
        assert data["content"].endswith(f"version {after.catalog.version[:12]} (unchanged).")


async def test_reload_keeps_items_that_open_posts_show(
    fake_discord: FakeDiscord, run_bot: BotRunner, content: Path
) -> None:
    """Content that drops the question of a post still open is refused: closing the post needs it."""
    async with run_bot(content_dir=content) as bot:
        post = await fake_discord.slash("post question", {"element": "value"}, user="tutor", permissions=MANAGE_GUILD)
        await fake_discord.wait_for_callback(post)
        await fake_discord.wait_for_message(fake_discord.guild.channel("general"), lambda m: bool(m.embeds))
        await fake_discord.wait_for_reply(post)
        (opened,) = await bot.services.posting.open_posts()
        _edit(
            content / "customer-service" / "value.yaml", f"  - id: {opened.item_id}\n", f"  - id: {opened.item_id}-v2\n"
        )
        before = bot.services
        data = await _admin(fake_discord, "reload")
        assert data["content"].startswith("❌ The new content has 1 problem.")
        assert (
            f"open posts: post {opened.post_id}: shows question '{opened.item_id}', which the new content lacks"
            in (data["content"])
        )
        assert bot.services is before


async def test_reload_refuses_new_options_for_a_question_still_open(
    fake_discord: FakeDiscord, run_bot: BotRunner, content: Path
) -> None:
    """An open question shown with four options keeps them: content giving it a fifth waits until it closes."""
    async with run_bot(content_dir=content) as bot:
        for _ in range(20):  # the item depends on the interaction id: close others until one with 2-4 options is open
            post = await fake_discord.slash(
                "post question", {"element": "value"}, user="tutor", permissions=MANAGE_GUILD
            )
            assert (await fake_discord.wait_for_reply(post)).content.startswith("Posted a question")
            (opened,) = await bot.services.posting.open_posts()
            question = bot.services.catalog.question(opened.item_id).item
            if question.options is not None and len(question.options) < 5:
                break
            await bot.services.posting.close(opened.post_id)
        assert question.options is not None and len(question.options) == opened.option_count < 5
        path = content / "customer-service" / "value.yaml"
        last = question.options[-1]
        _edit(path, f'      - "{last}"\n', f'      - "{last}"\n      - "An option added after posting"\n')
        before = bot.services
        data = await _admin(fake_discord, "reload")
        assert data["content"].startswith("❌ The new content has 1 problem.")
        assert (
            f"post {opened.post_id}: shows question '{opened.item_id}' with {opened.option_count} options"
            in (data["content"])
        )
        assert bot.services is before
