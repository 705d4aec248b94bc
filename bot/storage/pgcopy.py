"""`revbot db copy`: move an SQLite database into an empty PostgreSQL database, all or nothing, counts checked."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

import psycopg

from bot.storage.files import check_database
from bot.storage.lock import DatabaseLock, LockHeld
from bot.storage.postgres import PgConnection, apply_migrations, current_version, describe, held_alone, reason
from bot.storage.schema import DatabaseError, latest_version, migrate_file

log = logging.getLogger(__name__)

BATCH_ROWS = 10_000  # rows read from SQLite at a time; a table longer than this reports its progress
_OWN_TABLES = ("schema_migrations",)  # written by the migrations on each side, not copied


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What a copy did: the migrations it applied to the SQLite file first, and the rows in each table."""

    migrated: tuple[str, ...]
    counts: dict[str, int]


def copy_to_postgres(source: Path, url: str, progress: Callable[[str], None]) -> CopyResult:
    """Copy every row of the SQLite database at source into the empty PostgreSQL database at url.

    The SQLite file is first brought up to this revbot's schema, as the bot does at start. The copy is one
    transaction: if anything fails, PostgreSQL is left with the schema and no rows.
    """
    version = check_database(source)
    try:
        lock = DatabaseLock.take(source, exclusive=True)  # no bot writes what the copy would miss
    except LockHeld:
        raise DatabaseError(
            f"the bot is running and using {source}: stop it first (sudo systemctl stop revbot), so that nothing "
            "it saves after the copy is lost"
        ) from None
    try:
        migrated = tuple(migrate_file(source)) if version < latest_version() else ()
        refusal = f"a bot is running and using PostgreSQL {describe(url)}: copy only into a database no bot uses"
        with held_alone(url, refusal) as target:
            try:
                _refuse_rows(target, url)
                apply_migrations(target)
                counts = _copy(source, target, progress)
            except psycopg.Error as exc:
                raise DatabaseError(f"PostgreSQL {describe(url)}: {_said(exc)}") from None
    finally:
        lock.release()
    return CopyResult(migrated, counts)


def _said(exc: psycopg.Error) -> str:
    """Return what the server said: its message, and the detail that names the row, if any."""
    primary, detail = exc.diag.message_primary, exc.diag.message_detail
    if not primary:
        return reason(exc)
    return f"{primary} ({detail.rstrip('.')})" if detail else primary


def _refuse_rows(target: PgConnection, url: str) -> None:
    """Raise DatabaseError if the target already holds rows in any of revbot's tables."""
    if current_version(target) == 0:
        return
    tables = _tables(target)
    filled = [table for table in tables if target.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]]
    if filled:
        raise DatabaseError(
            f"PostgreSQL {describe(url)} already holds revbot data (in {', '.join(filled)}): copy only into an "
            "empty database"
        )


def _tables(target: PgConnection) -> list[str]:
    """Return revbot's tables in the target, each after the tables its foreign keys point to."""
    names = [
        row[0]
        for row in target.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).fetchall()
        if row[0] not in _OWN_TABLES
    ]
    order: TopologicalSorter[str] = TopologicalSorter({name: () for name in names})
    for child, parent in target.execute(
        "SELECT child.relname, parent.relname FROM pg_constraint c "
        "JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid "
        "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
    ).fetchall():
        if child != parent:
            order.add(child, parent)
    return list(order.static_order())


def _copy(source: Path, target: PgConnection, progress: Callable[[str], None]) -> dict[str, int]:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.execute("BEGIN")  # one snapshot of the file
        tables = _tables(target)
        sqlite_tables = {
            row[0]
            for row in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        } - set(_OWN_TABLES)
        if sqlite_tables != set(tables):
            raise DatabaseError(
                f"the tables differ between {source} and PostgreSQL (only in SQLite: "
                f"{', '.join(sorted(sqlite_tables - set(tables))) or 'none'}; only in PostgreSQL: "
                f"{', '.join(sorted(set(tables) - sqlite_tables)) or 'none'}), though both are at schema version "
                f"{latest_version()}"
            )
        expected = {table: src.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
        target.execute("BEGIN")
        try:
            for table in tables:
                # The board totals are copied as they are: the triggers that keep them would count each answer again.
                target.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            for table in tables:
                _copy_table(src, target, table, expected[table], progress)
            for table in tables:
                target.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            _continue_ids(target)
            counts = {table: target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
            wrong = [
                f"{t} {expected[t]:,} in SQLite, {counts[t]:,} in PostgreSQL"
                for t in tables
                if counts[t] != expected[t]
            ]
            if wrong:
                raise DatabaseError(f"the row counts differ ({'; '.join(wrong)}), so nothing was copied")
        except BaseException:
            target.rollback()
            raise
        target.commit()
        return counts
    finally:
        src.close()


def _copy_table(
    src: sqlite3.Connection, target: PgConnection, table: str, total: int, progress: Callable[[str], None]
) -> None:
    columns = ", ".join(row[1] for row in src.execute(f"PRAGMA table_info({table})"))
    rows = src.execute(f"SELECT {columns} FROM {table}")
    done = 0
    with target.raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while batch := rows.fetchmany(BATCH_ROWS):
            for row in batch:
                copy.write_row(row)
            done += len(batch)
            if done < total:
                progress(f"{table}: {done:,} of {total:,} rows")
    progress(f"{table}: {total:,} rows")


def _continue_ids(target: PgConnection) -> None:
    """Set each identity column's sequence past the highest id copied, so that new rows get new ids."""
    for table, column in target.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall():
        target.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({column}), 0) + 1, false) FROM {table}",
            (table, column),
        )
