"""Glue between the fake server and discord.py: point it at the fake, run a bot, catch logged errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar

import discord
import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)
# ``timeout`` parameters (ASYNC109) are deliberate: they turn a hang into a readable failure.


@contextlib.contextmanager
def point_discord_py_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connection to the fake; restore on exit (process-wide)."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_bot(
    bot: ClientT,
    fake: FakeDiscord,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> AsyncIterator[ClientT]:
    """Start ``bot`` against the fake, wait until it is ready with every guild cached, close it on exit.

    Construct the bot with a small ``guild_ready_timeout`` (e.g. 0.05): discord.py waits that long
    after the last GUILD_CREATE before it dispatches on_ready.
    """
    task = asyncio.create_task(bot.start(fake.token), name="fakediscord-bot")
    try:
        await _wait_until_ready(bot, task, fake, timeout)
        yield bot
    finally:
        await bot.close()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
        elif not task.cancelled():
            task.exception()  # retrieved; a failure at start was already raised


async def _wait_until_ready(
    bot: discord.Client,
    task: asyncio.Task[None],
    fake: FakeDiscord,
    timeout: float,  # noqa: ASYNC109
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    wanted = set(fake.world.guilds)
    shard_ids, shard_count = getattr(bot, "shard_ids", None), bot.shard_count
    if shard_ids is not None and shard_count:  # a bot that runs some shards gets only their guilds
        wanted = {g for g in wanted if (g >> 22) % shard_count in shard_ids}
    while not (bot.is_ready() and wanted <= {g.id for g in bot.guilds}):
        if task.done():
            error = None if task.cancelled() else task.exception()
            raise RuntimeError(f"the bot stopped before it was ready: {error!r}") from error
        if loop.time() > deadline:
            raise AssertionError(f"the bot was not ready after {timeout}s")
        # discord.py has no event to await before login creates its ready flag, so poll briefly.
        await asyncio.sleep(0.005)


class LogErrors(logging.Handler):
    """Collects ERROR (and worse) records; discord.py logs and swallows exceptions in handlers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def report(self) -> str:
        return "\n\n".join(self.format(record) for record in self.records)


@contextlib.contextmanager
def capture_log_errors(*logger_names: str) -> Iterator[LogErrors]:
    """Attach a LogErrors handler to the named loggers (default: "discord") while the block runs."""
    handler = LogErrors()
    loggers = [logging.getLogger(name) for name in logger_names or ("discord",)]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
