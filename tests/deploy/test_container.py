"""The container files, checked as text: no container engine runs here, so CI never builds the image."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def test_dockerfile_is_slim_pinned_and_non_root() -> None:
    """python:3.12-slim pinned by digest, pinned dependencies, a fixed non-root UID, the data folder as a volume."""
    steps = _instructions()
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", steps[0][1]) and steps[0][0] == "FROM"
    env = " ".join(arg for op, arg in steps if op == "ENV")
    assert "DATA_DIR=/data" in env and "CONTENT_DIR=/app/content" in env
    runs = [arg for op, arg in steps if op == "RUN"]
    assert any("useradd --system --uid 10001 --gid 10001" in arg for arg in runs)
    assert ("USER", "10001:10001") in steps
    assert steps.index(("USER", "10001:10001")) > max(i for i, (op, _) in enumerate(steps) if op == "RUN")
    assert ("VOLUME", '["/data"]') in steps
    assert steps[-2:] == [("ENTRYPOINT", '["revbot"]'), ("CMD", '["run"]')]
    for op, arg in steps:
        if op == "COPY":
            for source in arg.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    """The pinned dependencies are their own layer, built from pyproject.toml and constraints.txt alone."""
    steps = _instructions()
    copies = [i for i, (op, _) in enumerate(steps) if op == "COPY"]
    first_copy = steps[copies[0]][1]
    assert first_copy == "pyproject.toml constraints.txt ./"
    deps = next(i for i, (op, arg) in enumerate(steps) if op == "RUN" and "-r requirements.txt" in arg)
    assert "pip install -c constraints.txt -r requirements.txt" in steps[deps][1]
    assert copies[0] < deps < copies[1]
    assert ("COPY", "bot ./bot") in steps[deps:]
    assert any(op == "RUN" and "pip install --no-deps -c constraints.txt ." in arg for op, arg in steps[deps + 1 :])


def test_the_image_checks_its_own_health() -> None:
    """A HEALTHCHECK runs doctor offline (settings, database, content) every few minutes."""
    [check] = [arg for op, arg in _instructions() if op == "HEALTHCHECK"]
    assert check.endswith('CMD ["revbot", "doctor", "--offline"]')
    assert "--interval=5m" in check


def test_compose_keeps_data_in_a_volume() -> None:
    """compose.yaml builds from the project folder, mounts a named volume at /data and reads the token from .env."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["revbot"]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert service["volumes"] == ["revbot-data:/data"]
    assert "revbot-data" in compose["volumes"]
    assert service["env_file"] == "../.env"
    assert service["restart"] == "unless-stopped"


def test_compose_backs_up_daily_rotates_logs_and_limits_memory() -> None:
    """A backup service copies the database daily into the same volume; logs are rotated; memory is capped."""
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]
    backup = services["backup"]
    assert backup["volumes"] == ["revbot-data:/data"]
    [loop] = backup["command"]
    assert 'revbot db backup --keep "$${BACKUP_KEEP:-14}" /data/backups;' in loop and "sleep 86400" in loop
    for service in services.values():
        assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
        assert service["mem_limit"].endswith("m")
    assert services["revbot"]["mem_limit"] == "512m"


def test_build_context_leaves_secrets_out() -> None:
    """Only what the Dockerfile copies goes into the build: never .env, the data folder or the venv."""
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[1] == "**"  # everything is excluded first, then the sources are let back in
    assert not [line for line in ignore if line.startswith("!") and (".env" in line or "data" in line)]
