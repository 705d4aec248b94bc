"""The database file: migrations, WAL, one scheduled post per day, backup and restore."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import main
from bot.domain.entities import NewPost, PostKind
from bot.domain.scoring import Origin
from bot.storage.answers import AnswerRepository
from bot.storage.db import (
    PAGE_SIZE,
    Database,
    DatabaseError,
    apply_migrations,
    backup_database,
    check_database,
    latest_version,
    migrate_file,
    migrations,
)
from bot.storage.lock import DatabaseLock
from tests.conftest import Core
from tests.helpers import make_post


async def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    """Opening a new file creates the schema, records its version, and turns on WAL and foreign keys."""
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        assert await db.schema_version() == latest_version()
        assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetch_one("PRAGMA page_size"))[0] == PAGE_SIZE  # type: ignore[index]
        recorded = await db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [r[1] for r in recorded] == [m.name for m in migrations()]
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    """A second start on the same file keeps the data and the version."""
    path = tmp_path / "again.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO guilds (guild_id, created_at) VALUES (5, 0)")
    await db.close()
    db = await Database.open(path)
    try:
        assert await db.fetch_all("SELECT guild_id FROM guilds") == [(5,)]
        assert len(await db.fetch_all("SELECT * FROM schema_migrations")) == len(migrations())
    finally:
        await db.close()


async def test_failed_transaction_leaves_nothing(core: Core) -> None:
    """An error inside a transaction rolls back every write in it."""
    with pytest.raises(RuntimeError):
        async with core.db.transaction() as tx:
            await tx.execute("INSERT INTO guilds (guild_id, created_at) VALUES (9, 0)")
            raise RuntimeError("boom")
    assert await core.db.fetch_all("SELECT guild_id FROM guilds") == []


async def test_a_scheduled_post_exists_once_per_server_kind_and_local_date(core: Core) -> None:
    """A second scheduled post for the same local date is refused; manual posts are not limited."""
    first = await make_post(core, origin=Origin.SCHEDULED, local_date="2026-03-02")
    async with core.db.transaction() as tx:
        again = await core.posts.create(
            tx,
            NewPost(
                guild_id=1,
                kind=PostKind.QUESTION,
                origin=Origin.SCHEDULED,
                item_id="x",
                element_id="alpha",
                correct_option=0,
                option_count=2,
                opens_at=core.clock.now(),
                closes_at=None,
                local_date="2026-03-02",
            ),
        )
    assert again is None
    other_kind = await make_post(core, origin=Origin.SCHEDULED, local_date="2026-03-02", kind=PostKind.CHALLENGE)
    manual = [await make_post(core, origin=Origin.MANUAL) for _ in range(2)]
    assert len({first.post_id, other_kind.post_id, *(p.post_id for p in manual)}) == 4


async def test_a_post_closes_once(core: Core) -> None:
    """An open post is listed for closing until it is closed, and closing it again changes nothing."""
    post = await make_post(core, open_for=timedelta(minutes=10))
    assert [p.post_id for p in await core.posts.open_posts()] == [post.post_id]
    core.clock.advance(timedelta(minutes=10))
    assert await core.posts.close(post.post_id, core.clock.now())
    assert not await core.posts.close(post.post_id, core.clock.now())
    assert await core.posts.open_posts() == []


async def test_backup_while_open_and_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], core: Core
) -> None:
    """A backup taken while the bot has the database open restores every answer once the bot has stopped."""
    monkeypatch.setenv("DATABASE_PATH", str(core.db.path))
    post = await make_post(core, correct=0)
    for user in range(5):
        await core.answer_service.record_answer(post.post_id, user, f"L{user}", 0)
    backup = tmp_path / "backups" / "copy.sqlite3"
    assert main(["db", "backup", str(backup)]) == 0
    assert check_database(backup) == latest_version()
    async with core.db.transaction() as tx:
        await tx.execute("DELETE FROM answers")
    await core.db.close()  # the bot stops
    assert main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert "the previous database is kept at" in out
    assert await _answers_after_start(core.db.path, post.post_id) == 5


async def test_restore_is_refused_while_the_bot_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], core: Core
) -> None:
    """While the bot has the database open, restore changes nothing and says to stop the bot first."""
    monkeypatch.setenv("DATABASE_PATH", str(core.db.path))
    post = await make_post(core, correct=0)
    await core.answer_service.record_answer(post.post_id, 1, "Sam", 0)
    backup = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(backup)]) == 0
    await core.answer_service.record_answer(post.post_id, 2, "Ali", 0)
    assert main(["db", "restore", str(backup)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Not restored: the bot is running and using") and "sudo systemctl stop revbot" in err
    assert len(await core.answers.for_post(post.post_id)) == 2
    assert [name for name in _beside(core.db.path) if ".before-restore-" in name] == []


async def test_a_bot_starting_during_a_restore_stops_with_a_reason(tmp_path: Path) -> None:
    """The lock a restore holds keeps a bot from opening the database it is replacing."""
    path = tmp_path / "revbot.sqlite3"
    migrate_file(path)
    restoring = DatabaseLock.take(path, exclusive=True)
    try:
        with pytest.raises(DatabaseError, match="is being restored"):
            await Database.open(path)
    finally:
        restoring.release()
    db = await Database.open(path)
    await db.close()


async def _answers_after_start(path: Path, post_id: int) -> int:
    """Open the database as a starting bot would and count a post's answers."""
    db = await Database.open(path)
    try:
        return len(await AnswerRepository(db).for_post(post_id))
    finally:
        await db.close()


def test_backup_finishes_while_the_bot_keeps_writing(tmp_path: Path) -> None:
    """A backup of a file bigger than one copying step completes while another connection commits every moment,
    and holds every answer committed before it began."""
    path = tmp_path / "live.sqlite3"
    _old_database(path, answers=20_000)
    migrate_file(path)  # today's layout, WAL mode
    writing, stop = threading.Event(), threading.Event()
    gave_up: list[bool] = []
    committed: list[int] = []

    def bot_writes() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA synchronous = OFF")  # a commit every moment, as a busy bot's are
        deadline = time.monotonic() + 10
        guild = 100
        while not stop.is_set() and time.monotonic() < deadline:
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (guild,))
            committed.append(guild)
            guild += 1
            writing.set()
        gave_up.append(not stop.is_set())
        conn.close()

    writer = threading.Thread(target=bot_writes)
    writer.start()
    assert writing.wait(10)
    before = len(committed)
    try:
        backup_database(path, tmp_path / "copy.sqlite3")
    finally:
        stop.set()
        writer.join()
    assert gave_up == [False]  # the backup ended while the writes were still going on
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert copy.execute("SELECT COUNT(*) FROM guilds").fetchone()[0] >= 1 + before
    finally:
        copy.close()
    assert _layout(tmp_path / "copy.sqlite3")[2] == 20_000 * 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a database at all", "is not an SQLite database"),
        (None, "is not a revbot database"),
    ],
)
def test_restore_refuses_what_is_not_a_revbot_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    """Restore refuses a file that is not SQLite, or an SQLite file that revbot never migrated."""
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "live.sqlite3"))
    bad = tmp_path / "bad.sqlite3"
    if content is None:
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE something (x)")
        conn.commit()
        conn.close()
    else:
        bad.write_bytes(content)
    assert main(["db", "restore", str(bad)]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "live.sqlite3").exists()


def test_check_refuses_a_database_from_a_newer_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database migrated by a newer revbot is not restored over this one."""
    path = tmp_path / "newer.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert main(["db", "migrate"]) == 0
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future.sql', 0)", (latest_version() + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer revbot"):
        check_database(path)


def test_migrate_command_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """db migrate creates the file the first time and says it is up to date the second."""
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "revbot.sqlite3"))
    assert main(["db", "migrate"]) == 0
    assert main(["db", "migrate"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert "applied 0001_initial.sql" in first
    assert second.endswith(f"already at version {latest_version()}")


async def test_batched_writes_commit_together_and_fail_alone(core: Core) -> None:
    """Writes queued together are all saved, except one that fails, which leaves nothing behind."""

    def insert(guild_id: int) -> object:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (guild_id,))
            if guild_id == 3:
                raise ValueError("this one fails")
            return guild_id

        return core.db.write_batched(work)

    results = await asyncio.gather(*(insert(g) for g in range(1, 6)), return_exceptions=True)
    assert results[:2] == [1, 2] and results[3:] == [4, 5]
    assert isinstance(results[2], ValueError)
    assert await core.db.fetch_all("SELECT guild_id FROM guilds ORDER BY guild_id") == [(1,), (2,), (4,), (5,)]


@pytest.mark.skipif(not hasattr(__import__("os"), "setpriority"), reason="thread priorities are a Linux feature")
async def test_checkpoints_run_at_low_priority_and_writes_do_not(core: Core) -> None:
    """The background checkpointer yields the CPU to the writer, which keeps normal priority."""
    import os
    import threading

    from bot.storage.db import CHECKPOINT_NICE, _on_thread

    def niceness(_conn: sqlite3.Connection) -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert await _on_thread(core.db._checkpointer, niceness) == min(19, max(base, CHECKPOINT_NICE))
    assert await _on_thread(core.db._writer, niceness) == base


def _old_database(path: Path, answers: int = 300) -> None:
    """Write a migrated database the way revbot made them before it chose its page size (4 KiB pages)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    apply_migrations(conn)
    conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (1, 0)")
    conn.execute(
        "INSERT INTO posts (post_id, guild_id, channel_id, kind, origin, item_id, element_id, option_count, "
        "correct_option, opens_at, closes_at, state) "
        "VALUES (1, 1, 2, 'question', 'manual', 'q1', 'e1', 4, 0, 0, 1, 'closed')"
    )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
        "element_id, item_id, answered_at, elapsed_ms) VALUES (1, 1, ?, ?, 0, 1, 10, 1, 'e1', 'q1', 0, 0)",
        [(user, f"Learner {user}") for user in range(answers)],
    )
    conn.execute("COMMIT")
    conn.close()


def _layout(path: Path) -> tuple[int, str, int, str]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA page_size").fetchone()[0],
            conn.execute("PRAGMA journal_mode").fetchone()[0],
            conn.execute("SELECT SUM(points) FROM board_totals").fetchone()[0],
            conn.execute("PRAGMA quick_check").fetchone()[0],
        )
    finally:
        conn.close()


def test_migrate_rebuilds_an_older_file_with_small_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database made with 4 KiB pages is rebuilt with 1 KiB pages once, keeping every answer and WAL mode;
    a copy left by an interrupted rebuild is never used."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path)
    leftover = path.with_name("revbot.sqlite3.repack")
    leftover.write_bytes(b"half a copy from a rebuild that was interrupted")
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert main(["db", "migrate"]) == 0
    out = capsys.readouterr().out
    assert "Updating the database file's layout for faster answers" in out
    assert "Updated the database file's layout in" in out
    assert _layout(path) == (PAGE_SIZE, "wal", 300 * 10, "ok")
    assert _beside(path) == ["revbot.sqlite3"]  # no copy, journal or WAL of the old file left behind
    assert main(["db", "migrate"]) == 0
    assert "layout" not in capsys.readouterr().out


def test_a_file_in_use_keeps_its_pages_until_a_later_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another program has the file open, migrate leaves its page size alone, says so, and loses nothing."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    other = sqlite3.connect(path)
    other.execute("SELECT COUNT(*) FROM answers").fetchone()
    try:
        assert main(["db", "migrate"]) == 0
        assert "layout was not updated: another program has it open" in capsys.readouterr().out
        assert _layout(path) == (4096, "wal", 300 * 10, "ok")
    finally:
        other.close()
    assert main(["db", "migrate"]) == 0
    assert _layout(path)[0] == PAGE_SIZE


def test_a_rebuild_under_way_elsewhere_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second start while another one is rebuilding (holding the file's lock, its copy half written) leaves
    that copy alone and waits for the lock, so the first start's work is never undone or mixed up."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path)
    theirs = path.with_name("revbot.sqlite3.repack")
    theirs.write_bytes(b"the other start's copy, half written")
    monkeypatch.setattr("bot.storage.db.REPACK_WAIT_S", 0.05)
    locked, release = threading.Event(), threading.Event()

    def other_start() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
        locked.set()
        release.wait(10)
        conn.close()

    said: list[str] = []

    def say(_level: int, text: str) -> None:
        said.append(text)
        release.set()  # the other start finishes once this one has given up on the layout

    holder = threading.Thread(target=other_start)
    holder.start()
    assert locked.wait(10)
    try:
        migrate_file(path, say)
    finally:
        release.set()
        holder.join()
    assert said == [
        "The database file's layout was not updated: another program has it open. "
        "The bot works as before and tries again at its next start."
    ]
    assert theirs.read_bytes() == b"the other start's copy, half written"
    assert _layout(path) == (4096, "wal", 300 * 10, "ok")


def test_a_connection_opened_before_the_update_carries_on_in_the_same_file(tmp_path: Path) -> None:
    """The file is updated in place, so a program that had it open (without reading yet) reads the new layout
    afterwards, and what it writes stays in the database."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path)
    early = sqlite3.connect(path, isolation_level=None)
    try:
        migrate_file(path, lambda _level, _text: None)
        assert early.execute("SELECT SUM(points) FROM board_totals").fetchone()[0] == 300 * 10
        assert early.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
        early.execute("INSERT INTO guilds (guild_id, created_at) VALUES (77, 0)")
    finally:
        early.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT guild_id FROM guilds ORDER BY guild_id").fetchall() == [(1,), (77,)]
    finally:
        conn.close()
    assert _layout(path) == (PAGE_SIZE, "wal", 300 * 10, "ok")


def _folder_in_the_copys_way(path: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    path.with_name("revbot.sqlite3.repack").mkdir()


def _disk_nearly_full(_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.storage.db.shutil.disk_usage", lambda _p: SimpleNamespace(free=1000))


@pytest.mark.parametrize(
    ("obstacle", "reason"),
    [
        (_folder_in_the_copys_way, "an error stopped it ("),
        (_disk_nearly_full, " MB of free space and 0.0 MB is free."),
    ],
)
def test_a_rebuild_that_cannot_go_ahead_keeps_the_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    obstacle: Callable[[Path, pytest.MonkeyPatch], None],
    reason: str,
) -> None:
    """When the copy cannot be written, or the disk lacks room for it, migrate says why and the file works on."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path)
    obstacle(path, monkeypatch)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert main(["db", "migrate"]) == 0
    out = capsys.readouterr().out
    assert "The database file's layout was not updated: " in out
    assert reason in out
    assert _layout(path) == (4096, "wal", 300 * 10, "ok")


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


async def test_restoring_a_backup_with_older_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, core: Core) -> None:
    """A backup taken before the page size changed restores into today's database."""
    backup = tmp_path / "old-backup.sqlite3"
    _old_database(backup, answers=7)
    monkeypatch.setenv("DATABASE_PATH", str(core.db.path))
    await core.db.close()  # the bot stops
    assert main(["db", "restore", str(backup)]) == 0
    assert await _answers_after_start(core.db.path, 1) == 7
    assert _layout(core.db.path)[0] == PAGE_SIZE
    assert [name for name in _beside(core.db.path) if name.endswith(".restoring")] == []


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of five writes, two batches in a row before other writes get the lock."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "MAX_BATCH", 5)
    monkeypatch.setattr(db_module, "MAX_BATCHES_IN_A_ROW", 2, raising=False)  # the turn-taking test checks it is used


# An answer to a post that does not exist, noticed only at COMMIT: a way to make a COMMIT fail.
_ORPHAN_ANSWER = (
    "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
    "element_id, item_id, answered_at) VALUES (12345, 1, 1, 'Sam', 0, 1, 10, 1, 'e1', 'q1', 0)"
)


def _guild_inserts(
    db: Database, guild_ids: range, order: list[int], last_done: threading.Event | None = None
) -> list[asyncio.Future[int]]:
    """Queue one batched write per guild id; each notes its id in order as it runs on the writer's thread, and the
    last one sets last_done."""

    def insert(guild_id: int) -> Callable[[sqlite3.Connection], int]:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (guild_id,))
            order.append(guild_id)
            if last_done is not None and guild_id == guild_ids[-1]:
                last_done.set()
            return guild_id

        return work

    return [asyncio.ensure_future(db.write_batched(insert(g))) for g in guild_ids]


@pytest.mark.usefixtures("small_batches")
async def test_writer_runs_queued_batches_while_the_event_loop_is_busy(core: Core) -> None:
    """Batch after batch is committed without waiting for the event loop in between (it may be busy with clicks)."""
    order: list[int] = []
    last_done = threading.Event()
    writes = _guild_inserts(core.db, range(1, 11), order, last_done)
    for _ in range(3):  # the writes queue, the batch writer starts and hands the queue to the writer's thread
        await asyncio.sleep(0)
    # Block the event loop, as a busy one would, until the second batch is in (or give up after 10 s).
    assert last_done.wait(timeout=10), "the writer waited for the event loop between batches"
    assert order == list(range(1, 11))
    assert await asyncio.gather(*writes) == list(range(1, 11))
    assert await core.db.fetch_one("SELECT COUNT(*) FROM guilds") == (10,)


@pytest.mark.usefixtures("small_batches")
async def test_other_writes_get_their_turn_during_a_stream_of_batches(core: Core) -> None:
    """A write outside the batches (a post, a setting) waits for a few batches, not for the whole queue."""
    order: list[int] = []
    writes = _guild_inserts(core.db, range(1, 21), order)
    for _ in range(3):
        await asyncio.sleep(0)

    def setting(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (99, 0)")
        order.append(99)

    await asyncio.gather(core.db.write(setting), *writes)
    assert order == [*range(1, 11), 99, *range(11, 21)]


async def test_a_batch_whose_commit_fails_reports_it_and_the_next_batch_is_saved(core: Core) -> None:
    """If COMMIT itself fails, every write in the batch is told, nothing of it is kept, and later writes work."""

    def orphan_answer(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute(_ORPHAN_ANSWER)

    order: list[int] = []
    first = await asyncio.gather(
        *_guild_inserts(core.db, range(1, 2), order), core.db.write_batched(orphan_answer), return_exceptions=True
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in first)
    assert await asyncio.gather(*_guild_inserts(core.db, range(2, 3), order)) == [2]
    assert await core.db.fetch_all("SELECT guild_id FROM guilds") == [(2,)]
    assert await core.db.fetch_one("SELECT COUNT(*) FROM answers") == (0,)


async def test_a_transaction_whose_commit_fails_leaves_the_writer_usable(core: Core) -> None:
    """A failed COMMIT in a multi-step transaction is reported, keeps nothing, and the next write is saved."""
    with pytest.raises(sqlite3.IntegrityError):
        async with core.db.transaction() as conn:
            await conn.execute("PRAGMA defer_foreign_keys = ON")
            await conn.execute(_ORPHAN_ANSWER)
    await core.db.write(lambda conn: conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (7, 0)"))
    assert await core.db.fetch_all("SELECT guild_id FROM guilds") == [(7,)]
    assert await core.db.fetch_one("SELECT COUNT(*) FROM answers") == (0,)


@pytest.mark.usefixtures("small_batches")
async def test_closing_finishes_queued_writes_even_if_the_close_is_cancelled(core: Core) -> None:
    """A shutdown that gives up on close() still leaves every queued write saved and answered."""
    order: list[int] = []
    writes = _guild_inserts(core.db, range(1, 31), order)
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(core.db.close())
    await asyncio.sleep(0)
    closing.cancel()
    assert await asyncio.wait_for(asyncio.gather(*writes), timeout=10) == list(range(1, 31))
    assert order == list(range(1, 31))


async def test_a_batched_write_after_close_fails_instead_of_waiting(tmp_path: Path) -> None:
    """A click that arrives as the bot shuts down gets an error, not a wait that never ends."""
    db = await Database.open(tmp_path / "revbot.sqlite3")
    await db.close()
    with pytest.raises(ValueError):
        await asyncio.wait_for(db.write_batched(lambda conn: conn.execute("SELECT 1")), timeout=10)


def _wal_bytes(db: Database) -> int:
    wal = db.path.with_name(db.path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def _grow_wal(db: Database, guild_ids: range) -> None:
    """Commit one guild at a time: each commit adds its pages to the WAL."""
    for guild_id in guild_ids:
        await db.write(
            lambda conn, g=guild_id: conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (g,))
        )


async def _wal_is_written_from_its_start(db: Database, guild_ids: range) -> bool:
    """Whether more commits reuse the WAL file from its beginning instead of making it longer."""
    before = _wal_bytes(db)
    await _grow_wal(db, guild_ids)
    return _wal_bytes(db) == before


def _hold_snapshot(db: Database) -> sqlite3.Connection:
    """Another connection in the middle of a read: no checkpoint copies frames newer than what it sees."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN")
    other.execute("SELECT COUNT(*) FROM guilds").fetchone()
    return other


@pytest.fixture
def small_wal_keep(monkeypatch: pytest.MonkeyPatch) -> int:
    """A WAL file over 128 KiB is emptied once writes stop or slow to a trickle (and, while it grows past that, has
    1 MiB allocated ahead)."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "WAL_KEEP_BYTES", 128 * 1024)
    monkeypatch.setattr(db_module, "WAL_AHEAD_BYTES", 1024 * 1024)
    return 128 * 1024


@pytest.fixture
def small_wal_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 64 KiB cap, and a clock that stands still: writes never stop long enough to count as a quiet moment."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "WAL_CAP_BYTES", 64 * 1024)
    monkeypatch.setattr(db_module, "_clock", lambda: 1000.0)
    return 64 * 1024


@pytest.mark.usefixtures("small_wal_cap")
async def test_a_wal_the_background_checkpoint_cannot_finish_is_restarted_past_the_cap(core: Core) -> None:
    """Under writes that never pause, each background pass ends behind the newest frames and the WAL would grow for
    ever (simulated here with a reader that keeps the pass from reaching the end); past the cap the writer pauses
    between transactions, the rest is copied and the WAL is written from its start again."""
    db = core.db
    await _grow_wal(db, range(1, 201))
    other = _hold_snapshot(db)
    await _grow_wal(db, range(201, 221))  # frames the background pass cannot copy yet
    async with db.transaction() as conn:
        checkpoint = asyncio.ensure_future(db.checkpoint())
        # The background passes run meanwhile; whatever they leave, the restart waits for this transaction.
        await asyncio.sleep(0.2)
        other.execute("COMMIT")
        other.close()
        await conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (500, 0)")
    await checkpoint
    assert await _wal_is_written_from_its_start(db, range(221, 321))
    assert await db.fetch_one("SELECT COUNT(*), MAX(guild_id) FROM guilds") == (321, 500)


@pytest.mark.usefixtures("small_wal_cap")
async def test_a_reader_that_holds_on_delays_the_restart_but_stops_nothing(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program reading old frames (a backup, say) for longer than writes may wait: the bot logs it, carries on
    writing, and restarts the WAL at a later checkpoint."""
    db = core.db
    await _grow_wal(db, range(1, 101))
    other = _hold_snapshot(db)
    await _grow_wal(db, range(101, 201))
    await db.checkpoint()
    assert re.search(r"wal checkpoint RESTART waited for a reader frames=\d+ catch_up_rounds=[1-4] ", caplog.text)
    assert not await _wal_is_written_from_its_start(db, range(201, 202))
    other.execute("COMMIT")
    other.close()
    await db.checkpoint()
    assert await _wal_is_written_from_its_start(db, range(202, 252))
    assert await db.fetch_one("SELECT COUNT(*) FROM guilds") == (251,)


def _rows_another_program_sees(path: Path) -> int:
    """Open the database in a separate process, as the sqlite3 shell or a second bot would, count, and close."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " print(c.execute('SELECT COUNT(*) FROM guilds').fetchone()[0]); c.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    return int(done.stdout)


@pytest.mark.usefixtures("small_wal_cap")
async def test_writes_after_a_wal_restart_survive_another_program_opening_the_file(core: Core) -> None:
    """Syncing the database file before a restart must not cost the bot its hold on the file: if it did, another
    program closing the database would think itself the last user and delete the WAL the bot goes on writing to,
    and those writes would be lost."""
    db = core.db
    await _grow_wal(db, range(1, 201))
    await db.checkpoint()  # past the cap: catches up, syncing the file, then restarts the WAL
    assert await asyncio.to_thread(_rows_another_program_sees, db.path) == 200
    await _grow_wal(db, range(201, 211))
    assert await asyncio.to_thread(_rows_another_program_sees, db.path) == 210


@pytest.fixture
def small_wal_allocation(db: Database, monkeypatch: pytest.MonkeyPatch) -> int:
    """Once the WAL file is past 64 KiB (the keep size, here), a round in which it grew allocates 1 MiB past its
    end. The test runs each round itself: the background loop is stopped."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "WAL_KEEP_BYTES", 64 * 1024)
    monkeypatch.setattr(db_module, "WAL_AHEAD_BYTES", 1024 * 1024)
    assert db._checkpoint_task is not None
    db._checkpoint_task.cancel()
    return 1024 * 1024


needs_fallocate = pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="no posix_fallocate here (macOS)")


def _record_allocations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record where each allocation starts and how long it is; the allocation still happens."""
    real = os.posix_fallocate
    calls: list[tuple[int, int]] = []

    def recording(fd: int, offset: int, length: int) -> None:
        calls.append((offset, length))
        real(fd, offset, length)

    monkeypatch.setattr(os, "posix_fallocate", recording)
    return calls


async def _grow_over_two_rounds(db: Database, rows: int) -> tuple[int, int]:
    """Grow the WAL (a reader keeps it from starting afresh) by 200 rows and run a round, then grow it to rows
    and run another. Return the WAL file's size before and after the first round."""
    other = _hold_snapshot(db)
    try:
        await _grow_wal(db, range(1, 201))
        grown = _wal_bytes(db)
        await db.checkpoint()
        after = _wal_bytes(db)
        await _grow_wal(db, range(201, rows + 1))
        await db.checkpoint()
    finally:
        other.execute("COMMIT")
        other.close()
    return grown, after


@needs_fallocate
async def test_a_growing_wal_has_its_disk_space_allocated_ahead_of_the_writer(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Under a stream of writes the WAL file keeps growing; past the keep size, a round allocates space past its
    end, between two transactions, so the writer writes inside the file instead of making it longer, and nothing
    written is lost."""
    caplog.set_level(logging.INFO, logger="bot.storage.db")
    calls = _record_allocations(monkeypatch)
    db = core.db
    wal = db.path.with_name(db.path.name + "-wal")
    other = _hold_snapshot(db)  # as under a stream of writes: the WAL cannot start afresh, so it grows
    await _grow_wal(db, range(1, 200))
    async with db.transaction() as conn:
        checkpoint = asyncio.ensure_future(db.checkpoint())
        await asyncio.sleep(0.2)
        assert not calls  # it waits for the transaction to end
        await conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (200, 0)")
    await checkpoint
    ahead = _wal_bytes(db)
    grown = ahead - small_wal_allocation
    assert grown > 64 * 1024
    assert calls == [(grown, small_wal_allocation)]  # past the end only: no frame already written is touched
    assert wal.stat().st_blocks * 512 >= ahead  # really allocated on disk, not a file with a hole in it
    assert re.search(r"wal space allocated ahead from_mb=0 to_mb=1 took_ms=[\d.]+", caplog.text)
    await _grow_wal(db, range(201, 261))  # about 60 KiB more frames, inside the allocated space
    assert _wal_bytes(db) == ahead
    await db.checkpoint()  # the file has not grown since: nothing more to allocate
    assert len(calls) == 1
    other.execute("COMMIT")
    other.close()
    assert await asyncio.to_thread(_rows_another_program_sees, db.path) == 260


@needs_fallocate
async def test_after_a_burst_is_over_the_next_one_gets_space_ahead_at_its_first_round(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a burst is over its WAL file is emptied, space allocated ahead included; the next burst is then
    measured from the empty file and gets its space at the first round, like the first burst did."""
    import bot.storage.db as db_module

    now = [1000.0]
    monkeypatch.setattr(db_module, "_clock", lambda: now[0])
    db = core.db
    for burst in (range(1, 201), range(201, 401)):
        other = _hold_snapshot(db)
        await _grow_wal(db, burst)
        grown = _wal_bytes(db)
        await db.checkpoint()
        assert _wal_bytes(db) == grown + small_wal_allocation
        other.execute("COMMIT")
        other.close()
        now[0] += db_module.QUIET_S
        await db.checkpoint()
        assert _wal_bytes(db) == 0
    assert await db.fetch_one("SELECT COUNT(*) FROM guilds") == (400,)


@needs_fallocate
async def test_a_nearly_full_disk_gets_no_space_ahead_until_it_has_room_again(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The space ahead is never what fills a disk: with less free than the margin asked for, the round leaves
    the file as it is, quietly, and a later round allocates once there is room."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "WAL_AHEAD_FREE_BYTES", 1 << 62)  # more than any disk has free
    db = core.db
    other = _hold_snapshot(db)
    await _grow_wal(db, range(1, 201))
    grown = _wal_bytes(db)
    await db.checkpoint()
    assert _wal_bytes(db) == grown
    monkeypatch.setattr(db_module, "WAL_AHEAD_FREE_BYTES", 0)
    await _grow_wal(db, range(201, 301))
    grown = _wal_bytes(db)
    await db.checkpoint()
    assert _wal_bytes(db) == grown + small_wal_allocation
    other.execute("COMMIT")
    other.close()
    assert "WARNING" not in caplog.text
    assert await db.fetch_one("SELECT COUNT(*) FROM guilds") == (300,)


# Run in another process: write with the WAL's space allocated ahead, then die without closing, as a killed bot would.
KILLED_AFTER_WRITING = """
import asyncio, os, sqlite3, sys
from pathlib import Path
import bot.storage.db as db_module
db_module.WAL_KEEP_BYTES = 64 * 1024
db_module.WAL_AHEAD_BYTES = 1024 * 1024

async def run():
    db = await db_module.Database.open(Path(sys.argv[1]))
    other = sqlite3.connect(db.path, isolation_level=None)  # keeps the WAL from starting afresh, so it grows
    other.execute("BEGIN")
    other.execute("SELECT COUNT(*) FROM guilds").fetchone()
    for g in range(1, 301):
        if g == 201:
            await db.checkpoint()
        await db.write(lambda conn, g=g: conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (g,)))
    os._exit(0)  # no checkpoint, no close: the WAL and its allocated space are left as they are

asyncio.run(run())
"""


@needs_fallocate
async def test_writes_after_the_wal_space_was_allocated_survive_the_bot_being_killed(tmp_path: Path) -> None:
    """The allocated space past the last frame reads as zeros. When the bot is killed without closing, the next
    start rebuilds its view of the WAL from the file: every committed write is there, and the zeros are not
    taken for more."""
    path = tmp_path / "revbot.sqlite3"
    command = [sys.executable, "-c", KILLED_AFTER_WRITING, str(path)]
    repo = Path(__file__).parents[2]
    await asyncio.to_thread(subprocess.run, command, check=True, timeout=60, cwd=repo)
    assert path.with_name(path.name + "-wal").stat().st_size >= 1024 * 1024  # left behind, space allocated ahead
    db = await Database.open(path)
    try:
        assert await db.fetch_one("SELECT COUNT(*), MAX(guild_id) FROM guilds") == (300, 300)
    finally:
        await db.close()


@needs_fallocate
async def test_a_disk_that_runs_out_mid_allocation_gets_the_space_back_and_writes_carry_on(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A disk that fills up during the allocation keeps what it had allocated by then (ext4 does): the bot gives
    that back, logs it once, stops allocating ahead, and loses no write."""
    real = os.posix_fallocate
    calls: list[int] = []

    def runs_out(fd: int, offset: int, length: int) -> None:
        calls.append(length)
        real(fd, offset, length // 2)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", runs_out)
    grown, after = await _grow_over_two_rounds(core.db, 400)
    assert after == grown  # the half that was allocated is given back
    assert len(calls) == 1  # not tried again at the second round
    assert caplog.text.count("allocating the WAL's disk space ahead failed; not trying again") == 1
    assert "No space left on device" in caplog.text
    assert await core.db.fetch_one("SELECT COUNT(*) FROM guilds") == (400,)


@needs_fallocate
async def test_a_filesystem_that_allocates_slowly_is_given_up_after_one_try(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever makes it slow, an allocation that holds writes up for longer than the limit (here, any) is not
    worth it: after one such call the bot says so and stops."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "WAL_AHEAD_SLOW_S", 0.0)  # any call counts as slow
    calls = _record_allocations(monkeypatch)
    grown, after = await _grow_over_two_rounds(core.db, 1400)  # the second round is past the space allocated
    assert after == grown + small_wal_allocation
    assert len(calls) == 1
    assert re.search(
        r"allocating the WAL's disk space ahead paused writes for \d+ ms \(over 0 s\); not trying again", caplog.text
    )
    assert await core.db.fetch_one("SELECT COUNT(*) FROM guilds") == (1400,)


@needs_fallocate
async def test_a_filesystem_that_writes_zeros_to_allocate_is_given_up_after_one_try(
    core: Core, small_wal_allocation: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the filesystem cannot allocate without writing, the C library writes a zero byte into each block
    instead (imitated here), with the bot's writes paused: once that is seen, the bot says so and stops, and the
    frames before the old end are untouched."""
    calls: list[int] = []

    def writes_zeros(fd: int, offset: int, length: int) -> None:
        calls.append(length)
        for block in range(offset, offset + length, 4096):
            os.pwrite(fd, b"\0", block)
        os.pwrite(fd, b"\0", offset + length - 1)

    monkeypatch.setattr(os, "posix_fallocate", writes_zeros)
    grown, after = await _grow_over_two_rounds(core.db, 1400)  # the second round is past the space allocated
    assert after == grown + small_wal_allocation
    assert len(calls) == 1
    assert caplog.text.count("(this filesystem writes zeros to allocate); not trying again") == 1
    assert await asyncio.to_thread(_rows_another_program_sees, core.db.path) == 1400


async def test_once_writes_stop_a_wal_file_grown_past_the_keep_size_is_emptied(
    core: Core, small_wal_keep: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a burst the next checkpoint gives the disk space back, rather than the next learner's answer paying
    for it; not while writes go on, and a WAL under the keep size is left to be reused."""
    import bot.storage.db as db_module

    now = [1000.0]
    monkeypatch.setattr(db_module, "_clock", lambda: now[0])
    await _grow_wal(core.db, range(1, 51))
    kept = _wal_bytes(core.db)
    assert 0 < kept < small_wal_keep
    now[0] += db_module.QUIET_S
    await core.db.checkpoint()
    assert _wal_bytes(core.db) == kept
    await _grow_wal(core.db, range(51, 301))
    grown = _wal_bytes(core.db)
    assert grown > small_wal_keep
    now[0] += db_module.QUIET_S - 0.5
    await core.db.checkpoint()
    assert _wal_bytes(core.db) == grown + 1024 * 1024  # written to half a second ago: kept, and allocated ahead
    now[0] += 0.5
    await core.db.checkpoint()
    assert _wal_bytes(core.db) == 0
    assert await core.db.fetch_one("SELECT COUNT(*) FROM guilds") == (300,)


async def test_a_grown_wal_file_is_emptied_when_writes_slow_to_a_trickle(
    core: Core, small_wal_keep: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes that never stop for long (a learner every second) still let the disk space of a burst be given back,
    once the WAL has started afresh and holds little."""
    import bot.storage.db as db_module

    monkeypatch.setattr(db_module, "_clock", lambda: 1000.0)  # never a quiet moment
    await _grow_wal(core.db, range(1, 301))
    await core.db.checkpoint()
    grown = _wal_bytes(core.db)
    assert grown > small_wal_keep  # still busy: left as it is
    await _grow_wal(core.db, range(301, 306))
    assert _wal_bytes(core.db) == grown  # the trickle writes over the start of the file
    await core.db.checkpoint()
    assert _wal_bytes(core.db) == 0
    assert await core.db.fetch_one("SELECT COUNT(*) FROM guilds") == (305,)


async def test_background_checkpoints_carry_on_after_a_disk_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An error from the disk in one round is logged; the next round runs (else the WAL would grow for ever)."""
    import bot.storage.db as db_module

    real = db_module._passive_checkpoint
    calls: list[str] = []
    second_round = asyncio.Event()
    loop = asyncio.get_running_loop()

    def flaky(conn: sqlite3.Connection, wal: Path) -> tuple[int, int]:
        calls.append("round")
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        loop.call_soon_threadsafe(second_round.set)  # this runs on the checkpointer's thread
        return real(conn, wal)

    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_S", 0.01)
    monkeypatch.setattr(db_module, "_passive_checkpoint", flaky)
    db = await Database.open(tmp_path / "revbot.sqlite3")
    try:
        await asyncio.wait_for(second_round.wait(), timeout=10)
    finally:
        await db.close()
    assert "checkpoint failed: error=[Errno 5] Input/output error" in caplog.text


async def test_close_still_closes_the_file_if_background_checkpoints_had_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error that ended the checkpoint loop is logged at close, and every connection still closes
    (an open one keeps its thread, and with it the bot's process, alive)."""
    import bot.storage.db as db_module

    def broken(conn: sqlite3.Connection, wal: Path) -> tuple[int, int]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_S", 0.01)
    monkeypatch.setattr(db_module, "_passive_checkpoint", broken)
    before = set(threading.enumerate())
    db = await Database.open(tmp_path / "revbot.sqlite3")
    assert db._checkpoint_task is not None
    done, _ = await asyncio.wait({db._checkpoint_task}, timeout=10)  # the loop ends with the error
    assert done
    await db.close()
    assert "background checkpoints had stopped with an error" in caplog.text
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" not in thread.name:
            continue  # asyncio's own worker threads live as long as the event loop
        thread.join(timeout=10)
        assert not thread.is_alive(), thread.name
