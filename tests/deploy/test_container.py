"""The container files, checked as text: no container engine runs here, so CI never builds the image."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.shards import parse_shard_ids
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILES = ("compose.yaml", "compose.postgres.yaml")
PASSWORD_REF = re.compile(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}")


def _compose(name: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def _bots(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the services that run the bot: built from the Dockerfile and started with its entrypoint."""
    return {name: s for name, s in compose["services"].items() if "build" in s and "entrypoint" not in s}


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Replace ${VAR}, ${VAR:-default} and ${VAR:?error} as Compose does; a missing required VAR raises KeyError."""

    def one(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if env.get(name):
            return env[name]
        if kind == ":-":
            return default
        raise KeyError(name)

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


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


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_keeps_data_in_a_volume(name: str) -> None:
    """Each bot builds from the project folder, mounts a named volume at /data and reads the token from .env."""
    compose = _compose(name)
    assert _bots(compose)
    for service in _bots(compose).values():
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["volumes"] == ["revbot-data:/data"]
        assert service["env_file"] == "../.env"
        assert service["restart"] == "unless-stopped"
    assert "revbot-data" in compose["volumes"]


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_rotates_logs_and_limits_memory(name: str) -> None:
    """Every service's logs are rotated and its memory is capped; each bot gets 512 MB."""
    compose = _compose(name)
    for service in compose["services"].values():
        assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
        assert service["mem_limit"].endswith("m")
    for service in _bots(compose).values():
        assert service["mem_limit"] == "512m"


def test_compose_backs_up_daily() -> None:
    """A backup service copies the database daily into the same volume."""
    backup = _compose("compose.yaml")["services"]["backup"]
    assert backup["volumes"] == ["revbot-data:/data"]
    [loop] = backup["command"]
    assert 'revbot db backup --keep "$${BACKUP_KEEP:-14}" /data/backups;' in loop and "sleep 86400" in loop


def test_compose_postgres_processes_share_the_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot processes run disjoint shards that cover 0..SHARD_COUNT-1, and each loads as the bot's settings."""
    bots = _bots(_compose("compose.postgres.yaml"))
    assert len(bots) == 2
    counts = {int(bot["environment"]["SHARD_COUNT"]) for bot in bots.values()}
    [count] = counts
    shards = [parse_shard_ids(bot["environment"]["SHARD_IDS"]) for bot in bots.values()]
    assert sorted(shard for ids in shards for shard in ids) == list(range(count))  # each shard exactly once
    monkeypatch.chdir(tmp_path)  # no .env file
    for bot, ids in zip(bots.values(), shards, strict=True):
        for key, value in bot["environment"].items():
            monkeypatch.setenv(key, _interpolate(value, {"POSTGRES_PASSWORD": "s3cret"}))
        settings = load_settings(Settings)
        assert (settings.shard_count, settings.shard_ids) == (count, ids)
        assert settings.database_url is not None
        assert settings.database_url.get_secret_value() == "postgresql://revbot:s3cret@postgres:5432/revbot"


def test_compose_postgres_bots_wait_for_a_healthy_database() -> None:
    """PostgreSQL 15 keeps its data in a named volume, reports health with pg_isready, and the bots wait for it."""
    compose = _compose("compose.postgres.yaml")
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"] and "postgres-data" in compose["volumes"]
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "ports" not in postgres  # reached by the other services only, never from outside the host
    for name in [*_bots(compose), "backup"]:
        assert compose["services"][name]["depends_on"] == {"postgres": {"condition": "service_healthy"}}, name


def test_compose_postgres_password_is_never_in_the_files() -> None:
    """The server, bots and backup all take ${POSTGRES_PASSWORD:?...}; .env, which holds it, is not committed."""
    compose = _compose("compose.postgres.yaml")
    env = {name: service.get("environment", {}) for name, service in compose["services"].items()}
    assert PASSWORD_REF.fullmatch(env["postgres"]["POSTGRES_PASSWORD"])
    assert PASSWORD_REF.fullmatch(env["backup"]["PGPASSWORD"])
    for name in _bots(compose):
        url = env[name]["DATABASE_URL"]
        assert PASSWORD_REF.fullmatch(url.removeprefix("postgresql://revbot:").removesuffix("@postgres:5432/revbot"))
    with pytest.raises(KeyError):  # Compose stops with the message rather than start without a password
        _interpolate(env["postgres"]["POSTGRES_PASSWORD"], {})
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_compose_postgres_backs_up_daily_with_the_servers_pg_dump() -> None:
    """A backup service dumps the database daily with the server's own image, keeping BACKUP_KEEP (14) copies."""
    services = _compose("compose.postgres.yaml")["services"]
    backup = services["backup"]
    assert backup["image"] == services["postgres"]["image"]
    assert backup["volumes"] == ["postgres-backups:/backups"]
    assert _interpolate(backup["environment"]["BACKUP_KEEP"], {}) == "14"
    [loop] = backup["command"]
    assert 'pg_dump --format=custom --file="$$file.part"' in loop and "sleep 86400" in loop
    assert "tail -n +$$((BACKUP_KEEP + 1)) | xargs -r rm -f --" in loop


def test_build_context_leaves_secrets_out() -> None:
    """Only what the Dockerfile copies goes into the build: never .env, the data folder or the venv."""
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[1] == "**"  # everything is excluded first, then the sources are let back in
    assert not [line for line in ignore if line.startswith("!") and (".env" in line or "data" in line)]
