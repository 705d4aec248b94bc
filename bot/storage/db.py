"""The SQLite database: connections, the one transaction helper, migrations, backup and restore."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.lock import DatabaseLock, LockHeld

log = logging.getLogger(__name__)

T = TypeVar("T")
_clock = time.monotonic  # when writes happened (tests move it on)
Queued = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]  # a batched write and its caller's future

MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Checkpoint every few seconds. Under a burst most pages an answer touches are touched again within seconds
# (totals, index ends), and a checkpoint copies each page once however often it changed: every 5 s copies
# about a third as much as every second did (measured: 2,500 v 5,900 pages a second).
CHECKPOINT_EVERY_S = 5.0
CHECKPOINT_NICE = 10  # the checkpointer thread's niceness (0 normal, 19 lowest)
# Keeping the WAL's size in check (Database.checkpoint). A background checkpoint never blocks the writer, so under a
# stream of writes with no pause each pass ends behind the newest frame and the WAL is never started afresh: at 2,000
# answers a second it grew by 26 MB a second (711 MB after 30 s). Past WAL_CAP_BYTES the writer pauses for one
# checkpoint of what is left, and the WAL is written from its start again. Once writes stop or slow to a trickle, a
# WAL file bigger than WAL_KEEP_BYTES is emptied. SQLite's journal_size_limit would cut it on the next commit
# instead, inside a learner's answer: freeing a file's blocks took 0.5 ms a MB on the VM's disk (148 ms for 250 MB).
WAL_KEEP_BYTES = 64 * 1024 * 1024
WAL_CAP_BYTES = 256 * 1024 * 1024
QUIET_S = 2.0  # no write for this long: the burst is over and the WAL file may be emptied
RESTART_WAIT_MS = 100  # how long that pause may wait for readers still on old frames; if longer, the next round retries
WAL_FRAME_HEADER = 24  # bytes before each page in the WAL
# Before that pause the checkpointer catches up in the background (_catch_up): rounds of one pass and a sync of the
# database file, each sync shorter than the one before as less was copied while it ran, until a sync takes no more
# than CATCH_UP_SYNC_S or after CATCH_UP_ROUNDS. Under 2,000 answers a second the syncs took about 400, 90, 50 and
# 20 ms, and the pause was 9 to 49 ms over sixteen restarts, against 84 to 206 ms over eight with a single round.
CATCH_UP_ROUNDS = 4
CATCH_UP_SYNC_S = 0.02
# Allocating the WAL's disk space ahead of the writer (Database._allocate_wal_ahead). While the WAL file grows, each
# page the writer adds past its end locks the file's block map, and each background pass's sync of the WAL finds
# disk blocks for what was added since the last one under that same lock. On the VM's disk that search waited for
# the filesystem's free-block maps to be read back in, and the writer waited 13 to 21 ms at every pass (traced with
# perf sched). So each round in which the file has grown, once it is past WAL_KEEP_BYTES, first allocates
# WAL_AHEAD_BYTES past its end in one call: the writer then writes inside the file, where the block map is already
# settled. Only a file already past WAL_KEEP_BYTES gets more space, so the rule for emptying the file decides as it
# would without it, and the space goes back with the rest of the file once the burst is over. Not while the disk
# has less than WAL_AHEAD_FREE_BYTES free. Where the filesystem cannot allocate without writing (ext2, NFS), the C
# library writes zeros instead, with writes paused (0.8 s for 128 MB on an ext2 file here): after one such
# call, seen as data where real allocation leaves none, or one slower than WAL_AHEAD_SLOW_S, the bot stops trying.
# On ext4 a call took 0.1 to 0.8 ms, and 53 ms once, while the disk was busy.
WAL_AHEAD_BYTES = 128 * 1024 * 1024
WAL_AHEAD_FREE_BYTES = 4 * WAL_AHEAD_BYTES
WAL_AHEAD_SLOW_S = 1.0
MAX_BATCH = 256
# The writer's thread runs queued batches back to back, up to this many before it lets other writes (a post being
# sent, a setting) take their turn at the write lock.
MAX_BATCHES_IN_A_ROW = 32
BUSY_TIMEOUT_MS = 5000
# The writer's page cache, kept small on purpose. When SQLite splits a B-tree page it renumbers pages through a spare
# page number past the 1 GiB mark; in a file smaller than that, the commit then walks the whole cache to drop pages
# past the end of the file. With 32 MiB of 1 KiB pages that walk cost about 1.2 ms a commit (found with perf and gdb),
# so small commits under a steady stream of answers paid it again and again. 4 MiB keeps the walk short and still
# holds the pages large batches reuse (benchmarks.answers: saturation as with 32 MiB; 2 and 8 MiB measured too).
# Pages it evicts stay in the OS's file cache.
WRITER_CACHE_KIB = 4 * 1024
# An answer changes about ten pages spread over the file (the answer, its indexes, three totals tables, the streak),
# and a commit writes each changed page whole to the WAL. With 1 KiB pages instead of SQLite's 4 KiB an answer
# writes 13 KB instead of 36 KB and the writer spends a fifth to a quarter less CPU on it; leaderboards read the
# same (measured in benchmarks.answers and benchmarks.leaderboards).
PAGE_SIZE = 1024
REPACK_SPACE_FACTOR = 2.2  # a compact copy beside the file, and a journal of the pages it overwrites
BACKUP_HEADROOM_BYTES = 64 * 1024 * 1024  # free space a backup must leave, so the bot's own writes never run out
BEFORE_RESTORE = ".before-restore-"  # the database a restore replaced is kept beside it as NAME.before-restore-TIME
REPACK_WAIT_S = 1.0  # how long a start waits for another program to let go of the file before it leaves the layout


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
    conn.execute("PRAGMA synchronous = NORMAL")


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
        try:
            _configure(src)
            dst = sqlite3.connect(partial)
            try:
                # One step: in WAL mode the copy reads one snapshot and never blocks the bot's writes. Copying in
                # steps started again whenever the bot wrote between two steps, so on a busy bot it never finished.
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained file with no -wal beside it
            finally:
                dst.close()
        finally:
            src.close()
        check_database(partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a broken copy among the backups
        raise
    partial.replace(destination)
    return destination.stat().st_size


def _refuse_same_file(database: Path, other: Path, advice: str) -> None:
    """Raise DatabaseError if other is the database file or one of SQLite's files beside it."""
    own = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    for path in own:
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
        return _restore_into(backup, target)
    finally:
        lock.release()


def _restore_into(backup: Path, target: Path) -> Path | None:
    scratch = target.with_name(target.name + ".restoring")
    scratch.unlink(missing_ok=True)  # left by an interrupted restore
    kept = None
    page_size = PAGE_SIZE
    if target.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        kept = target.with_name(f"{target.name}{BEFORE_RESTORE}{stamp}")
        backup_database(target, kept)
        page_size = _page_size(target)
    with _in_page_size(backup, page_size, scratch) as source:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
                _configure(dst)
                apply_migrations(dst)
            finally:
                dst.close()
        finally:
            src.close()
    return kept


def _lock_for_use(path: Path) -> DatabaseLock:
    """Take the shared lock a running bot holds on its database (DatabaseError during a restore)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return DatabaseLock.take(path, exclusive=False)
    except LockHeld:
        raise DatabaseError(f"{path} is being restored: start the bot again when the restore has finished") from None


def _page_size(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


@contextlib.contextmanager
def _in_page_size(path: Path, page_size: int, scratch: Path) -> Iterator[Path]:
    """Yield path, or a copy of it in scratch with the given page size if it has another.

    SQLite's backup cannot copy between page sizes into a database in WAL mode, so a backup taken before the
    page size changed is first copied (VACUUM INTO, which reads it as it is) into the live file's page size.
    """
    if _page_size(path) == page_size:
        yield path
        return
    scratch.unlink(missing_ok=True)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {page_size}")
        conn.execute("VACUUM INTO ?", (str(scratch),))
    finally:
        conn.close()
    try:
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)


Say = Callable[[int, str], object]  # (logging level, message)


def migrate_file(path: Path, say: Say = log.log) -> list[str]:
    """Create or upgrade the database file; return the migrations applied.

    A file made with another page size is first rebuilt with PAGE_SIZE pages; say reports on that.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _repack(path, say)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect only on a new file
        conn.execute("PRAGMA journal_mode = WAL")
        _configure(conn)
        return apply_migrations(conn)
    finally:
        conn.close()


def _repack(path: Path, say: Say) -> None:
    """Rebuild a file made with another page size with PAGE_SIZE pages, once (about 5 s for 300 MB here).

    Under an exclusive lock, a compact copy with the new page size is written beside the file (VACUUM INTO), then
    copied back over the file's own pages with SQLite's backup, which journals what it overwrites: an interruption
    leaves the original, and the file stays the same file, so a program that opened it meanwhile waits for the
    lock and then reads the new layout. SQLite leaves WAL mode and grants the lock only when no other connection
    is using the file; a file in use, or on a disk without room, is left as it was (it works as before) and the
    next start tries again.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    scratch = path.with_name(path.name + ".repack")
    not_now = (
        "The database file's layout was not updated: {}. The bot works as before and tries again at its next start."
    )
    conn = sqlite3.connect(path, isolation_level=None, timeout=REPACK_WAIT_S)
    try:
        try:
            if conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE:
                return
            conn.execute("PRAGMA journal_mode = DELETE")  # also empties the WAL into the file
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")  # held from the next write until the connection closes
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError:
            say(logging.WARNING, not_now.format("another program has it open"))
            return
        size = path.stat().st_size
        free = shutil.disk_usage(path.parent).free
        if free < size * REPACK_SPACE_FACTOR:
            room = f"it needs {size * REPACK_SPACE_FACTOR / 1e6:,.1f} MB of free space and {free / 1e6:,.1f} MB is free"
            say(logging.WARNING, not_now.format(room))
            return
        say(
            logging.INFO,
            f"Updating the database file's layout for faster answers ({size / 1e6:,.1f} MB). This happens once.",
        )
        started = time.perf_counter()
        try:
            scratch.unlink(missing_ok=True)  # left by an interrupted update; nobody else can be writing it now
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("VACUUM INTO ?", (str(scratch),))
            copy = sqlite3.connect(f"file:{scratch}?mode=ro", uri=True)
            try:
                copy.backup(conn)  # into a file outside WAL mode, the backup also changes its page size
            finally:
                copy.close()
        except (sqlite3.Error, OSError) as exc:
            say(logging.WARNING, not_now.format(f"an error stopped it ({exc})"))
            return
        finally:
            with contextlib.suppress(OSError):
                scratch.unlink(missing_ok=True)
    finally:
        conn.close()
    say(logging.INFO, f"Updated the database file's layout in {time.perf_counter() - started:.1f} s.")


class Database:
    """One writer connection behind a lock, one reader, and a checkpointer; all through aiosqlite."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection, checkpointer: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._checkpointer = checkpointer
        self._write_lock = asyncio.Lock()
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._frame_bytes = PAGE_SIZE + WAL_FRAME_HEADER
        self._wal_path = path.with_name(path.name + "-wal")
        self._last_write = _clock()  # when the writer last let go of the write lock
        self._queue: deque[Queued] = deque()
        self._batcher: asyncio.Task[None] | None = None
        # For syncing the database file before a WAL restart (_catch_up). Kept open until every connection has
        # closed: on Linux, closing any descriptor of a file drops every lock this process holds on it, SQLite's
        # included, and another program closing the database would then think it the last user and delete the WAL
        # the bot is still writing to (SQLite's "How To Corrupt An SQLite Database File", section 2.2).
        self._sync_fd: int | None = None
        self._wal_bytes_seen = 0  # the WAL file's size at the last round, allocation ahead included
        self._allocating = hasattr(os, "posix_fallocate")  # Linux and most Unixes; not macOS
        self._lock: DatabaseLock | None = None  # shared: a restore is refused while any bot holds it

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at path; hold its lock until close."""
        lock = await asyncio.to_thread(_lock_for_use, path)
        try:
            db = await cls._open(path)
        except BaseException:
            lock.release()
            raise
        db._lock = lock
        return db

    @classmethod
    async def _open(cls, path: Path) -> Database:
        await asyncio.to_thread(migrate_file, path)
        connections = []
        for _ in range(3):
            conn = await aiosqlite.connect(path, isolation_level=None)
            for pragma in (
                f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = NORMAL",
            ):
                await _run(conn, pragma)
            connections.append(conn)
        writer, reader, checkpointer = connections
        # The writer never checkpoints: doing so on the answer path is what made p99 jump. The
        # checkpointer connection does it in the background instead.
        await _run(writer, "PRAGMA wal_autocheckpoint = 0")
        await _run(writer, f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        # A checkpoint is a few hundred milliseconds of copying; at low priority it takes the CPU the writer
        # and the event loop leave, instead of slowing the clicks in flight.
        await _on_thread(checkpointer, _lower_priority)
        db = cls(path, writer, reader, checkpointer)
        db._frame_bytes = await _on_thread(writer, _page_size_of) + WAL_FRAME_HEADER
        with contextlib.suppress(OSError):  # without it the pause before a WAL restart syncs the file itself
            db._sync_fd = os.open(path, os.O_RDONLY)
        db._checkpoint_task = asyncio.create_task(db._checkpoint_loop(), name="sqlite-checkpoint")
        return db

    async def close(self) -> None:
        """Finish queued writes, stop checkpointing and close every connection."""
        if self._batcher is not None and not self._batcher.done():
            await asyncio.shield(self._batcher)  # if close is cancelled, queued writes still run
        if self._checkpoint_task is not None:
            self._checkpoint_task.cancel()
            try:
                await self._checkpoint_task
            except asyncio.CancelledError:
                pass
            except Exception:  # the connections must still close, or their threads keep the process alive
                log.exception("background checkpoints had stopped with an error")
        for conn in (self._reader, self._checkpointer, self._writer):
            await conn.close()
        if self._sync_fd is not None:
            os.close(self._sync_fd)  # only now: see __init__
            self._sync_fd = None  # a second close must not close a descriptor that number now names
        if self._lock is not None:
            self._lock.release()
            self._sync_fd = None

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            try:
                await self.checkpoint()
            except (sqlite3.Error, OSError) as exc:  # never fatal: the next round tries again
                log.warning("checkpoint failed: error=%s", exc)

    async def checkpoint(self) -> None:
        """Copy committed pages from the WAL into the database without blocking writers, and keep the WAL's size
        in check: restart it while writes go on once it passes WAL_CAP_BYTES, and cut its file back once writes stop
        or slow to a trickle."""
        await self._allocate_wal_ahead()
        frames, file_bytes = await _on_thread(self._checkpointer, _passive_checkpoint, self._wal_path)
        in_use = frames * self._frame_bytes
        if file_bytes > WAL_KEEP_BYTES and (in_use <= WAL_KEEP_BYTES // 4 or self._quiet()):
            # A burst is over (or down to a trickle, and the WAL started afresh since): cut the file back now rather
            # than in a learner's answer.
            await self._checkpoint_on_writer("TRUNCATE", frames)
            self._wal_bytes_seen = _file_size(self._wal_path)  # so the next burst counts as growth from here
            return
        if in_use <= WAL_CAP_BYTES:
            return
        # Writes never paused long enough for a pass to reach the newest frame. Copy and sync what the first pass
        # missed in the background, so that the pause below has little left to do.
        rounds, last_sync_ms = await _on_thread(self._checkpointer, _catch_up, self._sync_fd)
        caught_up = f" catch_up_rounds={rounds} last_sync_ms={last_sync_ms:.0f}"
        await self._checkpoint_on_writer("RESTART", frames, caught_up)

    async def _allocate_wal_ahead(self) -> None:
        """If the writer has made the WAL file longer since the last round and it is past WAL_KEEP_BYTES, allocate
        WAL_AHEAD_BYTES of disk space past its end. SQLite reads a WAL only up to its last valid frame, so the zeros
        past it are never taken for data, as with a WAL restarted over an older, longer one. Writes wait meanwhile
        (under a millisecond on ext4)."""
        size = _file_size(self._wal_path)
        grown = size > self._wal_bytes_seen
        self._wal_bytes_seen = size
        if not (grown and size > WAL_KEEP_BYTES and self._allocating):
            return
        async with self._write_lock:
            try:
                size, target, took_s, wrote = await _on_thread(self._writer, _allocate_past_end, self._wal_path)
            except FileNotFoundError:  # another program removed the WAL meanwhile: nothing to allocate for
                return
            except sqlite3.OperationalError as exc:  # another program kept the write lock: try at a later round
                log.info("wal space not allocated ahead: error=%s", exc)
                return
            except OSError as exc:  # a full disk, or a filesystem that refuses: carry on without
                self._allocating = False
                log.warning("allocating the WAL's disk space ahead failed; not trying again: error=%s", exc)
                return
        self._wal_bytes_seen = target
        if target == size:  # emptied meanwhile, or the disk is nearly full
            return
        log.info("wal space allocated ahead from_mb=%d to_mb=%d took_ms=%.1f", size >> 20, target >> 20, took_s * 1000)
        if wrote or took_s > WAL_AHEAD_SLOW_S:
            self._allocating = False
            why = "this filesystem writes zeros to allocate" if wrote else f"over {WAL_AHEAD_SLOW_S:.0f} s"
            log.warning(
                "allocating the WAL's disk space ahead paused writes for %.0f ms (%s); not trying again",
                took_s * 1000,
                why,
            )

    def _quiet(self) -> bool:
        """Whether no write is under way or queued, and none ended in the last QUIET_S seconds."""
        busy = self._write_lock.locked() or self._queue
        return not busy and _clock() - self._last_write >= QUIET_S

    async def _checkpoint_on_writer(self, mode: str, frames: int, detail: str = "") -> None:
        """Writes wait (the lock) while the writer's own connection, at its normal priority, checkpoints every frame;
        the WAL then starts from its beginning (RESTART) or from an empty file (TRUNCATE)."""
        async with self._write_lock:
            started = time.perf_counter()
            busy = await _on_thread(self._writer, _checkpoint_all, mode)
            paused_ms = (time.perf_counter() - started) * 1000
        if busy:
            log.warning(
                "wal checkpoint %s waited for a reader frames=%d%s paused_ms=%.0f", mode, frames, detail, paused_ms
            )
        else:
            log.info("wal checkpoint %s frames=%d%s paused_ms=%.0f", mode, frames, detail, paused_ms)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run writes as one transaction on the writer connection: all or nothing."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await self._writer.commit()
            except BaseException:
                if self._writer.in_transaction:  # also when COMMIT failed, so the next write can begin
                    await self._writer.rollback()
                raise
            finally:
                self._last_write = _clock()

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run work(connection) as one transaction on the writer's thread: one round trip, all or nothing.

        The hot paths (recording an answer) use this: each await on aiosqlite is a hop to its thread
        and back, and nine of them per answer were most of the cost.
        """
        async with self._write_lock:
            try:
                return await _on_thread(self._writer, _in_transaction, "BEGIN IMMEDIATE", work)
            finally:
                self._last_write = _clock()

    async def write_batched(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Like write, but commits together with other writes queued at the same moment.

        Under a burst of clicks, one COMMIT per answer is the limit (about 1,500 a second here);
        a batch shares one transaction and one COMMIT. A write that fails is undone alone (see _run_batch),
        so it never takes the others with it; a COMMIT that fails (a full disk) fails the whole batch.
        A lone write is committed at once, so nothing waits for company.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))  # type: ignore[arg-type]
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.create_task(self._run_batches(), name="sqlite-batch-writer")
        return await future

    async def _run_batches(self) -> None:
        settle = partial(asyncio.get_running_loop().call_soon_threadsafe, _settle)
        while self._queue:
            try:
                async with self._write_lock:
                    try:
                        await _on_thread(self._writer, _drain, self._queue, settle)
                    finally:
                        self._last_write = _clock()
            except Exception as exc:  # the writer's thread never took the queue (the connection is closed)
                waiting = list(self._queue)
                self._queue.clear()
                _settle(waiting, exc)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run several reads in one round trip and one snapshot on the reader's thread."""
        return await _on_thread(self._reader, _in_transaction, "BEGIN", work)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read on the reader connection and return every row."""
        return [tuple(r) for r in await self._reader.execute_fetchall(sql, params)]

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a read on the reader connection and return the first row, if any (one round trip)."""
        rows = await self._reader.execute_fetchall(sql, params)
        return tuple(rows[0]) if rows else None

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0


def _run_batch(conn: sqlite3.Connection, works: list[Callable[[sqlite3.Connection], Any]]) -> list[tuple[bool, Any]]:
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


def _drain(conn: sqlite3.Connection, queue: deque[Queued], settle: Callable[[list[Queued], Any], object]) -> None:
    """On the writer's thread: run the queued writes batch after batch, handing each batch's outcomes to the event
    loop (settle) without waiting for it, so the next batch starts at once.

    Waiting for the loop between batches left the writer idle a third of the time under a steady stream of answers.
    Only this thread takes from the queue and only the loop adds to it, so what it saw queued is there to take.
    """
    for _ in range(MAX_BATCHES_IN_A_ROW):
        if not queue:
            return
        # popleft, not slicing: under a backlog, copying the rest of the queue for every batch grew with it.
        batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
        try:
            outcomes: Any = _run_batch(conn, [work for work, _ in batch])
        except Exception as exc:  # the COMMIT itself failed: nothing in the batch was saved
            outcomes = exc
        except BaseException:
            settle(batch, RuntimeError("the writer stopped"))
            raise
        settle(batch, outcomes)


def _settle(batch: list[Queued], outcomes: list[tuple[bool, Any]] | Exception) -> None:
    """On the event loop: give each write in a batch its outcome (a write whose caller gave up is skipped)."""
    if isinstance(outcomes, Exception):
        for _, future in batch:
            if not future.done():
                future.set_exception(outcomes)
        return
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _alone(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
    try:
        return True, _in_transaction(conn, "BEGIN IMMEDIATE", work)
    except Exception as exc:
        return False, exc


def _passive_checkpoint(conn: sqlite3.Connection, wal: Path) -> tuple[int, int]:
    """Copy what the WAL holds into the database without blocking writers; return the frames written since the WAL
    last started afresh, and the WAL file's size."""
    [(_busy, frames, _copied)] = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return frames, _file_size(wal)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # no WAL yet, or the last connection closed and SQLite removed it
        return 0


def _allocate_past_end(conn: sqlite3.Connection, wal: Path) -> tuple[int, int, float, bool]:
    """Allocate WAL_AHEAD_BYTES of disk space past the end of the WAL file, making it that much longer; not if it is
    no longer past WAL_KEEP_BYTES (another program emptied it) or the disk has less than WAL_AHEAD_FREE_BYTES free.
    Return its size before and after, how long the allocation took in seconds, and whether it wrote zeros to do it.

    It runs inside a write transaction that writes nothing, so no program (this one's writer included) adds to the
    WAL meanwhile: where a filesystem cannot allocate without writing, the C library writes a zero byte into each
    empty-looking block instead, and one must never land on a frame."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        fd = os.open(wal, os.O_RDWR)  # SQLite holds no lock on the WAL file itself, so closing this drops none
        try:
            size = os.fstat(fd).st_size  # SQLite's frames end here or before
            disk = os.fstatvfs(fd)
            if size <= WAL_KEEP_BYTES or disk.f_bavail * disk.f_frsize < WAL_AHEAD_FREE_BYTES:
                return size, size, 0.0, False
            started = time.perf_counter()
            try:
                os.posix_fallocate(fd, size, WAL_AHEAD_BYTES)
            except OSError:
                os.ftruncate(fd, size)  # a failed call can keep what it took (ext4 does): give back those zeros
                raise
            took_s = time.perf_counter() - started
            return size, size + WAL_AHEAD_BYTES, took_s, _has_data_from(fd, size)
        finally:
            os.close(fd)
    finally:
        conn.execute("ROLLBACK")


def _has_data_from(fd: int, offset: int) -> bool:
    """Whether the file holds data in a block wholly past offset. Space allocated without writing reads as zeros but
    counts as a hole (ext4, xfs, tmpfs); the C library's fallback writes real zero bytes into each block."""
    if not hasattr(os, "SEEK_DATA"):
        return False
    block = os.fstat(fd).st_blksize
    try:
        os.lseek(fd, -(-offset // block) * block, os.SEEK_DATA)  # the block holding offset has frames in it
    except OSError:  # none
        return False
    return True


def _catch_up(conn: sqlite3.Connection, sync_fd: int | None) -> tuple[int, float]:
    """Shrink what the writer's pause will have to do, while writes go on: rounds of a pass (copying what was written
    since the last one) and a sync of the database file (a pass that ends behind the newest frame leaves its copies
    unsynced, and the pause would have to write them out), until a sync is quick; then one more pass. Return the
    rounds and how long the last sync took in milliseconds."""
    rounds, synced_s = 0, 0.0
    while rounds < CATCH_UP_ROUNDS:
        rounds += 1
        [(busy, _frames, _copied)] = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        if busy or sync_fd is None:  # another program is checkpointing, or no descriptor: the pause does the rest
            break
        started = time.perf_counter()
        try:
            os.fsync(sync_fd)
        except OSError as exc:  # not fatal here: the checkpoint in the pause syncs the file too, and reports errors
            log.warning("syncing the database file before a WAL restart failed: error=%s", exc)
            break
        synced_s = time.perf_counter() - started
        if synced_s <= CATCH_UP_SYNC_S:
            break
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return rounds, synced_s * 1000


def _checkpoint_all(conn: sqlite3.Connection, mode: str) -> bool:
    """Checkpoint every frame (RESTART or TRUNCATE), waiting at most RESTART_WAIT_MS for readers on old frames;
    return whether they kept it from finishing."""
    conn.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
    try:
        [(busy, _frames, _copied)] = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return bool(busy)


def _page_size_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_size").fetchone()[0])


def _lower_priority(_conn: sqlite3.Connection) -> None:
    """Lower the CPU priority of the calling thread (Linux threads have their own; elsewhere, nothing)."""
    if not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # never raises priority: a bot started at low priority stays there
        os.setpriority(os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), CHECKPOINT_NICE))


def _in_transaction(conn: sqlite3.Connection, begin: str, work: Callable[[sqlite3.Connection], T]) -> T:
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
        if conn.in_transaction:
            conn.rollback()
        raise


async def _on_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    # aiosqlite has no public call for "run this function on the connection's thread"; its
    # _execute is that call (pinned in constraints.txt, and covered by the storage tests).
    return await conn._execute(fn, conn._conn, *args)  # type: ignore[no-any-return]


async def _run(conn: aiosqlite.Connection, sql: str) -> None:
    """Run a statement to completion and finish its cursor, so no statement is left holding a snapshot."""
    async with conn.execute(sql) as cursor:
        await cursor.fetchall()


def placeholders(values: Iterable[object]) -> str:
    """Return '?, ?, ?' for an IN list of these values."""
    return ", ".join("?" for _ in values)
