"""Autocomplete for timezones, days, elements and courses."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

MAX_CHOICES = 25
POPULAR_ZONES = ("Europe/London", "Europe/Dublin", "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
DAY_SUGGESTIONS = ("every day", "weekdays", "weekends", "mon, wed, fri", "tue, thu")


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """Return up to 25 IANA timezones matching what has been typed (popular ones first when empty)."""
    typed = current.strip().lower().replace(" ", "_")
    if not typed:
        names: list[str] = list(POPULAR_ZONES)
    else:
        starts = [z for z in _zones() if z.lower().split("/")[-1].startswith(typed) or z.lower().startswith(typed)]
        contains = [z for z in _zones() if typed in z.lower() and z not in starts]
        names = (starts + contains)[:MAX_CHOICES]
    return [app_commands.Choice(name=n.replace("_", " "), value=n) for n in names[:MAX_CHOICES]]


async def timezone_autocomplete(_interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    return timezone_choices(current)


async def days_autocomplete(_interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower()
    # A choice's name and value may have at most 100 characters: longer typing is offered cut short.
    options = [d for d in DAY_SUGGESTIONS if d.startswith(typed)] or ([current[:100]] if current else [])
    return [app_commands.Choice(name=d, value=d) for d in options[:MAX_CHOICES]]


async def element_autocomplete(
    interaction: discord.Interaction[RevisionClient], current: str
) -> list[app_commands.Choice[str]]:
    """Return the elements of the server's course and its own course whose title or id matches what has been typed."""
    typed = current.strip().lower()
    services = interaction.client.services
    course = await services.courses.of_guild(interaction.guild_id)
    own = services.courses.own(interaction.guild_id)
    found = [
        app_commands.Choice(name=e.title[:100], value=e.id)
        for c in (course, own)
        if c is not None
        for e in services.catalog.elements(c.id)
        if typed in e.title.lower() or typed in e.id
    ]
    return found[:MAX_CHOICES]


async def course_autocomplete(
    interaction: discord.Interaction[RevisionClient], current: str
) -> list[app_commands.Choice[str]]:
    """Return the bot's courses whose title or id matches what has been typed."""
    typed = current.strip().lower()
    found = [
        app_commands.Choice(name=c.title[:100], value=c.id)
        for c in interaction.client.services.courses.available
        if typed in c.title.lower() or typed in c.id
    ]
    return found[:MAX_CHOICES]
