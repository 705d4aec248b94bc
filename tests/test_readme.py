"""The README's commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(text: str) -> list[str]:
    return [line.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S) for line in block.splitlines()]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run's last line is the README's install-and-test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = next(c for c in _commands(readme) if "pytest" in c)
    ci_lines = [ln for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert ci_lines[-1] == test_command
