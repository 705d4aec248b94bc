"""`sudo revbot ...` reads /etc/revbot/revbot.env as systemd does: values are never run by a shell or shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.envfile import parse_env_file
from tests.fakediscord.world import bot_token

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ROOT / "deploy" / "revbot-admin"


def test_values_are_read_by_systemds_rules() -> None:
    """Spaces inside a value stay, outer ones go; quotes, escapes, continuations and comments work as in systemd."""
    text = (
        "# a comment\n"
        "; another\n"
        "DISCORD_TOKEN=Bot abc.def.ghi  \n"
        "  LOG_LEVEL = DEBUG\n"
        'QUOTED="two  words" \n'
        "SINGLE='no \\escapes $HOME'\n"
        "JOINED=one\\\ntwo\n"
        "EMPTY=\n"
        "no equals sign here\n"
        "2BAD=x\n"
    )
    parsed = parse_env_file(text)
    assert parsed.values == {
        "DISCORD_TOKEN": "Bot abc.def.ghi",
        "LOG_LEVEL": "DEBUG",
        "QUOTED": "two  words",
        "SINGLE": "no \\escapes $HOME",
        "JOINED": "onetwo",
        "EMPTY": "",
    }
    assert parsed.ignored_lines == [11]


def test_the_command_gets_the_values_and_nothing_is_printed(tmp_path: Path) -> None:
    """python -m bot.envfile runs the command with the file's values; a token with a space is not shown."""
    token = bot_token(123456789012345678)
    settings = tmp_path / "revbot.env"
    settings.write_text(f"DISCORD_TOKEN=Bot {token}\nLOG_LEVEL=INFO\n", encoding="utf-8")
    seen = tmp_path / "seen"
    child = f"import os, pathlib; pathlib.Path({str(seen)!r}).write_text(os.environ['DISCORD_TOKEN'])"
    result = subprocess.run(
        [sys.executable, "-m", "bot.envfile", str(settings), sys.executable, "-c", child],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert seen.read_text(encoding="utf-8") == f"Bot {token}"


def test_a_settings_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A UTF-16 settings file stops the admin command with advice, before anything runs."""
    settings = tmp_path / "revbot.env"
    settings.write_text("LOG_LEVEL=INFO\n", encoding="utf-16")
    result = subprocess.run(
        [sys.executable, "-m", "bot.envfile", str(settings), "true"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == f"{settings} is not UTF-8 text: save it again as UTF-8 (systemd reads only UTF-8).\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="the admin command runs as root")
def test_admin_command_with_a_token_that_has_a_space(tmp_path: Path) -> None:
    """deploy/revbot-admin passes `DISCORD_TOKEN=Bot <token>` to revbot as a value: no exit 127, no token shown."""
    token = bot_token(123456789012345678)
    settings = tmp_path / "etc" / "revbot.env"
    settings.parent.mkdir()
    settings.write_text(f"DISCORD_TOKEN=Bot {token}\n", encoding="utf-8")
    app = tmp_path / "opt" / "revbot"
    (app / "src").mkdir(parents=True)
    (app / "venv").symlink_to(Path(sys.prefix))  # this test's virtual environment stands in for the installed one
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen"
    runuser = bin_dir / "runuser"  # records what revbot would be started with, instead of switching user
    runuser.write_text(
        f'#!/bin/sh\nshift 3\nprintf "%s" "$DISCORD_TOKEN" > {seen}\nprintf "%s\\n" "$@" > {seen}.args\n',
        encoding="utf-8",
    )
    runuser.chmod(0o755)
    admin = tmp_path / "revbot-admin"
    admin.write_text(
        ADMIN.read_text(encoding="utf-8")
        .replace("APP_DIR=/opt/revbot", f"APP_DIR={app}")
        .replace("ENV_FILE=/etc/revbot/revbot.env", f"ENV_FILE={settings}"),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["bash", str(admin), "doctor", "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert seen.read_text(encoding="utf-8") == f"Bot {token}"
    assert Path(f"{seen}.args").read_text(encoding="utf-8") == f"{app}/venv/bin/revbot\ndoctor\n--offline\n"
