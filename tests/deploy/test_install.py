"""deploy/install.sh into a temporary root: files, modes, the commands it would run, and a safe re-run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "deploy" / "install.sh"
UNITS = ("revbot.service", "revbot@.service", "revbot-backup.service", "revbot-backup.timer")


def _install(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_install_writes_everything_under_the_root(tmp_path: Path) -> None:
    """The bot, settings (600), units and admin command land under --root; system commands are only printed."""
    result = _install("--root", str(tmp_path), "--no-venv")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in UNITS:
        installed = tmp_path / "etc/systemd/system" / name
        assert installed.read_bytes() == (ROOT / "deploy" / name).read_bytes()
        assert _mode(installed) == 0o644
    env_file = tmp_path / "etc/revbot/revbot.env"
    assert env_file.read_bytes() == (ROOT / "deploy/revbot.env.example").read_bytes()
    assert _mode(env_file) == 0o600
    assert _mode(tmp_path / "etc/revbot") == 0o700
    assert _mode(tmp_path / "usr/local/bin/revbot") == 0o755
    src = tmp_path / "opt/revbot/src"
    for name in ("pyproject.toml", "constraints.txt", "bot/app.py", "cogs/admin.py", "content/customer-service"):
        assert (src / name).exists(), name
    assert not list(src.rglob("__pycache__"))
    assert _mode(tmp_path / "var/lib/revbot") == 0o750 and (tmp_path / "var/lib/revbot/backups").is_dir()
    assert not (tmp_path / "opt/revbot/venv").exists()
    assert "would run: useradd --system --user-group --home-dir /var/lib/revbot" in out
    assert f"would run: chown revbot:revbot {tmp_path}/var/lib/revbot\n" in out
    assert "would run: systemctl daemon-reload\n" in out
    assert "would run: systemctl enable --now revbot-backup.timer\n" in out
    assert "systemctl restart revbot.service" not in out  # no token yet: nothing to start
    assert "Put the bot's token in the settings:  sudo nano /etc/revbot/revbot.env" in out
    assert "sudo revbot doctor" in out and "sudo revbot invite-url" in out


def test_rerun_upgrades_and_keeps_settings_and_data(tmp_path: Path) -> None:
    """A second run replaces the bot's files but keeps the settings file and every file in the data folder."""
    assert _install("--root", str(tmp_path), "--no-venv").returncode == 0
    env_file = tmp_path / "etc/revbot/revbot.env"
    token_line = "DISCORD_TOKEN=" + "x" * 20 + "\n"
    env_file.write_text(token_line + "LOG_LEVEL=DEBUG\n", encoding="utf-8")
    database = tmp_path / "var/lib/revbot/revbot.sqlite3"
    database.write_bytes(b"SQLite format 3\x00 and the learners' points")
    backup = tmp_path / "var/lib/revbot/backups/revbot-20260301T033000Z.sqlite3"
    backup.write_bytes(b"yesterday")
    (tmp_path / "var/lib/revbot").chmod(0o700)
    stale = tmp_path / "opt/revbot/src/bot/removed_module.py"
    stale.write_text("# from an older version\n", encoding="utf-8")

    result = _install("--root", str(tmp_path), "--no-venv")
    assert result.returncode == 0, result.stderr
    assert env_file.read_text(encoding="utf-8") == token_line + "LOG_LEVEL=DEBUG\n"
    assert _mode(env_file) == 0o600
    assert database.read_bytes() == b"SQLite format 3\x00 and the learners' points"
    assert backup.read_bytes() == b"yesterday"
    assert _mode(tmp_path / "var/lib/revbot") == 0o700  # the data folder is not touched at all
    assert "chown" not in result.stdout
    assert not stale.exists()  # the bot's own files are replaced as a whole
    assert "keeping /etc/revbot/revbot.env" in result.stdout
    # A token is set and a database exists: stop, back the database up, then start the new version.
    steps = [line for line in result.stdout.splitlines() if "revbot.service" in line or " db backup " in line]
    assert steps[-3:] == [
        "would run: systemctl stop revbot.service",
        "would run: /usr/local/bin/revbot db backup --keep 3 /var/lib/revbot/backups/before-upgrade",
        "would run: systemctl start revbot.service",
    ]
    assert "installed and (re)started" in result.stdout


def test_rerun_with_several_processes_upgrades_them_and_not_revbot_service(tmp_path: Path) -> None:
    """With revbot@0-1 and revbot@2-3 enabled on PostgreSQL, an upgrade backs up and restarts those two only."""
    assert _install("--root", str(tmp_path), "--no-venv").returncode == 0
    env_file = tmp_path / "etc/revbot/revbot.env"
    env_file.write_text(
        "DISCORD_TOKEN=" + "x" * 20 + "\nSHARD_COUNT=4\nDATABASE_URL=postgresql://revbot:pw@127.0.0.1/revbot\n",
        encoding="utf-8",
    )
    wants = tmp_path / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir()
    for instance in ("revbot@0-1.service", "revbot@2-3.service"):  # what `systemctl enable revbot@0-1` makes
        (wants / instance).symlink_to("/etc/systemd/system/revbot@.service")

    result = _install("--root", str(tmp_path), "--no-venv")
    assert result.returncode == 0, result.stderr
    runs = [line for line in result.stdout.splitlines() if line.startswith("would run: ")]
    steps = [line for line in runs if "revbot." in line or "revbot@" in line or " db backup " in line]
    assert steps == [
        "would run: systemctl stop revbot@0-1.service revbot@2-3.service",
        "would run: /usr/local/bin/revbot db backup --keep 3 /var/lib/revbot/backups/before-upgrade",
        "would run: systemctl start revbot@0-1.service revbot@2-3.service",
    ]


def test_a_loose_settings_file_is_reported(tmp_path: Path) -> None:
    """A settings file others can read is kept, with a warning saying how to fix it."""
    env_file = tmp_path / "etc/revbot/revbot.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("DISCORD_TOKEN=\n", encoding="utf-8")
    env_file.chmod(0o644)
    result = _install("--no-venv", env={"DESTDIR": str(tmp_path)})  # DESTDIR works like --root
    assert result.returncode == 0, result.stderr
    assert "has mode 644" in result.stderr and "sudo chmod 600 /etc/revbot/revbot.env" in result.stderr
    assert env_file.read_text(encoding="utf-8") == "DISCORD_TOKEN=\n"


def test_unknown_options_are_refused(tmp_path: Path) -> None:
    """A mistyped option stops the script before it writes anything."""
    result = _install("--root", str(tmp_path), "--no-venvs")
    assert result.returncode == 1
    assert "unknown option: --no-venvs" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    shutil.which("shellcheck") is None, reason="shellcheck is not installed (apt-get install shellcheck)"
)
def test_scripts_pass_shellcheck() -> None:
    """The install script, the admin command and the CI scripts have no shellcheck warnings."""
    scripts = [INSTALL, ROOT / "deploy/revbot-admin", ROOT / ".ci/run", ROOT / ".ci/postgres"]
    result = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
