"""Two `revbot run` processes, one per shard, sharing one PostgreSQL database and one fake Discord.

Each process posts its own servers' due slots. A click, a board or a class quiz start comes out the same
whichever process handles it: the fake sends each one to both processes at once (``shard=``), so that they race
for the same rows.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.domain.shards import shard_of
from tests.e2e.test_faults import MANAGE_GUILD, Bot, _buttons, _launch, _schedule_due_slots, _stop
from tests.fakediscord.messages import FakeInteraction, FakeMessage
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import FakeGuild, World
from tests.pg import create_database, drop_database

SHARDS = 2
SERVERS_PER_SHARD = 2
LEARNERS = ("alice", "bob")
POSTED = re.compile(r"posted guild=(\d+) post=(\d+)")


@pytest.fixture
def fake_discord_world() -> World:
    """Two servers on each shard, each with a #quiz channel, the learners alice and bob, and a tutor."""
    world = World.default()
    people = [u for u in world.users.values() if u.username in (*LEARNERS, "tutor")]
    for shard_id in range(SHARDS):
        for n in range(SERVERS_PER_SHARD):
            guild = world.add_guild(f"Shard {shard_id} server {n}", shard=(shard_id, SHARDS))
            guild.add_text_channel("quiz")
            for user in people:
                guild.add_member(user)
    return world


@pytest.fixture
def database_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of this test's own, dropped afterwards."""
    name = f"revbot_processes_{os.getpid()}"
    url = create_database(name)
    yield url
    drop_database(name)


def _rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _posted(fake: FakeDiscord, guilds: list[FakeGuild]) -> list[FakeMessage]:
    return [m for g in guilds for m in fake.messages_in(g.channel("quiz")) if _buttons(m)]


async def _start_both(fake: FakeDiscord, tmp_path: Path, url: str) -> list[Bot]:
    """Start one process per shard on the database at url; return once both shards are connected."""
    bots = [
        await _launch(
            fake,
            tmp_path / f"shard{shard_id}",
            SHARD_COUNT=str(SHARDS),
            SHARD_IDS=str(shard_id),
            DATABASE_URL=url,
            LOG_LEVEL="INFO",
        )
        for shard_id in range(SHARDS)
    ]

    def connected(shard_id: int) -> bool:
        session = fake.gateway.session_for(None, shard=shard_id)
        return session is not None and session.connected

    await fake.wait_for(
        lambda: any(b.proc.returncode is not None for b in bots) or all(map(connected, range(SHARDS))),
        timeout=60,
        what="both processes to connect their shards",
    )
    if any(b.proc.returncode is not None for b in bots):
        logs = [await _stop(b, signal.SIGKILL) for b in bots]
        raise AssertionError("a process did not start:\n" + "\n".join(logs))
    return bots


async def _both(fake: FakeDiscord, send: Any) -> list[dict[str, Any]]:
    """Send the same user action to each shard's process at once; return the callbacks, shard 0's first."""
    interactions: list[FakeInteraction] = await asyncio.gather(*(send(shard) for shard in range(SHARDS)))
    return [await fake.wait_for_callback(ix, timeout=15) for ix in interactions]


async def test_two_processes_on_postgresql_post_once_and_agree(
    fake_discord: FakeDiscord, tmp_path: Path, database_url: str
) -> None:
    """Every due slot goes out once, from its shard's process; clicks count once; boards and quizzes agree."""
    fake = fake_discord
    guilds = [g for g in fake.world.guilds.values() if g.name.startswith("Shard")]
    due = await _schedule_due_slots(database_url, guilds)
    bots = await _start_both(fake, tmp_path, database_url)
    try:
        await fake.wait_for(
            lambda: (
                len(_posted(fake, guilds)) >= due
                and _rows(database_url, "SELECT count(*) FROM posts WHERE message_id IS NOT NULL")[0][0] >= due
            ),
            timeout=30,
            what="every due slot to be posted and its message recorded",
        )
        correct = dict(_rows(database_url, "SELECT post_id, correct_option FROM posts WHERE origin = 'scheduled'"))
        assert len(correct) == due
        messages = _posted(fake, guilds)
        assert sorted(_buttons(m)[0][0] for m in messages) == sorted(correct)  # one message per post, none twice
        for guild in guilds:  # a daily question and a spot-the-mistake each
            assert len([m for m in messages if m.channel_id == guild.channel("quiz").id]) == 2

        # Each learner clicks each post, and the click reaches both processes at once: one records it.
        clicks = [
            (message, user, correct[_buttons(message)[0][0]] if user == "alice" else 0)
            for message in messages
            for user in LEARNERS
        ]
        replies = await asyncio.gather(
            *(
                _both(
                    fake,
                    lambda shard, m=message, u=user, o=option: fake.click(
                        m, f"rb:ans:{_buttons(m)[0][0]}:{o}", user=u, shard=shard
                    ),
                )
                for message, user, option in clicks
            )
        )
        for pair in replies:
            texts = sorted(reply["data"]["content"] for reply in pair)
            assert all(reply["data"]["flags"] & 64 for reply in pair)
            assert texts[0].startswith("You already"), texts
            assert texts[1].startswith(("✅", "❌")), texts
        answers = _rows(database_url, "SELECT post_id, user_id, choice FROM answers ORDER BY post_id, user_id")
        assert answers == sorted((_buttons(m)[0][0], fake.world.find_user(u).id, o) for m, u, o in clicks)

        # Both processes show the same board for every server, with alice's points on it.
        for guild in guilds:
            boards = await _both(
                fake,
                lambda shard, g=guild: fake.slash("leaderboard", {"period": "all"}, user="alice", guild=g, shard=shard),
            )
            embeds = [board["data"]["embeds"][0] for board in boards]
            assert embeds[0] == embeds[1]
            assert "Alice" in embeds[0]["description"]

        # Two processes asked to start a class quiz in one channel at once: one starts it, the other refuses.
        channel = guilds[0].channel("quiz")
        starts = await _both(
            fake,
            lambda shard: fake.slash(
                "class start",
                {"questions": 1, "mode": "paced"},
                user="tutor",
                channel=channel,
                permissions=MANAGE_GUILD,
                shard=shard,
            ),
        )
        refusals = [s for s in starts if s["data"].get("flags", 0) & 64]
        assert len(refusals) == 1 and "is already running in this channel" in refusals[0]["data"]["content"]
        live = "SELECT count(*) FROM class_quizzes WHERE state != 'finished' AND channel_id = %s"
        assert _rows(database_url, live, (channel.id,)) == [(1,)]
    finally:
        logs = await asyncio.gather(*(_stop(bot, signal.SIGTERM) for bot in bots))
    for shard_id, log in enumerate(logs):
        assert "Traceback" not in log and " ERROR " not in log, log
        assert len(re.findall(r"answer post=\d+ user=\d+ status=", log)) == len(clicks)  # each had every click
        posted_in = {int(m[1]) for m in POSTED.finditer(log)}
        assert posted_in == {g.id for g in guilds if shard_of(g.id, SHARDS) == shard_id}, log
        assert not list((tmp_path / f"shard{shard_id}").glob("*.sqlite3"))  # everything went to PostgreSQL
