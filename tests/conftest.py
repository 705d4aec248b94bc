"""Shared fixtures: a real database, a controlled clock, and the services over them.

The database fixture runs each test on both engines: an SQLite file in tmp_path, and a PostgreSQL database
emptied before the test (REVBOT_TEST_POSTGRES_URL names the server; `.ci/postgres` starts a throwaway one).
A test about SQLite alone is marked sqlite_only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.clock import FixedClock
from bot.services.answers import AnswerService
from bot.services.leaderboards import LeaderboardService
from bot.storage.answers import AnswerRepository
from bot.storage.boards import BoardRepository
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from bot.storage.posts import PostRepository

pytest_plugins = ["tests.fakediscord.fixtures"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def _no_database_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's DATABASE_URL or DATABASE_PATH never reaches a test (or a bot process a test starts)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_PATH", raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite; it runs on that engine alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("engine", ENGINES[:1] if only else ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test run's own, migrated to the latest schema."""
    from tests.pg import test_database

    yield from test_database()


@pytest.fixture
async def database_location(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where this test's database is: a new SQLite file, or the PostgreSQL test database, emptied."""
    if engine == "sqlite":
        return tmp_path / "revbot.sqlite3"
    from tests.pg import empty

    url = request.getfixturevalue("postgres_url")
    empty(url)
    return url


@pytest.fixture
async def db(database_location: Path | str) -> AsyncIterator[Database]:
    database = await Database.open(database_location)
    yield database
    await database.close()


@dataclass
class Core:
    """The storage and services a test needs, wired as the bot wires them."""

    db: Database
    clock: FixedClock
    guilds: GuildRepository
    posts: PostRepository
    answers: AnswerRepository
    boards: BoardRepository
    answer_service: AnswerService
    leaderboards: LeaderboardService


@pytest.fixture
def core(db: Database, clock: FixedClock) -> Core:
    guilds, posts, answers, boards = GuildRepository(db), PostRepository(db), AnswerRepository(db), BoardRepository(db)
    return Core(
        db,
        clock,
        guilds,
        posts,
        answers,
        boards,
        AnswerService(db, clock),
        LeaderboardService(db, clock),
    )
