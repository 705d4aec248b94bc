"""Learners on their own: /spot, a personal spot-the-mistake challenge."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.entities import PostKind
from bot.services.posting import NothingToPost
from bot.ui.choices import element_autocomplete
from bot.ui.errors import UserFacingError
from bot.ui.posts import post_embed, post_view
from cogs.post import check_element

if TYPE_CHECKING:
    from bot.app import RevisionBot


class Study(commands.Cog):
    """Personal practice, shown only to the learner."""

    def __init__(self, bot: RevisionBot) -> None:
        self.bot = bot

    @app_commands.command(name="spot", description="Try a spot-the-mistake challenge on your own")
    @app_commands.describe(element="Only from this element (default: any)")
    @app_commands.autocomplete(element=element_autocomplete)
    async def spot(self, interaction: discord.Interaction[RevisionBot], element: str | None = None) -> None:
        """Send a private challenge; it counts in the learner's own stats, not on leaderboards."""
        check_element(self.bot, element)
        try:
            opened = await self.bot.services.posting.open_practice(
                interaction.guild_id or 0, PostKind.CHALLENGE, element, seed=interaction.id
            )
        except NothingToPost as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            embed=post_embed(opened.post, opened.item), view=post_view(opened.post, opened.item), ephemeral=True
        )


async def setup(bot: RevisionBot) -> None:
    await bot.add_cog(Study(bot))
