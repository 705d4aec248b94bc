"""One error handler for slash commands: clear private messages for people, context for the log."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.ui.text import clip

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000  # Discord refuses longer message content, and the user would see "did not respond"
QUOTE_LIMIT = 64  # how much of a refused value a reply repeats
APOLOGY = "Sorry, something went wrong on our side. It has been logged; please try again in a moment."
DISCORD_TROUBLE = "Discord did not take that just now. Please try again in a moment."


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is meant for the person who ran the command."""


class NotTutor(app_commands.CheckFailure):
    """The command is for tutors and admins only."""


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Send a private reply, whether or not the interaction was already answered."""
    text = clip(text, MESSAGE_LIMIT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:  # the interaction may have expired; nothing more to do
        log.warning("could not send error reply interaction=%s error=%s", interaction.id, exc)


def message_for(error: app_commands.AppCommandError) -> str | None:
    """Return the message for an expected error, or None for an unexpected one."""
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, NotTutor):
        return "Only tutors and admins can do that: you need Manage Server or the server's tutor role."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission for that."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing permissions here: {missing}."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"{clip(str(error.value), QUOTE_LIMIT)!r} is not a valid {error.type.name.lower().replace('_', ' ')}."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


def install_error_handler(tree: app_commands.CommandTree[Any]) -> None:
    """Answer every failed command privately; log the unexpected ones with their context."""

    @tree.error
    async def on_app_command_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        text = message_for(error)
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        if text is None and discord_trouble(original):
            # Discord's own outage (discord.py already retried what it could): not a bug to trace.
            log.warning("command failed command=%s guild=%s error=%s", command, interaction.guild_id, original)
            text = DISCORD_TROUBLE
        if text is None:
            log.error(
                "command failed command=%s guild=%s user=%s",
                command,
                interaction.guild_id,
                interaction.user.id,
                exc_info=original,
            )
            text = APOLOGY
        await reply_privately(interaction, text)


def discord_trouble(error: BaseException) -> bool:
    """Tell whether an error is Discord failing (a 5xx or a rate limit discord.py gave up on), not the bot."""
    if isinstance(error, discord.HTTPException):
        return isinstance(error, discord.DiscordServerError) or error.status == 429
    return isinstance(error, discord.RateLimited)


ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])
ClickHandler = Callable[[ItemT, discord.Interaction[Any]], Awaitable[None]]


def replies_on_failure(callback: ClickHandler[ItemT]) -> ClickHandler[ItemT]:
    """Wrap a button's callback: a failure is logged with the button's id and the clicker gets a private reply."""

    @functools.wraps(callback)
    async def run(item: ItemT, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(item, interaction)
        except Exception as exc:
            custom_id = getattr(item, "custom_id", "?")
            if discord_trouble(exc):
                log.warning("button failed custom_id=%s user=%s error=%s", custom_id, interaction.user.id, exc)
                await reply_privately(interaction, DISCORD_TROUBLE)
                return
            log.exception(
                "button failed custom_id=%s guild=%s user=%s", custom_id, interaction.guild_id, interaction.user.id
            )
            await reply_privately(interaction, APOLOGY)

    return run
