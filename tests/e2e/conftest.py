"""End-to-end fixtures: the unmodified bot logged in to the fake Discord, with a controlled clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import RevisionBot
from bot.domain.clock import FixedClock
from bot.settings import Settings
from tests.fakediscord.harness import LogErrors, capture_log_errors, running_bot
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import World

CONTENT = Path(__file__).resolve().parents[2] / "content"

BotRunner = Callable[..., contextlib.AbstractAsyncContextManager[RevisionBot]]


def two_server_world() -> World:
    """Return the default world plus a second server with a #quiz channel, a tutor and the learner alice."""
    world = World.default()
    second = world.add_guild("Second")
    second.add_text_channel("quiz")
    for name in ("alice", "tutor"):
        second.add_member(next(u for u in world.users.values() if u.username == name))
    return world


@pytest.fixture
def clock() -> FixedClock:
    """A clock that starts at the real time (the scheduler runs on real time) and moves only when told."""
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path, fake_discord: FakeDiscord) -> Settings:
    return Settings(
        discord_token=fake_discord.token,
        content_dir=CONTENT,
        data_dir=tmp_path / "data",
        discord_api_base_url=fake_discord.api_base,
        discord_gateway_url=fake_discord.gateway_url,
    )


@pytest.fixture
def run_bot(fake_discord: FakeDiscord, settings: Settings, clock: FixedClock) -> BotRunner:
    """Return a context manager that starts the bot and stops it cleanly (use it twice to restart)."""

    @contextlib.asynccontextmanager
    async def runner(**overrides: Any) -> AsyncIterator[RevisionBot]:
        bot = RevisionBot(settings.model_copy(update=overrides), clock, guild_ready_timeout=0.05)
        async with running_bot(bot, fake_discord):
            yield bot

    return runner


@pytest.fixture
def bot_log_errors() -> Iterator[LogErrors]:
    """Fail the test if the bot's own code logs an ERROR (the generic apology is always logged as one)."""
    with capture_log_errors("bot", "cogs") as errors:
        yield errors
    if errors.records:
        pytest.fail(f"the bot logged {len(errors.records)} error(s):\n{errors.report()}", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the fault test did (its rounds and the faults injected), with or without -s."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "fault_summary":
                terminalreporter.write_line(str(value))
