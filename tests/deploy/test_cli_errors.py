"""The command line never shows a traceback: each mistake or interruption gets one clear line and an exit code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import bot.cli
import bot.storage.files as files_module
from bot.cli import main
from bot.storage.files import BACKUP_HEADROOM_BYTES, check_database
from bot.storage.schema import migrate_file
from tests.fakediscord.world import bot_token

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
APP_ID = 123456789012345678


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no Discord settings, the shipped content, data in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATA_DIR", "DATABASE_PATH", "DEV_"))}
    env.update({"DATA_DIR": str(tmp_path / "data"), "CONTENT_DIR": str(CONTENT), **extra})
    return env


def _revbot(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (python -m bot) in tmp_path and return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **(env or {})),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    for name in ("DISCORD_TOKEN", "DISCORD_APPLICATION_ID", "DEV_GUILD_ID", "DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


# --- revbot run -------------------------------------------------------------------------------------------------


def test_run_says_in_one_line_that_discord_is_out_of_reach(tmp_path: Path) -> None:
    """With Discord unreachable (here a closed port), run logs one error line and exits 1 for systemd to retry."""
    result = _revbot(
        tmp_path, "run", env={"DISCORD_TOKEN": bot_token(APP_ID), "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10"}
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1
    assert "Discord at http://127.0.0.1:9/api/v10 is out of reach (ClientConnectorError" in errors[0]
    assert "the service restarts" in errors[0]


def test_run_checks_the_token_shape_first(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A token pasted with 'Bot ' in front stops run with doctor's advice, exit 2 (no restart), the token unshown."""
    token = bot_token(APP_ID)
    cli_env.setenv("DISCORD_TOKEN", f"Bot {token}")
    assert main(["run"]) == 2
    out, err = capsys.readouterr()
    assert err == "Not started: DISCORD_TOKEN starts with 'Bot ': set the token alone, without 'Bot '.\n"
    assert token not in out + err


# --- settings -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["run"], ["db", "migrate"], ["content", "validate"], ["invite-url"]])
def test_a_malformed_setting_is_named_in_one_line(
    command: list[str], cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DEV_GUILD_ID=abc makes every command say which setting is wrong and why, exit 2, without its value."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(APP_ID))
    cli_env.setenv("DEV_GUILD_ID", "my-server")
    assert main(command) == 2
    assert capsys.readouterr().err == "Setting not usable: DEV_GUILD_ID is not a whole number.\n"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be 1 or more"),
        ({"SHARD_IDS": "0-1"}, "SHARD_IDS needs SHARD_COUNT, the number of shards in all"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0-3"}, "SHARD_IDS go from 0 to 1 when SHARD_COUNT is 2"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2-1"}, "SHARD_IDS: the range '2-1' runs backwards"),
    ],
)
def test_bad_shard_settings_are_named(
    env: dict[str, str], problem: str, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shard settings that cannot work stop `revbot run` with one line saying why, before it connects."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(APP_ID))
    for name, value in env.items():
        cli_env.setenv(name, value)
    assert main(["run"]) == 2
    assert capsys.readouterr().err == f"Setting not usable: {problem}.\n"


def test_a_database_url_that_is_not_postgresql_is_named_without_its_value(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DATABASE_URL of another kind stops `revbot run` in one line, which never repeats it (it holds a password)."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(APP_ID))
    cli_env.setenv("DATABASE_URL", "mysql://revbot:s3cret@127.0.0.1/revbot")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "Setting not usable: DATABASE_URL: must start with postgresql:// (leave it unset to use the SQLite file).\n"
    )
    assert "s3cret" not in err


def test_an_empty_setting_means_unset(tmp_path: Path, cli_env: pytest.MonkeyPatch) -> None:
    """`DEV_GUILD_ID=` (the example file's line, uncommented) is taken as not set."""
    (tmp_path / ".env").write_text("DEV_GUILD_ID=\nDISCORD_APPLICATION_ID=\nDATA_DIR=\n", encoding="utf-8")
    assert main(["db", "migrate"]) == 0
    assert (tmp_path / "data" / "revbot.sqlite3").is_file()


def test_a_bad_application_id_is_named(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """invite-url refuses DISCORD_APPLICATION_ID=abc and a negative id instead of printing a broken link."""
    cli_env.setenv("DISCORD_APPLICATION_ID", "abc")
    assert main(["invite-url"]) == 2
    assert capsys.readouterr() == ("", "Setting not usable: DISCORD_APPLICATION_ID is not a whole number.\n")
    cli_env.setenv("DISCORD_APPLICATION_ID", "-5")
    assert main(["invite-url"]) == 2
    assert capsys.readouterr() == ("", "Setting not usable: DISCORD_APPLICATION_ID must be a positive number.\n")


def test_a_utf16_env_file_is_explained_by_every_command(tmp_path: Path) -> None:
    """A .env saved as UTF-16 is named with what to do, by doctor and the other commands alike."""
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\n", encoding="utf-16")
    advice = f"{tmp_path / '.env'} is not UTF-8 text (it is UTF-16, as some Windows editors save it): save it again"
    doctor = _revbot(tmp_path, "doctor", "--offline")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stdout + doctor.stderr
    assert doctor.stdout.startswith("FAIL  settings   the settings cannot be loaded\n") and advice in doctor.stdout
    for command in (["db", "migrate"], ["content", "validate"]):
        result = _revbot(tmp_path, *command)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == f"Setting not usable: {advice} as UTF-8.\n"


# --- output cut short, Ctrl-C ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["content", "coverage"], ["content", "review", str(CONTENT)], ["doctor", "--offline"]]
)
def test_a_reader_that_stops_early_is_not_an_error(command: list[str], tmp_path: Path) -> None:
    """`revbot ... | head` ends quietly: no BrokenPipeError, the shell's exit code for a closed pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written, as `| head -0` would
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            cwd=tmp_path,
            env=_env(tmp_path),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def test_ctrl_c_in_preview_stops_it_quietly(tmp_path: Path) -> None:
    """Ctrl-C at a preview question says the preview stopped and exits 130, without a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "content", "preview"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        shown = b""
        while b"(A-" not in shown:  # the first prompt: the preview is waiting for an answer
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, shown
            shown += chunk
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.decode() == "\nPreview stopped.\n"


# --- content schema --------------------------------------------------------------------------------------------------


def test_schema_out_onto_a_file_or_under_one(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out naming a file, or a folder under a file, is refused in one line; a missing parent is created."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    assert main(["content", "schema", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err == f"{a_file} is a file: --out takes the folder to write the schemas into.\n"
    assert main(["content", "schema", "--out", str(a_file / "schema")]) == 1
    assert capsys.readouterr().err.startswith(f"Cannot write the schemas to {a_file / 'schema'}: Not a directory")
    assert a_file.read_text(encoding="utf-8") == "mine"
    assert main(["content", "schema", "--out", str(tmp_path / "new" / "schema")]) == 0
    assert (tmp_path / "new" / "schema" / "course.schema.json").is_file()


# --- db backup and restore ----------------------------------------------------------------------------------------


def test_backup_onto_the_live_database_is_refused(
    database: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db backup data/revbot.sqlite3` (the database itself, by a relative path) fails and leaves it as it was."""
    inode = database.stat().st_ino
    assert main(["db", "backup", "data/revbot.sqlite3"]) == 1
    err = capsys.readouterr().err
    assert err == "Backup failed: data/revbot.sqlite3 is the database itself: back it up to another file\n"
    assert database.stat().st_ino == inode and check_database(database) >= 1


def test_keep_with_a_file_name_is_refused(
    database: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db backup file.sqlite3 --keep 2` says --keep needs a folder instead of making a folder of that name."""
    assert main(["db", "backup", "file.sqlite3", "--keep", "2"]) == 2
    assert capsys.readouterr().err == "--keep needs a folder for the dated copies, and file.sqlite3 is a file name.\n"
    assert not (tmp_path / "file.sqlite3").exists()


def test_backup_without_room_on_the_disk_is_refused(
    database: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup that would leave less than the headroom free fails before it writes anything."""
    size = database.stat().st_size
    real = files_module.shutil.disk_usage

    def nearly_full(path: str | Path) -> object:
        usage = real(path)
        return usage._replace(free=size + BACKUP_HEADROOM_BYTES - 1)

    cli_env.setattr(files_module.shutil, "disk_usage", nearly_full)
    assert main(["db", "backup", str(tmp_path / "backups" / "copy.sqlite3")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Backup failed: not enough free space in {tmp_path / 'backups'}: a copy needs about")
    assert list((tmp_path / "backups").iterdir()) == []


def test_restore_onto_a_new_host_creates_the_data_folder(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restoring on a machine where DATA_DIR does not exist yet creates it and restores."""
    backup = tmp_path / "copy.sqlite3"
    migrate_file(backup)
    cli_env.setenv("DATA_DIR", str(tmp_path / "new-host" / "data"))
    assert main(["db", "restore", str(backup)]) == 0
    target = tmp_path / "new-host" / "data" / "revbot.sqlite3"
    assert capsys.readouterr().out == f"Restored {backup} to {target}\n"
    assert check_database(target) >= 1


def test_restore_keeps_only_the_newest_replaced_copies(
    database: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each restore keeps the database it replaced, and deletes such copies beyond the newest two."""
    old = [database.with_name(f"revbot.sqlite3.before-restore-2026010{day}-000000") for day in (1, 2)]
    for path in old:
        path.write_bytes(database.read_bytes())
    backup = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(backup)]) == 0
    assert main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"Removed an older copy kept by a restore: {old[0]}" in out
    kept = sorted(p.name for p in database.parent.iterdir() if ".before-restore-" in p.name)
    assert len(kept) == 2 and kept[0] == old[1].name


# --- anything else ---------------------------------------------------------------------------------------------------


def test_an_unforeseen_error_is_one_line_and_a_report_file(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure no message foresaw prints one line pointing at a private file that holds the traceback."""
    cli_env.setenv("TMPDIR", str(tmp_path))
    cli_env.setattr(bot.cli.tempfile, "tempdir", None)  # read TMPDIR again

    def broken(_catalog: object) -> object:
        raise RuntimeError("the coverage table is inconsistent")

    cli_env.setattr(bot.cli, "coverage", broken)
    assert main(["content", "coverage"]) == 1
    err = capsys.readouterr().err
    reports = list(tmp_path.glob("revbot-error-*.log"))
    assert len(reports) == 1
    assert err == (
        "revbot failed unexpectedly (RuntimeError: the coverage table is inconsistent). "
        f"The details are in {reports[0]}.\n"
    )
    text = reports[0].read_text(encoding="utf-8")
    assert text.startswith("revbot content coverage\nTraceback") and "RuntimeError" in text
    assert reports[0].stat().st_mode & 0o077 == 0
