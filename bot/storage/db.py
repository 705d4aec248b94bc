"""The database: one writer connection with group commit, one reader, and their transactions.

SQLite (a file, the default) or PostgreSQL (a URL, for several processes). Repositories write the SQL both
engines share, with ? placeholders, and get a Connection: sqlite3's own, or bot.storage.postgres's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.storage.lock import DatabaseLock, LockHeld
from bot.storage.schema import DatabaseError, configure, migrate_file, postgres_url

log = logging.getLogger(__name__)

T = TypeVar("T")


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What repositories use of a connection: sqlite3.Connection has it, and so does postgres.PgConnection."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Cursor: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...

    @property
    def in_transaction(self) -> bool: ...


Work = Callable[[Connection], T]

MAX_BATCH = 256  # writes that share one COMMIT at most
# SQLite checkpoints the WAL itself every 1,000 pages; this caps the file it leaves behind.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


def _lock_for_use(path: Path) -> DatabaseLock:
    """Take the shared lock a running bot holds on its database (DatabaseError during a restore)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return DatabaseLock.take(path, exclusive=False)
    except LockHeld:
        raise DatabaseError(f"{path} is being restored: start the bot again when the restore has finished") from None


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
    return conn


class _Thread:
    """One connection and the one thread that uses it."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.conn: Any = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(connection, *args) on the connection's thread."""
        if self.conn is None:
            raise DatabaseClosed("the database is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self.conn is None:
            raise DatabaseClosed("the database is closed")
        if not self.conn.in_transaction and hasattr(self.conn, "reconnect_if_lost"):
            self.conn.reconnect_if_lost()  # PostgreSQL restarted: the next transaction gets a new connection
        return fn(self.conn, *args)

    async def open(self, connect: Callable[[], Any]) -> None:
        self.conn = await asyncio.get_running_loop().run_in_executor(self._executor, connect)

    async def close(self) -> None:
        if self.conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.conn.close)
            self.conn = None
        self._executor.shutdown(wait=False)


class DatabaseClosed(DatabaseError):
    """A statement was sent after the database was closed."""


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

    def __init__(self, path: Path | None, url: str | None = None) -> None:
        self.path = path  # the SQLite file, or None on PostgreSQL
        self.url = url  # the PostgreSQL URL, or None on SQLite
        self.engine = "postgresql" if url else "sqlite"
        # SQLite serialises writers itself; on PostgreSQL a write reads what other processes committed.
        self._begin_write = "BEGIN" if url else "BEGIN IMMEDIATE"
        # Several reads see one snapshot on both engines.
        self._begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if url else "BEGIN"
        self._writer = _Thread(f"{self.engine}-writer")
        self._reader = _Thread(f"{self.engine}-reader")
        self._write_lock = asyncio.Lock()
        self._queue: deque[tuple[Work[Any], asyncio.Future[Any]]] = deque()
        self._batcher: asyncio.Task[None] | None = None
        self._lock: DatabaseLock | None = None  # shared: a restore is refused while any bot holds it

    @classmethod
    async def open(cls, location: Path | str) -> Database:
        """Open and migrate the database: an SQLite file (created if needed) or a postgresql:// URL."""
        if isinstance(location, str) and postgres_url(location):
            return await cls._open_postgres(location)
        path = Path(location)
        db = cls(path)
        db._lock = await asyncio.to_thread(_lock_for_use, path)
        try:
            await asyncio.to_thread(migrate_file, path)
            await db._writer.open(partial(_sqlite_connect, path))
            await db._reader.open(partial(_sqlite_connect, path))
        except BaseException:
            await db.close()
            raise
        return db

    @classmethod
    async def _open_postgres(cls, url: str) -> Database:
        from bot.storage import postgres  # psycopg is loaded only by a bot that uses PostgreSQL

        db = cls(None, url)
        try:
            # The writer holds the lock a restore takes alone (DatabaseError during a restore), before migrating.
            await db._writer.open(partial(postgres.connect, url, in_use=True))
            await asyncio.to_thread(postgres.migrate, url)
            await db._reader.open(partial(postgres.connect, url))
        except BaseException:
            await db.close()
            raise
        return db

    def describe(self) -> str:
        """Return where the data is, for people: the file's name, or PostgreSQL's host and database."""
        if self.url:
            from bot.storage.postgres import describe

            return f"PostgreSQL {describe(self.url)}"
        return self.path.name if self.path else "?"

    async def size_bytes(self) -> int:
        """Return the database's size on disk."""
        if self.url:
            row = await self.fetch_one("SELECT pg_database_size(current_database())")
            return int(row[0]) if row else 0
        total = 0
        for part in (self.path, Path(f"{self.path}-wal")) if self.path else ():
            with contextlib.suppress(OSError):
                total += part.stat().st_size  # the write-ahead log holds recent writes too
        return total

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
            await self._writer.run(_changes, self._begin_write, ())
            try:
                yield Transaction(self._writer)
            except BaseException:
                await self._writer.run(_rollback)
                raise
            await self._writer.run(_commit)

    async def write(self, work: Work[T]) -> T:
        """Run work(connection) as one transaction on the writer's thread: all or nothing."""
        async with self._write_lock:
            return await self._writer.run(_in_transaction, self._begin_write, work)

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
                        _run_batch, self._begin_write, [work for work, _ in batch]
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
        return await self._reader.run(_in_transaction, self._begin_read, work)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read on the reader connection and return every row."""
        return await self._reader.run(_rows, sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a read on the reader connection and return the first row, if any."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


def _rows(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def _changes(conn: Connection, sql: str, params: Sequence[Any]) -> int:
    return conn.execute(sql, params).rowcount


def _run_batch(conn: Connection, begin: str, works: list[Work[Any]]) -> list[tuple[bool, Any]]:
    """Run works in one transaction; if one fails, undo them all and run each in a transaction of its own.

    Failures are rare (a bug, a full disk), so the common case pays for no savepoints; the slow path gives
    every write the same outcome it would have had alone.
    """
    conn.execute(begin)
    try:
        outcomes: list[tuple[bool, Any]] = [(True, work(conn)) for work in works]
    except Exception:
        conn.rollback()
        return [_alone(conn, begin, work) for work in works]
    except BaseException:
        conn.rollback()
        raise
    _commit(conn)
    return outcomes


def _alone(conn: Connection, begin: str, work: Work[Any]) -> tuple[bool, Any]:
    try:
        return True, _in_transaction(conn, begin, work)
    except Exception as exc:
        return False, exc


def _in_transaction(conn: Connection, begin: str, work: Work[T]) -> T:
    conn.execute(begin)
    try:
        result = work(conn)
    except BaseException:
        conn.rollback()
        raise
    _commit(conn)
    return result


def _commit(conn: Connection) -> None:
    """Commit; if the COMMIT fails (a deferred constraint, a full disk), end the transaction anyway, so the
    connection's next write can begin instead of failing too."""
    try:
        conn.commit()
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: Connection) -> None:
    if conn.in_transaction:
        conn.rollback()


def placeholders(values: Iterable[object]) -> str:
    """Return '?, ?, ?' for an IN list of these values."""
    return ", ".join("?" for _ in values)
