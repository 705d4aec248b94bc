"""Embeds for spot-the-mistake challenges."""

from __future__ import annotations

import discord

from bot.course.catalog import Located
from bot.course.models import Challenge, ChallengeKind
from bot.domain.entities import Post
from bot.domain.scoring import Origin
from bot.services.answers import AnswerOutcome, AnswerStatus
from bot.services.posting import ClosedPost
from bot.ui.text import LETTERS, bar, clip, plural, timestamp

COLOUR_OPEN = discord.Colour.orange()
COLOUR_CLOSED = discord.Colour.dark_grey()


def challenge_title(post: Post, element_title: str) -> str:
    label = "Spot the mistake" if post.origin is not Origin.PRACTICE else "Spot the mistake (practice)"
    return clip(f"🔍 {label} · {element_title}", 256)


def _body(challenge: Challenge) -> list[str]:
    if challenge.kind is ChallengeKind.SCENARIO and challenge.scenario:
        lines = [challenge.scenario, ""]
    else:
        lines = ["One of these statements contains a mistake. Which one?", ""]
    lines += [f"**{LETTERS[i]}** {option}" for i, option in enumerate(challenge.options)]
    return lines


def challenge_embed(post: Post, located: Located[Challenge]) -> discord.Embed:
    """Return the challenge as learners see it, with when it closes."""
    lines = _body(located.item)
    if post.closes_at is not None and post.origin is not Origin.PRACTICE:
        lines += ["", f"Closes {timestamp(post.closes_at)}."]
    embed = discord.Embed(
        title=challenge_title(post, located.element.title), description=clip("\n".join(lines), 4096), colour=COLOUR_OPEN
    )
    embed.set_footer(text="Pick the letter with the mistake. Only your first pick counts.")
    return embed


def _helps(located: Located[Challenge]) -> str:
    return "\n".join(f"• {located.element.helping_text(ref)}" for ref in located.item.helps)


def closed_challenge_embed(closed: ClosedPost) -> discord.Embed:
    """Return the reveal: the mistake, who spotted it, the most tempting wrong pick, and why."""
    located = closed.item
    challenge = located.item
    if not isinstance(challenge, Challenge):
        raise TypeError("closed_challenge_embed needs a challenge post")
    post, total = closed.post, closed.answers
    embed = discord.Embed(
        title=clip(challenge_title(post, located.element.title) + " · closed", 256),
        description=clip("\n".join(_body(challenge)), 4096),
        colour=COLOUR_CLOSED,
    )
    mistake = post.correct_option
    embed.add_field(
        name="The mistake", value=clip(f"**{LETTERS[mistake]}** {challenge.options[mistake]}", 1024), inline=False
    )
    if total:
        spotted = closed.choice_counts[mistake] / total
        lines = [f"`{bar(spotted)}` {spotted:.0%} spotted it ({closed.choice_counts[mistake]} of {total})."]
        wrong = [(n, i) for i, n in enumerate(closed.choice_counts) if i != mistake and n]
        if wrong:
            n, i = min(wrong, key=lambda pair: (-pair[0], pair[1]))
            lines.append(f"Most tempting wrong pick: **{LETTERS[i]}** ({plural(n, 'learner')}).")
        embed.add_field(name="How the server did", value="\n".join(lines), inline=False)
    embed.add_field(name="Why it is a mistake", value=challenge.explanation, inline=False)
    embed.add_field(name="What helps", value=clip(_helps(located), 1024), inline=False)
    embed.set_footer(text=f"{plural(total, 'learner')} took part." if total else "Nobody took part this time.")
    return embed


def challenge_feedback(outcome: AnswerOutcome, located: Located[Challenge]) -> str:
    """Return the private reply to a pick."""
    post = outcome.post
    if post is None:
        return "This challenge is no longer available."
    mistake = LETTERS[post.correct_option]
    if outcome.status is AnswerStatus.ALREADY_ANSWERED and outcome.answer is not None:
        return f"You already picked **{LETTERS[outcome.answer.choice]}**. Only your first pick counts."
    if outcome.status is AnswerStatus.CLOSED:
        return f"This challenge has closed. The mistake was in **{mistake}**."
    if outcome.answer is None:
        return "That option is not part of this challenge."
    if outcome.answer.correct:
        points = f" +{plural(outcome.answer.points, 'point')}." if outcome.answer.points else ""
        head = f"✅ Well spotted! The mistake is in **{mistake}**.{points}"
    else:
        head = f"❌ Not that one. **{LETTERS[outcome.answer.choice]}** is fine; the mistake is in **{mistake}**."
    text = "\n".join([head, "", located.item.explanation, "", "**What helps**", _helps(located)])
    return clip(text, 2000)
