"""Spot the mistake, leaderboards and the weekly summary, end to end through the fake Discord."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.delivery import CATCH_UP_DELAY
from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind, ScheduleKind
from bot.domain.scoring import Origin
from bot.scheduling import close_job_id, slot_job_id
from tests.e2e.conftest import CONTENT, BotRunner
from tests.e2e.test_daily import MANAGE_GUILD, _buttons, _fire, _local_hhmm
from tests.fakediscord.harness import LogErrors
from tests.fakediscord.server import FakeDiscord


async def _record(bot: Any, user: Any, right: bool, *, guild_id: int, element: str | None = None) -> None:
    """Answer a fresh manual question as this learner (right or wrong), at the clock's time."""
    opened = await bot.services.posting.open_manual(
        guild_id, 1, PostKind.QUESTION, element, 60, seed=f"{user.id}-{bot.services.clock.now()}"
    )
    post = opened.post
    choice = post.correct_option if right else (post.correct_option + 1) % post.option_count
    await bot.services.answers.record_answer(post.post_id, user.id, user.display_name, choice)


async def test_scheduled_challenge_picks_and_reveal(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """A scheduled challenge gets letter buttons; picks get private feedback; closing reveals who spotted it."""
    quiz = fake_discord.guild.channel("quiz")
    async with run_bot() as bot:
        setup = await fake_discord.slash(
            "setup spot",
            {
                "channel": quiz,
                "time": _local_hhmm(clock, timedelta(hours=3)),
                "days": "every day",
                "timezone": "Europe/London",
                "close_after": 2,
            },
            user="tutor",
            permissions=MANAGE_GUILD,
        )
        assert "spot the mistake will be posted" in (await fake_discord.wait_for_callback(setup))["data"]["content"]
        clock.advance(timedelta(hours=3))
        await _fire(bot, slot_job_id(fake_discord.guild.id, ScheduleKind.SPOT))
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(quiz)), what="the challenge")
        message = fake_discord.messages_in(quiz)[-1]
        assert message.embeds[0]["title"].startswith("🔍 Spot the mistake · ")
        buttons = _buttons(message)
        post_id = buttons[0][0]
        for _ in range(100):
            post = await bot.services.posts.get(post_id)
            if post is not None and post.message_id:
                break
        assert post is not None
        labels = [c["label"] for row in message.components for c in row["components"]]
        assert labels == list("ABCDE"[: post.option_count])
        mistake, other = post.correct_option, (post.correct_option + 1) % post.option_count

        pick = await fake_discord.click(message, f"rb:ans:{post_id}:{mistake}", user="alice")
        reply = (await fake_discord.wait_for_callback(pick))["data"]
        assert reply["flags"] & 64 and reply["content"].startswith("✅ Well spotted!")
        assert "+15 points" in reply["content"] and "**What helps**" in reply["content"]
        pick = await fake_discord.click(message, f"rb:ans:{post_id}:{other}", user="bob")
        reply = (await fake_discord.wait_for_callback(pick))["data"]
        assert reply["content"].startswith(f"❌ Not that one. **{'ABCDE'[other]}** is fine")

        clock.advance(timedelta(hours=2))
        mark = fake_discord.mark()
        await _fire(bot, close_job_id(post_id))
        await fake_discord.wait_for_request("PATCH", rf"/channels/\d+/messages/{message.id}", since=mark)
        fields = {f["name"]: f["value"] for f in fake_discord.message(message.id).embeds[0]["fields"]}
        assert fields["The mistake"].startswith(f"**{'ABCDE'[mistake]}**")
        assert "50% spotted it (1 of 2)" in fields["How the server did"]
        assert f"Most tempting wrong pick: **{'ABCDE'[other]}** (1 learner)" in fields["How the server did"]
        assert fields["What helps"].startswith("• ")


async def test_personal_spot_is_private_and_off_the_board(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/spot sends a private challenge; a right pick is praised but earns no leaderboard points."""
    async with run_bot() as bot:
        command = await fake_discord.slash("spot", {"element": "value"}, user="alice")
        callback = await fake_discord.wait_for_callback(command)
        assert callback["data"]["flags"] & 64
        message = fake_discord.original(command)
        assert message is not None
        post_id = _buttons(message)[0][0]
        post = await bot.services.posts.get(post_id)
        assert post is not None and post.origin is Origin.PRACTICE and post.element_id == "value"
        pick = await fake_discord.click(message, f"rb:ans:{post_id}:{post.correct_option}", user="alice")
        reply = (await fake_discord.wait_for_callback(pick))["data"]
        assert reply["content"].startswith("✅ Well spotted!") and "point" not in reply["content"].split("\n")[0]
        board = await fake_discord.slash("leaderboard", {"period": "all"}, user="alice")
        embed = (await fake_discord.wait_for_callback(board))["data"]["embeds"][0]
        assert "No points yet" in embed["description"]


async def test_leaderboard_pages_ties_and_own_rank(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """12 learners: the board shows 10 with shared ranks, Next shows the rest, and #12 hears their rank."""
    guild = fake_discord.guild
    learners = [
        guild.add_member(fake_discord.world.add_user(f"learner{i:02d}", global_name=f"Learner {i:02d}"))
        for i in range(12)
    ]
    async with run_bot() as bot:
        for index, learner in enumerate(learners):
            score = 12 - index if index != 2 else 11  # learners 1 and 2 tie on 11 right answers
            for _ in range(score):
                await _record(bot, learner.user, True, guild_id=guild.id)
        command = await fake_discord.slash("leaderboard", {"period": "all"}, user=learners[11].user)
        callback = await fake_discord.wait_for_callback(command)
        assert not callback["data"].get("flags", 0) & 64  # the board itself is public
        embed = callback["data"]["embeds"][0]
        lines = embed["description"].split("\n")
        assert len(lines) == 10
        assert lines[0].startswith("🥇 **Learner 00**: 120 points")
        assert lines[1].startswith("🥈 **Learner 01**: 110 points") and lines[2].startswith("🥈 **Learner 02**")
        assert lines[3].startswith("`#4` **Learner 03**")
        assert embed["footer"]["text"] == "Page 1 of 2 · 12 learners"
        own = await fake_discord.wait_for_followup(command)
        assert own.ephemeral and own.content == "You are 12th of 12 with 10 points (1 answer)."

        message = fake_discord.original(command)
        assert message is not None
        turn = await fake_discord.click(message, "rb:lb:all::1", user="alice")
        update = await fake_discord.wait_for_callback(turn)
        assert update["type"] == 7
        page_two = update["data"]["embeds"][0]
        assert page_two["description"].split("\n")[0].startswith("`#11` **Learner 10**: 20 points")
        assert page_two["footer"]["text"] == "Page 2 of 2 · 12 learners"


async def test_page_button_of_an_element_removed_by_a_reload(
    fake_discord: FakeDiscord, run_bot: BotRunner, bot_log_errors: LogErrors, tmp_path: Path
) -> None:
    """After a reload drops an element, its board's page button says so privately instead of failing."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    guild = fake_discord.guild
    learners = [guild.add_member(fake_discord.world.add_user(f"learner{i:02d}")) for i in range(11)]
    async with run_bot(content_dir=content) as bot:
        for learner in learners:
            await _record(bot, learner.user, True, guild_id=guild.id, element="value")
        command = await fake_discord.slash("leaderboard", {"period": "all", "element": "value"}, user="alice")
        assert (await fake_discord.wait_for_callback(command))["data"]["embeds"][0]["footer"]["text"].startswith(
            "Page 1 of 2"
        )
        course = content / "customer-service" / "course.yaml"
        course.write_text(course.read_text(encoding="utf-8").replace("  - value\n", ""), encoding="utf-8")
        (content / "customer-service" / "value.yaml").unlink()
        for post in await bot.services.posting.open_posts():  # a reload keeps content that open posts show
            await bot.delivery.close_post(post.post_id)
        await bot.reload_content()
        message = fake_discord.original(command)
        assert message is not None
        turn = await fake_discord.click(message, "rb:lb:all:value:1", user="alice")
        reply = (await fake_discord.wait_for_callback(turn))["data"]
    assert reply["flags"] & 64
    assert reply["content"] == "The element 'value' is no longer in the course. /leaderboard shows a current board."


async def test_a_course_board_pages_within_its_course(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A course's board keeps its course when turned to the next page, also after a restart."""
    guild = fake_discord.guild
    learners = [guild.add_member(fake_discord.world.add_user(f"learner{i:02d}")) for i in range(11)]
    async with run_bot() as bot:
        for learner in learners:
            await _record(bot, learner.user, True, guild_id=guild.id, element="value")
        command = await fake_discord.slash("leaderboard", {"period": "all", "course": "customer-service"}, user="alice")
        first = (await fake_discord.wait_for_callback(command))["data"]["embeds"][0]
    message = fake_discord.original(command)
    assert message is not None and "rb:lb:all:@customer-service:1" in message.custom_ids
    async with run_bot():
        turn = await fake_discord.click(message, "rb:lb:all:@customer-service:1", user="alice")
        second = (await fake_discord.wait_for_callback(turn))["data"]["embeds"][0]
    assert first["title"] == second["title"] == "🏆 Leaderboard · All time · Customer Service"
    assert second["footer"]["text"] == "Page 2 of 2 · 11 learners"


async def test_leaderboard_periods(fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock) -> None:
    """Today, this week, this month and all time each show their own points."""
    guild = fake_discord.guild
    alice, bob = guild.member("alice").user, guild.member("bob").user
    async with run_bot() as bot:
        now = clock.now()
        clock.set(now - timedelta(days=400))
        await _record(bot, alice, True, guild_id=guild.id)
        clock.set(now)
        await _record(bot, bob, True, guild_id=guild.id)
        results = {}
        for period in ("today", "week", "month", "all"):
            command = await fake_discord.slash("leaderboard", {"period": period}, user="bob")
            results[period] = (await fake_discord.wait_for_callback(command))["data"]["embeds"][0]["description"]
        assert "Alice" not in results["today"] and "Bob" in results["today"]
        assert "Alice" not in results["month"]
        assert "Alice" in results["all"] and "Bob" in results["all"]


async def test_rank_shows_points_accuracy_and_streaks(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/rank answers privately with points, rank, accuracy and streaks."""
    guild = fake_discord.guild
    alice = guild.member("alice").user
    async with run_bot() as bot:
        await _record(bot, alice, True, guild_id=guild.id)
        await _record(bot, alice, False, guild_id=guild.id)
        command = await fake_discord.slash("rank", {}, user="alice")
        data = (await fake_discord.wait_for_callback(command))["data"]
        assert data["flags"] & 64
        fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
        assert fields["Points"] == "10"
        assert fields["Rank (all time)"] == "1st of 1"
        assert fields["Accuracy"] == "50% (1 of 2)"
        assert fields["Daily streak"] == "0 days (best 0)"


async def test_weekly_summary_across_a_week_boundary(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Posted on Monday in Kolkata, the summary covers last week only, with the most improved learner."""
    guild = fake_discord.guild
    alice, bob, tutor = (guild.member(n).user for n in ("alice", "bob", "tutor"))
    general = guild.channel("general")
    # Monday 16 March 2026, 09:00 in Kolkata (UTC+05:30) is 03:30 UTC.
    monday = datetime(2026, 3, 16, 3, 30, tzinfo=UTC)
    async with run_bot() as bot:
        setup = await fake_discord.slash(
            "setup weekly",
            {"channel": general, "day": "mon", "time": "09:00", "timezone": "Asia/Kolkata"},
            user="tutor",
            permissions=MANAGE_GUILD,
            channel=guild.channel("quiz"),
        )
        assert "weekly summary will be posted" in (await fake_discord.wait_for_callback(setup))["data"]["content"]
        clock.set(monday - timedelta(days=10))  # Friday 6 March: the week before last
        await _record(bot, alice, True, guild_id=guild.id)
        clock.set(monday - timedelta(days=5))  # Wednesday 11 March
        for _ in range(2):
            await _record(bot, alice, True, guild_id=guild.id)
        shared = (await bot.services.posting.open_manual(guild.id, 1, PostKind.QUESTION, None, 60, seed="hard")).post
        await bot.services.answers.record_answer(shared.post_id, alice.id, "Alice", shared.correct_option)
        wrong = (shared.correct_option + 1) % shared.option_count
        await bot.services.answers.record_answer(shared.post_id, bob.id, "Bob", wrong)
        spot = (await bot.services.posting.open_manual(guild.id, 1, PostKind.CHALLENGE, None, 60, seed="s")).post
        await bot.services.answers.record_answer(spot.post_id, bob.id, "Bob", (spot.correct_option + 1) % 3)
        clock.set(datetime(2026, 3, 15, 18, 0, tzinfo=UTC))  # Sunday 23:30 in Kolkata: still last week
        await _record(bot, bob, True, guild_id=guild.id)
        clock.set(datetime(2026, 3, 15, 19, 0, tzinfo=UTC))  # Monday 00:30 in Kolkata: this week
        for _ in range(5):
            await _record(bot, tutor, True, guild_id=guild.id)
        clock.set(monday)
        await _fire(bot, slot_job_id(guild.id, ScheduleKind.WEEKLY))
        await fake_discord.wait_for(lambda: bool(fake_discord.messages_in(general)), what="the summary")
        embed = fake_discord.messages_in(general)[-1].embeds[0]
        assert embed["title"] == "📅 Weekly summary · 9 Mar to 15 Mar 2026"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Top five"].split("\n") == ["🥇 **Alice**: 30 points", "🥈 **Bob**: 10 points"]
        assert fields["Most improved"].startswith("**Alice**: 20 points more than the week before")
        prompt = bot.services.catalog.question(shared.item_id).item.prompt
        assert fields["Hardest question"] == f"{prompt}\n50% of 2 answers were right."
        located = bot.services.catalog.challenge(spot.item_id)
        belief = next(m.belief for m in located.element.misconceptions if m.id == located.item.misconception)
        assert fields["Most common mistake"] == f"{belief}\nFallen for in 100% of 1 attempt."
        await bot.delivery.run_slot(guild.id, ScheduleKind.WEEKLY.value)  # the same slot again, e.g. after a restart
    assert len(fake_discord.messages_in(general)) == 1  # never twice for the same week


async def test_weekly_summary_missed_while_down_is_posted_once_on_start(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, bot_log_errors: LogErrors
) -> None:
    """A summary whose slot passed while the bot was down is posted at start, and not again on the next start."""
    general = fake_discord.guild.channel("general")

    def posted() -> list[Any]:
        return [m for m in fake_discord.messages_in(general) if not m.ephemeral]

    job = slot_job_id(fake_discord.guild.id, ScheduleKind.WEEKLY)
    # A Friday a week or two ahead of the real time, so that no job the scheduler holds is already overdue.
    today = datetime.now(UTC).date()
    friday = today + timedelta(days=7 + (4 - today.weekday()) % 7)
    slot = datetime.combine(friday, time(17, 30), UTC)
    clock.set(slot - timedelta(minutes=30))
    async with run_bot():
        setup = await fake_discord.slash(
            "setup weekly",
            {"channel": general, "day": "fri", "time": "17:30", "timezone": "UTC"},
            user="tutor",
            permissions=MANAGE_GUILD,
        )
        await fake_discord.wait_for_callback(setup)
    clock.set(slot + timedelta(hours=1))  # the slot passed while the bot was down
    async with run_bot() as bot:
        assert bot.scheduler.next_run(job) == clock.now() + CATCH_UP_DELAY
        await _fire(bot, job)
        await fake_discord.wait_for(lambda: bool(posted()), what="the summary")
    monday = friday - timedelta(days=4)
    title = f"📅 Weekly summary · {monday:%-d %b} to {monday + timedelta(days=6):%-d %b %Y}"
    assert [m.embeds[0]["title"] for m in posted()] == [title]
    clock.advance(timedelta(hours=1))
    async with run_bot() as bot:
        assert bot.scheduler.next_run(job) == slot + timedelta(days=7)  # no second catch-up
    assert len(posted()) == 1
