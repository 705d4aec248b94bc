"""The revbot command line: `revbot --help` lists what it can do."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.authoring.coverage import coverage
from bot.authoring.preview import Preview, preview_items
from bot.authoring.schema import stale_schemas, write_schemas
from bot.backups import FILE_SUFFIXES, back_up, backup_into, prune_before_restore
from bot.course.catalog import Catalog
from bot.course.loader import ContentInvalid, load_catalog
from bot.settings import Settings, SettingsInvalid, load_settings
from bot.storage.files import restore_database
from bot.storage.schema import DatabaseError, latest_version, migrate_file, postgres_url

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a program stopped with Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a program whose reader went away


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # a closed pipe shows here, not as an error while Python exits
        return code
    except SettingsInvalid as exc:
        for problem in exc.problems:
            print(f"Setting not usable: {problem}.", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader stopped early (`revbot content coverage | head`): that is not an error worth a message.
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _unexpected(exc, argv)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that Python's last flush at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _unexpected(exc: Exception, argv: Sequence[str] | None) -> int:
    """Report a failure nobody foresaw in one line; the traceback goes to the bot's log or to a file."""
    from bot.logging_setup import RedactingFilter

    redact = RedactingFilter().redact
    root = logging.getLogger()
    if any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        # `revbot run` has set up its log (the journal under systemd): the details belong there.
        log.critical("stopped by an unexpected error", exc_info=exc)
        return EXIT_FAILED
    details = "".join(traceback.format_exception(exc))
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    report = Path(tempfile.gettempdir()) / f"revbot-error-{stamp}-{os.getpid()}.log"
    command = " ".join(sys.argv[1:] if argv is None else argv)
    where = "nowhere (it could not be written)"
    with contextlib.suppress(OSError):
        fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the traceback may name private paths
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact(f"revbot {command}\n{details}"))
        where = str(report)
    summary = redact(f"{type(exc).__name__}: {exc}")[:300]
    print(f"revbot failed unexpectedly ({summary}). The details are in {where}.", file=sys.stderr)
    return EXIT_FAILED


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

    lint = content_commands.add_parser(
        "lint", help="measure how far test-taking cues alone score, and find near-duplicate items"
    )
    _content_path(lint)
    lint.add_argument("--element", metavar="ID", help="only this element (the limits then apply to it alone)")
    lint.add_argument("--strict", action="store_true", help="exit 1 when a cue or a duplicate is over the limits")
    lint.set_defaults(handler=_lint)

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

    importer = content_commands.add_parser("import", help="turn revision notes into a course folder")
    importer.add_argument("notes", nargs="+", type=Path, metavar="NOTES", help="notes files (plain text)")
    importer.add_argument("--course", required=True, metavar="COURSE_ID", help="the course's id")
    importer.add_argument("--out", required=True, type=Path, metavar="DIR", help="the course folder to write")
    importer.add_argument("--title", help="the course's title (default: kept, or made from COURSE_ID)")
    importer.set_defaults(handler=_import)

    bank = content_commands.add_parser(
        "import-bank", help="bring Moodle GIFT or Aiken files, or Red trivia lists, into a course folder"
    )
    bank.add_argument("banks", nargs="+", type=Path, metavar="FILE", help="question bank files")
    bank.add_argument("--course", required=True, metavar="ID", help="the course's id")
    bank.add_argument("--out", required=True, type=Path, metavar="DIR", help="the course folder to write")
    bank.add_argument("--element", metavar="ID", help="put every question in this element")
    bank.add_argument("--format", choices=("gift", "aiken", "red"), help="the files' format (default: detected)")
    bank.set_defaults(handler=_import_bank)

    export = content_commands.add_parser("export", help="write the course as GIFT or Aiken for Moodle, or an Anki deck")
    _content_path(export)
    export.add_argument("--format", required=True, choices=("gift", "aiken", "anki"))
    export.add_argument("--element", metavar="ID", help="only this element")
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="the file to write")
    export.set_defaults(handler=_export)

    review = content_commands.add_parser("review", help="list generated items not yet reviewed, or mark them")
    review.add_argument("path", type=Path, metavar="DIR", help="content folder or course folder")
    marking = review.add_mutually_exclusive_group()
    marking.add_argument("--mark", nargs="+", metavar="ID", help="mark these items reviewed")
    marking.add_argument("--all", action="store_true", help="mark every unreviewed generated item reviewed")
    review.set_defaults(handler=_review)

    db = commands.add_parser("db", help="create, back up and restore the database")
    db_commands = db.add_subparsers(title="db commands", metavar="ACTION")
    migrate = db_commands.add_parser("migrate", help="create the database or bring it up to date")
    migrate.set_defaults(handler=_db_migrate)
    backup = db_commands.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("path", type=Path, help="where to write the copy, or a folder for a dated copy")
    backup.add_argument("--keep", type=int, metavar="N", help="PATH is a folder: keep only the newest N dated copies")
    backup.set_defaults(handler=_db_backup)
    restore = db_commands.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    restore.add_argument("path", type=Path, help="the backup to restore")
    restore.set_defaults(handler=_db_restore)
    copy = db_commands.add_parser("copy", help="copy the SQLite database into an empty PostgreSQL database")
    copy.add_argument("--from", dest="source", type=Path, metavar="PATH", help="the SQLite file (default: as the bot)")
    copy.add_argument("--to", metavar="URL", help="the PostgreSQL database, postgresql://... (default: DATABASE_URL)")
    copy.set_defaults(handler=_db_copy)

    doctor = commands.add_parser("doctor", help="check settings, token, database, content and login; exit 1 on failure")
    doctor.add_argument("--offline", action="store_true", help="do not try to log in to Discord")
    doctor.set_defaults(handler=_doctor)

    invite = commands.add_parser("invite-url", help="print the link that adds the bot to a server")
    invite.set_defaults(handler=_invite_url)
    return parser


LOGIN_HELP = (
    "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/applications, "
    "add a bot, copy its token, then run: DISCORD_TOKEN=... revbot run (or put it in a .env file)."
)


def _run(_args: argparse.Namespace) -> int:
    from bot.doctor import Status, check_token

    settings = load_settings(Settings)
    token = settings.discord_token.get_secret_value() if settings.discord_token is not None else ""
    if not token.strip():
        print(LOGIN_HELP, file=sys.stderr)
        return EXIT_USAGE
    shape = check_token(token)
    if shape.status is not Status.PASSED:  # Discord would refuse it; restarting cannot help
        print(f"Not started: {shape.detail}.", file=sys.stderr)
        return EXIT_USAGE
    from bot.runner import run_bot  # imported here so content and db commands start fast

    return run_bot(settings)


def _content_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, help="content folder or course folder (default: CONTENT_DIR)")


def _load(args: argparse.Namespace) -> tuple[Catalog | None, int]:
    path = args.path or load_settings(Settings).content_dir
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


def _element_known(catalog: Catalog, element: str | None) -> bool:
    """Return whether --element names an element of the catalog (or was not given); else say which ones it has."""
    if element is None or catalog.has_element(element):
        return True
    known = ", ".join(e.id for e in catalog.elements())
    print(f"No element {element!r}. Elements: {known}", file=sys.stderr)
    return False


def _lint(args: argparse.Namespace) -> int:
    from bot.authoring.lint import item_lines, lint, report_lines

    catalog, code = _load(args)
    if catalog is None:
        return code
    if not _element_known(catalog, args.element):
        return EXIT_USAGE
    where = item_lines(args.path or load_settings(Settings).content_dir)
    report = lint(catalog, lambda item_id: where.get(item_id, "?"), args.element)
    for line in report_lines(report):
        print(line)
    return EXIT_FAILED if args.strict and report.failed else EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    catalog, code = _load(args)
    if catalog is None:
        return code
    if not _element_known(catalog, args.element):
        return EXIT_USAGE
    items = preview_items(catalog, args.element, args.kind, args.shuffle)
    read: Callable[[], str] = _read_line
    try:
        Preview(catalog, read, sys.stdout).run(items)
    except KeyboardInterrupt:
        print("\nPreview stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def _import(args: argparse.Namespace) -> int:
    from bot.authoring.importer import run_import

    return run_import(args.notes, args.course, args.out, args.title, sys.stdout, sys.stderr)


def _import_bank(args: argparse.Namespace) -> int:
    from bot.authoring.banks.importing import run_import_bank

    return run_import_bank(args.banks, args.course, args.out, args.element, args.format, sys.stdout, sys.stderr)


def _export(args: argparse.Namespace) -> int:
    from bot.authoring.banks.export import run_export

    catalog, code = _load(args)
    if catalog is None:
        return code
    if not _element_known(catalog, args.element):
        return EXIT_USAGE
    if args.out.is_dir():
        print(f"{args.out} is a folder: --out takes the file to write.", file=sys.stderr)
        return EXIT_USAGE
    return run_export(catalog, args.format, args.element, args.out, time.time(), sys.stdout, sys.stderr)


def _review(args: argparse.Namespace) -> int:
    from bot.authoring.review import run_review

    return run_review(args.path, args.mark, args.all, sys.stdout, sys.stderr)


def _where(location: Path | str) -> str:
    """Name the database for people: the SQLite file, or PostgreSQL's host and database (never the password)."""
    if isinstance(location, str):
        from bot.storage.postgres import describe

        return f"PostgreSQL {describe(location)}"
    return str(location)


def _db_migrate(_args: argparse.Namespace) -> int:
    location = load_settings(Settings).database_location
    try:
        if isinstance(location, str):
            from bot.storage.postgres import migrate

            applied = migrate(location)
        else:
            applied = migrate_file(location)
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Cannot migrate {_where(location)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    version = latest_version()
    print(
        f"{_where(location)}: applied {', '.join(applied)}; now at version {version}"
        if applied
        else f"{_where(location)}: already at version {version}"
    )
    return EXIT_OK


def _db_backup(args: argparse.Namespace) -> int:
    source = load_settings(Settings).database_location
    if isinstance(source, Path) and not source.is_file():
        print(f"No database at {source} to back up.", file=sys.stderr)
        return EXIT_FAILED
    if args.keep is not None and args.keep < 1:
        print("--keep must be at least 1.", file=sys.stderr)
        return EXIT_USAGE
    if args.keep is not None and (args.path.suffix in FILE_SUFFIXES or args.path.is_file()):
        print(f"--keep needs a folder for the dated copies, and {args.path} is a file name.", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.keep is not None or args.path.is_dir():
            result = backup_into(source, args.path, args.keep)
            path, size, removed = result.path, result.size, result.removed
        else:
            path, size, removed = args.path, back_up(source, args.path), ()
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Backed up {_where(source)} to {path} ({size / 1024:,.0f} KiB)")
    for old in removed:
        print(f"Removed old backup {old}")
    return EXIT_OK


def _db_restore(args: argparse.Namespace) -> int:
    settings = load_settings(Settings)
    target = settings.database_location
    try:
        if isinstance(target, str):
            from bot.storage.pgfiles import KEPT_NAME, restore_postgres

            kept, kept_for = restore_postgres(args.path, target, settings.data_dir), settings.data_dir / KEPT_NAME
        else:
            kept, kept_for = restore_database(args.path, target), target
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Not restored: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Restored {args.path} to {_where(target)}" + (f"; the previous database is kept at {kept}" if kept else ""))
    try:
        for old in prune_before_restore(kept_for) if kept else ():
            print(f"Removed an older copy kept by a restore: {old}")
    except OSError as exc:
        print(f"Older copies kept by restores were not all removed: {exc}", file=sys.stderr)
    return EXIT_OK


def _db_copy(args: argparse.Namespace) -> int:
    settings = load_settings(Settings)
    url = args.to or (settings.database_url.get_secret_value() if settings.database_url else None)
    if url is None:
        print("db copy needs the PostgreSQL database: --to postgresql://... or DATABASE_URL.", file=sys.stderr)
        return EXIT_USAGE
    if not postgres_url(url):
        print("--to must be a PostgreSQL URL starting with postgresql://", file=sys.stderr)  # not shown: a password?
        return EXIT_USAGE
    source = args.source or settings.database_file
    if not source.is_file():
        print(f"No database at {source} to copy.", file=sys.stderr)
        return EXIT_FAILED
    from bot.storage.pgcopy import copy_to_postgres

    try:
        result = copy_to_postgres(source, url, lambda line: print(line, file=sys.stderr, flush=True))
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        print(f"Not copied: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if result.migrated:
        print(f"Brought {source} up to schema version {latest_version()} first, as the bot does at start")
    counts = ", ".join(f"{table} {count:,}" for table, count in result.counts.items())
    print(f"Copied {source} to {_where(url)}; the row counts match: {counts}")
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    import asyncio

    from bot.doctor import diagnose, failed, report_lines

    results = asyncio.run(diagnose(online=not args.offline))
    for line in report_lines(results):
        print(line)
    return EXIT_FAILED if failed(results) else EXIT_OK


def _invite_url(_args: argparse.Namespace) -> int:
    from bot.invite import InviteSettings, NoApplicationId, application_id, invite_url, permission_names

    try:
        url = invite_url(application_id(load_settings(InviteSettings)))
    except NoApplicationId as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    print(url)
    print(f"Scopes: bot, applications.commands. Permissions: {', '.join(permission_names())}.", file=sys.stderr)
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    out = args.out or load_settings(Settings).content_dir / "schema"
    if out.exists() and not out.is_dir():
        print(f"{out} is a file: --out takes the folder to write the schemas into.", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        stale = stale_schemas(out)
        for name in stale:
            print(f"{out / name} is out of date: run `revbot content schema`")
        return EXIT_FAILED if stale else EXIT_OK
    try:
        written = write_schemas(out)
    except OSError as exc:
        print(f"Cannot write the schemas to {out}: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_FAILED
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK
