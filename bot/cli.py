"""The revbot command line: `revbot --help` lists what it can do."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.course.coverage import coverage
from bot.course.loader import ContentInvalid, load_catalog
from bot.course.preview import Preview, preview_items
from bot.course.schema import stale_schemas, write_schemas
from bot.settings import Settings
from bot.storage.db import DatabaseError, backup_database, latest_version, migrate_file, restore_database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    return int(args.handler(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revbot", description="A Discord revision bot and its tools.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")
    run.set_defaults(handler=_run)

    content = commands.add_parser("content", help="check, measure and try out course content")
    content_commands = content.add_subparsers(title="content commands", metavar="ACTION")

    validate = content_commands.add_parser("validate", help="check content and list every problem")
    _content_path(validate)
    validate.set_defaults(handler=_validate)

    cover = content_commands.add_parser("coverage", help="show how often each item of the notes is tested")
    _content_path(cover)
    cover.add_argument("--strict", action="store_true", help="exit 1 when any item is not tested")
    cover.set_defaults(handler=_coverage)

    preview = content_commands.add_parser("preview", help="take questions and challenges in the terminal")
    _content_path(preview)
    preview.add_argument("--element", metavar="ID", help="only this element")
    preview.add_argument("--kind", choices=("all", "questions", "challenges"), default="all")
    preview.add_argument("--shuffle", metavar="SEED", type=int, help="shuffle the items with this seed")
    preview.set_defaults(handler=_preview)

    schema = content_commands.add_parser("schema", help="write the JSON schemas editors use")
    schema.add_argument("--out", type=Path, default=None, help="folder (default: CONTENT_DIR/schema)")
    schema.add_argument("--check", action="store_true", help="exit 1 if the files differ from the models")
    schema.set_defaults(handler=_schema)

    db = commands.add_parser("db", help="create, back up and restore the database")
    db_commands = db.add_subparsers(title="db commands", metavar="ACTION")
    migrate = db_commands.add_parser("migrate", help="create the database or bring it up to date")
    migrate.set_defaults(handler=_db_migrate)
    backup = db_commands.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("path", type=Path, help="where to write the copy")
    backup.set_defaults(handler=_db_backup)
    restore = db_commands.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    restore.add_argument("path", type=Path, help="the backup to restore")
    restore.set_defaults(handler=_db_restore)
    return parser


LOGIN_HELP = (
    "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/applications, "
    "add a bot, copy its token, then run: DISCORD_TOKEN=... revbot run (or put it in a .env file)."
)


def _run(_args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        print(LOGIN_HELP, file=sys.stderr)
        return EXIT_USAGE
    from bot.runner import run_bot  # imported here so content and db commands start fast

    return run_bot(settings)


def _content_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, help="content folder or course folder (default: CONTENT_DIR)")


def _load(args: argparse.Namespace) -> tuple[object, int]:
    path = args.path or Settings().content_dir
    try:
        return load_catalog(path), EXIT_OK
    except ContentInvalid as exc:
        for error in exc.errors:
            print(error)
        files = len({e.file for e in exc.errors})
        print(
            f"{len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''} in "
            f"{files} file{'s' if files != 1 else ''}",
            file=sys.stderr,
        )
        return None, EXIT_FAILED


def _validate(args: argparse.Namespace) -> int:
    catalog, code = _load(args)
    if catalog is not None:
        print(catalog.summary())
    return code


def _coverage(args: argparse.Namespace) -> int:
    catalog, code = _load(args)
    if catalog is None:
        return code
    rows = coverage(catalog)
    id_width = max(len(r.item_id) for r in rows)
    print(f"{'element':<12} {'kind':<14} {'id':<{id_width}} {'tested':>6}  text")
    for row in rows:
        label = row.label if len(row.label) <= 60 else row.label[:59] + "…"
        flag = "" if row.count else "  <- not tested"
        print(f"{row.element_id:<12} {row.kind:<14} {row.item_id:<{id_width}} {row.count:>6}  {label}{flag}")
    untested = [r for r in rows if r.count == 0]
    print(f"{len(rows)} items, {len(untested)} not tested")
    return EXIT_FAILED if args.strict and untested else EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    catalog, code = _load(args)
    if catalog is None:
        return code
    if args.element is not None and not catalog.has_element(args.element):
        known = ", ".join(e.id for e in catalog.elements())
        print(f"No element {args.element!r}. Elements: {known}", file=sys.stderr)
        return EXIT_USAGE
    items = preview_items(catalog, args.element, args.kind, args.shuffle)
    read: Callable[[], str] = _read_line
    Preview(catalog, read, sys.stdout).run(items)
    return EXIT_OK


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def _db_migrate(_args: argparse.Namespace) -> int:
    path = Settings().database_file
    try:
        applied = migrate_file(path)
    except (DatabaseError, sqlite3.Error) as exc:
        print(f"Cannot migrate {path}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    version = latest_version()
    print(
        f"{path}: applied {', '.join(applied)}; now at version {version}"
        if applied
        else f"{path}: already at version {version}"
    )
    return EXIT_OK


def _db_backup(args: argparse.Namespace) -> int:
    source = Settings().database_file
    if not source.is_file():
        print(f"No database at {source} to back up.", file=sys.stderr)
        return EXIT_FAILED
    try:
        size = backup_database(source, args.path)
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Backed up {source} to {args.path} ({size / 1024:,.0f} KiB)")
    return EXIT_OK


def _db_restore(args: argparse.Namespace) -> int:
    target = Settings().database_file
    try:
        kept = restore_database(args.path, target)
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Not restored: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Restored {args.path} to {target}" + (f"; the previous database is kept at {kept}" if kept else ""))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    out = args.out or Settings().content_dir / "schema"
    if args.check:
        stale = stale_schemas(out)
        for name in stale:
            print(f"{out / name} is out of date: run `revbot content schema`")
        return EXIT_FAILED if stale else EXIT_OK
    for path in write_schemas(out):
        print(f"wrote {path}")
    return EXIT_OK
