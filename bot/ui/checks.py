"""Who may do what: tutors are members with Manage Server or the server's tutor role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.course.catalog import CourseInfo
from bot.services.courses import UnknownCourse
from bot.ui.errors import NotTutor, UserFacingError
from bot.ui.text import clip

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient


async def is_tutor(interaction: discord.Interaction[RevisionClient]) -> bool:
    """Return whether the user may run tutor commands in this server."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild:  # what Discord resolved for this member, admins included
        return True
    settings = await interaction.client.services.guilds.get(interaction.guild_id)
    return settings.tutor_role_id is not None and any(r.id == settings.tutor_role_id for r in member.roles)


def tutor_only() -> Any:
    """A check that refuses anyone who is not a tutor, even if Discord showed them the command."""

    async def predicate(interaction: discord.Interaction[RevisionClient]) -> bool:
        if not await is_tutor(interaction):
            raise NotTutor
        return True

    return app_commands.check(predicate)


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    """Return the server the command was used in (commands that need one are guild-only)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage
    return interaction.guild_id


def guild_of(interaction: discord.Interaction[Any]) -> discord.Guild:
    """Return the server object the command was used in."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage
    return interaction.guild


def named_course(interaction: discord.Interaction[RevisionClient], course: str | None) -> CourseInfo | None:
    """Return the course a filter option names (None if not given), refusing one the bot does not have."""
    if course is None:
        return None
    try:
        return interaction.client.services.courses.named(course)
    except UnknownCourse as exc:
        raise UserFacingError(str(exc)) from None


async def server_course(interaction: discord.Interaction[RevisionClient], element: str | None = None) -> CourseInfo:
    """Return the course the server revises, or its own course if the element is one of that course's.

    An element id neither course has is refused.
    """
    services = interaction.client.services
    course = await services.courses.of_guild(interaction.guild_id)
    own = services.courses.own(interaction.guild_id)
    if element is not None and own is not None and element in own.element_ids:
        return own
    if element is not None and element not in course.element_ids:
        known = ", ".join(f"{e.id} ({e.title})" for c in (course, own) if c for e in services.catalog.elements(c.id))
        raise UserFacingError(f"There is no element {clip(element, 64)!r}. Choose one of: {known}.")
    return course
