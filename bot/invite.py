"""The OAuth2 link that adds the bot to a server with the least it needs, and the id that link needs."""

from __future__ import annotations

import base64
import binascii

import discord
from pydantic import Field

from bot.settings import DiscordId, Settings

SCOPES = ("bot", "applications.commands")
# What the README asks for: see the channels, post, show embeds, and read a channel's recent messages.
REQUIRED_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)


class InviteSettings(Settings):
    """The bot's settings plus the application id, which only the invite link needs."""

    discord_application_id: DiscordId | None = Field(
        default=None, description="The application id (default: read from the token's first part)."
    )


class NoApplicationId(ValueError):
    """Neither DISCORD_APPLICATION_ID nor a token with a readable first part is available."""


def application_id_from_token(token: str) -> int | None:
    """Return the bot user id the token starts with (Discord gives the bot its application's id), or None."""
    first = token.strip().split(".", 1)[0]
    if not first:
        return None
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() and 15 <= len(decoded) <= 21 else None


def application_id(settings: InviteSettings) -> int:
    """Return the configured application id, else the one in the token (NoApplicationId if neither)."""
    if settings.discord_application_id is not None:
        return settings.discord_application_id
    token = settings.discord_token.get_secret_value() if settings.discord_token is not None else ""
    found = application_id_from_token(token)
    if found is None:
        raise NoApplicationId(
            "Set DISCORD_APPLICATION_ID (Developer Portal → your application → General Information → "
            "Application ID), or DISCORD_TOKEN so the id can be read from it."
        )
    return found


def invite_url(app_id: int) -> str:
    """Return the link that adds the bot with the bot and applications.commands scopes and minimum permissions."""
    return discord.utils.oauth_url(app_id, permissions=REQUIRED_PERMISSIONS, scopes=SCOPES)


def permission_names() -> list[str]:
    """Return the required permissions as Discord's client names them, e.g. 'View Channels'."""
    names = {
        "view_channel": "View Channels",
        "send_messages": "Send Messages",
        "embed_links": "Embed Links",
        "read_message_history": "Read Message History",
    }
    return [label for name, label in names.items() if getattr(REQUIRED_PERMISSIONS, name)]
