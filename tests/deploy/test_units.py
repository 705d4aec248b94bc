"""The systemd units: hardened as the README promises, and accepted by `systemd-analyze verify`."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.app import CLICKS_GRACE_S, JOBS_GRACE_S
from bot.envfile import parse_env_file
from bot.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("revbot.service", "revbot@.service", "revbot-backup.service", "revbot-backup.timer")
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


@pytest.mark.parametrize("name", ["revbot.service", "revbot@.service", "revbot-backup.service"])
def test_services_are_hardened(name: str) -> None:
    """The services run as revbot, cannot gain privileges, and may write only to the data folder."""
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


def _settings_lines(name: str) -> list[str]:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_template_runs_the_bot_exactly_as_revbot_service_does() -> None:
    """revbot@<shards> differs from revbot.service only in its shards, and never runs beside it."""
    template = _settings_lines("revbot@.service")
    instance_only = [
        "Description=revbot Discord revision bot, shards %i",
        "Conflicts=revbot.service",
        "Environment=SHARD_IDS=%i",
    ]
    assert all(line in template for line in instance_only)
    shared = [line for line in template if line not in instance_only]
    assert shared == [line for line in _settings_lines("revbot.service") if not line.startswith("Description=")]


def test_an_instance_with_the_example_settings_runs_its_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """revbot@4-7 with the example file's lines for several processes loads shards 4-7 of 8 and PostgreSQL."""
    example = (DEPLOY / "revbot.env.example").read_text(encoding="utf-8")
    assert "SHARD_IDS" not in parse_env_file(example).values  # the file would override the instance name
    lines = [line.removeprefix("# ") for line in example.splitlines() if line.startswith(("# SHARD_", "# DATABASE_"))]
    values = parse_env_file("\n".join(lines)).values
    assert set(values) == {"SHARD_COUNT", "DATABASE_URL"}
    monkeypatch.chdir(tmp_path)  # no .env file
    for key, value in {**values, "SHARD_IDS": "4-7"}.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(Settings)
    assert (settings.shard_count, settings.shard_ids) == (8, (4, 5, 6, 7))
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value().startswith("postgresql://revbot:")


def test_systemd_and_compose_wait_for_a_clean_stop_before_killing() -> None:
    """A stop is never cut short by a kill: both wait longer than the bot's own grace for work in flight."""
    grace = JOBS_GRACE_S + CLICKS_GRACE_S
    timeout = _unit("revbot.service")["Service"]["TimeoutStopSec"]
    assert timeout.endswith("s") and int(timeout[:-1]) > grace
    for name in ("compose.yaml", "compose.postgres.yaml"):
        services = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))["services"]
        bots = [s for s in services.values() if "build" in s and "entrypoint" not in s]
        assert bots and all(re.fullmatch(r"\d+s", bot["stop_grace_period"]) for bot in bots), name
        assert all(int(bot["stop_grace_period"][:-1]) > grace for bot in bots), name


def test_backup_runs_daily_with_rotation() -> None:
    """The timer fires daily (catching up after downtime) and the service keeps BACKUP_KEEP dated copies."""
    timer = _unit("revbot-backup.timer")
    assert timer["Timer"]["OnCalendar"].endswith("03:30:00") and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = _unit("revbot-backup.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"] == f"{VENV}/bin/revbot db backup --keep ${{BACKUP_KEEP}} ${{BACKUP_DIR}}"


def test_backup_reaches_a_database_on_this_machine_only() -> None:
    """The daily backup can connect to PostgreSQL on 127.0.0.1 (DATABASE_URL) and to no other address."""
    service = _unit("revbot-backup.service")["Service"]
    assert "PrivateNetwork" not in service  # it would hide this machine's PostgreSQL server
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert (service["IPAddressDeny"], service["IPAddressAllow"]) == ("any", "localhost")


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` reports nothing for the units and an instance of the template.

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
        ["systemd-analyze", "verify", *(f"./{name.replace('@.', '@0-3.')}" for name in UNITS)],
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
