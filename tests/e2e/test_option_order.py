"""Options shown in a fresh order on every post: the buttons, the reveal and the scores all agree."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from bot.course.models import Question, QuestionKind
from bot.domain.clock import FixedClock
from bot.domain.entities import ScheduleKind
from bot.scheduling import close_job_id, slot_job_id
from tests.e2e.conftest import BotRunner
from tests.e2e.test_daily import _buttons, _fire, _fire_daily, _setup_daily
from tests.fakediscord.server import FakeDiscord

LETTERS = "ABCDE"


async def _multiple_choice_posts(
    fake: FakeDiscord, bot: Any, clock: FixedClock, count: int
) -> AsyncIterator[tuple[Any, Any]]:
    """Post the daily question day after day; yield (message, post) for each multiple-choice one, while open."""
    await _setup_daily(fake, clock)
    found = 0
    job_id = slot_job_id(fake.guild.id, ScheduleKind.DAILY)
    for _ in range(count * 3):
        await fake.wait_for(lambda: job_id in bot.scheduler.job_ids())  # the last run schedules the next
        clock.advance(timedelta(days=1))
        message, _request = await _fire_daily(fake, bot)
        post = await bot.services.posts.get(_buttons(message)[0][0])
        question = bot.services.posting.item(post).item
        if isinstance(question, Question) and question.kind is QuestionKind.MULTIPLE_CHOICE:
            found += 1
            yield message, post
        if found == count:
            return
    raise AssertionError("the shipped course has too few multiple-choice questions")


async def test_buttons_and_embed_show_one_shuffled_order(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """Each post lists and labels its options in its own order; the right text's button is the right one."""
    async with run_bot() as bot:
        places: Counter[int] = Counter()
        reordered = 0
        async for message, post in _multiple_choice_posts(fake_discord, bot, clock, 6):
            question = bot.services.posting.item(post).item
            labels = [message.component(f"rb:ans:{post.post_id}:{i}")["label"] for i in range(post.option_count)]
            lines = message.embeds[0]["description"].splitlines()
            listed = [line.split("** ", 1)[1] for line in lines if line.startswith("**")]
            assert labels == listed
            assert sorted(labels) == sorted(question.choices)
            assert labels[post.correct_option] == question.choices[question.correct_index]
            places[post.correct_option] += 1
            reordered += labels != list(question.choices)
            click = await fake_discord.click(message, f"rb:ans:{post.post_id}:{post.correct_option}", user="alice")
            assert (await fake_discord.wait_for_callback(click))["data"]["content"].startswith("✅ Right!")
        assert reordered >= 4, "most posts show the options in an order other than the written one"
        assert len(places) > 1, "the right answer is not always in the same place"


async def test_the_reveal_after_a_restart_names_the_option_learners_saw(
    fake_discord: FakeDiscord, run_bot: BotRunner, clock: FixedClock
) -> None:
    """After a restart the closing edit gives the same letter and text as the buttons showed."""
    async with run_bot() as bot:
        [(message, post)] = [found async for found in _multiple_choice_posts(fake_discord, bot, clock, 1)]
        question = bot.services.posting.item(post).item
        right_text = question.choices[question.correct_index]
    async with run_bot() as bot:
        clock.advance(timedelta(hours=2))
        mark = fake_discord.mark()
        await _fire(bot, close_job_id(post.post_id))
        await fake_discord.wait_for_request("PATCH", rf"/channels/\d+/messages/{message.id}", since=mark)
    fields = {f["name"]: f["value"] for f in fake_discord.message(message.id).embeds[0]["fields"]}
    assert fields["Answer"] == f"**{LETTERS[post.correct_option]}** {right_text}"
    edited = fake_discord.message(message.id)
    assert edited.component(f"rb:ans:{post.post_id}:{post.correct_option}")["label"] == right_text


async def test_practice_rounds_shuffle_too(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """A practice round's buttons show each question's options in its post's order, the right one where scored."""
    async with run_bot() as bot:
        command = await fake_discord.slash("practice", {"element": "value"}, user="alice")
        await fake_discord.wait_for_callback(command)
        message = fake_discord.original(command)
        reordered = 0
        for _position in range(5):
            post = await bot.services.posts.get(_buttons(message)[0][0])
            question = bot.services.posting.item(post).item
            labels = [message.component(f"rb:ans:{post.post_id}:{i}")["label"] for i in range(post.option_count)]
            assert labels[post.correct_option] == question.choices[question.correct_index]
            reordered += labels != list(question.choices)
            next_id = next(c for c in message.custom_ids if c.startswith("rb:pr:"))
            await fake_discord.wait_for_callback(await fake_discord.click(message, next_id, user="alice"))
            message = fake_discord.message(message.id)
        assert reordered >= 2
