"""Backups and restores of a PostgreSQL database: pg_dump files, their checks, and what a restore refuses."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

import bot.storage.pgfiles as pgfiles_module
import bot.storage.postgres as postgres_module
from bot.backups import backups_in
from bot.cli import main
from bot.storage.pgfiles import check_dump
from bot.storage.postgres import describe, migrate
from bot.storage.schema import latest_version, migrate_file
from tests.pg import another_database, require_client_programs, with_database

# The test server trusts every connection, so any password is accepted.
PASSWORD = "not-shown-anywhere"  # noqa: S105


@pytest.fixture
def url() -> Iterator[str]:
    """A migrated PostgreSQL database of the test's own, with one server in it, and a password in its URL."""
    require_client_programs()
    with another_database("bk") as plain:
        migrate(plain)
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("INSERT INTO guilds (guild_id, created_at) VALUES (1, 0)")
        parts = urlsplit(plain)
        yield urlunsplit(parts._replace(netloc=f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"))


@pytest.fixture
def cli(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings naming the database; return DATA_DIR."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _guilds(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT guild_id FROM guilds ORDER BY guild_id")]


def _sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_backups_with_keep_count_both_kinds_and_restore(
    cli: Path, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db backup --keep 2 DIR` writes a dated .dump and counts the SQLite copies from before the move among the
    copies kept; restoring the newest brings the rows back and keeps the database it replaced."""
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in ("revbot-20200101T000000Z.sqlite3", "revbot-20200102T000000Z.sqlite3", "notes.dump"):
        (folder / name).write_bytes(b"old")
    assert main(["db", "backup", "--keep", "2", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    newest = backups_in(folder)[-1]
    assert newest.suffix == ".dump" and check_dump(newest, "pg_restore") == latest_version()
    assert lines[0].startswith(f"Backed up PostgreSQL {describe(url)} to {newest} (")
    assert lines[1:] == [f"Removed old backup {folder / 'revbot-20200101T000000Z.sqlite3'}"]
    assert [p.name for p in backups_in(folder)] == ["revbot-20200102T000000Z.sqlite3", newest.name]
    assert (folder / "notes.dump").read_bytes() == b"old"

    _sql(url, "DELETE FROM guilds", "INSERT INTO guilds (guild_id, created_at) VALUES (2, 0)")
    assert main(["db", "restore", str(newest)]) == 0
    out = capsys.readouterr().out
    (kept,) = cli.iterdir()
    assert out == f"Restored {newest} to PostgreSQL {describe(url)}; the previous database is kept at {kept}\n"
    assert kept.name.startswith("revbot.dump.before-restore-")
    assert _guilds(url) == [1]
    assert check_dump(kept, "pg_restore") == latest_version()


def test_an_older_backup_restores_over_a_newer_schema_and_is_migrated(
    cli: Path, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dump from before the last migration replaces a current database (whose newest tables it lacks) and is
    brought up to date, as after an upgrade that went wrong."""
    shipped = postgres_module.pg_migrations()
    with another_database("old") as old:
        with monkeypatch.context() as patch:
            patch.setattr(postgres_module, "pg_migrations", lambda: shipped[:-1])
            migrate(old)
        _sql(old, "INSERT INTO guilds (guild_id, created_at) VALUES (3, 0)")
        dump = tmp_path / "old.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={old}"], check=True)
    assert check_dump(dump, "pg_restore") == latest_version() - 1
    assert main(["db", "restore", str(dump)]) == 0
    assert _guilds(url) == [3]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (latest_version(),)
    assert main(["db", "migrate"]) == 0  # nothing left to apply


def _newer_dump(url: str, path: Path) -> None:
    future = latest_version() + 1
    _sql(url, f"INSERT INTO schema_migrations VALUES ({future}, '9999_future.sql', 0)")  # noqa: S608
    subprocess.run(["pg_dump", "--format=custom", f"--file={path}", f"--dbname={url}"], check=True)
    _sql(url, f"DELETE FROM schema_migrations WHERE version = {future}")  # noqa: S608


def _not_revbot_dump(url: str, path: Path) -> None:
    with another_database("other") as other:
        _sql(other, "CREATE TABLE notes (x INTEGER)")
        subprocess.run(["pg_dump", "--format=custom", f"--file={path}", f"--dbname={other}"], check=True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda _url, path: path.write_bytes(b"not a dump"), "is not a PostgreSQL dump (pg_dump --format=custom)"),
        (lambda _url, path: migrate_file(path), "is an SQLite database, and DATABASE_URL names PostgreSQL: `revbot db"),
        (_not_revbot_dump, "is not a revbot dump (no migrations recorded)"),
        (_newer_dump, f"is from a newer revbot (schema version {latest_version() + 1})"),
    ],
)
def test_restore_refuses_what_is_not_a_revbot_dump_and_changes_nothing(
    cli: Path, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, message: str
) -> None:
    """A file that is not a dump, an SQLite file, another database's dump or a newer revbot's is refused in one line."""
    bad = tmp_path / "bad.dump"
    make(url, bad)
    assert main(["db", "restore", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Not restored: {bad} ") and message in err and err.count("\n") == 1
    assert _guilds(url) == [1]
    assert not cli.exists()  # no copy of the database was kept: nothing was replaced


def test_a_dump_that_cannot_be_read_whole_changes_nothing(
    cli: Path, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dump cut short in its last table is loaded up to the cut and then undone: the database stays as it was."""
    _sql(url, "INSERT INTO summaries SELECT g, md5(g::text), g, g, g FROM generate_series(1, 5000) g")
    dump = tmp_path / "cut.dump"
    assert main(["db", "backup", str(dump)]) == 0
    dump.write_bytes(dump.read_bytes()[:-20_000])  # summaries is the last table in the file
    assert check_dump(dump, "pg_restore") == latest_version()  # the start of the file is whole
    _sql(url, "INSERT INTO guilds (guild_id, created_at) VALUES (2, 0)")
    assert main(["db", "restore", str(dump)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "Not restored: the restore was undone: pg_restore failed: could not read from input file: end of file\n"
    )
    assert _guilds(url) == [1, 2]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM summaries").fetchone() == (5000,)


def test_the_password_never_appears_and_never_reaches_a_command_line(
    cli: Path, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Backup and restore hand the password to pg_dump and psql in PGPASSWORD only; no output shows it, even when
    they fail."""
    started: list[tuple[list[str], dict[str, str] | None]] = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def run(command: list[str], **kwargs: Any) -> Any:
        started.append((command, kwargs.get("env")))
        return real_run(command, **kwargs)

    def popen(command: list[str], **kwargs: Any) -> Any:
        started.append((command, kwargs.get("env")))
        return real_popen(command, **kwargs)

    monkeypatch.setattr(pgfiles_module.subprocess, "run", run)
    monkeypatch.setattr(pgfiles_module.subprocess, "Popen", popen)
    assert main(["db", "backup", str(tmp_path / "a.dump")]) == 0
    assert main(["db", "restore", str(tmp_path / "a.dump")]) == 0
    monkeypatch.setenv("DATABASE_URL", with_database(url, "revbot_no_such_database"))
    assert main(["db", "backup", str(tmp_path / "b.dump")]) == 1
    assert main(["db", "restore", str(tmp_path / "a.dump")]) == 1
    assert main(["db", "migrate"]) == 1
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    assert 'database "revbot_no_such_database" does not exist' in err
    programs = {Path(command[0]).name for command, _ in started}
    assert {"pg_dump", "pg_restore", "psql"} <= programs
    assert all(PASSWORD not in " ".join(command) for command, _ in started)
    assert {env["PGPASSWORD"] for _, env in started if env is not None} == {PASSWORD}


def _fake_program(folder: Path, name: str, version: str) -> None:
    """Install a program that answers --version as an older PostgreSQL release's would."""
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n", encoding="utf-8")
    program.chmod(0o755)


@pytest.mark.parametrize("installed", ["none", "older"])
def test_missing_or_older_client_programs_say_what_to_install(
    cli: Path,
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    installed: str,
) -> None:
    """Without pg_dump, or with one older than the server, backup fails in one line naming the package to install."""
    with psycopg.connect(url) as conn:
        major = conn.info.server_version // 10000
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if installed == "older":
        _fake_program(bin_dir, "pg_dump", f"{major - 2}.4")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert main(["db", "backup", str(tmp_path / "a.dump")]) == 1
    found = "was not found" if installed == "none" else f"{major - 2}.4 is older than the PostgreSQL {major} server"
    assert capsys.readouterr().err == (
        f"Backup failed: pg_dump {found}: install PostgreSQL {major}'s client programs "
        f"(Debian and Ubuntu: apt install postgresql-client-{major})\n"
    )
    assert not (tmp_path / "a.dump").exists()


def test_a_database_with_no_revbot_tables_has_nothing_to_back_up(
    cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Backing up an empty PostgreSQL database (DATABASE_URL set before the first start) fails in one line."""
    with another_database("empty") as empty:
        monkeypatch.setenv("DATABASE_URL", empty)
        assert main(["db", "backup", str(tmp_path / "a.dump")]) == 1
        assert capsys.readouterr().err == f"Backup failed: PostgreSQL {describe(empty)} holds no revbot database yet\n"


def test_an_sqlite_restore_names_a_dump_for_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restoring a .dump while the bot uses SQLite says to set DATABASE_URL."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "revbot.sqlite3"))
    dump = tmp_path / "copy.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    assert main(["db", "restore", str(dump)]) == 1
    assert capsys.readouterr().err == (
        f"Not restored: {dump} is a PostgreSQL dump: set DATABASE_URL to restore it into PostgreSQL\n"
    )
    assert not (tmp_path / "revbot.sqlite3").exists()
