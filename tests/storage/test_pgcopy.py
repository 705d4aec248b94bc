"""`revbot db copy`: an SQLite database moved into PostgreSQL, all or nothing, with every count checked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

import bot.storage.pgcopy as pgcopy_module
from bot.cli import main
from bot.course.loader import load_catalog
from bot.domain.classquiz import Mode
from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind, ScheduleKind
from bot.domain.periods import Period
from bot.services.container import Services, build_services
from bot.storage.db import Database
from bot.storage.schema import latest_version
from bot.storage.shard_reports import ShardReport
from tests.helpers import SHIPPED_CONTENT
from tests.pg import another_database

GIFT = (Path(__file__).resolve().parents[1] / "e2e" / "data" / "service.gift").read_bytes()
LEARNERS = {user: f"Learner {user}" for user in range(101, 109)}


@pytest.fixture
def target() -> Iterator[str]:
    """A new PostgreSQL database with nothing in it, not even the schema."""
    with another_database("copy") as url:
        yield url


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings as on a server still on SQLite; return the database file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "revbot.sqlite3"


async def _seed(services: Services, clock: FixedClock) -> None:
    """Use the bot as two servers would for two weeks: schedules, posts, answers, practice, a class quiz, uploads."""
    for guild in (1, 2):
        await services.schedules.save(guild, ScheduleKind.DAILY, 10 + guild, "09:00", "every day")
    for day in range(9):
        for schedule, settings in await services.guilds.enabled_schedules():
            opened = await services.posting.open_scheduled(schedule, settings)
            assert opened is not None
            for user, name in LEARNERS.items():
                if (user + day) % 3:
                    choice = opened.post.correct_option if (user * day) % 4 else 0
                    await services.answers.record_answer(opened.post.post_id, user, name, choice)
            await services.posting.close(opened.post.post_id)
        manual = await services.posting.open_manual(1, 11, PostKind.CHALLENGE, None, 60, seed=day)
        await services.answers.record_answer(manual.post.post_id, 101 + day % 4, "Renamed", manual.post.correct_option)
        practice = await services.posting.open_practice(2, PostKind.QUESTION, None, seed=day)
        await services.answers.record_answer(practice.post.post_id, 102, "Learner 102", day % 2)
        clock.advance(timedelta(days=1))
    quiz = await services.class_quizzes.start(1, 20, 99, None, 2, 20, Mode.PACED)
    opened_question = await services.class_quizzes.open_next(quiz.quiz_id)
    assert opened_question is not None
    for user in (101, 102, 103):
        await services.answers.record_answer(opened_question.post.post_id, user, LEARNERS[user], user % 2)
    await services.class_quizzes.reveal(quiz.quiz_id, 0)
    await services.class_quizzes.finish(quiz.quiz_id, "stopped")
    await services.server_content.upload(1, "service.gift", GIFT)
    pending = await services.server_content.next_pending(1)
    assert pending is not None and await services.server_content.review(1, pending.item_id, approve=True)
    assert await services.summaries.claim(1, "2026-03-02", 11, clock.now())
    await services.shard_reports.save([ShardReport(0, 1, 42, 2, "host:1", clock.now())])
    await services.shard_reports.claim_identify(0, 1_000_000, 5_000)


async def _boards(db: Database, clock: FixedClock) -> list[object]:
    services = build_services(db, load_catalog(SHIPPED_CONTENT), clock)
    boards: list[object] = []
    for guild in (1, 2):
        for period in Period:
            boards.append(await services.leaderboards.leaderboard(guild, period))
        boards.append(await services.leaderboards.standing(guild, 102))
    return boards


async def _every_row(db: Database) -> dict[str, list[tuple[object, ...]]]:
    listed = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables = [row[0] for row in listed if row[0] != "schema_migrations"]
    return {table: sorted(await db.fetch_all(f"SELECT * FROM {table}"), key=repr) for table in tables}  # noqa: S608


async def _seeded_file(path: Path, clock: FixedClock) -> None:
    db = await Database.open(path)
    try:
        await _seed(build_services(db, load_catalog(SHIPPED_CONTENT), clock), clock)
    finally:
        await db.close()


async def test_a_copy_holds_every_row_and_gives_the_same_boards(
    cli: Path, target: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """After copying a used database, PostgreSQL has every row of every table, the same leaderboards and totals, and
    the next post gets an id past the copied ones."""
    await _seeded_file(cli, clock)
    assert main(["db", "copy", "--to", target]) == 0
    out, err = capsys.readouterr()
    source = await Database.open(cli)
    copy = await Database.open(target)
    try:
        rows = await _every_row(source)
        assert {t: len(r) for t, r in rows.items() if not r} == {}  # the seeding reached every table
        for table, expected in rows.items():
            assert sorted(await copy.fetch_all(f"SELECT * FROM {table}"), key=repr) == expected, table  # noqa: S608
        assert await _boards(copy, clock) == await _boards(source, clock)
        assert all(f"{table} {len(r):,}" in out for table, r in rows.items())  # the counts checked are shown
        assert f"answers: {len(rows['answers']):,} rows" in err.splitlines()
        highest = max(row[0] for row in rows["posts"])
        opened = await build_services(copy, load_catalog(SHIPPED_CONTENT), clock).posting.open_manual(
            1, 11, PostKind.QUESTION, None, 60, seed=1
        )
        assert opened.post.post_id == highest + 1
    finally:
        await copy.close()
        await source.close()


async def test_a_large_table_is_copied_in_batches_with_progress(
    cli: Path, target: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table longer than a batch reports how far the copy has got, then its total."""
    monkeypatch.setattr(pgcopy_module, "BATCH_ROWS", 10)
    await _seeded_file(cli, clock)
    assert main(["db", "copy", "--to", target]) == 0
    lines = capsys.readouterr().err.splitlines()
    answers = [line for line in lines if line.startswith("answers: ")]
    total = answers[-1].split()[1]
    assert answers[:2] == [f"answers: 10 of {total} rows", f"answers: 20 of {total} rows"]
    assert answers[-1] == f"answers: {total} rows" and len(answers) > 3


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}  # noqa: S608


async def test_a_target_with_revbot_rows_is_refused_and_left_as_it_was(
    cli: Path, target: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Copying into a database that already has a server's data says so and changes nothing there."""
    await _seeded_file(cli, clock)
    used = await Database.open(target)
    async with used.transaction() as tx:
        await tx.execute("INSERT INTO guilds (guild_id, created_at) VALUES (77, 0)")
    await used.close()
    before = _counts(target)
    assert main(["db", "copy", "--to", target]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Not copied: PostgreSQL ") and "already holds revbot data (in guilds)" in err
    assert err.count("\n") == 1
    assert _counts(target) == before


async def test_a_copy_that_fails_part_way_leaves_the_target_empty(
    cli: Path, target: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row PostgreSQL refuses (an answer to a post that is gone, which SQLite let in with its foreign keys off)
    stops the copy after other tables were written, and PostgreSQL is left with no rows at all."""
    await _seeded_file(cli, clock)
    with sqlite3.connect(cli) as conn:
        conn.execute(
            "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
            "element_id, item_id, answered_at) VALUES (99999, 1, 5, 'Ghost', 0, 1, 10, 1, 'e', 'q', 0)"
        )
    assert main(["db", "copy", "--to", target]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[-1].startswith("Not copied: PostgreSQL ")
    assert err.splitlines()[-1].endswith(
        'violates foreign key constraint "answers_post_id_fkey" (Key (post_id)=(99999) is not present in table "posts")'
    )
    assert any(line.startswith("posts: ") for line in err.splitlines())  # posts were written before the failure
    counts = _counts(target)
    assert counts.pop("schema_migrations") == latest_version()
    assert set(counts.values()) == {0}


async def test_a_copy_is_refused_while_the_bot_uses_the_sqlite_file(
    cli: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a running bot saves after the copy would be lost, so the bot must be stopped first."""
    running = await Database.open(cli)
    try:
        assert main(["db", "copy", "--to", target]) == 1
    finally:
        await running.close()
    assert capsys.readouterr().err == (
        f"Not copied: the bot is running and using {cli}: stop it first (sudo systemctl stop revbot), so that "
        "nothing it saves after the copy is lost\n"
    )
    assert _counts(target) == {}


async def test_an_older_sqlite_file_is_migrated_first(
    cli: Path, target: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file an earlier release left is brought up to date, as the bot would at start, then copied."""
    import bot.storage.schema as schema_module

    shipped = schema_module.migrations()
    with monkeypatch.context() as patch:
        patch.setattr(schema_module, "migrations", lambda: shipped[:-1])
        schema_module.migrate_file(cli)
    with sqlite3.connect(cli) as conn:
        conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (5, 0)")
    monkeypatch.setenv("DATABASE_URL", target)  # --to defaults to it
    assert main(["db", "copy"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Brought {cli} up to schema version {latest_version()} first, as the bot does at start"
    assert "guilds 1," in out[1]
    assert _counts(target)["guilds"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "db copy needs the PostgreSQL database: --to postgresql://... or DATABASE_URL.\n"),
        (["--to", "mysql://u:hunter2@h/db"], "--to must be a PostgreSQL URL starting with postgresql://\n"),
    ],
)
@pytest.mark.usefixtures("cli")
def test_copy_without_a_usable_target_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """No target, or one that is not PostgreSQL, is exit 2 with one line that never repeats the URL."""
    assert main(["db", "copy", *args]) == 2
    assert capsys.readouterr() == ("", message)


def test_copy_of_a_missing_file_fails(cli: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--from naming no file is exit 1, and nothing is created in PostgreSQL."""
    assert main(["db", "copy", "--from", "nowhere.sqlite3", "--to", target]) == 1
    assert capsys.readouterr().err == "No database at nowhere.sqlite3 to copy.\n"
    assert _counts(target) == {}
