"""The layers keep to their rules: the core never depends on Discord, the running bot never on authoring tools."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISCORD_FREE = ["bot/domain", "bot/services", "bot/course", "bot/authoring", "bot/interchange", "bot/uploads.py"]


def _modules(path: Path) -> set[str]:
    """Return the full names of the modules a file imports, wherever in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


def test_core_packages_never_import_discord() -> None:
    """The core packages, and bot/uploads.py that runs the importers, import nothing from discord."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in DISCORD_FREE
        for path in ([ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py"))
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


def test_the_running_bot_never_imports_the_authoring_tools() -> None:
    """Only the command line reaches bot/authoring (import, lint, review, preview): the bot never loads them."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]
        if "authoring" not in path.parts
        and path.name != "cli.py"
        and any(name == "bot.authoring" or name.startswith("bot.authoring.") for name in _modules(path))
    ]
    assert offenders == []


def test_no_cog_imports_another_cog() -> None:
    """Cogs share code through bot/ui and bot/services, so each can be loaded, reloaded or removed alone."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "cogs").glob("*.py")
        if any(name == "cogs" or name.startswith("cogs.") for name in _modules(path))
    ]
    assert offenders == []


def test_the_discord_layer_never_reaches_the_database() -> None:
    """bot/ui and cogs call services, which own their transactions: no database driver or bot.storage there."""
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("bot/ui", "cogs")
        for path in (ROOT / folder).rglob("*.py")
        for name in sorted(_modules(path))
        if name.split(".")[0] in {"sqlite3", "aiosqlite", "psycopg"}
        or name == "bot.storage"
        or name.startswith("bot.storage.")
    ]
    assert offenders == []


def test_only_storage_talks_to_postgresql() -> None:
    """psycopg is imported by bot/storage alone, so a bot on SQLite never loads it and SQL stays in one place."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]
        if "psycopg" in _imports(path) and ROOT / "bot" / "storage" not in path.parents
    ]
    assert offenders == []


def test_only_the_entry_points_import_the_concrete_bot() -> None:
    """Cogs, buttons and jobs type the bot as the RevisionClient protocol; only the runner builds the real one."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]
        if path.name not in {"app.py", "runner.py"} and "bot.app" in _modules(path)
    ]
    assert offenders == []
