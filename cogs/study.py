"""Learners on their own: /spot, /practice, /revise and /stats, all shown only to the learner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.entities import PostKind
from bot.services.posting import NothingToPost
from bot.ui.checks import guild_id_of, named_course, server_course
from bot.ui.choices import course_autocomplete, element_autocomplete
from bot.ui.errors import UserFacingError
from bot.ui.options import CourseId, ElementId
from bot.ui.posts import post_embed, post_view
from bot.ui.practice import (
    PracticeNextButton,
    missed_deck_message,
    nothing_missed,
    practice_question_embed,
    practice_view,
)
from bot.ui.revise import RevisePageButton, revise_pages, revise_view
from bot.ui.stats import stats_embed

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient


class Study(commands.Cog):
    """Personal practice, shown only to the learner."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot

    @app_commands.command(name="spot", description="Try a spot-the-mistake challenge on your own")
    @app_commands.describe(element="Only from this element (default: any)")
    @app_commands.autocomplete(element=element_autocomplete)
    async def spot(self, interaction: discord.Interaction[RevisionClient], element: ElementId | None = None) -> None:
        """Send a private challenge; it counts in the learner's own stats, not on leaderboards."""
        await server_course(interaction, element)
        try:
            opened = await self.bot.services.posting.open_practice(
                interaction.guild_id or 0, PostKind.CHALLENGE, element, seed=interaction.id
            )
        except NothingToPost as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            embed=post_embed(opened.post, opened.item), view=post_view(opened.post, opened.item), ephemeral=True
        )

    @app_commands.command(name="practice", description="Practise 5 questions on your own: due ones first, then new")
    @app_commands.describe(
        element="Only from this element (default: any)",
        export="Instead, send me the questions I got wrong most as an Anki deck",
    )
    @app_commands.autocomplete(element=element_autocomplete)
    async def practice(
        self, interaction: discord.Interaction[RevisionClient], element: ElementId | None = None, export: bool = False
    ) -> None:
        """Start a private round, or send the learner's most-missed questions as an Anki deck."""
        course = await server_course(interaction, element)
        services = self.bot.services
        if export:
            await self._export(interaction, element, course.id)
            return
        user_id = interaction.user.id
        item_ids = await services.practice.next_round(user_id, element, course_id=course.id)
        if not item_ids:
            raise UserFacingError("There are no questions to practise" + (f" in {element}." if element else "."))
        posts = [
            await services.posting.open_practice_item(interaction.guild_id or 0, PostKind.QUESTION, item_id)
            for item_id in item_ids
        ]
        post_ids = tuple(p.post.post_id for p in posts)
        first = posts[0]
        await interaction.response.send_message(
            embed=practice_question_embed(first.post, first.item, 0, len(posts)),
            view=practice_view(first.post, first.item, user_id, 0, post_ids),
            ephemeral=True,
        )

    async def _export(
        self, interaction: discord.Interaction[RevisionClient], element: str | None, course_id: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        deck = await self.bot.services.practice.missed_deck(interaction.user.id, element, course_id=course_id)
        if deck is None:
            raise UserFacingError(nothing_missed(element))
        text, attachment = missed_deck_message(deck)
        await interaction.followup.send(text, file=attachment, ephemeral=True)

    @app_commands.command(name="revise", description="Read an element's revision notes, page by page")
    @app_commands.describe(element="The element to revise")
    @app_commands.autocomplete(element=element_autocomplete)
    async def revise(self, interaction: discord.Interaction[RevisionClient], element: ElementId) -> None:
        """Show the synopsis, key concepts, exam tips, common mistakes and marking points as pages."""
        await server_course(interaction, element)
        pages = revise_pages(self.bot.services.catalog.element(element))
        await interaction.response.send_message(
            embed=pages[0], view=revise_view(element, 0, len(pages)), ephemeral=True
        )

    @app_commands.command(name="stats", description="Your accuracy, weakest concepts and streaks in this server")
    @app_commands.describe(course="Only this course's elements (default: every course)")
    @app_commands.autocomplete(course=course_autocomplete)
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction[RevisionClient], course: CourseId | None = None) -> None:
        """Show the learner's own statistics with text bars of accuracy per element."""
        only = named_course(interaction, course)
        stats = await self.bot.services.learner_stats.stats(guild_id_of(interaction), interaction.user.id, only)
        await interaction.response.send_message(embed=stats_embed(stats, interaction.user.display_name), ephemeral=True)


async def setup(bot: RevisionClient) -> None:
    bot.add_dynamic_items(PracticeNextButton, RevisePageButton)
    await bot.add_cog(Study(bot))
