"""Posts survive Discord outages and stops: sent once, retried while open, closed on the message too."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.delivery import RECENT_MESSAGES, RETRY_FIRST
from bot.domain.clock import FixedClock
from bot.domain.entities import ScheduleKind
from bot.scheduling import close_job_id, reveal_job_id, send_job_id, slot_job_id
from tests.e2e.conftest import BotRunner
from tests.e2e.test_daily import _buttons, _fire, _post_daily, _setup_daily
from tests.fakediscord.messages import FakeMessage
from tests.fakediscord.server import FakeDiscord
from tests.helpers import stored_answers


async def _post(fake: FakeDiscord, bot: object, clock: FixedClock) -> tuple[FakeMessage, int]:
    """Post today's daily question; return its message and post id."""
    message, _ = await _post_daily(fake, bot, clock)
    return message, _buttons(message)[0][0]


async def _recorded_message(bot: object, post_id: int) -> int | None:
    post = await bot.services.posts.get(post_id)  # type: ignore[attr-defined]
    return None if post is None else post.message_id


async def _wait_recorded(fake: FakeDiscord, bot: object, post_id: int) -> int:
    """Wait until the bot has recorded the post's message id; return it."""
    found: list[int] = []

    async def check() -> None:
        message_id = await _recorded_message(bot, post_id)
        if message_id is not None:
            found.append(message_id)

    for _ in range(300):
        await check()
        if found:
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"post {post_id} never got a message id")


@pytest.mark.parametrize("busy", [False, True], ids=["found-in-the-channel", "returned-for-the-nonce"])
async def test_a_post_discord_made_despite_a_503_is_not_made_twice(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, busy: bool
) -> None:
    """Discord made the message but answered 503: the retry 30 s later keeps that message and makes no second one.

    The retry finds it among the channel's recent messages; in a channel too busy for that, the create's nonce
    makes Discord return it.
    """
    quiz = fake_discord.guild.channel("quiz")
    async with run_bot() as bot:
        await _setup_daily(fake_discord, clock)
        clock.advance(timedelta(hours=3))
        fake_discord.fail("POST", rf"/channels/{quiz.id}/messages", 503, times=1, processed=True)
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await fake_discord.wait_for(lambda: any(j.startswith("send:") for j in bot.scheduler.job_ids()))
        [message] = fake_discord.messages_in(quiz)  # made, though the bot was told 503
        post_id = _buttons(message)[0][0]
        assert bot.scheduler.next_run(send_job_id(post_id)) == clock.now() + RETRY_FIRST
        for i in range(RECENT_MESSAGES if busy else 0):
            await fake_discord.user_message(f"chat {i}", user="bob", channel=quiz)
        await _fire(bot, send_job_id(post_id))
        assert await _wait_recorded(fake_discord, bot, post_id) == message.id
    assert [m for m in fake_discord.messages_in(quiz) if _buttons(m)] == [message]
    creates = fake_discord.requests_to("POST", rf"/channels/{quiz.id}/messages")
    assert len(creates) == (2 if busy else 1)
    assert {(r.json["nonce"], r.json["enforce_nonce"]) for r in creates} == {(f"rbpost{post_id}", True)}


async def _retry_job_after_a_failed_post(fake: FakeDiscord, bot: object, clock: FixedClock) -> str:
    """Set the daily question up, fire its slot (whose post the test made fail) and return the retry's job id."""
    await _setup_daily(fake, clock)
    clock.advance(timedelta(hours=3))
    await _fire(bot, slot_job_id(fake.guild.id, ScheduleKind.DAILY))
    await fake.wait_for(lambda: any(j.startswith("send:") for j in bot.scheduler.job_ids()))  # type: ignore[attr-defined]
    [job_id] = [j for j in bot.scheduler.job_ids() if j.startswith("send:")]  # type: ignore[attr-defined]
    return job_id


async def test_a_5xx_on_a_scheduled_post_is_retried_with_backoff(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Two 503s: the post is tried 30 s and then 60 s later, and posted once; it is not left to the next day."""
    quiz = fake_discord.guild.channel("quiz")
    fake_discord.fail("POST", rf"/channels/{quiz.id}/messages", 503, times=2)
    async with run_bot() as bot:
        job_id = await _retry_job_after_a_failed_post(fake_discord, bot, clock)
        assert bot.scheduler.next_run(job_id) == clock.now() + RETRY_FIRST
        mark = fake_discord.mark()
        await _fire(bot, job_id)
        await fake_discord.wait_for_request("POST", rf"/channels/{quiz.id}/messages", since=mark)
        await fake_discord.wait_for(lambda: bot.scheduler.next_run(job_id) == clock.now() + 2 * RETRY_FIRST)
        await _fire(bot, job_id)
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(quiz)))
        [message] = fake_discord.messages_in(quiz)
        post_id = _buttons(message)[0][0]
        assert await _wait_recorded(fake_discord, bot, post_id) == message.id
        show = await fake_discord.slash("setup show", {}, user="tutor", permissions=1 << 5)
        embed = (await fake_discord.wait_for_callback(show))["data"]["embeds"][0]
        daily = next(f["value"] for f in embed["fields"] if f["name"] == "Daily question")
        assert "refused" not in daily and "could not" not in daily


async def test_a_closing_edit_that_failed_is_finished_after_a_restart(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """The post closed but its message still showed buttons: the next start edits it to show the answer."""
    async with run_bot() as bot:
        message, post_id = await _post(fake_discord, bot, clock)
        fake_discord.fail("PATCH", rf"/channels/\d+/messages/{message.id}", 503)
        clock.advance(timedelta(hours=2))
        await _fire(bot, close_job_id(post_id))
        await fake_discord.wait_for(lambda: reveal_job_id(post_id) in bot.scheduler.job_ids())
    fake_discord.clear_failures()
    assert not fake_discord.message(message.id).edited
    async with run_bot() as bot:
        await _fire(bot, reveal_job_id(post_id))
        await fake_discord.wait_for(lambda: fake_discord.message(message.id).edited, what="the closing edit")
    edited = fake_discord.message(message.id)
    assert edited.embeds[0]["title"].endswith("· closed")
    assert all(c.get("disabled") for row in edited.components for c in row["components"])


async def test_stopping_lets_a_post_in_flight_finish(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop while discord.py retries a 500 waits for the post, records it, and logs no traceback."""
    quiz = fake_discord.guild.channel("quiz")
    caplog.set_level(logging.INFO)
    async with run_bot() as bot:
        await _setup_daily(fake_discord, clock)
        clock.advance(timedelta(hours=3))
        fake_discord.fail("POST", rf"/channels/{quiz.id}/messages", 500, times=1)
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await fake_discord.wait_for_request("POST", rf"/channels/{quiz.id}/messages")
    [message] = fake_discord.messages_in(quiz)
    post_id = _buttons(message)[0][0]
    async with run_bot() as bot:
        assert await _recorded_message(bot, post_id) == message.id
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_click_being_answered_at_shutdown_gets_its_reply(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """A stop waits for a click's reply on its way; a click after the stop began is not acknowledged at all."""
    async with run_bot() as bot:
        message, post_id = await _post(fake_discord, bot, clock)
        release = fake_discord.stall("POST", r"/interactions/\d+/[^/]+/callback")
        click = await fake_discord.click(message, f"rb:ans:{post_id}:0", user="alice")
        await fake_discord.wait_for(lambda: any(f"/interactions/{click.id}/" in r.path for r in fake_discord.requests))
        closing = asyncio.create_task(bot.close())
        await asyncio.sleep(0.2)  # the stop gets going while the reply is held
        late = await fake_discord.click(message, f"rb:ans:{post_id}:1", user="bob")
        await asyncio.sleep(0.1)
        release.set()
        await closing
        assert click.callback is not None and click.callback["data"]["content"].startswith(("✅", "❌"))
        assert late.callback is None
    async with run_bot() as bot:
        answers = await stored_answers(bot.services.db, post_id)
        assert [a.user_id for a in answers] == [fake_discord.guild.member("alice").user.id]


async def test_a_retried_post_is_sent_where_the_bot_cannot_read_the_history(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Without Read Message History the retry cannot look for its message: it posts (the nonce guards), not gives up."""
    quiz = fake_discord.guild.channel("quiz")
    fake_discord.fail("POST", rf"/channels/{quiz.id}/messages", 503, times=1)
    fake_discord.fail("GET", rf"/channels/{quiz.id}/messages", 403, {"code": 50001, "message": "Missing Access"})
    async with run_bot() as bot:
        job_id = await _retry_job_after_a_failed_post(fake_discord, bot, clock)
        await _fire(bot, job_id)
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(quiz)), what="the post")
        [message] = fake_discord.messages_in(quiz)
        assert await _wait_recorded(fake_discord, bot, _buttons(message)[0][0]) == message.id
