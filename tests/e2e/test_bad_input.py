"""Bad option values get a private reply that says what is allowed, and nothing is logged as an error.

Discord's client keeps options within their limits, but values arrive as sent: from other clients, or
from a command Discord still shows in its old shape. The fake sends them unchecked, as Discord would.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.classquiz import ClassQuizRepository
from tests.e2e.conftest import BotRunner
from tests.fakediscord.harness import LogErrors
from tests.fakediscord.server import FakeDiscord

MANAGE_GUILD = 1 << 5
LONG = "x" * 3000
DAYS = "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday"


def _daily(**options: Any) -> dict[str, Any]:
    return {"channel": "quiz", "time": "09:00", "timezone": "Europe/London", **options}


CASES = [
    ("setup daily", _daily(close_after=0), "close_after must be between 1 and 168 hours."),
    ("setup daily", _daily(close_after=169), "close_after must be between 1 and 168 hours."),
    (
        "setup spot",
        {"channel": "quiz", "time": "16:00", "close_after": -1},
        "close_after must be between 1 and 168 hours.",
    ),
    ("setup daily", _daily(timezone="Europe/" + "x" * 300), "timezone can be at most 64 characters long."),
    ("setup daily", _daily(time=LONG), "time can be at most 16 characters long."),
    ("setup daily", _daily(days=LONG), "days can be at most 100 characters long."),
    ("setup weekly", {"channel": "quiz", "day": "someday", "time": "18:00"}, f"day must be one of: {DAYS}."),
    ("setup week-start", {"day": 3}, "day must be one of: Monday, Sunday, Saturday."),
    ("setup disable", {"kind": LONG}, "kind must be one of: daily question, spot the mistake, weekly summary."),
    ("post question", {"close_after": -1}, "close_after must be between 1 and 168 hours."),
    ("post challenge", {"close_after": 10_000}, "close_after must be between 1 and 168 hours."),
    ("post question", {"element": LONG}, "element can be at most 64 characters long."),
    ("class start", {"questions": 21}, "questions must be between 1 and 20."),
    ("class start", {"questions": 0}, "questions must be between 1 and 20."),
    ("class start", {"seconds": 9}, "seconds must be between 10 and 120."),
    ("class start", {"mode": "fast"}, "mode must be one of: timed, paced."),
    ("class results", {"quiz": 2**63}, "quiz must be the number of a class quiz: start typing to pick one."),
    ("leaderboard", {"period": "decade"}, "period must be one of: Today, This week, This month, All time."),
    ("leaderboard", {"element": LONG}, "element can be at most 64 characters long."),
    ("spot", {"element": LONG}, "element can be at most 64 characters long."),
    ("practice", {"element": LONG}, "element can be at most 64 characters long."),
    ("revise", {"element": LONG}, "element can be at most 64 characters long."),
    ("report", {"element": LONG}, "element can be at most 64 characters long."),
]


@pytest.mark.parametrize(
    ("command", "options", "expected"), CASES, ids=[f"{c[0]}-{c[2].split()[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_a_bad_value_is_refused_with_what_is_allowed(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    bot_log_errors: LogErrors,
    command: str,
    options: dict[str, Any],
    expected: str,
) -> None:
    """The reply is private, names the allowed values, and nothing is saved or posted."""
    if "channel" in options:
        options = {**options, "channel": fake_discord.guild.channel(options["channel"])}
    async with run_bot() as bot:
        interaction = await fake_discord.slash(
            command, options, user="tutor", permissions=MANAGE_GUILD, channel=fake_discord.guild.channel("quiz")
        )
        data = (await fake_discord.wait_for_callback(interaction))["data"]
        assert data["flags"] & 64
        assert data["content"] == expected
        assert await bot.services.guilds.schedules(fake_discord.guild.id) == []
        assert await ClassQuizRepository(bot.services.db).recent(fake_discord.guild.id) == []
    assert [m for m in fake_discord.messages_in(fake_discord.guild.channel("quiz")) if not m.ephemeral] == []


async def test_every_text_option_has_a_maximum_length(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    """Every free-text option of every synced command tells Discord its maximum length, and every number its bounds.

    Options with fixed choices are left out: Discord allows only the listed values, and the bot refuses others
    without repeating them.
    """
    async with run_bot():
        synced = [c for scope in fake_discord.commands.values() for c in scope]

    def leaves(options: list[dict[str, Any]], path: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for option in options:
            if option["type"] in (1, 2):  # a subcommand or a group of them
                found += leaves(option.get("options", []), f"{path} {option['name']}")
            else:
                found.append((f"{path} {option['name']}", option))
        return found

    options = [leaf for command in synced for leaf in leaves(command.get("options", []), command["name"])]
    texts = [(name, o) for name, o in options if o["type"] == 3 and not o.get("choices")]
    numbers = [(name, o) for name, o in options if o["type"] == 4 and not o.get("choices")]
    assert len(texts) >= 10 and numbers
    assert [name for name, o in texts if not o.get("max_length")] == []
    assert [name for name, o in numbers if o.get("min_value") is None or o.get("max_value") is None] == []
