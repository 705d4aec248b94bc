"""Reviewing a server's uploaded items: the item as learners will see it, its lint findings, Approve and Reject."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.course.catalog import Located
from bot.course.models import Question
from bot.domain.entities import Post, PostKind, PostState
from bot.domain.scoring import Origin
from bot.services.server_content import PendingItem
from bot.ui.challenges import challenge_embed
from bot.ui.checks import is_tutor
from bot.ui.errors import NotTutor, message_for, replies_on_failure
from bot.ui.questions import question_embed
from bot.ui.text import clip, plural

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

REVIEW_TEMPLATE = r"rb:rev:(?P<verdict>[ar]):(?P<item>[a-z0-9._-]{1,64})"
NOTHING_TO_REVIEW = "Nothing is waiting for review. Upload notes or a question bank with `/content upload`."


def review_page(pending: PendingItem | None, note: str = "") -> dict[str, Any]:
    """Return the message (content, embeds, view) that shows one item waiting for review."""
    if pending is None:
        return {"content": clip(f"{note}\n{NOTHING_TO_REVIEW}".strip(), 2000), "embeds": [], "view": None}
    kind = PostKind(pending.kind)
    # A post that is never stored: the embeds learners see need one, shown in the written order.
    preview = Post(
        0, 0, kind, Origin.MANUAL, pending.item_id, pending.element.id, 0, 0, datetime.now(UTC), None, PostState.OPEN
    )
    if isinstance(pending.item, Question):
        shown = question_embed(preview, Located("", pending.element, pending.item))
        right = pending.item.choices[pending.item.correct_index]
    else:
        shown = challenge_embed(preview, Located("", pending.element, pending.item))
        right = pending.item.options[pending.item.mistake]
    shown.set_footer(text="As learners will see it (options are shuffled for each post).")
    details = discord.Embed(title="For the tutor", colour=discord.Colour.light_grey())
    details.add_field(name="Explanation", value=clip(pending.item.explanation, 1024), inline=False)
    name = "Right answer" if isinstance(pending.item, Question) else "The mistake"
    details.add_field(name=name, value=clip(right, 1024), inline=False)
    warnings = "\n".join(f"• {w}" for w in pending.warnings) or "None."
    details.add_field(name="Lint warnings", value=clip(warnings, 1024), inline=False)
    details.set_footer(text=f"Item {pending.item_id} · {plural(pending.pending, 'item')} waiting for review")
    view = discord.ui.View(timeout=None)
    view.add_item(ReviewButton(pending.item_id, approve=True))
    view.add_item(ReviewButton(pending.item_id, approve=False))
    return {"content": clip(note, 2000) or None, "embeds": [shown, details], "view": view}


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REVIEW_TEMPLATE):
    """Approve or Reject one uploaded item; the item id is in the custom id, its state in SQLite."""

    def __init__(self, item_id: str, *, approve: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Approve" if approve else "Reject",
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"rb:rev:{'a' if approve else 'r'}:{item_id}",
            )
        )
        self.item_id = item_id
        self.approve = approve

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(match["item"], approve=match["verdict"] == "a")

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        if interaction.guild_id is None or not await is_tutor(interaction):
            await interaction.response.send_message(message_for(NotTutor()) or "", ephemeral=True)
            return
        client = interaction.client
        content = client.services.server_content
        done = await content.review(interaction.guild_id, self.item_id, self.approve)
        if done and self.approve:
            await client.refresh_server_courses()  # approved items join the rotation now
        if not done:
            note = "That item was already reviewed."
        else:
            note = "Approved: it can be posted now." if self.approve else "Rejected: it will not be posted."
        log.info(
            "review click guild=%s item=%s approve=%s done=%s", interaction.guild_id, self.item_id, self.approve, done
        )
        page = review_page(await client.services.server_content.next_pending(interaction.guild_id), note)
        await interaction.response.edit_message(**page)
