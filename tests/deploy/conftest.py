"""Fixtures for the deploy tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.schema import migrate_file


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A migrated database with one server, at DATA_DIR/revbot.sqlite3 for DATA_DIR=tmp_path/data."""
    path = tmp_path / "data" / "revbot.sqlite3"
    migrate_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (1, 0)")
    return path
