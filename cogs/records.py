"""What is stored about learners: /mydata export and delete for learners, /report for tutors."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.checks import guild_id_of, server_course, tutor_only
from bot.ui.choices import element_autocomplete
from bot.ui.mydata import CONFIRM_TEXT, ConfirmDeleteButton, confirm_view
from bot.ui.options import ElementId
from bot.ui.stats import report_embed

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

EXPORT_NAME = "my-revbot-data.json"
REPORT_NAME = "question-report.csv"


class MyData(commands.GroupCog, group_name="mydata"):
    """A learner's copy of their data, and erasing it."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="export", description="Get a JSON file of everything stored about you")
    async def export(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Send the learner their data as a JSON file, privately."""
        text = await self.bot.services.learner_data.export_json(interaction.user.id)
        await interaction.response.send_message(
            "Here is everything stored about you, in every server.",
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename=EXPORT_NAME),
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Erase everything stored about you (asks to confirm)")
    async def delete(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Ask the learner to confirm; the button does the erasing."""
        await interaction.response.send_message(CONFIRM_TEXT, view=confirm_view(interaction.user.id), ephemeral=True)


class Reports(commands.Cog):
    """Reports for tutors on how learners answer."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot

    @app_commands.command(name="report", description="Tutors: question statistics and common misconceptions")
    @app_commands.describe(element="Only this element (default: all)")
    @app_commands.autocomplete(element=element_autocomplete)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @tutor_only()
    async def report(self, interaction: discord.Interaction[RevisionClient], element: ElementId | None = None) -> None:
        """Send the report privately with every question's statistics as CSV."""
        await server_course(interaction, element)
        guild_id = guild_id_of(interaction)
        reports = self.bot.services.reports
        questions = await reports.question_report(guild_id, element)
        misconceptions = await reports.misconception_report(guild_id, element)
        title = self.bot.services.catalog.element(element).title if element else None
        csv_text = reports.question_report_csv(questions)
        await interaction.response.send_message(
            embed=report_embed(questions, misconceptions, title),
            file=discord.File(io.BytesIO(csv_text.encode("utf-8")), filename=REPORT_NAME),
            ephemeral=True,
        )


async def setup(bot: RevisionClient) -> None:
    bot.add_dynamic_items(ConfirmDeleteButton)
    await bot.add_cog(MyData(bot))
    await bot.add_cog(Reports(bot))
