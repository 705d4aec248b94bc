"""PostgreSQL alone: connections the server drops, and the lock that keeps a restore from running under a bot."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from bot.storage.db import Database
from tests.pg import another_database

INSERT_GUILD = "INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, so that dropping every connection to it touches no other test."""
    with another_database("conn") as url:
        yield url


def _drop_connections(url: str) -> None:
    """Do what a PostgreSQL restart does to the bot: the server ends every other connection to the database."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid != pg_backend_pid()"
        )


async def _guild_ids(db: Database) -> list[int]:
    return [row[0] for row in await db.fetch_all("SELECT guild_id FROM guilds ORDER BY guild_id")]


async def test_connections_the_server_dropped_are_made_again_for_the_next_write(pg_url: str) -> None:
    """After a PostgreSQL restart between two writes, the next write and read succeed and nothing is lost."""
    db = await Database.open(pg_url)
    try:
        await db.write(lambda conn: conn.execute(INSERT_GUILD, (1,)))
        _drop_connections(pg_url)
        await db.write(lambda conn: conn.execute(INSERT_GUILD, (2,)))
        await db.write_batched(lambda conn: conn.execute(INSERT_GUILD, (3,)))
        assert await _guild_ids(db) == [1, 2, 3]
    finally:
        await db.close()


async def test_a_transaction_the_server_cuts_fails_once_and_keeps_nothing(pg_url: str) -> None:
    """A connection dropped inside a transaction fails that transaction alone; the next write is saved, and every
    earlier commit is kept."""
    db = await Database.open(pg_url)
    try:
        await db.write(lambda conn: conn.execute(INSERT_GUILD, (1,)))
        with pytest.raises(psycopg.OperationalError):
            async with db.transaction() as tx:
                await tx.execute(INSERT_GUILD, (2,))
                _drop_connections(pg_url)
                await tx.execute(INSERT_GUILD, (3,))
        await db.write(lambda conn: conn.execute(INSERT_GUILD, (4,)))
        assert await _guild_ids(db) == [1, 4]
    finally:
        await db.close()
