"""/leaderboard and /rank."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.periods import Period
from bot.ui.boards import board_embed, board_view, standing_embed, viewer_line
from bot.ui.checks import guild_id_of, named_course, server_course
from bot.ui.choices import course_autocomplete, element_autocomplete
from bot.ui.errors import UserFacingError
from bot.ui.options import CourseId, ElementId, Pick

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

PERIODS = [app_commands.Choice(name=p.label, value=p.value) for p in Period]
PeriodChoice = app_commands.Transform[app_commands.Choice[str], Pick("period", PERIODS)]


class Leaderboard(commands.Cog):
    """Who leads, and where each learner stands."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot

    @app_commands.command(name="leaderboard", description="Show the top learners for a period")
    @app_commands.describe(
        period="Which period (default: this week)",
        element="Only this element (optional)",
        course="Only this course's elements (optional)",
    )
    @app_commands.autocomplete(element=element_autocomplete, course=course_autocomplete)
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction[RevisionClient],
        period: PeriodChoice | None = None,
        element: ElementId | None = None,
        course: CourseId | None = None,
    ) -> None:
        """Post the board's first page, and tell the caller their own rank privately."""
        guild_id = guild_id_of(interaction)
        if element is not None and course is not None:
            raise UserFacingError("Choose an element or a course, not both.")
        await server_course(interaction, element)
        services = self.bot.services
        board_course = named_course(interaction, course)
        chosen = Period(period.value) if period else Period.WEEK
        page = await services.leaderboards.leaderboard(
            guild_id, chosen, element, viewer_id=interaction.user.id, course=board_course
        )
        title = services.catalog.element(element).title if element else board_course.title if board_course else None
        await interaction.response.send_message(embed=board_embed(page, title), view=board_view(page))
        if all(e.user_id != interaction.user.id for e in page.entries):
            await interaction.followup.send(viewer_line(page.viewer, page), ephemeral=True)

    @app_commands.command(name="rank", description="Show points, rank, accuracy and streaks")
    @app_commands.describe(member="Whose rank to show (default: yours)")
    @app_commands.guild_only()
    async def rank(
        self, interaction: discord.Interaction[RevisionClient], member: discord.Member | None = None
    ) -> None:
        """Show a learner's standing privately."""
        guild_id = guild_id_of(interaction)
        who = member or interaction.user
        standing = await self.bot.services.leaderboards.standing(guild_id, who.id)
        name = standing.display_name or who.display_name
        await interaction.response.send_message(embed=standing_embed(standing, name), ephemeral=True)


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(Leaderboard(bot))
