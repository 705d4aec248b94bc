"""The database file as a whole: checking, backing up and restoring it."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from bot.storage.lock import DatabaseLock, LockHeld
from bot.storage.schema import DatabaseError, apply_migrations, configure, latest_version

BACKUP_HEADROOM_BYTES = 64 * 1024 * 1024  # free space a backup must leave, so the bot's own writes never run out
BEFORE_RESTORE = ".before-restore-"  # the database a restore replaced is kept beside it as NAME.before-restore-TIME


def check_database(path: Path) -> int:
    """Return the schema version of a valid, migrated revbot database, or raise DatabaseError."""
    if not path.is_file():
        raise DatabaseError(f"{path} does not exist")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PGDMP"):
        raise DatabaseError(f"{path} is a PostgreSQL dump: set DATABASE_URL to restore it into PostgreSQL")
    if head != b"SQLite format 3\x00":
        raise DatabaseError(f"{path} is not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} cannot be opened: {exc}") from exc
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise DatabaseError(f"{path} is damaged (SQLite's quick_check failed)")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in tables or version < 1:
            raise DatabaseError(f"{path} is not a revbot database (no migrations recorded)")
        recorded = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        if recorded != version:
            raise DatabaseError(f"{path} is half-migrated (version {version}, migrations up to {recorded})")
        if version > latest_version():
            raise DatabaseError(f"{path} is from a newer revbot (schema version {version})")
        missing = {"guilds", "posts", "answers"} - tables
        if missing:
            raise DatabaseError(f"{path} lacks tables: {', '.join(sorted(missing))}")
        return int(version)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be read: {exc}") from exc
    finally:
        conn.close()


def backup_database(source: Path, destination: Path) -> int:
    """Copy a live database with SQLite's online backup API; return the destination's size in bytes."""
    _refuse_same_file(source, destination, "back it up to another file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    _check_room(source, destination.parent)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            configure(src)
            # One step: in WAL mode the copy reads one snapshot and never blocks the bot's writes. Copying in
            # steps starts again whenever the bot writes between two steps, so on a busy bot it would never finish.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained file with no -wal beside it
        finally:
            dst.close()
            src.close()
        check_database(partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a broken copy among the backups
        raise
    partial.replace(destination)
    return destination.stat().st_size


def _refuse_same_file(database: Path, other: Path, advice: str) -> None:
    """Raise DatabaseError if other is the database file or one of SQLite's files beside it."""
    for path in (database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")):
        same = other.exists() and path.exists() and other.samefile(path)
        if same or other.resolve() == path.resolve():
            raise DatabaseError(f"{other} is the database itself: {advice}")


def _check_room(source: Path, folder: Path) -> None:
    """Raise DatabaseError unless folder's disk has room for a copy of source and BACKUP_HEADROOM_BYTES more."""
    check_room(folder, sum(p.stat().st_size for p in (source, source.with_name(source.name + "-wal")) if p.exists()))


def check_room(folder: Path, needed: int | None = None) -> None:
    """Raise DatabaseError unless folder's disk has room for needed bytes (if known) and BACKUP_HEADROOM_BYTES more."""
    free = shutil.disk_usage(folder).free
    if free < (needed or 0) + BACKUP_HEADROOM_BYTES:
        copy = "" if needed is None else f"a copy needs about {needed / 1e6:,.1f} MB, "
        raise DatabaseError(
            f"not enough free space in {folder}: {copy}{free / 1e6:,.1f} MB is free, and "
            f"{BACKUP_HEADROOM_BYTES / 1e6:,.0f} MB must stay free for the bot. Delete old backups or choose "
            "another disk"
        )


def restore_database(backup: Path, target: Path) -> Path | None:
    """Replace target with a checked backup; return where the previous database was kept, if any.

    Refused (DatabaseError) while a bot has target open: it would go on writing into the replaced file.
    """
    _refuse_same_file(target, backup, "choose a backup to restore")
    check_database(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock = DatabaseLock.take(target, exclusive=True)
    except LockHeld:
        raise DatabaseError(
            f"the bot is running and using {target}: stop it first (sudo systemctl stop revbot), restore, "
            "then start it again"
        ) from None
    try:
        kept = None
        if target.exists():
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
            kept = target.with_name(f"{target.name}{BEFORE_RESTORE}{stamp}")
            backup_database(target, kept)
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            # SQLite's backup cannot change the page size of a database in WAL mode, and a backup may have
            # another page size than the file it replaces (both depend on the release that made them).
            page_size = "PRAGMA page_size"
            if dst.execute(page_size).fetchone() != src.execute(page_size).fetchone():
                dst.execute("PRAGMA journal_mode = DELETE")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
            configure(dst)
            apply_migrations(dst)
        finally:
            dst.close()
            src.close()
        return kept
    finally:
        lock.release()
