"""Dated backups with rotation (what the daily timer runs), and restoring one of them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.backups import backup_into, backups_in
from bot.cli import main
from bot.storage.files import check_database, restore_database

START = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)


def test_rotation_keeps_the_newest_copies(database: Path, tmp_path: Path) -> None:
    """Five daily runs with keep 3 leave the three newest valid copies; other files in the folder stay."""
    folder = tmp_path / "backups"
    folder.mkdir()
    unrelated = folder / "notes.txt"
    unrelated.write_text("mine", encoding="utf-8")
    removed = []
    for day in range(5):
        result = backup_into(database, folder, keep=3, now=START + timedelta(days=day))
        assert result.path.name == f"revbot-202603{day + 1:02d}T033000Z.sqlite3"
        assert result.size == result.path.stat().st_size
        removed.extend(p.name for p in result.removed)
    assert [p.name for p in backups_in(folder)] == [
        "revbot-20260303T033000Z.sqlite3",
        "revbot-20260304T033000Z.sqlite3",
        "revbot-20260305T033000Z.sqlite3",
    ]
    assert removed == ["revbot-20260301T033000Z.sqlite3", "revbot-20260302T033000Z.sqlite3"]
    assert unrelated.read_text(encoding="utf-8") == "mine"
    for copy in backups_in(folder):
        assert check_database(copy) >= 1


def test_two_backups_in_one_second_are_both_kept_in_order(database: Path, tmp_path: Path) -> None:
    """A second copy in the same second gets a number, and rotation treats it as the newer one."""
    first = backup_into(database, tmp_path, keep=2, now=START).path
    second = backup_into(database, tmp_path, keep=2, now=START).path
    third = backup_into(database, tmp_path, keep=2, now=START).path
    assert (first.name, second.name, third.name) == (
        "revbot-20260301T033000Z.sqlite3",
        "revbot-20260301T033000Z-1.sqlite3",
        "revbot-20260301T033000Z-2.sqlite3",
    )
    assert backups_in(tmp_path) == [second, third]


def test_the_new_copy_survives_a_clock_that_went_back(database: Path, tmp_path: Path) -> None:
    """If the clock is set back, the copy just made is still kept (it sorts first, but it is the newest)."""
    for day in range(3):
        backup_into(database, tmp_path, keep=2, now=START + timedelta(days=day))
    result = backup_into(database, tmp_path, keep=2, now=START - timedelta(days=30))
    assert result.path.exists()
    assert [p.name for p in backups_in(tmp_path)] == [result.path.name, "revbot-20260303T033000Z.sqlite3"]


def test_cli_backup_with_keep(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`revbot db backup --keep 2 DIR` writes a dated copy and says which old ones it removed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(database.parent))
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in ("revbot-20200101T000000Z.sqlite3", "revbot-20200102T000000Z.sqlite3"):
        (folder / name).write_bytes(b"old")
    assert main(["db", "backup", "--keep", "2", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (newest,) = [p for p in backups_in(folder) if p.read_bytes() != b"old"]
    assert lines[0].startswith(f"Backed up {database} to {newest} (")
    assert lines[1:] == [f"Removed old backup {folder / 'revbot-20200101T000000Z.sqlite3'}"]
    assert len(backups_in(folder)) == 2
    assert main(["db", "backup", "--keep", "0", str(folder)]) == 2


def test_restore_from_a_rotated_backup(database: Path, tmp_path: Path) -> None:
    """The documented restore: a dated copy replaces the database and the data comes back."""
    copy = backup_into(database, tmp_path / "backups", keep=14, now=START).path
    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM guilds")
    kept = restore_database(copy, database)
    assert kept is not None and kept.exists()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT guild_id FROM guilds").fetchall() == [(1,)]
