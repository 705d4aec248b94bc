"""A private practice round: one question at a time, with the answer buttons and a persistent Next button."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.course.models import Question
from bot.domain.entities import Post
from bot.services.posting import ClosedPost
from bot.services.practice import MissedDeck
from bot.ui.errors import replies_on_failure
from bot.ui.posts import AnswerButton, Item
from bot.ui.questions import question_embed
from bot.ui.text import plural

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

# rb:pr:<user, base 36>:<position of the next question>:<the round's post ids, base 36, dot-separated>
PRACTICE_TEMPLATE = r"rb:pr:(?P<user>[0-9a-z]{1,13}):(?P<pos>[0-9]):(?P<posts>[0-9a-z]{1,13}(?:\.[0-9a-z]{1,13}){0,4})"
CUSTOM_ID_MAX = 100


def to_base36(n: int) -> str:
    """Return a non-negative integer in base 36 (lower case), to keep custom ids short."""
    if n < 0:
        raise ValueError("only non-negative integers")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def next_custom_id(user_id: int, position: int, post_ids: Sequence[int]) -> str:
    """Return the Next button's custom id: who owns the round, which question comes next, and the round."""
    custom_id = f"rb:pr:{to_base36(user_id)}:{position}:{'.'.join(to_base36(p) for p in post_ids)}"
    if len(custom_id) > CUSTOM_ID_MAX:  # pragma: no cover - 5 ids of 13 characters at most still fit
        raise ValueError("practice round custom id is too long")
    return custom_id


def practice_question_embed(post: Post, item: Item, position: int, total: int) -> discord.Embed:
    """Return the embed of one question of a round."""
    embed = question_embed(post, item)  # type: ignore[arg-type]
    embed.set_footer(text=f"Practice · question {position + 1} of {total} · counts in your stats, not leaderboards")
    return embed


def practice_view(post: Post, item: Item, user_id: int, position: int, post_ids: Sequence[int]) -> discord.ui.View:
    """Return the question's answer buttons and the Next (or Finish) button below them."""
    view = discord.ui.View(timeout=None)
    if isinstance(item.item, Question):
        for index, option in enumerate(post.shown(item.item.choices)):
            view.add_item(AnswerButton(post.post_id, index, option))
    last = position + 1 >= len(post_ids)
    view.add_item(PracticeNextButton(user_id, position + 1, tuple(post_ids), "Finish" if last else "Next"))
    return view


MISSED_DECK_FILE = "revision-missed-questions.apkg"


def nothing_missed(element: str | None) -> str:
    """Return the reply to /practice export when the learner has no wrong answers (in the element)."""
    where = f" in {element}" if element else ""
    return f"You have not got any questions wrong{where} yet, so there is nothing to export. Keep practising!"


def missed_deck_message(deck: MissedDeck) -> tuple[str, discord.File]:
    """Return the text and the .apkg attachment that send a learner their most-missed questions."""
    text = (
        f"Here {'is the question' if deck.count == 1 else f'are the {deck.count} questions'} you got wrong most, "
        "as an Anki deck. "
        "Open the file with Anki (File › Import). Importing a newer deck later updates these cards "
        "instead of adding copies."
    )
    return text, discord.File(io.BytesIO(deck.data), filename=MISSED_DECK_FILE)


def round_summary_embed(summaries: Sequence[ClosedPost | None], due: int) -> discord.Embed:
    """Return the end of a round: how many were answered and right, and what is due."""
    answered = right = 0
    for summary in summaries:
        if summary is None or not summary.answers:
            continue
        answered += 1
        right += summary.choice_counts[summary.post.correct_option] > 0
    lines = [
        f"You answered {answered} of {len(summaries)} and got {right} right.",
        "",
        f"{plural(due, 'question')} due now." if due else "Nothing is due now: new questions come next.",
        "Use `/practice` for another round.",
    ]
    return discord.Embed(title="Practice round finished", description="\n".join(lines), colour=discord.Colour.green())


class PracticeNextButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PRACTICE_TEMPLATE):
    """Moves a practice round on to its next question; the round lives in the custom id and the posts table."""

    def __init__(self, user_id: int, position: int, post_ids: tuple[int, ...], label: str = "Next") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=next_custom_id(user_id, position, post_ids),
            ),
            row=1,
        )
        self.user_id = user_id
        self.position = position
        self.post_ids = post_ids

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PracticeNextButton:
        post_ids = tuple(int(p, 36) for p in match["posts"].split("."))
        return cls(int(match["user"], 36), int(match["pos"]), post_ids)

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This practice round belongs to someone else.", ephemeral=True)
            return
        services = interaction.client.services
        if self.position >= len(self.post_ids):
            summaries = [await services.posting.summary(p) for p in self.post_ids]
            course = await services.courses.of_guild(interaction.guild_id)
            due = await services.practice.due_count(self.user_id, course.id)
            embed, view = round_summary_embed(summaries, due), None
        else:
            post = await services.posts.get(self.post_ids[self.position])
            if post is None:
                raise LookupError(f"practice post {self.post_ids[self.position]} is gone")
            item = services.posting.item(post)
            embed = practice_question_embed(post, item, self.position, len(self.post_ids))
            view = practice_view(post, item, self.user_id, self.position, self.post_ids)
        await interaction.response.edit_message(embed=embed, view=view)
