"""The systemd units: hardened as the README promises, and accepted by `systemd-analyze verify`."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.app import CLICKS_GRACE_S, JOBS_GRACE_S

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("revbot.service", "revbot-backup.service", "revbot-backup.timer")
VENV = "/opt/revbot/venv"
HARDENING = {
    "User": "revbot",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/revbot",
    "EnvironmentFile": "/etc/revbot/revbot.env",
    "WorkingDirectory": "/opt/revbot/src",
    "CapabilityBoundingSet": "",
}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name", ["revbot.service", "revbot-backup.service"])
def test_services_are_hardened(name: str) -> None:
    """Both services run as revbot, cannot gain privileges, and may write only to the data folder."""
    service = _unit(name)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, key
    assert "DATA_DIR=/var/lib/revbot" in (DEPLOY / name).read_text(encoding="utf-8")


def test_the_bot_restarts_on_failure_but_not_without_a_token() -> None:
    """A crash restarts the bot; exit code 2 (no token) does not loop."""
    service = _unit("revbot.service")["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"
    assert service["ExecStart"] == f"{VENV}/bin/revbot run"
    assert _unit("revbot.service")["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_and_compose_wait_for_a_clean_stop_before_killing() -> None:
    """A stop is never cut short by a kill: both wait longer than the bot's own grace for work in flight."""
    grace = JOBS_GRACE_S + CLICKS_GRACE_S
    timeout = _unit("revbot.service")["Service"]["TimeoutStopSec"]
    assert timeout.endswith("s") and int(timeout[:-1]) > grace
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    [period] = re.findall(r"stop_grace_period: (\d+)s", compose)
    assert int(period) > grace


def test_backup_runs_daily_with_rotation() -> None:
    """The timer fires daily (catching up after downtime) and the service keeps BACKUP_KEEP dated copies."""
    timer = _unit("revbot-backup.timer")
    assert timer["Timer"]["OnCalendar"].endswith("03:30:00") and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = _unit("revbot-backup.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"] == f"{VENV}/bin/revbot db backup --keep ${{BACKUP_KEEP}} ${{BACKUP_DIR}}"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` reports nothing for the three units.

    verify also checks that ExecStart's program exists, so the venv path points at a stand-in here;
    every other line is verified as shipped.
    """
    program = tmp_path / "venv" / "bin" / "revbot"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    program.chmod(0o755)
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(VENV, str(tmp_path / "venv")), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(f"./{name}" for name in UNITS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 even for unknown keys and bad values; it only warns, so any output is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_systemd_analyze_verify_catches_mistakes(tmp_path: Path) -> None:
    """The check above is not vacuous: a misspelt key and a bad value are reported."""
    program = tmp_path / "revbot"
    program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    program.chmod(0o755)
    text = (DEPLOY / "revbot.service").read_text(encoding="utf-8").replace(f"{VENV}/bin/revbot", str(program))
    text = text.replace("ProtectSystem=strict", "ProtectSytem=strict").replace("Restart=on-failure", "Restart=often")
    (tmp_path / "revbot.service").write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "./revbot.service"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "ProtectSytem" in result.stderr and "often" in result.stderr
