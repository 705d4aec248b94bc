"""The domain core and services never depend on Discord."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISCORD_FREE = ["bot/domain", "bot/services", "bot/course"]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_packages_never_import_discord() -> None:
    """bot/domain, bot/services and bot/course import nothing from discord."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in DISCORD_FREE
        for path in (ROOT / folder).rglob("*.py")
        if "discord" in _imports(path)
    ]
    assert offenders == []


def test_import_check_would_catch_a_discord_import(tmp_path: Path) -> None:
    """The checker sees both import forms."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom discord import ui\n", encoding="utf-8")
    assert "discord" in _imports(sample)
    sample.write_text("import discord.ext.commands\n", encoding="utf-8")
    assert "discord" in _imports(sample)
