"""Pytest fixtures for end-to-end tests against the fake Discord.

Register them in a test module with ``pytest_plugins = ["tests.fakediscord.fixtures"]`` (or once in
the root ``tests/conftest.py``). Override ``fake_discord_world`` in a test module to change the world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakediscord.harness import LogErrors, capture_log_errors, point_discord_py_at
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import World


@pytest.fixture
def discord_log_errors() -> Iterator[LogErrors]:
    """Fail the test if the ``discord`` logger records an ERROR; ``.clear()`` it after an expected one."""
    with capture_log_errors("discord") as errors:
        yield errors
    if errors.records:
        pytest.fail(f"discord.py logged {len(errors.records)} error(s):\n{errors.report()}", pytrace=False)


@pytest.fixture
def fake_discord_world() -> World:
    """The world the fake starts with: one guild, #general and #quiz, alice, bob and a tutor."""
    return World.default()


@pytest.fixture
async def fake_discord(discord_log_errors: LogErrors, fake_discord_world: World) -> AsyncIterator[FakeDiscord]:
    """A running fake Discord with discord.py pointed at it; fails on unknown routes the bot called."""
    fake = FakeDiscord(fake_discord_world)
    await fake.start()
    with point_discord_py_at(fake):
        try:
            yield fake
        finally:
            await fake.close()
    if fake.server_errors:
        pytest.fail(f"the fake server failed on requests: {fake.server_errors}", pytrace=False)
    if fake.unhandled:
        pytest.fail(f"the bot called routes the fake does not know: {fake.unhandled}", pytrace=False)
