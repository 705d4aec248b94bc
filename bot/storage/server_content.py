"""A server's own course: uploaded elements and items, each item pending, approved or rejected."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import to_ms
from bot.storage.db import Connection, Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredElement:
    guild_id: int
    element_id: str
    notes_json: str


@dataclass(frozen=True, slots=True)
class StoredItem:
    guild_id: int
    item_id: str
    element_id: str
    kind: str  # "question" or "challenge"
    status: str  # "pending", "approved" or "rejected"
    item_json: str
    warnings: str


@dataclass(frozen=True, slots=True)
class NewItem:
    item_id: str
    element_id: str
    kind: str
    item_json: str
    warnings: str


_ITEM_COLUMNS = "guild_id, item_id, element_id, kind, status, item_json, warnings"


class ServerContentRepository:
    """Reads and writes the courses servers uploaded."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def item_count(self, guild_id: int) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM server_items WHERE guild_id = ?", (guild_id,))
        return int(row[0]) if row else 0

    async def existing_ids(self, guild_id: int) -> set[str]:
        """Return the server's element and item ids already stored."""
        rows = await self._db.fetch_all(
            "SELECT element_id FROM server_elements WHERE guild_id = ? "
            "UNION SELECT item_id FROM server_items WHERE guild_id = ?",
            (guild_id, guild_id),
        )
        return {r[0] for r in rows}

    async def add(self, guild_id: int, elements: list[tuple[str, str]], items: list[NewItem], now: datetime) -> None:
        """Store new elements (id, notes JSON) and their items as pending, all or nothing."""

        def write(conn: Connection) -> None:
            position = conn.execute(
                "SELECT coalesce(max(position), 0) FROM server_elements WHERE guild_id = ?", (guild_id,)
            ).fetchone()[0]
            for offset, (element_id, notes_json) in enumerate(elements, start=1):
                conn.execute(
                    "INSERT INTO server_elements (guild_id, element_id, position, notes_json) VALUES (?, ?, ?, ?)",
                    (guild_id, element_id, position + offset, notes_json),
                )
            start = conn.execute(
                "SELECT coalesce(max(position), 0) FROM server_items WHERE guild_id = ?", (guild_id,)
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO server_items (guild_id, item_id, element_id, kind, item_json, warnings, created_at, "
                "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (guild_id, i.item_id, i.element_id, i.kind, i.item_json, i.warnings, to_ms(now), start + n)
                    for n, i in enumerate(items, start=1)
                ],
            )

        await self._db.write(write)

    async def next_pending(self, guild_id: int) -> tuple[StoredItem | None, int]:
        """Return the server's oldest pending item (None if there is none) and how many are pending."""
        rows = await self._db.fetch_all(
            f"SELECT {_ITEM_COLUMNS} FROM server_items WHERE guild_id = ? AND status = 'pending' "
            "ORDER BY position LIMIT 1",
            (guild_id,),
        )
        count = await self._db.fetch_one(
            "SELECT count(*) FROM server_items WHERE guild_id = ? AND status = 'pending'", (guild_id,)
        )
        return (StoredItem(*rows[0]) if rows else None), int(count[0]) if count else 0

    async def element(self, guild_id: int, element_id: str) -> StoredElement | None:
        row = await self._db.fetch_one(
            "SELECT guild_id, element_id, notes_json FROM server_elements WHERE guild_id = ? AND element_id = ?",
            (guild_id, element_id),
        )
        return StoredElement(*row) if row else None

    async def set_status(self, guild_id: int, item_id: str, status: str) -> bool:
        """Approve or reject a pending item; False if it is not pending (already reviewed, or unknown)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE server_items SET status = ? WHERE guild_id = ? AND item_id = ? AND status = 'pending'",
                (status, guild_id, item_id),
            )
        return changed == 1

    async def all_elements(self, guild_id: int | None = None) -> list[StoredElement]:
        """Return every server's elements (or one server's), in upload order."""
        where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        rows = await self._db.fetch_all(
            f"SELECT guild_id, element_id, notes_json FROM server_elements {where} ORDER BY guild_id, position",
            params,
        )
        return [StoredElement(*r) for r in rows]

    async def items(self, guild_id: int | None = None, status: str = "approved") -> list[StoredItem]:
        """Return the items with this status, of every server or one, in upload order."""
        where, params = ("AND guild_id = ?", (status, guild_id)) if guild_id is not None else ("", (status,))
        rows = await self._db.fetch_all(
            f"SELECT {_ITEM_COLUMNS} FROM server_items WHERE status = ? {where} ORDER BY guild_id, position", params
        )
        return [StoredItem(*r) for r in rows]
