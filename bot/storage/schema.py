"""The schema: numbered migrations, applied in one transaction, and the settings every connection uses."""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Return the shipped migrations in order."""
    found = []
    for entry in resources.files("bot.storage").joinpath("migrations").iterdir():
        match = MIGRATION_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001 upwards without gaps: {[m.name for m in found]}")
    return found


def latest_version() -> int:
    """Return the schema version the code expects."""
    return migrations()[-1].version


class DatabaseError(Exception):
    """The database file cannot be used (not SQLite, damaged, or from a newer version)."""


def postgres_url(location: str) -> bool:
    """Return whether a database location is a PostgreSQL URL rather than an SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode a commit survives a crash of the bot, not of the OS


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations in one transaction; return the names applied."""
    # The version is read inside the write transaction, so a process that starts beside another waits for its
    # migrations, then finds nothing left to do.
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > latest_version():
            raise DatabaseError(
                f"the database is at schema version {current}, newer than this bot ({latest_version()})"
            )
        pending = [m for m in migrations() if m.version > current]
        if pending:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT"
            )
            now = int(time.time() * 1000)
            for m in pending:
                for statement in statements(m.sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, m.name, now))
            conn.execute(f"PRAGMA user_version = {pending[-1].version}")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.commit()
    return [m.name for m in pending]


def statements(script: str) -> list[str]:
    """Split an SQL script into its statements (a trigger's BEGIN ... END stays whole), comments dropped at the end."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current)
            current = ""
    return found


def migrate_file(path: Path) -> list[str]:
    """Create or upgrade the database file in WAL mode; return the migrations applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        configure(conn)
        _use_wal(conn)
        return apply_migrations(conn)
    finally:
        conn.close()


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL mode, waiting while another process does the same.

    Processes that start together on a new file both switch it; SQLite answers the second "locked" at once,
    without the busy timeout, so the wait is here.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
