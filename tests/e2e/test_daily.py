"""The daily question end to end: set-up, the scheduled post, clicks, closing, restarts and failures."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from bot.domain.clock import FixedClock
from bot.domain.entities import ScheduleKind
from bot.scheduling import close_job_id, slot_job_id
from tests.e2e.conftest import BotRunner
from tests.fakediscord.server import FakeDiscord
from tests.helpers import stored_answers

MANAGE_GUILD = 1 << 5
ANSWER_ID = re.compile(r"^rb:ans:(\d+):([0-4])$")


def _local_hhmm(clock: FixedClock, offset: timedelta, zone: str = "Europe/London") -> str:
    from zoneinfo import ZoneInfo

    return (clock.now() + offset).astimezone(ZoneInfo(zone)).strftime("%H:%M")


async def _setup_daily(
    fake: FakeDiscord,
    clock: FixedClock,
    *,
    offset: timedelta = timedelta(hours=3),
    channel: str = "quiz",
    close_after: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    interaction = await fake.slash(
        "setup daily",
        {
            "channel": fake.guild.channel(channel),
            "time": _local_hhmm(clock, offset),
            "timezone": "Europe/London",
            "close_after": close_after,
            **extra,
        },
        user="tutor",
        permissions=MANAGE_GUILD,
    )
    return await fake.wait_for_callback(interaction)


async def _fire(bot: Any, job_id: str) -> None:
    from datetime import UTC, datetime

    assert bot.scheduler.run_soon(job_id, datetime.now(UTC)), f"no job {job_id}"


async def _post_daily(fake: FakeDiscord, bot: Any, clock: FixedClock) -> Any:
    """Set the schedule up, move the clock to the slot, fire the job and return the posted message."""
    await _setup_daily(fake, clock)
    clock.advance(timedelta(hours=3))
    return await _fire_daily(fake, bot)


async def _fire_daily(fake: FakeDiscord, bot: Any) -> Any:
    """Fire the daily job now; return the message it posted and its request, once the bot has recorded its id."""
    mark = fake.mark()
    await _fire(bot, slot_job_id(fake.guild.id, ScheduleKind.DAILY))
    request = await fake.wait_for_request("POST", rf"/channels/{fake.guild.channel('quiz').id}/messages", since=mark)
    message = fake.messages_in(fake.guild.channel("quiz"))[-1]
    post_id = _buttons(message)[0][0]
    for _ in range(200):  # the bot records the message id just after Discord answers
        post = await bot.services.posts.get(post_id)
        if post is not None and post.message_id == message.id:
            break
        await asyncio.sleep(0.01)
    return message, request


def _buttons(message: Any) -> list[tuple[int, int]]:
    return [(int(m.group(1)), int(m.group(2))) for m in map(ANSWER_ID.match, message.custom_ids) if m]


async def test_start_up_syncs_the_commands_with_their_options(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """At start the bot syncs /setup, /post, /leaderboard, /rank and /spot, with options learners understand."""
    async with run_bot():
        commands = {c["name"]: c for c in fake_discord.commands[None]}
    assert {"setup", "post", "leaderboard", "rank", "spot"} <= set(commands)
    setup = commands["setup"]
    assert int(setup["default_member_permissions"]) == MANAGE_GUILD
    daily = next(o for o in setup["options"] if o["name"] == "daily")
    options = {o["name"]: o for o in daily["options"]}
    assert [o["name"] for o in daily["options"] if o.get("required")] == ["channel", "time", "timezone"]
    assert options["timezone"]["autocomplete"] is True
    assert options["close_after"]["min_value"] == 1 and options["close_after"]["max_value"] == 168
    assert all(len(o["description"]) <= 100 for o in daily["options"])
    assert int(commands["post"]["default_member_permissions"]) == MANAGE_GUILD


async def test_admin_sets_up_the_daily_question(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """An admin's /setup daily is confirmed privately with the next post time, and a job is scheduled."""
    async with run_bot() as bot:
        callback = await _setup_daily(fake_discord, clock)
        assert callback["data"]["flags"] & 64  # ephemeral
        text = callback["data"]["content"]
        assert f"<#{fake_discord.guild.channel('quiz').id}>" in text
        assert "Europe/London" in text and "Next post: <t:" in text
        assert slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY) in bot.scheduler.job_ids()


async def test_learner_is_refused_setup(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """A learner without Manage Server or the tutor role is refused and nothing is saved."""
    async with run_bot() as bot:
        interaction = await fake_discord.slash(
            "setup daily",
            {"channel": fake_discord.guild.channel("quiz"), "time": "09:00", "timezone": "Europe/London"},
            user="alice",
            permissions=0,
        )
        callback = await fake_discord.wait_for_callback(interaction)
        assert callback["data"]["flags"] & 64
        assert "Only tutors and admins" in callback["data"]["content"]
        assert await bot.services.guilds.schedules(fake_discord.guild.id) == []


async def test_tutor_role_member_may_set_up(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """Once a tutor role is set, its members can use tutor commands without Manage Server."""
    study = fake_discord.guild.add_role("Teachers")
    member = fake_discord.guild.member("bob")
    member.roles.append(study.id)
    async with run_bot() as bot:
        interaction = await fake_discord.slash(
            "setup tutor-role", {"role": study}, user="tutor", permissions=MANAGE_GUILD
        )
        await fake_discord.wait_for_callback(interaction)
        interaction = await fake_discord.slash(
            "setup daily",
            {"channel": fake_discord.guild.channel("quiz"), "time": "09:00", "timezone": "Europe/London"},
            user="bob",
            permissions=0,
        )
        callback = await fake_discord.wait_for_callback(interaction)
        assert "will be posted" in callback["data"]["content"]
        assert len(await bot.services.guilds.schedules(fake_discord.guild.id)) == 1


async def test_bad_options_are_explained(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A wrong timezone, time or days gets a private message saying what is allowed."""
    async with run_bot():
        for options, expected in (
            ({"timezone": "Mars/Olympus"}, "is not a timezone I know"),
            ({"time": "9am"}, "24-hour clock"),
            ({"days": "someday"}, "'someday' is not a day"),
        ):
            base = {"channel": fake_discord.guild.channel("quiz"), "time": "09:00", "timezone": "Europe/London"}
            interaction = await fake_discord.slash(
                "setup daily", {**base, **options}, user="tutor", permissions=MANAGE_GUILD
            )
            callback = await fake_discord.wait_for_callback(interaction)
            assert expected in callback["data"]["content"]
            assert callback["data"]["flags"] & 64


async def test_timezone_autocomplete(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """Typing part of a city offers matching IANA timezones."""
    async with run_bot():
        interaction = await fake_discord.autocomplete(
            "setup daily",
            "timezone",
            "lond",
            options={"channel": fake_discord.guild.channel("quiz"), "time": "09:00"},
            user="tutor",
            permissions=MANAGE_GUILD,
        )
        callback = await fake_discord.wait_for_callback(interaction)
        assert callback["type"] == 8
        assert [c["value"] for c in callback["data"]["choices"]] == ["Europe/London"]


async def test_the_reply_counts_the_streak_over_days(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """The reply to a click shows the streak including this answer: two days for a learner who answered both."""
    async with run_bot() as bot:
        first, _ = await _post_daily(fake_discord, bot, clock)
        first_id = _buttons(first)[0][0]
        click = await fake_discord.click(first, f"rb:ans:{first_id}:0", user="alice")
        assert "Daily streak: 1 day (best 1)" in (await fake_discord.wait_for_callback(click))["data"]["content"]

        clock.advance(timedelta(days=1))
        second, _ = await _fire_daily(fake_discord, bot)
        second_id = _buttons(second)[0][0]
        assert second_id != first_id

        click = await fake_discord.click(second, f"rb:ans:{second_id}:1", user="alice")
        assert "Daily streak: 2 days (best 2)" in (await fake_discord.wait_for_callback(click))["data"]["content"]
        click = await fake_discord.click(second, f"rb:ans:{second_id}:1", user="bob")
        assert "Daily streak: 1 day (best 1)" in (await fake_discord.wait_for_callback(click))["data"]["content"]


async def test_scheduled_post_then_right_wrong_and_double_clicks(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """The job posts a question with one button per option; clicks get private right/wrong/already replies."""
    async with run_bot() as bot:
        message, _ = await _post_daily(fake_discord, bot, clock)
        embed = message.embeds[0]
        assert embed["title"].startswith("Daily question · ")
        assert "Closes <t:" in embed["description"]
        buttons = _buttons(message)
        post_id = buttons[0][0]
        post = await bot.services.posts.get(post_id)
        assert post is not None and [b[1] for b in buttons] == list(range(post.option_count))
        right, wrong = post.correct_option, (post.correct_option + 1) % post.option_count

        click = await fake_discord.click(message, f"rb:ans:{post_id}:{right}", user="alice")
        reply = (await fake_discord.wait_for_callback(click))["data"]
        assert reply["flags"] & 64 and reply["content"].startswith("✅ Right!")
        assert "+10 points" in reply["content"] and "Daily streak: 1 day" in reply["content"]

        click = await fake_discord.click(message, f"rb:ans:{post_id}:{wrong}", user="bob")
        reply = (await fake_discord.wait_for_callback(click))["data"]
        assert reply["content"].startswith("❌ Not quite.")

        click = await fake_discord.click(message, f"rb:ans:{post_id}:{right}", user="bob")
        reply = (await fake_discord.wait_for_callback(click))["data"]
        assert reply["content"].startswith(f"You already answered **{'ABCDE'[wrong]}**")
        assert len(await stored_answers(bot.services.db, post_id)) == 2


async def test_two_hundred_learners_click_at_once(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """200 learners clicking together are each recorded once and each get a reply."""
    learners = [fake_discord.guild.add_member(fake_discord.world.add_user(f"learner{i}")) for i in range(200)]
    async with run_bot() as bot:
        message, _ = await _post_daily(fake_discord, bot, clock)
        buttons = _buttons(message)
        post_id = buttons[0][0]
        clicks = await asyncio.gather(
            *(
                fake_discord.click(message, f"rb:ans:{post_id}:{i % len(buttons)}", user=m.user)
                for i, m in enumerate(learners)
            )
        )
        await asyncio.gather(*(fake_discord.wait_for_callback(c, timeout=20) for c in clicks))
        answers = await stored_answers(bot.services.db, post_id)
        assert sorted(a.user_id for a in answers) == sorted(m.user.id for m in learners)


async def test_closing_edits_the_message_with_the_answer(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """At closing time the buttons are disabled, the answer is shown with the spread, and late clicks are told."""
    async with run_bot() as bot:
        message, _ = await _post_daily(fake_discord, bot, clock)
        post_id = _buttons(message)[0][0]
        post = await bot.services.posts.get(post_id)
        assert post is not None
        click = await fake_discord.click(message, f"rb:ans:{post_id}:{post.correct_option}", user="alice")
        await fake_discord.wait_for_callback(click)
        clock.advance(timedelta(hours=2))
        mark = fake_discord.mark()
        await _fire(bot, close_job_id(post_id))
        await fake_discord.wait_for_request("PATCH", rf"/channels/\d+/messages/{message.id}", since=mark)
        edited = fake_discord.message(message.id)
        embed = edited.embeds[0]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert embed["title"].endswith("· closed")
        assert fields["Answer"].startswith(f"**{'ABCDE'[post.correct_option]}**")
        assert "100% (1)" in fields["How the server answered"]
        assert all(c.get("disabled") for row in edited.components for c in row["components"])

        click = await fake_discord.click(message.id, f"rb:ans:{post_id}:0", user="bob", force=True)
        reply = (await fake_discord.wait_for_callback(click))["data"]
        assert reply["content"] == f"This question has closed. The answer was **{'ABCDE'[post.correct_option]}**."


async def test_buttons_work_after_a_restart(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """A question posted before a restart still records clicks afterwards."""
    async with run_bot() as bot:
        message, _ = await _post_daily(fake_discord, bot, clock)
        post_id = _buttons(message)[0][0]
    async with run_bot() as bot:
        click = await fake_discord.click(message, f"rb:ans:{post_id}:0", user="alice")
        reply = (await fake_discord.wait_for_callback(click))["data"]
        assert reply["content"].startswith(("✅", "❌"))
        assert len(await stored_answers(bot.services.db, post_id)) == 1
        assert close_job_id(post_id) in bot.scheduler.job_ids()


async def test_downtime_catch_up_posts_once(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """A post missed while the bot was down is made once on start, and not again on the next start."""
    async with run_bot():
        await _setup_daily(fake_discord, clock, offset=timedelta(minutes=30), close_after=4)
    clock.advance(timedelta(hours=1))  # the slot passed while the bot was down
    quiz = fake_discord.guild.channel("quiz")
    async with run_bot() as bot:
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await fake_discord.wait_for_request("POST", rf"/channels/{quiz.id}/messages")
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(quiz)))
    assert len(fake_discord.messages_in(quiz)) == 1
    async with run_bot() as bot:
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await asyncio.sleep(0.3)
    assert len(fake_discord.messages_in(quiz)) == 1


async def test_overdue_close_happens_on_start(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """A post whose closing time passed while the bot was down is closed and edited at start."""
    async with run_bot() as bot:
        message, _ = await _post_daily(fake_discord, bot, clock)
    clock.advance(timedelta(hours=5))
    mark = fake_discord.mark()
    async with run_bot():
        await fake_discord.wait_for_request("PATCH", rf"/channels/\d+/messages/{message.id}", since=mark)
    assert fake_discord.message(message.id).embeds[0]["title"].endswith("· closed")


async def test_missing_permission_is_recorded_and_other_servers_still_post(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, discord_log_errors: Any
) -> None:
    """A channel the bot may not post in is reported in /setup show; another server still gets its post."""
    other = fake_discord.world.add_guild("Other Guild")
    other_channel = other.add_text_channel("revision")
    other.add_member(fake_discord.world.add_user("otutor"))
    fake_discord.forbid_channel(fake_discord.guild.channel("quiz"))
    async with run_bot() as bot:
        await _setup_daily(fake_discord, clock)
        interaction = await fake_discord.slash(
            "setup daily",
            {"channel": other_channel, "time": _local_hhmm(clock, timedelta(hours=3)), "timezone": "Europe/London"},
            user="otutor",
            guild=other,
            channel=other_channel,
            permissions=MANAGE_GUILD,
        )
        reply = await fake_discord.wait_for_callback(interaction)
        assert "will be posted" in reply["data"]["content"], reply
        clock.advance(timedelta(hours=3))
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await _fire(bot, slot_job_id(other.id, ScheduleKind.DAILY))
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(other_channel)), what="the other post")

        async def recorded() -> bool:
            schedule = await bot.services.guilds.schedule(fake_discord.guild.id, ScheduleKind.DAILY)
            return schedule is not None and schedule.last_error is not None

        for _ in range(100):
            if await recorded():
                break
            await asyncio.sleep(0.02)
        show = await fake_discord.slash("setup show", {}, user="tutor", permissions=MANAGE_GUILD)
        embed = (await fake_discord.wait_for_callback(show))["data"]["embeds"][0]
        daily = next(f["value"] for f in embed["fields"] if f["name"] == "Daily question")
        assert "Missing permission" in daily
        assert slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY) in bot.scheduler.job_ids()  # tried next slot
    discord_log_errors.clear()


async def test_nothing_the_bot_sends_can_ping_everyone(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Every message and reply the bot sends has mentions switched off, except a chosen study role."""
    study = fake_discord.guild.add_role("Study group")
    async with run_bot() as bot:
        await _setup_daily(fake_discord, clock, role=study)
        clock.advance(timedelta(hours=3))
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.DAILY))
        await fake_discord.wait_for_request("POST", r"/channels/\d+/messages")
    sent = [r for r in fake_discord.requests_to(None, r"/(channels/\d+/messages.*|interactions/.*)") if r.json]
    assert sent
    for request in sent:
        body = request.json.get("data", request.json) if isinstance(request.json, dict) else {}
        mentions = body.get("allowed_mentions")
        if "content" in body or "embeds" in body:
            assert mentions is not None, request
            assert "everyone" not in mentions.get("parse", []), request
    post = next(r for r in sent if r.path.startswith("/channels/"))
    assert post.json["content"] == f"<@&{study.id}>"
    assert [int(r) for r in post.json["allowed_mentions"]["roles"]] == [study.id]
