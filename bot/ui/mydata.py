"""Confirming that a learner wants everything stored about them erased."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.services.learner_data import DeletionSummary
from bot.ui.errors import replies_on_failure
from bot.ui.text import plural

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

DELETE_TEMPLATE = r"rb:md:del:(?P<user>[0-9]{1,20})"

CONFIRM_TEXT = (
    "This erases everything stored about you in every server: your answers, your leaderboard points and "
    "your practice schedule. It cannot be undone. Press **Delete my data** to go ahead; otherwise ignore this."
)


def deletion_message(summary: DeletionSummary) -> str:
    """Return what erasing removed."""
    if summary.nothing_found:
        return "There was nothing stored about you; nothing was removed."
    return (
        f"Done. Removed {plural(summary.answers, 'answer')}, {plural(summary.board_rows, 'leaderboard row')} and "
        f"{plural(summary.practice_cards, 'practice card')}; you are off the leaderboards of "
        f"{plural(len(summary.guild_ids), 'server')}."
    )


def confirm_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmDeleteButton(user_id))
    return view


class ConfirmDeleteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DELETE_TEMPLATE):
    """Erases the learner's data; only the learner who asked may press it."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete my data", style=discord.ButtonStyle.danger, custom_id=f"rb:md:del:{user_id}"
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ConfirmDeleteButton:
        return cls(int(match["user"]))

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("Only the person who asked can confirm this.", ephemeral=True)
            return
        summary = await interaction.client.services.learner_data.delete(self.user_id)
        await interaction.response.edit_message(content=deletion_message(summary), view=None)
