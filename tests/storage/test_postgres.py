"""PostgreSQL alone: connections the server drops, and the lock that keeps a restore from running under a bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from bot.storage.db import Database
from bot.storage.postgres import describe, held_alone
from bot.storage.schema import DatabaseError, latest_version
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


RESTORING = "a restore is under way"


async def test_a_bot_starting_during_a_restore_stops_with_a_reason(pg_url: str) -> None:
    """While a restore holds the database, a bot that starts stops with a clear reason; afterwards it starts."""
    stops = r"is being restored or filled by `revbot db copy`: start the bot again when that has finished"
    with held_alone(pg_url, RESTORING), pytest.raises(DatabaseError, match=stops):
        await Database.open(pg_url)
    db = await Database.open(pg_url)
    await db.close()


async def test_a_restore_is_refused_while_a_bot_runs_even_after_it_reconnected(pg_url: str) -> None:
    """Every running bot keeps restores out, and takes its hold again when it connects again after an outage."""
    db = await Database.open(pg_url)
    other = await Database.open(pg_url)  # a second process on the same database
    try:
        await other.close()
        assert not _restore_allowed(pg_url)
        _drop_connections(pg_url)
        await db.write(lambda conn: conn.execute(INSERT_GUILD, (1,)))  # connects again
        assert not _restore_allowed(pg_url)
    finally:
        await db.close()
    assert _restore_allowed(pg_url)


def _restore_allowed(url: str) -> bool:
    try:
        with held_alone(url, RESTORING):
            return True
    except DatabaseError:
        return False


def test_migrate_command_reports_what_it_did(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """db migrate with DATABASE_URL creates the schema the first time and says it is up to date the second."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert main(["db", "migrate"]) == 0
    assert main(["db", "migrate"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith(f"PostgreSQL {describe(pg_url)}: applied 0001_initial.sql, ")
    assert second == f"PostgreSQL {describe(pg_url)}: already at version {latest_version()}"
