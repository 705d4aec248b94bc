"""A PostgreSQL database as a whole: backing it up with pg_dump and restoring it with pg_restore and psql.

The host needs PostgreSQL's client programs of the server's major version or newer (Debian: postgresql-client-NN).
They get the password in PGPASSWORD, never on their command line, where any user of the machine could read it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bot.storage.files import BEFORE_RESTORE, check_room
from bot.storage.postgres import (
    current_version,
    describe,
    held_alone,
    inspect,
    migrate,
    pg_migrations,
    reason,
    server_major,
)
from bot.storage.schema import DatabaseError, latest_version

log = logging.getLogger(__name__)

DUMP_MAGIC = b"PGDMP"  # how a file pg_dump --format=custom wrote begins
KEPT_NAME = "revbot.dump"  # a restore keeps the database it replaced as DATA_DIR/revbot.dump.before-restore-TIME
_VERSION = re.compile(r"\b(\d+)(?:\.\d+)?")
_ERROR = re.compile(r"(?:error|ERROR|FATAL):\s+(.*)")
_CREATED = re.compile(r"^\s*CREATE\s+(TABLE|FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE | re.MULTILINE)


def client_program(name: str, major: int) -> tuple[str, str]:
    """Return the path and version of a PostgreSQL client program at least as new as the server.

    Raise DatabaseError saying what to install if it is missing or older.
    """
    install = f"install PostgreSQL {major}'s client programs (Debian and Ubuntu: apt install postgresql-client-{major})"
    path = shutil.which(name)
    if path is None:
        raise DatabaseError(f"{name} was not found: {install}")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    found = _VERSION.search(output)
    if found is None or int(found.group(1)) < major:
        shown = found.group(0) if found else "of an unknown version"
        raise DatabaseError(f"{name} {shown} is older than the PostgreSQL {major} server: {install}")
    return path, found.group(0)


def _for_program(url: str) -> tuple[str, dict[str, str]]:
    """Return url as a connection string without its password, and an environment that carries the password."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**params), env


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    """Run a client program; return its output, or raise DatabaseError with the first error it printed."""
    # PostgreSQL's own programs, found on PATH, with arguments built here (hence the noqa).
    result = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace", check=False)  # noqa: S603
    if result.returncode != 0:
        raise DatabaseError(f"{Path(command[0]).name} failed: {_first_error(result.stderr)}")
    return result.stdout


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        found = _ERROR.search(line)
        if found:
            return found.group(1)
    return lines[0] if lines else "it gave no reason"


def backup_postgres(url: str, destination: Path) -> int:
    """Write the revbot database at url to destination with pg_dump --format=custom; return the file's size."""
    _, major, version = inspect(url)
    if version == 0:
        raise DatabaseError(f"PostgreSQL {describe(url)} holds no revbot database yet")
    pg_dump, _ = client_program("pg_dump", major)
    destination.parent.mkdir(parents=True, exist_ok=True)
    check_room(destination.parent)  # the size of a compressed dump is not known beforehand
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    dbname, env = _for_program(url)
    try:
        _run([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={dbname}"], env)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a broken copy among the backups
        raise
    partial.replace(destination)
    return destination.stat().st_size


def check_dump(path: Path, pg_restore: str) -> int:
    """Return the schema version of a revbot dump made by pg_dump --format=custom, or raise DatabaseError."""
    if not path.is_file():
        raise DatabaseError(f"{path} does not exist")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3\x00"):
        raise DatabaseError(
            f"{path} is an SQLite database, and DATABASE_URL names PostgreSQL: `revbot db copy --from {path}` "
            "copies it into an empty PostgreSQL database"
        )
    if not head.startswith(DUMP_MAGIC):
        raise DatabaseError(f"{path} is not a PostgreSQL dump (pg_dump --format=custom)")
    script = _run([pg_restore, "--data-only", "--table=schema_migrations", "--file=-", str(path)])
    versions = [int(row.split("\t", 1)[0]) for row in _copied_rows(script, "public.schema_migrations")]
    if not versions:
        raise DatabaseError(f"{path} is not a revbot dump (no migrations recorded)")
    if max(versions) > latest_version():
        raise DatabaseError(f"{path} is from a newer revbot (schema version {max(versions)})")
    return max(versions)


def _copied_rows(script: str, table: str) -> list[str]:
    """Return the data lines of a table's COPY block in a pg_restore script."""
    lines = script.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"COPY {table} ")), None)
    if start is None:
        return []
    end = lines.index("\\.", start)
    return lines[start + 1 : end]


def restore_postgres(backup: Path, url: str, keep_in: Path) -> Path | None:
    """Replace the revbot database at url with a checked dump; return where the previous one was kept, if any.

    Refused (DatabaseError) while any bot has the database open: it holds IN_USE_LOCK, which a restore needs alone.
    """
    refusal = (
        f"a bot is running and using PostgreSQL {describe(url)}: stop every bot that uses it first "
        "(sudo systemctl stop revbot), restore, then start them again"
    )
    with held_alone(url, refusal) as conn:
        try:
            major, current = server_major(conn), current_version(conn)
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot read PostgreSQL {describe(url)}: {reason(exc)}") from None
        pg_restore, _ = client_program("pg_restore", major)
        psql, _ = client_program("psql", major)
        version = check_dump(backup, pg_restore)
        kept = None
        if current:
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
            keep_in.mkdir(parents=True, exist_ok=True)
            kept = keep_in / f"{KEPT_NAME}{BEFORE_RESTORE}{stamp}"
            backup_postgres(url, kept)
        _load(backup, url, pg_restore, psql, _created_after(version))
        migrate(url)
    return kept


def _created_after(version: int) -> list[str]:
    """Return statements that drop the tables and functions the migrations after version create.

    pg_restore --clean drops only what the dump has: a dump older than the database would leave the newer tables
    behind, and the migrations that follow the restore would then fail to create them.
    """
    drops = []
    for migration in pg_migrations()[version:]:
        for kind, name in _CREATED.findall(migration.sql):
            drops.append(f"DROP {kind.upper()} IF EXISTS public.{name} CASCADE;")
    return drops


def _load(backup: Path, url: str, pg_restore: str, psql: str, first: list[str]) -> None:
    """Run first, then the dump's SQL (pg_restore --clean --if-exists --no-owner), in one transaction with psql."""
    dbname, env = _for_program(url)
    before = [f"--command={' '.join(first)}"] if first else []
    load_command = [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as load_errors:
        script = subprocess.Popen(  # noqa: S603
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-", str(backup)],
            stdout=subprocess.PIPE,
            stderr=script_errors,
        )
        load = subprocess.Popen(  # noqa: S603
            [*load_command, f"--dbname={dbname}", *before, "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=load_errors,
            env=env,
        )
        assert script.stdout is not None and load.stdin is not None  # both are pipes  # noqa: S101
        # psql commits when its input ends: it must not see the end of a dump that pg_restore could not read whole.
        complete = False
        try:
            with contextlib.suppress(BrokenPipeError):  # psql stopped at an error; it says which
                shutil.copyfileobj(script.stdout, load.stdin)
            complete = script.wait() == 0
            if complete:
                with contextlib.suppress(BrokenPipeError):
                    load.stdin.close()
        finally:
            if not complete:
                load.kill()  # the server undoes a transaction whose connection ends
            script.kill()
            script.stdout.close()
            load.wait()
            script.wait()
        if load.returncode not in (0, -signal.SIGKILL):
            raise DatabaseError(f"the restore was undone: {_first_error(_text(load_errors))}")
        if not complete:
            raise DatabaseError(f"the restore was undone: pg_restore failed: {_first_error(_text(script_errors))}")


def _text(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")
