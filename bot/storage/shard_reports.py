"""What processes that share a token tell each other through the database: their shards' reports (doctor reads
them all), and the IDENTIFY bucket each is about to use."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain.clock import from_ms, to_ms
from bot.storage.db import Database
from bot.storage.schema import DatabaseError

SINCE_VERSION = 12  # the schema version that added shard_reports
COLUMNS = "shard_id, shard_count, latency_ms, servers, process, reported_at"


@dataclass(frozen=True, slots=True)
class ShardReport:
    """One shard as its process last saw it."""

    shard_id: int
    shard_count: int
    latency_ms: int | None
    servers: int
    process: str
    reported_at: datetime


class ShardReportRepository:
    """Saves this process's shard reports."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, reports: list[ShardReport]) -> None:
        """Replace these shards' reports (one row per shard, whichever process ran it before)."""
        async with self._db.transaction() as tx:
            for r in reports:
                await tx.execute(
                    f"INSERT INTO shard_reports ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (shard_id) DO UPDATE SET shard_count = excluded.shard_count, "
                    "latency_ms = excluded.latency_ms, servers = excluded.servers, process = excluded.process, "
                    "reported_at = excluded.reported_at",
                    (r.shard_id, r.shard_count, r.latency_ms, r.servers, r.process, to_ms(r.reported_at)),
                )

    async def claim_identify(self, bucket: int, now_ms: int, window_ms: int) -> bool:
        """Claim an IDENTIFY bucket for one shard; False if a process claimed it less than window_ms ago."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute(
                    "INSERT INTO identify_claims (bucket, claimed_at) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE "
                    "SET claimed_at = excluded.claimed_at WHERE identify_claims.claimed_at <= ?",
                    (bucket, now_ms, now_ms - window_ms),
                )
                == 1
            )

    async def all(self) -> list[ShardReport]:
        return [_report(row) for row in await self._db.fetch_all(f"SELECT {COLUMNS} FROM shard_reports")]


def read_reports(location: Path | str) -> list[ShardReport]:
    """Read every shard report without changing the database (for doctor); [] if there is none yet.

    Raises DatabaseError if the database cannot be read.
    """
    query = f"SELECT {COLUMNS} FROM shard_reports ORDER BY shard_id"
    if isinstance(location, str):
        from bot.storage import postgres

        conn = postgres.connect(location)
        try:
            if postgres.current_version(conn) < SINCE_VERSION:
                return []
            return [_report(row) for row in conn.execute(query).fetchall()]
        except postgres.Error as exc:
            raise DatabaseError(f"cannot read shard reports: {exc}") from None
        finally:
            conn.close()
    if not location.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{location}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] < SINCE_VERSION:
                return []
            return [_report(row) for row in conn.execute(query).fetchall()]
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read shard reports from {location}: {exc}") from None


def _report(row: tuple[object, ...]) -> ShardReport:
    shard_id, count, latency, servers, process, at = row
    return ShardReport(
        int(shard_id),  # type: ignore[call-overload]
        int(count),  # type: ignore[call-overload]
        None if latency is None else int(latency),  # type: ignore[call-overload]
        int(servers),  # type: ignore[call-overload]
        str(process),
        from_ms(int(at)),  # type: ignore[call-overload]
    )
