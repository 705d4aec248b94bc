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
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    pending = [m for m in migrations() if m.version > current]
    if current > latest_version():
        raise DatabaseError(f"the database is at schema version {current}, newer than this bot ({latest_version()})")
    if not pending:
        return []
    now = int(time.time() * 1000)
    script = [
        "BEGIN IMMEDIATE;",
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;",
    ]
    for m in pending:
        script.append(m.sql)
        script.append(f"INSERT INTO schema_migrations VALUES ({m.version}, '{m.name}', {now});")
    script.append(f"PRAGMA user_version = {pending[-1].version};")
    script.append("COMMIT;")
    try:
        conn.executescript("\n".join(script))
    except sqlite3.Error:
        if conn.in_transaction:
            conn.rollback()
        raise
    return [m.name for m in pending]


def migrate_file(path: Path) -> list[str]:
    """Create or upgrade the database file in WAL mode; return the migrations applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        configure(conn)
        return apply_migrations(conn)
    finally:
        conn.close()
