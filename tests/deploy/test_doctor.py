"""`revbot doctor`: a pass/fail line per check, exit 1 on any failure, the token never shown."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bot.cli import main
from bot.doctor import (
    CheckResult,
    Status,
    check_content,
    check_database_file,
    check_login,
    check_postgres,
    check_service_sandbox,
    check_shards,
    check_token,
    diagnose,
    report_lines,
)
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.postgres import describe, migrate
from bot.storage.schema import latest_version, migrate_file
from bot.storage.shard_reports import ShardReport, ShardReportRepository
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import bot_token
from tests.pg import another_database, require_client_programs

CONTENT = Path(__file__).resolve().parents[2] / "content"
DEPLOY = CONTENT.parent / "deploy"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_token_checks_explain_the_usual_mistakes() -> None:
    """Missing, 'Bot '-prefixed, quoted and wrongly shaped tokens each get their own advice."""
    good = bot_token(123456789012345678)
    cases = {
        "": "DISCORD_TOKEN is not set",
        f"Bot {good}": "without 'Bot '",
        f'"{good}"': "in quotes",
        "a" * 32: "not shaped like a bot token",
    }
    for token, expected in cases.items():
        result = check_token(token)
        assert result.status is Status.FAILED and expected in result.detail
        assert not token or token.strip('"') not in result.detail
    result = check_token(good + "\n")
    assert result.status is Status.PASSED
    assert result.detail == "set and well-formed, for bot user 123456789012345678 (the token is not shown)"


def test_database_checks(tmp_path: Path) -> None:
    """A database yet to be created passes when its folder is writable; a migrated one passes; others fail."""
    path = tmp_path / "data" / "revbot.sqlite3"
    assert check_database_file(path).status is Status.PASSED
    assert "does not exist yet" in check_database_file(path).detail
    migrate_file(path)
    result = check_database_file(path)
    assert result.status is Status.PASSED and "(current)" in result.detail and "writable" in result.detail
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 1")
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
    result = check_database_file(path)
    assert result.status is Status.FAILED and "run `revbot db migrate`" in result.detail
    other = tmp_path / "other.sqlite3"
    other.write_text("not a database", encoding="utf-8")
    assert check_database_file(other).status is Status.FAILED


def test_a_data_folder_that_cannot_be_created_fails(tmp_path: Path) -> None:
    """DATA_DIR under a file (a typo, say) fails before the bot would, naming the path."""
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = check_database_file(blocker / "revbot.sqlite3")
    assert result.status is Status.FAILED
    assert result.detail.startswith(f"{blocker / 'revbot.sqlite3'} cannot be created: {blocker} is not a folder")


def test_content_problems_are_listed(tmp_path: Path) -> None:
    """Invalid content fails with its problems listed, at most ten and a pointer to the rest."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    value = content / "customer-service" / "value.yaml"
    text = re.sub(r"difficulty: [123]", "difficulty: 7", value.read_text(encoding="utf-8"))
    value.write_text(text, encoding="utf-8")
    result = check_content(content)
    assert result.status is Status.FAILED
    assert len(result.more) == 11 and result.more[-1].endswith("run `revbot content validate` to see them all")
    assert check_content(CONTENT).status is Status.PASSED


async def test_login_against_the_fake_discord_counts_servers(fake_discord: FakeDiscord) -> None:
    """With the right token, the login check passes and reports the bot's servers."""
    fake_discord.world.token = bot_token(fake_discord.world.application_id)
    result = await check_login(fake_discord.token, fake_discord.api_base, timeout=5)
    assert result.status is Status.PASSED
    assert result.detail == (
        f"logged in as TestBot ({fake_discord.world.application_id}), in 1 server; "
        "Discord recommends 1 shard (1 may connect at once)"
    )


async def test_a_rejected_token_fails_the_login(fake_discord: FakeDiscord) -> None:
    """A token Discord does not know fails with advice to reset it."""
    fake_discord.world.token = bot_token(fake_discord.world.application_id)
    result = await check_login(bot_token(111111111111111111), fake_discord.api_base, timeout=5)
    assert result.status is Status.FAILED and "Discord rejected the token" in result.detail


async def test_an_unreachable_discord_fails_the_login() -> None:
    """No answer from the API (here a closed port) fails with a hint about the network."""
    result = await check_login(bot_token(111111111111111111), "http://127.0.0.1:9/api/v10", timeout=5)
    assert result.status is Status.FAILED and "cannot reach http://127.0.0.1:9/api/v10" in result.detail


async def test_everything_passes_against_the_fake(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """All six checks pass for a good set-up, and the report ends 'ready to run'."""
    fake_discord.world.token = token = bot_token(fake_discord.world.application_id)
    settings = Settings(
        discord_token=token,
        content_dir=CONTENT,
        data_dir=tmp_path / "data",
        discord_api_base_url=fake_discord.api_base,
    )
    results = await diagnose(lambda: settings)
    assert [(r.name, r.status) for r in results] == [
        (name, Status.PASSED) for name in ("settings", "token", "database", "content", "timezones", "login")
    ]
    lines = report_lines(results)
    assert lines[-1] == "6 passed, 0 failed, 0 skipped: ready to run"
    assert all(token not in line for line in lines)


def test_cli_exits_1_with_a_line_per_check(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a token: a FAIL line for it, the login skipped, exit 1."""
    assert main(["doctor"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[:6]] == [
        ["PASS", "settings"],
        ["FAIL", "token"],
        ["PASS", "database"],
        ["PASS", "content"],
        ["PASS", "timezones"],
        ["SKIP", "login"],
    ]
    assert lines[-1] == "4 passed, 1 failed, 1 skipped"


def test_cli_offline_passes_and_hides_the_token(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a well-formed token and --offline, exit 0; the token appears nowhere in the output."""
    token = bot_token(123456789012345678)
    cli_env.setenv("DISCORD_TOKEN", token)
    assert main(["doctor", "--offline"]) == 0
    out, err = capsys.readouterr()
    assert token not in out + err and token.split(".")[0] not in out + err
    assert "SKIP  login      not tried (--offline)" in out


def test_cli_reports_settings_that_cannot_load(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed setting fails the first check, names the variable, and skips the rest."""
    cli_env.setenv("DEV_GUILD_ID", "my server")
    cli_env.setenv("LOG_LEVEL", "INFO")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  settings" in out and "DEV_GUILD_ID is not a whole number" in out and "my server" not in out
    assert out.count("SKIP") == 5


def test_cli_reports_an_unknown_log_level(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """LOG_LEVEL must name a level."""
    cli_env.setenv("LOG_LEVEL", "loud")
    assert main(["doctor", "--offline"]) == 1
    assert "LOG_LEVEL='loud' is not one of DEBUG, INFO, WARNING, ERROR" in capsys.readouterr().out


@pytest.fixture
def units_root(tmp_path: Path) -> Path:
    """A machine with the shipped systemd units installed (as install.sh puts them)."""
    root = tmp_path / "root"
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in ("revbot.service", "revbot-backup.service"):
        shutil.copy(DEPLOY / name, units / name)
    return root


async def _service_line(units_root: Path, data_dir: str) -> CheckResult:
    settings = Settings(discord_token=bot_token(123456789012345678), content_dir=CONTENT, data_dir=Path(data_dir))
    results = await diagnose(lambda: settings, online=False, units_root=units_root)
    [service] = [r for r in results if r.name == "service"]
    return service


async def test_a_data_folder_outside_the_sandbox_fails(units_root: Path) -> None:
    """DATA_DIR=/srv/revbot passes the plain checks but is read-only to the service: doctor says how to allow it."""
    service = await _service_line(units_root, "/srv/revbot")
    assert service.status is Status.FAILED
    assert service.detail.startswith(
        "/srv/revbot is read-only to revbot.service (ProtectSystem=strict; it may write to /var/lib/revbot): "
        "run `sudo systemctl edit revbot.service` and add [Service] ReadWritePaths=/srv/revbot"
    )


async def test_a_drop_in_that_allows_the_folder_passes(units_root: Path) -> None:
    """A drop-in from `systemctl edit` adding the folder to ReadWritePaths= makes the check pass."""
    drop_in = units_root / "etc/systemd/system/revbot.service.d/override.conf"
    drop_in.parent.mkdir()
    drop_in.write_text("[Service]\nReadWritePaths=/srv/revbot\n", encoding="utf-8")
    service = await _service_line(units_root, "/srv/revbot")
    assert (service.status, service.detail) == (Status.PASSED, "the services may write to /srv/revbot")
    assert (await _service_line(units_root, "/var/lib/revbot")).status is Status.PASSED


async def test_home_and_temporary_folders_fail(units_root: Path) -> None:
    """A home folder is hidden from the service and /tmp is its own private one: both fail with the reason."""
    home = await _service_line(units_root, "/home/tutor/revbot")
    assert home.status is Status.FAILED and "(ProtectHome=yes)" in home.detail
    tmp = await _service_line(units_root, "/tmp/revbot")  # noqa: S108 - a path the check reads, never written
    assert tmp.status is Status.FAILED and "(PrivateTmp=yes)" in tmp.detail


def test_a_backup_folder_outside_the_backup_sandbox_fails(units_root: Path) -> None:
    """BACKUP_DIR outside /var/lib/revbot fails for revbot-backup.service, which writes the copies."""
    settings = Settings(content_dir=CONTENT, data_dir=Path("/var/lib/revbot"))
    result = check_service_sandbox(settings, "/srv/backups", units_root)
    assert result is not None and result.status is Status.FAILED
    assert result.detail.startswith("/srv/backups is read-only to revbot-backup.service")


def test_cli_reports_a_default_course_the_content_lacks(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DEFAULT_COURSE must name a course of the content: doctor fails the content check and lists the courses."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(123456789012345678))
    cli_env.setenv("DEFAULT_COURSE", "maths")
    assert main(["doctor", "--offline"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  content" in out and "DEFAULT_COURSE: There is no course 'maths'" in out
    assert "customer-service (" in out
    cli_env.setenv("DEFAULT_COURSE", "customer-service")
    assert main(["doctor", "--offline"]) == 0


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of the test's own, with a password in its URL (the test server accepts any)."""
    require_client_programs()
    with another_database("doctor") as plain:
        yield _with_password(plain)


def _with_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:doctor-secret@{parts.hostname}:{parts.port}"))


def _details(results: list[CheckResult]) -> list[tuple[str, Status, str]]:
    assert all("doctor-secret" not in r.detail for r in results)
    return [(r.name, r.status, r.detail) for r in results]


def test_postgres_checks_follow_the_schema(pg_url: str) -> None:
    """The database line says the server's version and whether the schema is new, current, behind or ahead."""
    where = f"PostgreSQL {describe(pg_url)} (server "
    (database, backups) = _details(check_postgres(pg_url))
    assert database[:2] == ("database", Status.PASSED) and database[2].startswith(where)
    assert database[2].endswith(") has no tables yet; the bot creates them at start")
    assert backups[:2] == ("backups", Status.PASSED) and re.fullmatch(
        r"pg_dump [\d.]+ \(\S+\) can back up PostgreSQL \d+", backups[2]
    )
    migrate(pg_url)
    server = database[2].split(")")[0] + ")"
    current = f"{server}: schema version {latest_version()} (current)"
    assert _details(check_postgres(pg_url))[0][1:] == (Status.PASSED, current)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
        behind = _details(check_postgres(pg_url))[0]
        conn.execute(f"INSERT INTO schema_migrations VALUES ({latest_version() + 1}, 'future.sql', 0)")  # noqa: S608
        ahead = _details(check_postgres(pg_url))[0]
    assert behind[1] is Status.FAILED and behind[2].endswith(
        f"is at schema version 1, this revbot expects {latest_version()}: run `revbot db migrate`"
    )
    assert ahead[1] is Status.FAILED and "from a newer revbot" in ahead[2]


def test_postgres_out_of_reach_or_without_pg_dump(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that does not answer fails the database line; without pg_dump, backups are marked as not possible
    here (the bot itself still runs, so a container's health check stays green)."""
    closed = _with_password("postgresql://revbot@127.0.0.1:1/revbot")
    (database, backups) = _details(check_postgres(closed))
    assert database[:2] == ("database", Status.FAILED)
    assert database[2].startswith("cannot connect to PostgreSQL at 127.0.0.1:1/revbot: ")
    assert backups == ("backups", Status.SKIPPED, "needs the database")
    monkeypatch.setenv("PATH", str(tmp_path))
    backups = _details(check_postgres(pg_url))[1]
    assert backups[1] is Status.SKIPPED
    assert backups[2].startswith("`revbot db backup` cannot run here: pg_dump was not found: install PostgreSQL ")


def test_cli_with_database_url(pg_url: str, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With DATABASE_URL, doctor checks PostgreSQL and pg_dump instead of the SQLite file, the password unshown."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(123456789012345678))
    cli_env.setenv("DATABASE_URL", pg_url)
    migrate(pg_url)
    assert main(["doctor", "--offline"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[:2] for line in out.splitlines()[2:4]] == [["PASS", "database"], ["PASS", "backups"]]
    assert "doctor-secret" not in out and "sqlite3" not in out


async def _reports(path: Path, *reports: tuple[int, int, int | None, int, datetime]) -> None:
    """Record shard reports as running processes would: (shard, count, latency ms, servers, when)."""
    db = await Database.open(path)
    try:
        await ShardReportRepository(db).save(
            [
                ShardReport(shard, count, ms, servers, f"host:{100 + shard}", at)
                for shard, count, ms, servers, at in reports
            ]
        )
    finally:
        await db.close()


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_doctor_lists_every_shard_the_processes_report(tmp_path: Path) -> None:
    """Each shard's latency, servers and process, from whichever process runs it."""
    path = tmp_path / "revbot.sqlite3"
    await _reports(path, (0, 2, 41, 2501, NOW - timedelta(seconds=30)), (1, 2, None, 1, NOW - timedelta(seconds=5)))
    result = check_shards(path, NOW)
    assert result is not None
    assert (result.status, result.detail) == (Status.PASSED, "2 of 2 reporting")
    assert result.more == (
        "shard 0: 41 ms, 2,501 servers, 30 s ago (host:100)",
        "shard 1: latency unknown, 1 server, 5 s ago (host:101)",
    )


async def test_doctor_names_a_shard_no_running_process_reports(tmp_path: Path) -> None:
    """A shard silent for over 5 minutes (its process stopped) fails, by number; the others are still listed."""
    path = tmp_path / "revbot.sqlite3"
    await _reports(
        path,
        (0, 3, 40, 10, NOW - timedelta(seconds=20)),
        (1, 3, 42, 11, NOW - timedelta(seconds=50)),
        (2, 3, 45, 12, NOW - timedelta(minutes=12)),
    )
    result = check_shards(path, NOW)
    assert result is not None
    assert result.status is Status.FAILED
    assert result.detail.startswith("shard 2 of 3 reported nothing for 5 minutes")
    assert [line.split(":")[0] for line in result.more] == ["shard 0", "shard 1"]


async def test_doctor_says_when_processes_disagree_on_the_shard_count(tmp_path: Path) -> None:
    path = tmp_path / "revbot.sqlite3"
    await _reports(path, (0, 1, 40, 10, NOW - timedelta(seconds=20)), (1, 2, 42, 11, NOW - timedelta(seconds=10)))
    result = check_shards(path, NOW)
    assert result is not None
    assert result.status is Status.FAILED and "SHARD_COUNT" in result.detail


async def test_doctor_shows_no_shards_when_no_bot_runs(tmp_path: Path) -> None:
    """Before the first start (no database yet), or once every process has stopped, there is nothing to show."""
    path = tmp_path / "revbot.sqlite3"
    assert check_shards(path, NOW) is None
    assert not path.exists()  # and nothing was created
    await _reports(path, (0, 1, 40, 10, NOW - timedelta(minutes=6)))
    assert check_shards(path, NOW) is None
