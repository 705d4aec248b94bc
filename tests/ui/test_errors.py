"""Error replies stay short, whatever the input was."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.services.schedules import InvalidSchedule, zone_named
from bot.ui.errors import message_for
from bot.ui.options import Text


def test_a_refused_value_is_repeated_only_in_part() -> None:
    """A 3,000-character value Discord could not resolve is quoted cut short in the reply."""
    error = app_commands.TransformerError("9" * 3000, discord.AppCommandOptionType.user, Text("member", 10))
    text = message_for(error)
    assert text is not None
    assert text.startswith("'999") and text.endswith("…' is not a valid user.")
    assert len(text) < 100


def test_a_timezone_too_long_for_a_file_name_is_refused_clearly() -> None:
    """ZoneInfo raises OSError for a name longer than a file name may be; the tutor hears it is unknown."""
    with pytest.raises(InvalidSchedule) as refused:
        zone_named("Europe/" + "x" * 300)
    assert "is not a timezone I know" in str(refused.value)
    assert len(str(refused.value)) < 200
