"""A course per server: two servers on two courses never see each other's questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import RevisionBot
from bot.domain.clock import FixedClock
from bot.domain.entities import ScheduleKind
from bot.scheduling import slot_job_id
from bot.services.courses import UnknownCourse
from bot.settings import Settings
from tests.e2e.conftest import BotRunner, two_server_world
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import FakeGuild, World
from tests.helpers import SHIPPED_COURSE as SHIPPED
from tests.helpers import write_two_courses

MANAGE_GUILD = 1 << 5
SHIPPED_ELEMENTS = {"business", "delivery", "excellence", "sectors", "value"}
DEMO_ELEMENTS = {"alpha", "beta"}


@pytest.fixture
def fake_discord_world() -> World:
    """Two servers, each with a #quiz channel, a tutor and the learner alice."""
    return two_server_world()


@pytest.fixture
def two_courses(tmp_path: Path) -> Path:
    """A content folder with the shipped course and a small demo course after it."""
    return write_two_courses(tmp_path / "two-courses")


async def _command(fake: FakeDiscord, guild: FakeGuild, name: str, options: dict[str, Any], **kw: Any) -> Any:
    kw.setdefault("user", "tutor")
    kw.setdefault("permissions", MANAGE_GUILD)
    interaction = await fake.slash(name, options, guild=guild, channel=guild.channel("quiz"), **kw)
    return await fake.wait_for_callback(interaction)


async def _post_now(fake: FakeDiscord, guild: FakeGuild) -> None:
    """Run /post question in #quiz and wait until the bot has told the tutor it posted."""
    interaction = await fake.slash(
        "post question", {}, guild=guild, channel=guild.channel("quiz"), user="tutor", permissions=MANAGE_GUILD
    )
    assert (await fake.wait_for_reply(interaction)).content.startswith("Posted a question")


async def _post_elements(bot: Any, guild: FakeGuild) -> dict[str, set[str]]:
    """Return the elements of a server's posts, by origin (scheduled, manual, practice, class)."""
    rows = await bot.services.db.fetch_all("SELECT origin, element_id FROM posts WHERE guild_id = ?", (guild.id,))
    found: dict[str, set[str]] = {}
    for origin, element_id in rows:
        found.setdefault(origin, set()).add(element_id)
    return found


async def test_two_servers_on_two_courses_never_see_each_others_questions(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, two_courses: Path
) -> None:
    """A server that chose the demo course gets only its questions; the other keeps the default course."""
    first, second = fake_discord.world.guilds.values()
    async with run_bot(content_dir=two_courses) as bot:
        chosen = await _command(fake_discord, second, "setup course", {"course": "demo"})
        assert "Demo course" in chosen["data"]["content"]
        at = (clock.now() + timedelta(hours=3)).astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
        for guild in (first, second):
            await _command(
                fake_discord,
                guild,
                "setup daily",
                {"channel": guild.channel("quiz"), "time": at, "timezone": "Europe/London"},
            )
        clock.advance(timedelta(hours=3))
        for guild in (first, second):
            mark = fake_discord.mark()
            assert bot.scheduler.run_soon(slot_job_id(guild.id, ScheduleKind.DAILY), datetime.now(UTC))
            await fake_discord.wait_for_request("POST", rf"/channels/{guild.channel('quiz').id}/messages", since=mark)
            await _post_now(fake_discord, guild)
            await _command(fake_discord, guild, "practice", {}, user="alice", permissions=0)
            await _command(fake_discord, guild, "spot", {}, user="alice", permissions=0)
            await _command(fake_discord, guild, "class start", {"questions": 2, "mode": "paced"})
            mark = fake_discord.mark()
            await _command(fake_discord, guild, "class next", {})
            await fake_discord.wait_for_message(
                guild.channel("quiz"), lambda m: bool(m.embeds) and "Question 1/" in m.embeds[0]["title"], since=mark
            )
        menus = {}
        for guild in (first, second):
            ix = await fake_discord.autocomplete("practice", "element", "", guild=guild, user="alice")
            menus[guild.id] = {c["value"] for c in (await fake_discord.wait_for_callback(ix))["data"]["choices"]}
        shipped, demo = await _post_elements(bot, first), await _post_elements(bot, second)

    assert set(shipped) == set(demo) == {"scheduled", "manual", "practice", "class"}
    assert set().union(*shipped.values()) <= SHIPPED_ELEMENTS
    assert set().union(*demo.values()) <= DEMO_ELEMENTS
    assert menus == {first.id: SHIPPED_ELEMENTS, second.id: DEMO_ELEMENTS}


async def test_an_element_of_another_course_is_refused(
    fake_discord: FakeDiscord, run_bot: BotRunner, two_courses: Path
) -> None:
    """A server on the demo course cannot practise or revise an element of the shipped course."""
    second = list(fake_discord.world.guilds.values())[1]
    async with run_bot(content_dir=two_courses) as bot:
        await _command(fake_discord, second, "setup course", {"course": "demo"})
        for command in ("practice", "revise"):
            refused = await _command(fake_discord, second, command, {"element": "value"}, user="alice", permissions=0)
            assert refused["data"]["flags"] & 64
            assert "There is no element 'value'" in refused["data"]["content"]
            assert "alpha (Alpha element)" in refused["data"]["content"]
        assert await _post_elements(bot, second) == {}


async def test_an_unknown_course_is_refused_and_nothing_changes(
    fake_discord: FakeDiscord, run_bot: BotRunner, two_courses: Path
) -> None:
    """/setup course with a course the bot lacks lists the ones it has and keeps the server's course."""
    guild = fake_discord.guild
    async with run_bot(content_dir=two_courses) as bot:
        refused = await _command(fake_discord, guild, "setup course", {"course": "nonsense"})
        assert "There is no course 'nonsense'" in refused["data"]["content"]
        assert "demo (Demo course)" in refused["data"]["content"]
        assert (await bot.services.courses.of_guild(guild.id)).id == SHIPPED
        ix = await fake_discord.autocomplete("setup course", "course", "dem", guild=guild, user="tutor")
        choices = (await fake_discord.wait_for_callback(ix))["data"]["choices"]
        assert choices == [{"name": "Demo course", "value": "demo"}]


async def test_default_course_setting_chooses_the_course_of_servers_that_chose_none(
    fake_discord: FakeDiscord, run_bot: BotRunner, two_courses: Path
) -> None:
    """With DEFAULT_COURSE=demo a server that chose nothing revises the demo course; /setup course overrides it."""
    first, second = fake_discord.world.guilds.values()
    async with run_bot(content_dir=two_courses, default_course="demo") as bot:
        await _command(fake_discord, second, "setup course", {"course": SHIPPED})
        for guild in (first, second):
            await _post_now(fake_discord, guild)
        assert set().union(*(await _post_elements(bot, first)).values()) <= DEMO_ELEMENTS
        assert set().union(*(await _post_elements(bot, second)).values()) <= SHIPPED_ELEMENTS


async def test_a_default_course_the_content_lacks_stops_the_start(
    fake_discord: FakeDiscord, settings: Settings, two_courses: Path
) -> None:
    """The bot does not start with DEFAULT_COURSE naming no course; the error lists the courses it has."""
    bot = RevisionBot(settings.model_copy(update={"content_dir": two_courses, "default_course": "maths"}))
    try:
        with pytest.raises(UnknownCourse, match=r"no course 'maths'.*demo \(Demo course\)"):
            await bot.login(fake_discord.token)
    finally:
        await bot.close()


async def _answer_a_posted_question(fake: FakeDiscord, bot: Any, guild: FakeGuild, user: str) -> None:
    """Post a question by hand in #quiz and have the learner answer it right."""
    await _post_now(fake, guild)
    message = fake.messages_in(guild.channel("quiz"))[-1]
    post_id = int(message.custom_ids[0].split(":")[2])
    post = await bot.services.posts.get(post_id)
    assert post is not None
    click = await fake.click(message, f"rb:ans:{post_id}:{post.correct_option}", user=user)
    await fake.wait_for_callback(click)


async def test_leaderboards_and_stats_can_be_filtered_by_course(
    fake_discord: FakeDiscord, run_bot: BotRunner, two_courses: Path
) -> None:
    """After a server changes course, a course's board and /stats count only that course's answers."""
    guild = fake_discord.guild
    async with run_bot(content_dir=two_courses) as bot:
        await _answer_a_posted_question(fake_discord, bot, guild, "alice")
        await _command(fake_discord, guild, "setup course", {"course": "demo"})
        await _answer_a_posted_question(fake_discord, bot, guild, "bob")
        boards = {}
        for course in (None, "demo", SHIPPED):
            options = {"period": "all"} | ({"course": course} if course else {})
            reply = await _command(fake_discord, guild, "leaderboard", options, user="alice", permissions=0)
            embed = reply["data"]["embeds"][0]
            boards[course] = (embed["title"], embed["description"].lower())
        both = await _command(
            fake_discord, guild, "leaderboard", {"element": "alpha", "course": "demo"}, user="alice", permissions=0
        )
        stats = {}
        for user in ("alice", "bob"):
            reply = await _command(fake_discord, guild, "stats", {"course": "demo"}, user=user, permissions=0)
            stats[user] = reply["data"]["embeds"][0]
    assert "alice" in boards[None][1] and "bob" in boards[None][1]
    assert boards["demo"][0].endswith("Demo course") and "bob" in boards["demo"][1] and "alice" not in boards["demo"][1]
    assert "alice" in boards[SHIPPED][1] and "bob" not in boards[SHIPPED][1]
    assert both["data"]["content"] == "Choose an element or a course, not both."
    assert stats["alice"]["description"].startswith("No answers yet")
    assert stats["bob"]["description"].startswith("1 answer, 100% right")


async def test_a_schedule_can_post_from_its_own_course(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, two_courses: Path
) -> None:
    """A daily question from the server's course and spot-the-mistake from another course, in another channel."""
    guild = fake_discord.guild
    at = (clock.now() + timedelta(hours=3)).astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
    async with run_bot(content_dir=two_courses) as bot:
        await _command(
            fake_discord,
            guild,
            "setup daily",
            {"channel": guild.channel("quiz"), "time": at, "timezone": "Europe/London"},
        )
        saved = await _command(
            fake_discord,
            guild,
            "setup spot",
            {"channel": guild.channel("general"), "time": at, "days": "every day", "course": "demo"},
        )
        assert "It comes from **Demo course**." in saved["data"]["content"]
        refused = await _command(
            fake_discord, guild, "setup spot", {"channel": guild.channel("general"), "time": at, "course": "maths"}
        )
        assert "There is no course 'maths'" in refused["data"]["content"]
        shown = await _command(fake_discord, guild, "setup show", {})
        fields = {f["name"]: f["value"] for f in shown["data"]["embeds"][0]["fields"]}
        assert "Course: Demo course" in fields["Spot the mistake"] and "Course:" not in fields["Daily question"]
        assert "Course: Customer Service (the default" in fields["Server"]
        clock.advance(timedelta(hours=3))
        for kind, channel in ((ScheduleKind.DAILY, "quiz"), (ScheduleKind.SPOT, "general")):
            mark = fake_discord.mark()
            assert bot.scheduler.run_soon(slot_job_id(guild.id, kind), datetime.now(UTC))
            await fake_discord.wait_for_request("POST", rf"/channels/{guild.channel(channel).id}/messages", since=mark)
        rows = await bot.services.db.fetch_all(
            "SELECT kind, element_id FROM posts WHERE guild_id = ? AND origin = 'scheduled'", (guild.id,)
        )
    elements = dict(rows)
    assert elements["question"] in SHIPPED_ELEMENTS and elements["challenge"] in DEMO_ELEMENTS
