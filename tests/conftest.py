"""Shared fixtures: a real SQLite file in tmp_path, a controlled clock, and the services over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
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


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "revbot.sqlite3")
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
