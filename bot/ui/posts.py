"""Posts of either kind: the message, its persistent answer buttons, the reveal and the private replies."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.course.catalog import Located
from bot.course.models import Challenge, Question
from bot.domain.entities import Post
from bot.domain.streaks import Streaks
from bot.services.answers import AnswerOutcome, AnswerStatus
from bot.services.posting import ClosedPost
from bot.ui.challenges import challenge_embed, challenge_feedback, closed_challenge_embed
from bot.ui.errors import replies_on_failure
from bot.ui.questions import closed_question_embed, feedback_message, question_embed
from bot.ui.text import LETTER_EMOJI, LETTERS, clip

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

ANSWER_TEMPLATE = r"rb:ans:(?P<post>[0-9]{1,19}):(?P<opt>[0-4])"

Item = Located[Question] | Located[Challenge]


def post_embed(post: Post, item: Item) -> discord.Embed:
    """Return the open post's embed."""
    if isinstance(item.item, Question):
        return question_embed(post, item)  # type: ignore[arg-type]
    return challenge_embed(post, item)  # type: ignore[arg-type]


def closed_embed(closed: ClosedPost) -> discord.Embed:
    """Return the embed that reveals the answer."""
    if isinstance(closed.item.item, Question):
        return closed_question_embed(closed)
    return closed_challenge_embed(closed)


def post_view(post: Post, item: Item, *, disabled: bool = False) -> discord.ui.View:
    """Return one button per option (the option's text for questions, its letter for challenges)."""
    view = discord.ui.View(timeout=None)
    options = post.shown(item.item.choices) if isinstance(item.item, Question) else item.item.options
    for index, option in enumerate(options):
        label = option if isinstance(item.item, Question) else ""
        view.add_item(
            AnswerButton(
                post.post_id, index, label, disabled=disabled, correct=disabled and index == post.correct_option
            )
        )
    return view


def feedback(outcome: AnswerOutcome, item: Item | None, streaks: Streaks | None) -> str:
    """Return the private reply to a click on either kind of post."""
    if item is not None and isinstance(item.item, Challenge):
        return challenge_feedback(outcome, item)  # type: ignore[arg-type]
    return feedback_message(outcome, item, streaks)  # type: ignore[arg-type]


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    """A button for one option of a post; its state is the post id and option in its custom id."""

    def __init__(
        self, post_id: int, option: int, label: str = "", *, disabled: bool = False, correct: bool = False
    ) -> None:
        style = discord.ButtonStyle.success if correct else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80) if label else LETTERS[option],
                emoji=LETTER_EMOJI[option] if label else None,
                style=style,
                custom_id=f"rb:ans:{post_id}:{option}",
                disabled=disabled,
            )
        )
        self.post_id = post_id
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["post"]), int(match["opt"]))

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        await interaction.response.send_message(await self._answer(interaction), ephemeral=True)

    async def _answer(self, interaction: discord.Interaction[RevisionClient]) -> str:
        client = interaction.client
        services = client.services
        user = interaction.user
        outcome = await services.answers.record_answer(self.post_id, user.id, user.display_name, self.option)
        post = outcome.post
        item = services.posting.item(post) if post is not None else None
        if outcome.status is AnswerStatus.RECORDED and post is not None and post.class_quiz_id is not None:
            client.dispatch("class_quiz_answer", post)  # cogs/classquiz.py may close the question early
        log.info("answer post=%s user=%s status=%s", self.post_id, user.id, outcome.status.value)
        return feedback(outcome, item, outcome.streaks)


def shows_post(message: discord.Message, post_id: int) -> bool:
    """Tell whether a message carries a post's answer buttons."""
    prefix = f"rb:ans:{post_id}:"
    return any(
        getattr(child, "custom_id", None) and child.custom_id.startswith(prefix)  # type: ignore[union-attr]
        for row in message.components
        for child in getattr(row, "children", ())
    )
