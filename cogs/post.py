"""/post: a tutor posts a question now, outside the schedule."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import PostFailed
from bot.domain.entities import PostKind
from bot.services.posting import NothingToPost
from bot.ui.checks import guild_id_of, server_course, tutor_only
from bot.ui.choices import element_autocomplete
from bot.ui.errors import UserFacingError
from bot.ui.options import CloseAfterHours, ElementId
from bot.ui.text import timestamp

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Post(commands.GroupCog, group_name="post", group_description="Post a question now (tutors)"):
    """Posts made by hand."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="question", description="Post a quiz question in this channel now")
    @app_commands.describe(
        element="Only from this element (default: any)", close_after="Hours it stays open for answers (default 1)"
    )
    @app_commands.autocomplete(element=element_autocomplete)
    @tutor_only()
    async def question(
        self,
        interaction: discord.Interaction[RevisionClient],
        element: ElementId | None = None,
        close_after: CloseAfterHours = 1,
    ) -> None:
        """Post a question from the server's selection now."""
        await self._post(interaction, PostKind.QUESTION, element, close_after)

    @app_commands.command(name="challenge", description="Post a spot-the-mistake challenge in this channel now")
    @app_commands.describe(
        element="Only from this element (default: any)", close_after="Hours it stays open (default 1)"
    )
    @app_commands.autocomplete(element=element_autocomplete)
    @tutor_only()
    async def challenge(
        self,
        interaction: discord.Interaction[RevisionClient],
        element: ElementId | None = None,
        close_after: CloseAfterHours = 1,
    ) -> None:
        """Post a challenge from the server's selection now."""
        await self._post(interaction, PostKind.CHALLENGE, element, close_after)

    async def _post(
        self, interaction: discord.Interaction[RevisionClient], kind: PostKind, element: str | None, close_after: int
    ) -> None:
        guild_id = guild_id_of(interaction)
        if interaction.channel_id is None:
            raise UserFacingError("Use this command in the channel where the post should go.")
        await server_course(interaction, element)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            opened = await self.bot.delivery.post_now(
                guild_id, interaction.channel_id, kind, element, close_after * 60, seed=interaction.id
            )
        except (PostFailed, NothingToPost) as exc:
            raise UserFacingError(str(exc)) from None
        closes = opened.post.closes_at
        what = "a question" if kind is PostKind.QUESTION else "a challenge"
        await interaction.followup.send(
            f"Posted {what} from {opened.item.element.title}." + (f" It closes {timestamp(closes)}." if closes else ""),
            ephemeral=True,
        )


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(Post(bot))
