"""Slash command options that Discord limits and the bot checks again when a value arrives.

Discord's client enforces an option's bounds, length and choices, but discord.py does not check them
on arrival (its Range only tells Discord), and a value from another client or an out-of-date command
arrives as sent. Each transformer here tells Discord the limits and refuses anything outside them with
a message that says what is allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from bot.course.models import ID_MAX_LENGTH
from bot.ui.errors import UserFacingError

log = logging.getLogger(__name__)


class Bounded(app_commands.Transformer):
    """A whole number between two bounds."""

    def __init__(self, name: str, low: int, high: int, unit: str = "", *, refusal: str | None = None) -> None:
        self._low, self._high = low, high
        self._refusal = refusal or f"{name} must be between {low} and {high}{' ' + unit if unit else ''}."

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return self._low

    @property
    def max_value(self) -> int:
        return self._high

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self._low <= value <= self._high:
            raise UserFacingError(self._refusal)
        return value


class Text(app_commands.Transformer):
    """A string of at most a given length (Discord otherwise accepts up to 6,000 characters)."""

    def __init__(self, name: str, max_length: int) -> None:
        self._name, self._max = name, max_length

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def max_value(self) -> int:
        return self._max  # discord.py sends a string option's max_value as its max_length

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> str:
        if not isinstance(value, str) or len(value) > self._max:
            raise UserFacingError(f"{self._name} can be at most {self._max} characters long.")
        return value


class Pick(app_commands.Transformer):
    """One of a fixed list of choices; the command receives the Choice."""

    def __init__(self, name: str, choices: Sequence[app_commands.Choice[Any]]) -> None:
        self._name, self._choices = name, list(choices)

    @property
    def type(self) -> discord.AppCommandOptionType:
        if isinstance(self._choices[0].value, int):
            return discord.AppCommandOptionType.integer
        return discord.AppCommandOptionType.string

    @property
    def choices(self) -> list[app_commands.Choice[Any]]:
        return self._choices

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> app_commands.Choice[Any]:
        for choice in self._choices:
            if choice.value == value:
                return choice
        names = ", ".join(c.name for c in self._choices)
        raise UserFacingError(f"{self._name} must be one of: {names}.")


# The options several commands share, with the limits the code behind them accepts.
ElementId = app_commands.Transform[str, Text("element", ID_MAX_LENGTH)]
CourseId = app_commands.Transform[str, Text("course", ID_MAX_LENGTH)]
CloseAfterHours = app_commands.Transform[int, Bounded("close_after", 1, 168, "hours")]
LocalTime = app_commands.Transform[str, Text("time", 16)]
TimezoneName = app_commands.Transform[str, Text("timezone", 64)]  # the longest IANA name has 32 characters
DaysText = app_commands.Transform[str, Text("days", 100)]
