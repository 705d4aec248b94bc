"""/content: tutors upload their own notes or question banks, review the items, and export the server's course."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.server_content import UploadRefused
from bot.ui.checks import guild_id_of, tutor_only
from bot.ui.errors import UserFacingError
from bot.ui.review import review_page
from bot.ui.text import plural
from bot.uploads import UPLOAD_MAX_BYTES, UPLOAD_SUFFIXES

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

MESSAGES_INLINE_MAX = 1_500  # longer lists of file:line messages go in a text file
PROBLEMS_NAME = "upload-problems.txt"
GIFT_NAME = "server-course.gift"
MAX_FILES = 10  # Discord's limit of attachments per message


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Content(commands.GroupCog, group_name="content", group_description="This server's own questions (tutors)"):
    """Upload, review and export the server's own course."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="upload", description="Import notes, a GIFT or Aiken file or a Red trivia list")
    @app_commands.describe(file=f"Notes or a question bank ({', '.join(UPLOAD_SUFFIXES)}), at most 256 KB")
    @tutor_only()
    async def upload(self, interaction: discord.Interaction[RevisionClient], file: discord.Attachment) -> None:
        """Import a file into this server's course; its items wait for review."""
        guild_id = guild_id_of(interaction)
        if file.size > UPLOAD_MAX_BYTES:
            raise UserFacingError(f"The file is {file.size // 1024} KB; at most {UPLOAD_MAX_BYTES // 1024} KB.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        try:
            result = await self.bot.services.server_content.upload(guild_id, file.filename, data)
        except UploadRefused as exc:
            await _send_with_messages(interaction, str(exc), exc.messages)
            return
        added = f"{plural(result.questions, 'question')} and {plural(result.challenges, 'challenge')}"
        summary = f"Imported {added} from {file.filename}. Check them with `/content review`."
        if result.skipped:
            summary += f" {plural(result.skipped, 'item')} had been uploaded before and were left as they were."
        await _send_with_messages(interaction, summary, result.messages)

    @app_commands.command(name="review", description="Approve or reject uploaded items, one at a time")
    @tutor_only()
    async def review(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Show the oldest item waiting for review, with Approve and Reject buttons."""
        guild_id = guild_id_of(interaction)
        pending = await self.bot.services.server_content.next_pending(guild_id)
        page = review_page(pending)
        if page["view"] is None:
            del page["view"]
        await interaction.response.send_message(**page, ephemeral=True)

    @app_commands.command(name="export", description="Get this server's approved questions as YAML and GIFT")
    @tutor_only()
    async def export(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Send the server's approved course as content YAML files and a GIFT file, privately."""
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.bot.services.server_content.export(guild_id)
        if exported is None:
            raise UserFacingError("This server has no approved items yet. Review uploads with `/content review`.")
        files = [_file(name, text) for name, text in exported.files.items()]
        await interaction.followup.send(
            "This server's own course: the YAML files make a content folder, the GIFT file imports into Moodle.",
            files=[*files[: MAX_FILES - 1], _file(GIFT_NAME, exported.gift)],
            ephemeral=True,
        )


def _file(name: str, text: str) -> discord.File:
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=name)


async def _send_with_messages(interaction: discord.Interaction[RevisionClient], summary: str, lines: list[str]) -> None:
    """Send the summary privately, with the file:line messages inline, or attached when they are long."""
    listing = "\n".join(lines)
    if not listing:
        await interaction.followup.send(summary, ephemeral=True)
    elif len(listing) <= MESSAGES_INLINE_MAX:
        await interaction.followup.send(f"{summary}\n```\n{listing}\n```", ephemeral=True)
    else:
        await interaction.followup.send(
            f"{summary} The {plural(len(lines), 'message')} are in the attached file.",
            file=_file(PROBLEMS_NAME, listing),
            ephemeral=True,
        )


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(Content(bot))
