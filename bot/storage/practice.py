"""Personal practice cards: one FSRS card per learner and question, kept as JSON with its due time."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.clock import from_ms, to_ms
from bot.storage.db import Connection, Database, placeholders

_COLUMNS = "user_id, item_id, card, due_at, reviews, lapses"


@dataclass(frozen=True, slots=True)
class PracticeCard:
    """A learner's stored card for one question; card is the scheduler's own JSON, opaque here."""

    user_id: int
    item_id: str
    card: str
    due_at: datetime
    reviews: int
    lapses: int


def _card(row: tuple[Any, ...]) -> PracticeCard:
    return PracticeCard(int(row[0]), str(row[1]), str(row[2]), from_ms(int(row[3])), int(row[4]), int(row[5]))


def _only(item_ids: Collection[str] | None) -> tuple[str, list[Any]]:
    """Return an extra WHERE clause limiting rows to these item ids (none when item_ids is None)."""
    if item_ids is None:
        return "", []
    return f" AND item_id IN ({placeholders(item_ids)})", list(item_ids)


def read_card(conn: Connection, user_id: int, item_id: str) -> PracticeCard | None:
    """Return the learner's card for a question (inside a write, on the writer's thread)."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM practice_cards WHERE user_id = ? AND item_id = ?", (user_id, item_id)
    ).fetchone()
    return _card(tuple(row)) if row is not None else None


def write_card(conn: Connection, card: PracticeCard) -> None:
    """Store a learner's card for a question, replacing the one before (inside a write)."""
    conn.execute(
        f"INSERT INTO practice_cards ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id, item_id) DO UPDATE SET card = excluded.card, due_at = excluded.due_at, "
        "reviews = excluded.reviews, lapses = excluded.lapses",
        (card.user_id, card.item_id, card.card, to_ms(card.due_at), card.reviews, card.lapses),
    )


class PracticeRepository:
    """Reads and writes learners' practice cards."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int, item_id: str) -> PracticeCard | None:
        """Return the learner's card for a question."""
        return await self._db.read(lambda conn: read_card(conn, user_id, item_id))

    async def due_item_ids(
        self, user_id: int, now: datetime, item_ids: Collection[str] | None, limit: int
    ) -> list[str]:
        """Return up to limit ids of the learner's cards due by now, most overdue first, optionally among item_ids."""
        extra, params = _only(item_ids)
        rows = await self._db.fetch_all(
            f"SELECT item_id FROM practice_cards WHERE user_id = ? AND due_at <= ?{extra} "
            "ORDER BY due_at, item_id LIMIT ?",
            (user_id, to_ms(now), *params, limit),
        )
        return [r[0] for r in rows]

    async def count_due(self, user_id: int, now: datetime, item_ids: Collection[str] | None = None) -> int:
        """Return how many of the learner's cards are due by now, optionally among item_ids."""
        extra, params = _only(item_ids)
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM practice_cards WHERE user_id = ? AND due_at <= ?{extra}",
            (user_id, to_ms(now), *params),
        )
        return int(row[0]) if row else 0

    async def item_ids(self, user_id: int, item_ids: Collection[str] | None = None) -> list[str]:
        """Return the ids of every question the learner has a card for, soonest due first."""
        extra, params = _only(item_ids)
        rows = await self._db.fetch_all(
            f"SELECT item_id FROM practice_cards WHERE user_id = ?{extra} ORDER BY due_at, item_id",
            (user_id, *params),
        )
        return [r[0] for r in rows]

    async def most_missed(self, user_id: int) -> list[tuple[str, int]]:
        """Return (item id, wrong answers) for every item the learner has answered wrongly, most missed first."""
        rows = await self._db.fetch_all(
            "SELECT item_id, COUNT(*) AS wrong FROM answers WHERE user_id = ? AND correct = 0 "
            "GROUP BY item_id ORDER BY wrong DESC, MAX(answered_at) DESC, item_id",
            (user_id,),
        )
        return [(str(r[0]), int(r[1])) for r in rows]
