"""The SQLite database: connections, transactions, migrations, backup and restore."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from bot.storage.lock import DatabaseLock, LockHeld

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]

MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
MAX_BATCH = 256  # writes that share one COMMIT at most
# SQLite checkpoints the WAL itself every 1,000 pages; this caps the file it leaves behind.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
BACKUP_HEADROOM_BYTES = 64 * 1024 * 1024  # free space a backup must leave, so the bot's own writes never run out
BEFORE_RESTORE = ".before-restore-"  # the database a restore replaced is kept beside it as NAME.before-restore-TIME


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


def _configure(conn: sqlite3.Connection) -> None:
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
        _configure(conn)
        return apply_migrations(conn)
    finally:
        conn.close()


def check_database(path: Path) -> int:
    """Return the schema version of a valid, migrated revbot database, or raise DatabaseError."""
    if not path.is_file():
        raise DatabaseError(f"{path} does not exist")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
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
            _configure(src)
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
    needed = sum(p.stat().st_size for p in (source, source.with_name(source.name + "-wal")) if p.exists())
    free = shutil.disk_usage(folder).free
    if free < needed + BACKUP_HEADROOM_BYTES:
        raise DatabaseError(
            f"not enough free space in {folder}: a copy needs about {needed / 1e6:,.1f} MB, {free / 1e6:,.1f} MB is "
            f"free, and {BACKUP_HEADROOM_BYTES / 1e6:,.0f} MB must stay free for the bot. Delete old backups or "
            "choose another disk"
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
            _configure(dst)
            apply_migrations(dst)
        finally:
            dst.close()
            src.close()
        return kept
    finally:
        lock.release()


def _lock_for_use(path: Path) -> DatabaseLock:
    """Take the shared lock a running bot holds on its database (DatabaseError during a restore)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return DatabaseLock.take(path, exclusive=False)
    except LockHeld:
        raise DatabaseError(f"{path} is being restored: start the bot again when the restore has finished") from None


class _Thread:
    """One sqlite3 connection and the one thread that uses it."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(connection, *args) on the connection's thread."""
        if self.conn is None:
            raise sqlite3.ProgrammingError("the database is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self.conn, *args)

    async def open(self, path: Path) -> None:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None)
            _configure(conn)
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
            return conn

        self.conn = await asyncio.get_running_loop().run_in_executor(self._executor, connect)

    async def close(self) -> None:
        if self.conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.conn.close)
            self.conn = None
        self._executor.shutdown(wait=False)


class Transaction:
    """The writer connection inside a transaction, for repositories that write step by step."""

    def __init__(self, writer: _Thread) -> None:
        self._writer = writer

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return await self._writer.run(_changes, sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (a query, or a write with RETURNING) and return every row."""
        return await self._writer.run(_rows, sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run one statement and return its first row, if any."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


class Database:
    """One writer connection behind a lock, with group commit, and one reader connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = _Thread("sqlite-writer")
        self._reader = _Thread("sqlite-reader")
        self._write_lock = asyncio.Lock()
        self._queue: deque[tuple[Work[Any], asyncio.Future[Any]]] = deque()
        self._batcher: asyncio.Task[None] | None = None
        self._lock: DatabaseLock | None = None  # shared: a restore is refused while any bot holds it

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at path; hold its lock until close."""
        db = cls(path)
        db._lock = await asyncio.to_thread(_lock_for_use, path)
        try:
            await asyncio.to_thread(migrate_file, path)
            await db._writer.open(path)
            await db._reader.open(path)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Finish queued writes and close both connections."""
        if self._batcher is not None and not self._batcher.done():
            await asyncio.shield(self._batcher)  # if close is cancelled, queued writes still run
        await self._reader.close()
        await self._writer.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run writes as one transaction on the writer connection: all or nothing."""
        async with self._write_lock:
            await self._writer.run(_changes, "BEGIN IMMEDIATE", ())
            try:
                yield Transaction(self._writer)
            except BaseException:
                await self._writer.run(_rollback)
                raise
            await self._writer.run(_commit)

    async def write(self, work: Work[T]) -> T:
        """Run work(connection) as one transaction on the writer's thread: all or nothing."""
        async with self._write_lock:
            return await self._writer.run(_in_transaction, "BEGIN IMMEDIATE", work)

    async def write_batched(self, work: Work[T]) -> T:
        """Like write, but commit together with other writes queued at the same moment (group commit).

        Under a burst of clicks one COMMIT per answer is the limit; a batch shares one. A write that fails
        is undone alone (see _run_batch); a COMMIT that fails (a full disk) fails the whole batch.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.create_task(self._run_batches(), name="sqlite-group-commit")
        return await future

    async def _run_batches(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
            try:
                async with self._write_lock:
                    outcomes: list[tuple[bool, Any]] | BaseException = await self._writer.run(
                        _run_batch, [work for work, _ in batch]
                    )
            except Exception as exc:  # the COMMIT failed, or the database is closed: nothing in the batch was saved
                outcomes = exc
            for i, (_, future) in enumerate(batch):
                if future.done():  # its caller gave up waiting
                    continue
                if isinstance(outcomes, BaseException):
                    future.set_exception(outcomes)
                elif outcomes[i][0]:
                    future.set_result(outcomes[i][1])
                else:
                    future.set_exception(outcomes[i][1])

    async def read(self, work: Work[T]) -> T:
        """Run several reads in one snapshot on the reader's thread."""
        return await self._reader.run(_in_transaction, "BEGIN", work)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read on the reader connection and return every row."""
        return await self._reader.run(_rows, sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a read on the reader connection and return the first row, if any."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def schema_version(self) -> int:
        """Return the schema version recorded in the file."""
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def _changes(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    return conn.execute(sql, params).rowcount


def _run_batch(conn: sqlite3.Connection, works: list[Work[Any]]) -> list[tuple[bool, Any]]:
    """Run works in one transaction; if one fails, undo them all and run each in a transaction of its own.

    Failures are rare (a bug, a full disk), so the common case pays for no savepoints; the slow path gives
    every write the same outcome it would have had alone.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes: list[tuple[bool, Any]] = [(True, work(conn)) for work in works]
    except Exception:
        conn.rollback()
        return [_alone(conn, work) for work in works]
    except BaseException:
        conn.rollback()
        raise
    _commit(conn)
    return outcomes


def _alone(conn: sqlite3.Connection, work: Work[Any]) -> tuple[bool, Any]:
    try:
        return True, _in_transaction(conn, "BEGIN IMMEDIATE", work)
    except Exception as exc:
        return False, exc


def _in_transaction(conn: sqlite3.Connection, begin: str, work: Work[T]) -> T:
    conn.execute(begin)
    try:
        result = work(conn)
    except BaseException:
        conn.rollback()
        raise
    _commit(conn)
    return result


def _commit(conn: sqlite3.Connection) -> None:
    """Commit; if the COMMIT fails (a deferred constraint, a full disk), end the transaction anyway, so the
    connection's next write can begin instead of failing too."""
    try:
        conn.commit()
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.rollback()


def placeholders(values: Iterable[object]) -> str:
    """Return '?, ?, ?' for an IN list of these values."""
    return ", ".join("?" for _ in values)
