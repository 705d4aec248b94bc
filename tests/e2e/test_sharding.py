"""Sharding end to end: sharded IDENTIFY, processes that split the servers, and the IDENTIFY rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import RevisionBot
from bot.doctor import Status, check_shards
from bot.domain.clock import FixedClock
from bot.domain.shards import shard_of
from bot.pacing import POSTS_PER_SECOND
from bot.settings import Settings
from bot.storage.shard_reports import read_reports
from tests.e2e.test_faults import _schedule_due_slots
from tests.fakediscord.harness import running_bot
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import World

SHARDS = 2


@pytest.fixture
def fake_discord_world() -> World:
    """Two servers on each of two shards, each with a #quiz channel."""
    world = World.default()
    for shard_id in range(SHARDS):
        for n in range(2):
            world.add_guild(f"Shard {shard_id} server {n}", shard=(shard_id, SHARDS)).add_text_channel("quiz")
    return world


def _bot(settings: Settings, clock: FixedClock, **overrides: Any) -> RevisionBot:
    return RevisionBot(settings.model_copy(update=overrides), clock, guild_ready_timeout=0.05)


def _slot_guilds(bot: RevisionBot) -> set[int]:
    """Return the servers the bot has scheduled posts for."""
    return {int(job.split(":")[1]) for job in bot.scheduler.job_ids() if job.startswith("slot:")}


def _closing(bot: RevisionBot) -> list[int]:
    """Return the posts the bot will close."""
    return [int(job.split(":")[1]) for job in bot.scheduler.job_ids() if job.startswith("close:")]


@pytest.fixture
def shared_settings(settings: Settings, database_location: Path | str) -> Settings:
    """The settings with the database the processes share: an SQLite file, or PostgreSQL (one test per engine)."""
    if isinstance(database_location, Path):
        return settings.model_copy(update={"database_path": database_location})
    return settings.model_copy(update={"database_url": SecretStr(database_location)})


@pytest.fixture
async def two_processes(
    fake_discord: FakeDiscord, shared_settings: Settings, clock: FixedClock
) -> AsyncIterator[tuple[RevisionBot, RevisionBot]]:
    """Two bots on one database, SHARD_COUNT=2 with SHARD_IDS=0 and 1, as two processes would run."""
    first = _bot(shared_settings, clock, shard_count=SHARDS, shard_ids=(0,))
    second = _bot(shared_settings, clock, shard_count=SHARDS, shard_ids=(1,))
    async with running_bot(first, fake_discord), running_bot(second, fake_discord):
        yield first, second


async def test_each_shard_connects_with_only_its_servers(
    fake_discord: FakeDiscord, two_processes: tuple[RevisionBot, RevisionBot]
) -> None:
    """Each process IDENTIFYs its own shard and gets only the servers Discord puts on it."""
    shards = sorted(tuple(s.identify["shard"]) for s in fake_discord.gateway.sessions)
    assert shards == [(0, SHARDS), (1, SHARDS)]
    for shard_id, bot in enumerate(two_processes):
        assert {g.id for g in bot.guilds} == {g for g in fake_discord.world.guilds if shard_of(g, SHARDS) == shard_id}


async def test_two_processes_post_each_slot_once_each_for_its_own_servers(
    fake_discord: FakeDiscord, shared_settings: Settings, clock: FixedClock
) -> None:
    """With slots due in servers on both shards, each process schedules and posts only its servers' slots."""
    guilds = [g for g in fake_discord.world.guilds.values() if g.name.startswith("Shard")]
    due = await _schedule_due_slots(shared_settings.database_location, guilds)
    first = _bot(shared_settings, clock, shard_count=SHARDS, shard_ids=(0,))
    second = _bot(shared_settings, clock, shard_count=SHARDS, shard_ids=(1,))
    async with running_bot(first, fake_discord), running_bot(second, fake_discord):
        for shard_id, bot in enumerate((first, second)):
            assert _slot_guilds(bot) == {g.id for g in guilds if shard_of(g.id, SHARDS) == shard_id}
        await fake_discord.wait_for(
            lambda: sum(len(_closing(bot)) for bot in (first, second)) >= due,
            timeout=20,
            what="every due slot to be posted and its closing scheduled",
        )
        for shard_id, bot in enumerate((first, second)):  # each closes only the posts it made
            posts = [await bot.services.posts.get(post_id) for post_id in _closing(bot)]
            assert len(posts) == due // 2
            assert {shard_of(p.guild_id, SHARDS) for p in posts if p is not None} == {shard_id}
    for guild in guilds:  # a daily question and a spot-the-mistake each, never twice
        assert len(fake_discord.messages_in(guild.channel("quiz"))) == 2


async def test_each_process_paces_its_posts_at_its_shards_share(settings: Settings, clock: FixedClock) -> None:
    """With SHARD_IDS, a process paces posts at its share of the rate, so processes on one token share the limit."""
    assert _bot(settings, clock).delivery.pacer.rate == POSTS_PER_SECOND
    assert _bot(settings, clock, shard_count=4, shard_ids=(0, 1, 2, 3)).delivery.pacer.rate == POSTS_PER_SECOND
    assert _bot(settings, clock, shard_count=4, shard_ids=(3,)).delivery.pacer.rate == 11.25  # 49 / 4 - 1


async def test_one_process_runs_discords_recommended_shards_and_every_server(
    fake_discord: FakeDiscord, settings: Settings, clock: FixedClock
) -> None:
    """With no shard settings the bot connects as many shards as Discord recommends and schedules everything."""
    fake_discord.gateway.recommended_shards = SHARDS
    fake_discord.gateway.max_concurrency = SHARDS
    guilds = [g for g in fake_discord.world.guilds.values() if g.name.startswith("Shard")]
    Path(settings.database_file).parent.mkdir(parents=True)
    await _schedule_due_slots(settings.database_file, guilds)
    async with running_bot(_bot(settings, clock), fake_discord) as bot:
        assert bot.shard_count == SHARDS
        assert sorted(tuple(s.identify["shard"]) for s in fake_discord.gateway.sessions) == [(0, 2), (1, 2)]
        assert _slot_guilds(bot) == {g.id for g in guilds}
        assert shard_of(guilds[-1].id, SHARDS) == 1
        interaction = await fake_discord.slash("setup show", {}, guild=guilds[-1], user=fake_discord.world.owner)
        callback = await fake_discord.wait_for_callback(interaction)  # a command on shard 1 reaches the bot
        assert callback is not None


# A window of a second keeps the refusal case real on a loaded machine: the two shards IDENTIFY well inside it.
@pytest.mark.parametrize(("bot_window", "refused"), [(1.0, False), (0.0, True)])
async def test_shards_identify_no_faster_than_discords_max_concurrency(
    fake_discord: FakeDiscord,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    bot_window: float,
    refused: bool,
) -> None:
    """With max_concurrency 1, the second shard waits for the first's window; a bot that did not would be refused."""
    gateway = fake_discord.gateway
    gateway.recommended_shards, gateway.max_concurrency, gateway.identify_window = SHARDS, 1, 1.0
    monkeypatch.setattr(RevisionBot, "identify_window", bot_window)  # the fake's window, not Discord's 5 s
    async with running_bot(_bot(settings, clock), fake_discord) as bot:
        assert len(bot.shards) == SHARDS
    assert bool(gateway.identify_refusals) is refused
    times = sorted(at for at, _ in gateway.identifies)
    assert len(times) == SHARDS
    assert times[1] - times[0] >= gateway.identify_window


async def test_admin_status_shows_this_processs_shards(
    fake_discord: FakeDiscord, two_processes: tuple[RevisionBot, RevisionBot]
) -> None:
    """Each process's /admin status lists its own shard with its latency and servers, out of the total."""
    for shard_id in range(SHARDS):
        guild = next(g for g in fake_discord.world.guilds.values() if shard_of(g.id, SHARDS) == shard_id)
        interaction = await fake_discord.slash("admin status", {}, guild=guild, user=fake_discord.world.owner)
        callback = await fake_discord.wait_for_callback(interaction)
        fields = {f["name"]: f["value"] for f in callback["data"]["embeds"][0]["fields"]}
        servers = sum(1 for g in fake_discord.world.guilds if shard_of(g, SHARDS) == shard_id)
        assert re.fullmatch(
            rf"{shard_id}: (latency unknown|\d+ ms), {servers} servers?", fields[f"Shards here (of {SHARDS})"]
        )


async def test_doctor_shows_the_shards_of_every_running_process(
    fake_discord: FakeDiscord,
    shared_settings: Settings,
    clock: FixedClock,
    two_processes: tuple[RevisionBot, RevisionBot],
) -> None:
    """Each process records its own shard; doctor, run beside them, lists both with their servers."""
    database = shared_settings.database_location
    await fake_discord.wait_for(
        lambda: len(read_reports(database)) == SHARDS, timeout=10, what="both shards to be reported"
    )
    result = check_shards(database, clock.now())
    assert result is not None
    assert (result.status, result.detail) == (Status.PASSED, f"{SHARDS} of {SHARDS} reporting")
    servers = [sum(1 for g in fake_discord.world.guilds if shard_of(g, SHARDS) == s) for s in range(SHARDS)]
    assert [line.split(", ")[1] for line in result.more] == [f"{n} servers" for n in servers]


async def test_processes_started_together_identify_no_faster_than_discord_allows(
    fake_discord: FakeDiscord,
    shared_settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes starting at once, max_concurrency 1: the database spaces their shards' IDENTIFYs a window apart."""
    gateway = fake_discord.gateway
    gateway.max_concurrency, gateway.identify_window = 1, 1.0
    monkeypatch.setattr(RevisionBot, "identify_window", 1.0)  # the fake's window, not Discord's 5 s
    bots = [_bot(shared_settings, clock, shard_count=SHARDS, shard_ids=(s,)) for s in range(SHARDS)]
    async with contextlib.AsyncExitStack() as stack:
        await asyncio.gather(*(stack.enter_async_context(running_bot(bot, fake_discord)) for bot in bots))
        for shard_id, bot in enumerate(bots):  # both connected, each with its own servers
            mine = {g for g in fake_discord.world.guilds if shard_of(g, SHARDS) == shard_id}
            assert {g.id for g in bot.guilds} == mine
    assert gateway.identify_refusals == []
    times = sorted(at for at, _ in gateway.identifies)
    assert len(times) == SHARDS
    assert times[1] - times[0] >= gateway.identify_window
