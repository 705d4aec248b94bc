"""Embeds and persistent answer buttons for questions posted in a channel."""

from __future__ import annotations

import discord

from bot.course.catalog import Located
from bot.course.models import Question
from bot.domain.entities import Post
from bot.domain.streaks import Streaks
from bot.services.answers import AnswerOutcome, AnswerStatus
from bot.services.posting import ClosedPost
from bot.ui.text import LETTERS, bar, clip, plural, timestamp

COLOUR_OPEN = discord.Colour.blurple()
COLOUR_CLOSED = discord.Colour.dark_grey()


def question_title(post: Post, element_title: str) -> str:
    label = "Daily question" if post.origin.value == "scheduled" else "Question"
    return clip(f"{label} · {element_title}", 256)


def question_embed(post: Post, located: Located[Question]) -> discord.Embed:
    """Return the embed learners answer: the question, its options and when it closes."""
    question = located.item
    lines = [question.prompt, ""]
    lines += [f"**{LETTERS[i]}** {option}" for i, option in enumerate(post.shown(question.choices))]
    if post.closes_at is not None:
        lines += ["", f"Anyone can answer. Closes {timestamp(post.closes_at)}."]
    embed = discord.Embed(
        title=question_title(post, located.element.title), description="\n".join(lines), colour=COLOUR_OPEN
    )
    embed.set_footer(text="Pick an answer below. Only your first answer counts.")
    return embed


def closed_question_embed(closed: ClosedPost) -> discord.Embed:
    """Return the embed after closing: the answer, how the server answered, and why."""
    question = closed.item.item
    if not isinstance(question, Question):
        raise TypeError("closed_question_embed needs a question post")
    post, total = closed.post, closed.answers
    right = post.correct_option
    embed = discord.Embed(
        title=clip(question_title(post, closed.item.element.title) + " · closed", 256),
        description=question.prompt,
        colour=COLOUR_CLOSED,
    )
    answer = post.shown(question.choices)[right]
    embed.add_field(name="Answer", value=clip(f"**{LETTERS[right]}** {answer}", 1024), inline=False)
    if total:
        spread = []
        for i, count in enumerate(closed.choice_counts):
            share = count / total
            mark = " ✅" if i == right else ""
            spread.append(f"`{LETTERS[i]}` `{bar(share)}` {share:.0%} ({count}){mark}")
        embed.add_field(name="How the server answered", value="\n".join(spread), inline=False)
    embed.add_field(name="Why", value=question.explanation, inline=False)
    notes = closed.item.element
    marks = {m.id: m.text for m in notes.marking_points}
    related = [marks[m] for m in question.marking_points if m in marks]
    if related:
        embed.add_field(name="What examiners look for", value=clip(related[0], 1024), inline=False)
    embed.set_footer(text=f"{plural(total, 'learner')} answered." if total else "Nobody answered this one.")
    return embed


def feedback_message(outcome: AnswerOutcome, located: Located[Question] | None, streaks: Streaks | None) -> str:
    """Return the private reply to a learner's click."""
    post = outcome.post
    if outcome.status is AnswerStatus.UNKNOWN_POST or post is None:
        return "This question is no longer available."
    right = LETTERS[post.correct_option]
    if outcome.status is AnswerStatus.ALREADY_ANSWERED and outcome.answer is not None:
        first = LETTERS[outcome.answer.choice]
        closed = "" if post.state.value == "open" else f" This question has closed; the answer was **{right}**."
        return f"You already answered **{first}**. Only your first answer counts.{closed}"
    if outcome.status is AnswerStatus.CLOSED:
        return f"This question has closed. The answer was **{right}**."
    if outcome.status is AnswerStatus.INVALID_CHOICE or outcome.answer is None:
        return "That option is not part of this question."
    answer = outcome.answer
    explanation = located.item.explanation if located is not None else ""
    if answer.correct:
        head = f"✅ Right! **{right}** is correct. +{plural(answer.points, 'point')}."
    else:
        head = f"❌ Not quite. You chose **{LETTERS[answer.choice]}**; the answer is **{right}**."
    lines = [head, "", explanation]
    if streaks is not None and post.origin.value == "scheduled":
        lines += ["", f"🔥 Daily streak: {plural(streaks.current, 'day')} (best {streaks.best})."]
    return clip("\n".join(lines), 2000)
