"""A PostgreSQL database for the tests: one per test run, on the server REVBOT_TEST_POSTGRES_URL names.

`.ci/postgres` starts a throwaway server on loopback and prints the variable. Without it the PostgreSQL
half of the tests is skipped on a developer's machine, and fails under CI, where it must run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bot.storage import postgres

ENV = "REVBOT_TEST_POSTGRES_URL"


def server_url() -> str:
    """Return the test server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(ENV)
    if not url:
        _skip(f"PostgreSQL tests need {ENV}: `bash .ci/postgres` starts a throwaway server and prints it")
    return url


def require_client_programs() -> None:
    """Skip (fail under CI) unless PostgreSQL's client programs, which backups and restores run, are on PATH."""
    missing = [name for name in ("pg_dump", "pg_restore", "psql") if shutil.which(name) is None]
    if missing:
        _skip(f"PostgreSQL backup tests need {', '.join(missing)} on PATH (Debian: postgresql-client)")


def _skip(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def with_database(url: str, name: str) -> str:
    """Return url naming database name instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(name: str) -> str:
    """Create (or create again, empty) database name on the test server; return its URL."""
    server = server_url()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server, name)


def drop_database(name: str) -> None:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_database() -> Iterator[str]:
    """Yield the URL of this run's database, migrated; drop it afterwards."""
    name = f"revbot_test_{os.getpid()}"
    url = create_database(name)
    postgres.migrate(url)
    yield url
    _connection.cache_clear()
    drop_database(name)


@functools.cache
def _connection(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def empty(url: str) -> None:
    """Delete every row but the schema's version, and start ids from 1 again, as in a new database."""
    conn = _connection(url)
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'schema_migrations'"
        )
    ]
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@contextlib.contextmanager
def another_database(suffix: str) -> Iterator[str]:
    """Yield the URL of a new, empty database of this run's own (named with suffix); drop it afterwards."""
    name = f"revbot_test_{os.getpid()}_{suffix}"
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)
