"""The container files, checked as text: no container engine runs here, so CI never builds the image."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def test_dockerfile_is_slim_pinned_and_non_root() -> None:
    """python:3.11-slim, pinned dependencies, a non-root user, and the data folder as a volume."""
    steps = _instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    env = " ".join(arg for op, arg in steps if op == "ENV")
    assert "DATA_DIR=/data" in env and "CONTENT_DIR=/app/content" in env
    assert any(op == "RUN" and "pip install -c constraints.txt ." in arg for op, arg in steps)
    assert ("USER", "revbot") in steps
    assert steps.index(("USER", "revbot")) > max(i for i, (op, _) in enumerate(steps) if op == "RUN")
    assert ("VOLUME", '["/data"]') in steps
    assert steps[-2:] == [("ENTRYPOINT", '["revbot"]'), ("CMD", '["run"]')]
    for op, arg in steps:
        if op == "COPY":
            for source in arg.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_compose_keeps_data_in_a_volume() -> None:
    """compose.yaml builds from the project folder, mounts a named volume at /data and reads the token from .env."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["revbot"]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert service["volumes"] == ["revbot-data:/data"]
    assert "revbot-data" in compose["volumes"]
    assert service["env_file"] == "../.env"
    assert service["restart"] == "unless-stopped"


def test_build_context_leaves_secrets_out() -> None:
    """Only what the Dockerfile copies goes into the build: never .env, the data folder or the venv."""
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[1] == "**"  # everything is excluded first, then the sources are let back in
    assert not [line for line in ignore if line.startswith("!") and (".env" in line or "data" in line)]
