"""PostgreSQL through psycopg 3: connections that take the repositories' SQLite-style SQL, and the migrations.

The repositories write SQL once, with ? placeholders, in the subset both engines share. A connection here
turns ? into psycopg's %s and stores Python booleans as the 0/1 integers the schema uses, as SQLite does.
Values are bound on the server, so statements a connection repeats are prepared once and not planned again;
the rule this brings: a placeholder PostgreSQL cannot give a type from its context (`? IS NULL`) is refused,
so such conditions are left out of the SQL in Python instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import select
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus

from bot.storage.schema import DatabaseError, Migration, migrations

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
# Migrations from several processes starting at once run one after another: the first applies them, the
# others find nothing left to do. Any constant works; this one spells "revbot".
MIGRATION_LOCK = 0x726576626F74
# Every running bot holds this lock shared; a restore takes it alone, so it is refused while a bot runs.
IN_USE_LOCK = MIGRATION_LOCK + 1

Error = psycopg.Error


class _BoolAsInteger(Dumper):
    """Store True and False as 1 and 0: the schema's flags are integers on both engines."""

    oid = psycopg.adapters.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Return sql with each ? outside a quoted string as %s, and each % doubled, as psycopg expects."""
    parts = sql.split("'")
    for i in range(0, len(parts), 2):  # even parts are outside quotes
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "'".join(parts)


class PgConnection:
    """A psycopg connection with the part of sqlite3.Connection's interface the repositories use.

    With in_use, it holds IN_USE_LOCK shared for as long as it is open (a bot's writer does), and is refused
    while a restore holds that lock.
    """

    def __init__(self, url: str, *, in_use: bool = False) -> None:
        self._url = url
        self._in_use = in_use
        self.raw = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL at {describe(self._url)}: {reason(exc)}") from None
        conn.adapters.register_dumper(bool, _BoolAsInteger)
        if self._in_use and not conn.execute("SELECT pg_try_advisory_lock_shared(%s)", (IN_USE_LOCK,)).fetchone()[0]:
            conn.close()
            raise DatabaseError(
                f"PostgreSQL {describe(self._url)} is being restored or filled by `revbot db copy`: start the bot "
                "again when that has finished"
            )
        return conn

    def reconnect_if_lost(self) -> None:
        """Open a new connection if the server closed this one (a restart, an outage), between transactions."""
        if _lost(self.raw):
            log.warning("the PostgreSQL connection to %s was lost; connecting again", describe(self._url))
            self.raw.close()
            self.raw = self._connect()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.raw.execute(translate(sql), tuple(params))  # () too: %% must become %

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), rows)
        return cursor

    @property
    def in_transaction(self) -> bool:
        # A lost connection's status is UNKNOWN: no transaction is open on it, and the next one needs a new one.
        return self.raw.info.transaction_status not in (TransactionStatus.IDLE, TransactionStatus.UNKNOWN)

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if not self.raw.closed:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()


def _lost(conn: psycopg.Connection[Any]) -> bool:
    """Return whether the server has dropped an idle connection, checked before anything is sent on it.

    psycopg notices a lost connection only when a statement fails. A server that shuts down or ends a session
    first says so and closes the socket, and nothing else arrives unasked on a connection that runs no LISTEN:
    an idle connection with something to read has been dropped, and the write can go to a new one instead.
    """
    if conn.closed or conn.broken:
        return True
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    return bool(readable)


def describe(url: str) -> str:
    """Return host:port/database of a PostgreSQL URL, never its user or password."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


def connect(url: str, *, in_use: bool = False) -> PgConnection:
    """Connect, or raise DatabaseError saying where and why (never the password); see PgConnection for in_use."""
    return PgConnection(url, in_use=in_use)


@contextlib.contextmanager
def held_alone(url: str, refusal: str) -> Iterator[PgConnection]:
    """Yield a connection that holds IN_USE_LOCK alone, or raise DatabaseError(refusal) while a bot holds it."""
    conn = connect(url)
    try:
        if not conn.execute("SELECT pg_try_advisory_lock(?)", (IN_USE_LOCK,)).fetchone()[0]:
            raise DatabaseError(refusal)
        yield conn  # the lock ends with the session
    finally:
        conn.close()


def server_major(conn: PgConnection) -> int:
    """Return the server's major version, e.g. 15."""
    return conn.raw.info.server_version // 10000


def inspect(url: str) -> tuple[str, int, int]:
    """Return the server's version (e.g. 15.4), its major version and the schema version, or raise DatabaseError."""
    conn = connect(url)
    try:
        server = (conn.raw.info.parameter_status("server_version") or "?").split()[0]
        return server, server_major(conn), current_version(conn)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot read PostgreSQL {describe(url)}: {reason(exc)}") from None
    finally:
        conn.close()


def reason(exc: psycopg.Error) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def pg_migrations() -> list[Migration]:
    """Return the migrations in PostgreSQL's form: a file in migrations/postgresql/ replaces its namesake."""
    from importlib import resources

    folder = resources.files("bot.storage").joinpath("migrations", "postgresql")
    own = {entry.name: entry.read_text(encoding="utf-8") for entry in folder.iterdir() if entry.name.endswith(".sql")}
    return [Migration(m.version, m.name, own.get(m.name, m.sql)) for m in migrations()]


def current_version(conn: PgConnection) -> int:
    """Return the schema version the database is at (0 when it has no tables of ours yet)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def apply_migrations(conn: PgConnection) -> list[str]:
    """Apply pending migrations in one transaction, one process at a time; return the names applied."""
    every = pg_migrations()
    latest = every[-1].version
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        current = current_version(conn)
        if current > latest:
            raise DatabaseError(f"the database is at schema version {current}, newer than this bot ({latest})")
        pending = [m for m in every if m.version > current]
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        now = int(time.time() * 1000)
        for m in pending:
            conn.raw.execute(m.sql)  # several statements and no parameters: sent as written
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, m.name, now))
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return [m.name for m in pending]


def migrate(url: str) -> list[str]:
    """Create or upgrade the schema in the database at url; return the migrations applied."""
    conn = connect(url)
    try:
        return apply_migrations(conn)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot migrate PostgreSQL at {describe(url)}: {reason(exc)}") from None
    finally:
        conn.close()
