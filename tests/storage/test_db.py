"""The database file: transactions, group commit, crash safety, migrations, backup and restore."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import bot.storage.schema as schema_module
from bot.cli import main
from bot.domain.entities import NewPost, PostKind
from bot.domain.scoring import Origin
from bot.storage.db import Connection, Database, DatabaseClosed
from bot.storage.files import backup_database, check_database
from bot.storage.lock import DatabaseLock
from bot.storage.schema import DatabaseError, apply_migrations, latest_version, migrate_file, migrations
from tests.conftest import Core
from tests.helpers import make_post, stored_answers


async def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    """Opening a new file creates the schema, records its version, and turns on WAL and foreign keys."""
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        assert (await db.fetch_one("PRAGMA user_version"))[0] == latest_version()
        assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
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


def _settings_for(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the command line at the test's database; return the suffix its backups take."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    if db.url:
        from tests.pg import require_client_programs

        require_client_programs()
        monkeypatch.setenv("DATABASE_URL", db.url)
        return ".dump"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(db.path))
    return ".sqlite3"


def _backup_version(backup: Path) -> int:
    if backup.suffix == ".dump":
        from bot.storage.pgfiles import check_dump

        return check_dump(backup, "pg_restore")
    return check_database(backup)


async def test_backup_while_open_and_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], core: Core
) -> None:
    """A backup taken while the bot has the database open restores every answer once the bot has stopped."""
    suffix = _settings_for(core.db, tmp_path, monkeypatch)
    post = await make_post(core, correct=0)
    for user in range(5):
        await core.answer_service.record_answer(post.post_id, user, f"L{user}", 0)
    backup = tmp_path / "backups" / f"copy{suffix}"
    assert main(["db", "backup", str(backup)]) == 0
    assert _backup_version(backup) == latest_version()
    async with core.db.transaction() as tx:
        await tx.execute("DELETE FROM answers")
    await core.db.close()  # the bot stops
    assert main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert "the previous database is kept at" in out
    assert await _answers_after_start(core.db.url or core.db.path, post.post_id) == 5


async def test_restore_is_refused_while_the_bot_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], core: Core
) -> None:
    """While the bot has the database open, restore changes nothing and says to stop the bot first."""
    suffix = _settings_for(core.db, tmp_path, monkeypatch)
    post = await make_post(core, correct=0)
    await core.answer_service.record_answer(post.post_id, 1, "Sam", 0)
    backup = tmp_path / f"copy{suffix}"
    assert main(["db", "backup", str(backup)]) == 0
    await core.answer_service.record_answer(post.post_id, 2, "Ali", 0)
    assert main(["db", "restore", str(backup)]) == 1
    err = capsys.readouterr().err
    running = "a bot is running and using PostgreSQL" if core.db.url else "the bot is running and using"
    assert err.startswith(f"Not restored: {running}") and "sudo systemctl stop revbot" in err
    assert err.count("\n") == 1
    assert len(await stored_answers(core.db, post.post_id)) == 2
    folders = [tmp_path / "data", *([core.db.path.parent] if core.db.path else [])]
    assert [p for folder in folders if folder.exists() for p in folder.iterdir() if ".before-restore-" in p.name] == []


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


async def _answers_after_start(location: Path | str, post_id: int) -> int:
    """Open the database as a starting bot would and count a post's answers."""
    db = await Database.open(location)
    try:
        return len(await stored_answers(db, post_id))
    finally:
        await db.close()


def test_backup_finishes_while_the_bot_keeps_writing(tmp_path: Path) -> None:
    """A backup of a file bigger than one copying step completes while another connection commits every moment,
    and holds every answer committed before it began."""
    path = tmp_path / "live.sqlite3"
    _old_database(path, answers=20_000)
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
    assert _layout(tmp_path / "copy.sqlite3")[1:] == ("delete", 20_000 * 10, "ok")


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


async def test_writes_queued_together_share_one_commit(core: Core) -> None:
    """Clicks that arrive together are committed at once: another program sees none of them until it sees all."""
    seen: list[int] = []
    other = _other_connection(core.db)

    def insert(guild_id: int) -> Callable[[sqlite3.Connection], int]:
        def work(conn: sqlite3.Connection) -> int:
            seen.append(other.execute("SELECT COUNT(*) FROM guilds").fetchone()[0])
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (guild_id,))
            return guild_id

        return work

    try:
        assert await asyncio.gather(*(core.db.write_batched(insert(g)) for g in range(1, 6))) == [1, 2, 3, 4, 5]
        assert seen == [0, 0, 0, 0, 0]
        assert other.execute("SELECT COUNT(*) FROM guilds").fetchone()[0] == 5
    finally:
        other.close()


def _other_connection(db: Database) -> Connection:
    """Another program's connection to the same database."""
    if db.url:
        from bot.storage.postgres import connect

        return connect(db.url)
    return sqlite3.connect(db.path or "", check_same_thread=False)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of five writes."""
    monkeypatch.setattr("bot.storage.db.MAX_BATCH", 5)


# An answer to a post that does not exist, noticed only at COMMIT: a way to make a COMMIT fail.
_ORPHAN_ANSWER = (
    "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
    "element_id, item_id, answered_at) VALUES (12345, 1, 1, 'Sam', 0, 1, 10, 1, 'e1', 'q1', 0)"
)


def _guild_inserts(db: Database, guild_ids: range, order: list[int]) -> list[asyncio.Future[int]]:
    """Queue one batched write per guild id; each notes its id in order as it runs on the writer's thread."""

    def insert(guild_id: int) -> Callable[[sqlite3.Connection], int]:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)", (guild_id,))
            order.append(guild_id)
            return guild_id

        return work

    return [asyncio.ensure_future(db.write_batched(insert(g))) for g in guild_ids]


@pytest.mark.usefixtures("small_batches")
async def test_other_writes_get_their_turn_during_a_stream_of_batches(core: Core) -> None:
    """A write outside the batches (a post, a setting) waits for one batch, not for the whole queue."""
    order: list[int] = []
    writes = _guild_inserts(core.db, range(1, 21), order)
    for _ in range(3):
        await asyncio.sleep(0)

    def setting(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (99, 0)")
        order.append(99)

    await asyncio.gather(core.db.write(setting), *writes)
    assert order == [*range(1, 6), 99, *range(6, 21)]


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
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
    with pytest.raises(DatabaseClosed):
        await asyncio.wait_for(db.write_batched(lambda conn: conn.execute("SELECT 1")), timeout=10)


def _old_database(path: Path, answers: int = 300, page_size: int = 4096, version: int | None = None) -> None:
    """Write a revbot database as an earlier release left it: migrated up to version, with these pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA page_size = {page_size}")
    conn.execute("PRAGMA journal_mode = WAL")
    shipped = migrations()[: version or latest_version()]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema_module, "migrations", lambda: shipped)
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
    """The file's page size, journal mode, total board points and integrity check."""
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


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("page_size", [1024, 4096, 8192])
async def test_an_older_database_with_any_page_size_is_migrated_and_keeps_its_answers(
    tmp_path: Path, page_size: int
) -> None:
    """A database from an earlier release, whatever its page size, is brought up to date at start and loses
    nothing; the bot then writes to it as to a new one."""
    path = tmp_path / "data" / "revbot.sqlite3"
    _old_database(path, page_size=page_size, version=latest_version() - 1)
    db = await Database.open(path)
    try:
        assert (await db.fetch_one("PRAGMA user_version"))[0] == latest_version()
        await db.write_batched(lambda conn: conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (2, 0)"))
    finally:
        await db.close()
    assert _layout(path) == (page_size, "wal", 300 * 10, "ok")
    assert _beside(path) == ["revbot.sqlite3", "revbot.sqlite3.lock"]  # SQLite removed its WAL on close


@pytest.mark.parametrize(("live_pages", "backup_pages"), [(4096, 1024), (1024, 4096), (4096, 8192)])
async def test_a_backup_with_other_pages_restores_over_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_pages: int, backup_pages: int
) -> None:
    """A backup made with another page size than the live database (an older release's) restores every answer."""
    live = tmp_path / "data" / "revbot.sqlite3"
    _old_database(live, answers=3, page_size=live_pages)
    backup = tmp_path / "old-backup.sqlite3"
    _old_database(backup, answers=7, page_size=backup_pages, version=latest_version() - 1)
    monkeypatch.setenv("DATABASE_PATH", str(live))
    assert main(["db", "restore", str(backup)]) == 0
    assert await _answers_after_start(live, 1) == 7
    assert _layout(live)[1:] == ("wal", 7 * 10, "ok")
    kept = [name for name in _beside(live) if ".before-restore-" in name]
    assert len(kept) == 1 and _layout(live.with_name(kept[0]))[2] == 3 * 10


# Run in another process: record answers through group commit, then die without closing, as a killed bot would.
KILLED_AFTER_WRITING = """
import asyncio, os, sys
from pathlib import Path
from bot.storage.db import Database

async def run():
    db = await Database.open(Path(sys.argv[1]))
    insert = "INSERT INTO guilds (guild_id, created_at) VALUES (?, 0)"
    for start in range(1, 1001, 100):
        await asyncio.gather(*(
            db.write_batched(lambda conn, g=g: conn.execute(insert, (g,))) for g in range(start, start + 100)
        ))
    os._exit(0)  # no close: the WAL is left as it is

asyncio.run(run())
"""


async def test_committed_writes_survive_the_bot_being_killed(tmp_path: Path) -> None:
    """Every write the bot was told had been saved is there after the bot is killed and starts again."""
    path = tmp_path / "revbot.sqlite3"
    command = [sys.executable, "-c", KILLED_AFTER_WRITING, str(path)]
    repo = Path(__file__).parents[2]
    await asyncio.to_thread(subprocess.run, command, check=True, timeout=60, cwd=repo)
    assert path.with_name(path.name + "-wal").exists()  # left behind by the killed process
    db = await Database.open(path)
    try:
        assert await db.fetch_one("SELECT COUNT(*), MAX(guild_id) FROM guilds") == (1000, 1000)
    finally:
        await db.close()
