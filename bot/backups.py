"""Dated backups in a folder, keeping the newest N: what the daily backup timer runs.

A copy of the SQLite file ends in .sqlite3, a pg_dump of a PostgreSQL database in .dump; the newest N of both kinds
together are kept, so that a database moved to PostgreSQL keeps the same number of copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.files import BEFORE_RESTORE, backup_database

BACKUP_RE = re.compile(r"^revbot-(\d{8}T\d{6}Z)(?:-(\d+))?\.(?:sqlite3|dump)$")
KEEP_BEFORE_RESTORE = 2  # copies of replaced databases kept beside the database; older ones are deleted
FILE_SUFFIXES = (".sqlite3", ".sqlite", ".db", ".dump")  # a PATH with one of these names a file, never a folder


@dataclass(frozen=True, slots=True)
class BackupResult:
    """The copy just written and the old copies removed to keep the newest N."""

    path: Path
    size: int
    removed: tuple[Path, ...]


def backups_in(folder: Path) -> list[Path]:
    """Return the dated backups in folder, oldest first (other files are never counted or touched)."""
    found = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        match = BACKUP_RE.match(entry.name)
        if match and entry.is_file():
            found.append((match.group(1), int(match.group(2) or 0), entry))
    return [path for *_, path in sorted(found)]


def dated_name(folder: Path, now: datetime, suffix: str = ".sqlite3") -> Path:
    """Return a new file name for a backup made at now, e.g. revbot-20260302T090000Z.sqlite3."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"revbot-{stamp}{suffix}", 0
    while path.exists():  # two backups in one second: number the later ones
        n += 1
        path = folder / f"revbot-{stamp}-{n}{suffix}"
    return path


def back_up(source: Path | str, destination: Path) -> int:
    """Copy the database (an SQLite file, or a PostgreSQL URL) to destination; return the copy's size in bytes."""
    if isinstance(source, str):
        from bot.storage.pgfiles import backup_postgres  # psycopg is loaded only where PostgreSQL is used

        return backup_postgres(source, destination)
    return backup_database(source, destination)


def backup_into(source: Path | str, folder: Path, keep: int | None, now: datetime | None = None) -> BackupResult:
    """Write a dated copy of the database into folder, then delete the oldest dated copies beyond keep."""
    if keep is not None and keep < 1:
        raise ValueError("--keep must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    destination = dated_name(folder, now or datetime.now(UTC), ".dump" if isinstance(source, str) else ".sqlite3")
    size = back_up(source, destination)
    removed: list[Path] = []
    if keep is not None:
        # The new copy always stays, even if the clock went back and its name sorts before older ones.
        others = [p for p in backups_in(folder) if p != destination]
        for old in others[: max(0, len(others) - (keep - 1))]:
            old.unlink()
            removed.append(old)
    return BackupResult(destination, size, tuple(removed))


def prune_before_restore(database: Path, keep: int = KEEP_BEFORE_RESTORE) -> list[Path]:
    """Delete all but the newest keep copies a restore left beside database (NAME.before-restore-TIME)."""
    prefix = database.name + BEFORE_RESTORE
    copies = sorted(p for p in database.parent.iterdir() if p.name.startswith(prefix))  # the names sort by time
    removed = copies[: max(0, len(copies) - keep)]
    for old in removed:
        old.unlink()
    return removed
