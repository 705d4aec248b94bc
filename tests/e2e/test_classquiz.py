"""Live class quizzes end to end: timed and paced quizzes, stopping, restarts, the CSV and refusals."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.classquiz import ClassQuiz, Phase
from bot.domain.clock import FixedClock
from bot.scheduling import reveal_job_id
from bot.storage.classquiz import ClassQuizRepository
from cogs.classquiz import next_job_id, question_job_id
from tests.e2e.conftest import BotRunner
from tests.fakediscord.harness import LogErrors
from tests.fakediscord.server import FakeDiscord

MANAGE_GUILD = 1 << 5
LEARNERS = ("alice", "bob", "carol", "dave")
NAMES = ("Alice", "Bob", "carol", "dave")


@pytest.fixture(autouse=True)
def _more_learners(fake_discord: FakeDiscord) -> None:
    for name in ("carol", "dave"):
        fake_discord.guild.add_member(fake_discord.world.add_user(name))


async def _slash(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **kw: Any) -> Any:
    kw.setdefault("user", "tutor")
    kw.setdefault("permissions", MANAGE_GUILD)
    return await fake.slash(name, options or {}, channel=fake.guild.channel("quiz"), **kw)


async def _live(bot: Any, fake: FakeDiscord) -> ClassQuiz:
    quiz = await ClassQuizRepository(bot.services.db).live_in_channel(fake.guild.channel("quiz").id)
    assert quiz is not None
    return quiz


async def _start(fake: FakeDiscord, bot: Any, **options: Any) -> ClassQuiz:
    interaction = await _slash(fake, "class start", {"questions": 2, "seconds": 20, **options})
    callback = await fake.wait_for_callback(interaction)
    assert "get ready" in callback["data"]["embeds"][0]["title"]
    return await _live(bot, fake)


async def _fire(fake: FakeDiscord, bot: Any, job_id: str) -> None:
    await fake.wait_for(lambda: job_id in bot.scheduler.job_ids(), 5, f"job {job_id}")
    assert bot.scheduler.run_soon(job_id, datetime.now(UTC)), f"no job {job_id}; have {bot.scheduler.job_ids()}"


def _titled(prefix: str) -> Any:
    return lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith(prefix)


async def _wait_titled(fake: FakeDiscord, prefix: str, since: int = 0) -> Any:
    return await fake.wait_for_message(fake.guild.channel("quiz"), _titled(prefix), since=since)


async def _question(fake: FakeDiscord, bot: Any, number: int, since: int = 0) -> tuple[Any, int, int]:
    """Wait for question number; return its message, post id and right option."""
    message = await _wait_titled(fake, f"Question {number}/", since)
    post_id = int(message.custom_ids[0].split(":")[2])
    post = await bot.services.posts.get(post_id)
    assert post is not None
    return message, post_id, post.correct_option


async def _click(fake: FakeDiscord, message: Any, post_id: int, option: int, user: str) -> str:
    click = await fake.click(message, f"rb:ans:{post_id}:{option}", user=user)
    reply = (await fake.wait_for_callback(click))["data"]
    assert reply["flags"] & 64
    return reply["content"]


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


async def test_timed_quiz_scores_by_speed_and_gives_the_csv(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Faster right answers score more; reveals show the spread and top 5; the CSV has every answer."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot)
        assert next_job_id(quiz.quiz_id) in bot.scheduler.job_ids()
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 1)
        assert "Time's up <t:" in message.embeds[0]["description"] and ":R>" in message.embeds[0]["description"]
        wrong, first_right = (right + 1) % 2, right
        assert (await _click(fake, message, post_id, right, "alice")).startswith("✅")
        clock.advance(timedelta(seconds=10))
        await _click(fake, message, post_id, right, "bob")
        clock.advance(timedelta(seconds=8))
        await _click(fake, message, post_id, right, "carol")
        await _click(fake, message, post_id, wrong, "dave")
        assert (await _live(bot, fake)).phase is Phase.QUESTION  # nobody was known present yet: it waits
        await _fire(fake, bot, question_job_id(quiz.quiz_id, 0))
        reveal = await _wait_titled(fake, "Question 1/2 · answer")
        fields = {f["name"]: f["value"] for f in reveal.embeds[0]["fields"]}
        assert "`" in fields["How the class chose (4)"] and "✅" in fields["How the class chose (4)"]
        top = fields["Top 5 so far"].splitlines()
        assert top[0].startswith("1. Alice · 100") and top[1].startswith("2. Bob · 75")
        assert top[2].startswith("3. carol · 55") and top[3].startswith("4. dave · 0")
        assert fake.message(message.id).components[0]["components"][0]["disabled"]

        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 2, since=reveal.id)
        for name in LEARNERS:  # everyone present answers: the question closes without waiting
            await _click(fake, message, post_id, right, name)
        await _wait_titled(fake, "Question 2/2 · answer", since=message.id)
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        results = await _wait_titled(fake, f"Class quiz #{quiz.quiz_id} · results")
        assert "🥇 **Alice** · 200 points" in results.embeds[0]["description"]
        assert f"/class results {quiz.quiz_id}" in results.embeds[0]["description"]

        interaction = await _slash(fake, "class results", {"quiz": quiz.quiz_id})
        reply = await fake.wait_for_reply(interaction)
        assert reply.ephemeral
        rows = _csv(reply.files[f"class-quiz-{quiz.quiz_id}.csv"])
    assert len(rows) == 8  # one row per learner per question
    first = {r["learner"]: r for r in rows if r["question"] == "1"}
    assert [first[n]["points"] for n in NAMES] == ["100", "75", "55", "0"]
    assert [first[n]["seconds"] for n in NAMES] == ["0.0", "10.0", "18.0", "18.0"]
    assert first["dave"]["correct"] == "no" and first["Alice"]["correct"] == "yes"
    assert first["Alice"]["answer"] == "ABCDE"[first_right] and first["dave"]["answer"] == "ABCDE"[wrong]
    assert {r["question_id"] for r in rows if r["question"] == "2"} == {rows[-1]["question_id"]}
    assert all(r["points"] == "100" for r in rows if r["question"] == "2")


async def test_paced_quiz_waits_for_class_next(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """Each /class next opens, reveals or finishes; nothing moves on by itself; the tutor gets the CSV."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot, mode="paced", questions=1)
        assert next_job_id(quiz.quiz_id) not in bot.scheduler.job_ids()
        replies = []
        for _ in range(3):
            interaction = await _slash(fake, "class next")
            replies.append(await fake.wait_for_followup(interaction))
            if len(replies) == 1:
                message, post_id, right = await _question(fake, bot, 1)
                await _click(fake, message, post_id, right, "alice")
        assert replies[0].content == "Question 1 is open."
        assert replies[1].content.startswith("Question 1 is closed")
        reveal = await _wait_titled(fake, "Question 1/1 · answer")
        assert reveal.embeds[0]["footer"]["text"] == "Tutor: /class next for the results."
        assert replies[2].ephemeral and replies[2].content.startswith("The quiz has finished.")
        rows = _csv(replies[2].files[f"class-quiz-{quiz.quiz_id}.csv"])
        assert [(r["learner"], r["correct"], r["points"]) for r in rows] == [("Alice", "yes", "100")]
        await _wait_titled(fake, f"Class quiz #{quiz.quiz_id} · results")
        stored = await ClassQuizRepository(bot.services.db).get(quiz.quiz_id)
        assert stored is not None and stored.phase is Phase.FINISHED


async def test_tied_scores_share_a_place_on_the_podium(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock, bot_log_errors: LogErrors
) -> None:
    """Equal points share a medal and a place, as on the leaderboards; the next place is skipped."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot, mode="paced", questions=1)
        await fake.wait_for_followup(await _slash(fake, "class next"))
        message, post_id, right = await _question(fake, bot, 1)
        await _click(fake, message, post_id, right, "alice")
        await _click(fake, message, post_id, right, "bob")  # the same moment: the same points
        clock.advance(timedelta(seconds=10))
        await _click(fake, message, post_id, right, "carol")
        for _ in range(2):
            await fake.wait_for_followup(await _slash(fake, "class next"))
        results = (await _wait_titled(fake, f"Class quiz #{quiz.quiz_id} · results")).embeds[0]
    assert results["description"].splitlines()[2:] == [  # after the note and the count of questions
        "🥇 **Alice** · 100 points",
        "🥇 **Bob** · 100 points",
        "🥉 **carol** · 75 points",
    ]
    everyone = results["fields"][0]["value"].splitlines()
    assert [line.split(" · ")[0] for line in everyone] == ["1. Alice", "1. Bob", "3. carol"]


async def test_stop_mid_way_still_gives_results(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """One live quiz per channel; /class stop mid-question ends it with results and frees the channel."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot, questions=5)
        interaction = await _slash(fake, "class start")
        assert f"#{quiz.quiz_id} is already running" in (await fake.wait_for_callback(interaction))["data"]["content"]
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 1)
        await _click(fake, message, post_id, right, "bob")
        interaction = await _slash(fake, "class stop")
        reply = await fake.wait_for_followup(interaction)
        assert reply.ephemeral and "CSV" in reply.content
        assert [r["learner"] for r in _csv(reply.files[f"class-quiz-{quiz.quiz_id}.csv"])] == ["Bob"]
        results = await _wait_titled(fake, f"Class quiz #{quiz.quiz_id} · results")
        assert "ended the quiz early" in results.embeds[0]["description"]
        assert "1 question asked" in results.embeds[0]["description"]
        assert question_job_id(quiz.quiz_id, 0) not in bot.scheduler.job_ids()
        assert await ClassQuizRepository(bot.services.db).live_in_channel(fake.guild.channel("quiz").id) is None
        await fake.wait_for(lambda: fake.message(message.id).components[0]["components"][0].get("disabled", False))
        click = await fake.click(message.id, f"rb:ans:{post_id}:{right}", user="alice", force=True)
        assert "closed" in (await fake.wait_for_callback(click))["data"]["content"]
        await _start(fake, bot)  # the channel is free again


async def test_restart_mid_question_resumes_it(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """A question still open after a restart carries on with its timer rescheduled, and the channel is told."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot)
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 1)
    clock.advance(timedelta(seconds=5))
    async with run_bot() as bot:
        notice = await fake.wait_for_message(fake.guild.channel("quiz"), lambda m: "The bot restarted" in m.content)
        assert f"Class quiz #{quiz.quiz_id} carries on: question 1" in notice.content
        assert question_job_id(quiz.quiz_id, 0) in bot.scheduler.job_ids()
        assert (await _click(fake, message, post_id, right, "alice")).startswith("✅")
        await _fire(fake, bot, question_job_id(quiz.quiz_id, 0))
        await _wait_titled(fake, "Question 1/2 · answer")


async def test_restart_after_the_question_closed_ends_the_quiz_cleanly(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """A quiz whose question closed while the bot was down ends with the results so far, and says so."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot)
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 1)
        await _click(fake, message, post_id, right, "carol")
    clock.advance(timedelta(minutes=5))
    async with run_bot() as bot:
        results = await _wait_titled(fake, f"Class quiz #{quiz.quiz_id} · results")
        assert "The bot restarted" in results.embeds[0]["description"]
        assert "ended with the results so far" in results.embeds[0]["description"]
        assert "carol" in results.embeds[0]["description"]
        stored = await ClassQuizRepository(bot.services.db).get(quiz.quiz_id)
        assert stored is not None and stored.phase is Phase.FINISHED and stored.end_reason == "restart"


async def test_learners_are_refused_class_commands(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A learner without tutor rights cannot start, move on, stop or read a quiz's results."""
    fake = fake_discord
    async with run_bot() as bot:
        for name in ("class start", "class next", "class stop", "class results"):
            interaction = await _slash(fake, name, user="alice", permissions=0)
            callback = await fake.wait_for_callback(interaction)
            assert callback["data"]["flags"] & 64
            assert "Only tutors and admins" in callback["data"]["content"]
        assert await ClassQuizRepository(bot.services.db).recent(fake.guild.id) == []


async def test_class_commands_are_synced_with_their_ranges(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """/class has start, next, stop and results; the ranges and modes are shown in Discord."""
    async with run_bot():
        command = next(c for c in fake_discord.commands[None] if c["name"] == "class")
    subs = {o["name"]: o for o in command["options"]}
    assert set(subs) == {"start", "next", "stop", "results"}
    options = {o["name"]: o for o in subs["start"]["options"]}
    assert (options["questions"]["min_value"], options["questions"]["max_value"]) == (1, 20)
    assert (options["seconds"]["min_value"], options["seconds"]["max_value"]) == (10, 120)
    assert [c["value"] for c in options["mode"]["choices"]] == ["timed", "paced"]
    assert subs["results"]["options"][0]["autocomplete"] is True


async def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    """A display name starting with =, +, - or @ reaches the CSV with a leading ' so spreadsheets show it as text."""
    fake = fake_discord
    fake.guild.add_member("mallory", nick='=HYPERLINK("https://example.com","Click")')
    async with run_bot() as bot:
        quiz = await _start(fake, bot)
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, right = await _question(fake, bot, 1)
        await _click(fake, message, post_id, right, "mallory")
        reply = await fake.wait_for_followup(await _slash(fake, "class stop"))
        rows = _csv(reply.files[f"class-quiz-{quiz.quiz_id}.csv"])
    assert [r["learner"] for r in rows] == ['\'=HYPERLINK("https://example.com","Click")']


async def test_buttons_a_failed_edit_left_open_are_disabled_by_the_retry(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    """Time's up while Discord refuses the edit: the question's buttons are disabled when the retry runs."""
    fake = fake_discord
    async with run_bot() as bot:
        quiz = await _start(fake, bot)
        await _fire(fake, bot, next_job_id(quiz.quiz_id))
        message, post_id, _right = await _question(fake, bot, 1)
        fake.fail("PATCH", rf"/channels/\d+/messages/{message.id}", 503)
        await _fire(fake, bot, question_job_id(quiz.quiz_id, 0))
        await _wait_titled(fake, "Question 1/2 · answer")
        assert not fake.message(message.id).components[0]["components"][0].get("disabled")
        fake.clear_failures()
        await _fire(fake, bot, reveal_job_id(post_id))
        await fake.wait_for(
            lambda: all(c.get("disabled") for row in fake.message(message.id).components for c in row["components"]),
            what="the buttons disabled",
        )
        for _ in range(100):  # the edit is recorded as done just after Discord answers it
            if post_id not in [p.post_id for p in await bot.services.posting.reveal_pending()]:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the closing edit is still marked pending")
