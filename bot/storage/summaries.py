"""Weekly summaries: which week each server has had summarised, and the answers a summary reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import to_ms
from bot.domain.entities import PostKind
from bot.storage.db import Database


@dataclass(frozen=True, slots=True)
class WindowAnswer:
    item_id: str
    user_id: int
    correct: bool


class SummaryRepository:
    """Claims a week's summary for a server once, and reads answers in a time window."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, guild_id: int, week_start: str, channel_id: int, now: datetime) -> bool:
        """Record that this week's summary is being posted; False if it already was."""
        async with self._db.transaction() as tx:
            claimed = await tx.execute(
                "INSERT INTO summaries (guild_id, week_start, channel_id, posted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",  # another process (or an earlier run) claimed it first
                (guild_id, week_start, channel_id, to_ms(now)),
            )
        return claimed == 1

    async def is_claimed(self, guild_id: int, week_start: str) -> bool:
        """Return whether this week's summary was posted (or is being posted) for the server."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM summaries WHERE guild_id = ? AND week_start = ?", (guild_id, week_start)
        )
        return row is not None

    async def release(self, guild_id: int, week_start: str) -> None:
        """Forget a claim whose message could not be sent, so the next slot can try again."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM summaries WHERE guild_id = ? AND week_start = ?", (guild_id, week_start))

    async def set_message(self, guild_id: int, week_start: str, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE summaries SET message_id = ? WHERE guild_id = ? AND week_start = ?",
                (message_id, guild_id, week_start),
            )

    async def answers_between(
        self, guild_id: int, kind: PostKind, start: datetime, end: datetime
    ) -> list[WindowAnswer]:
        """Return on-board answers to the server's posts of a kind given in [start, end)."""
        rows = await self._db.fetch_all(
            "SELECT a.item_id, a.user_id, a.correct FROM answers a JOIN posts p ON p.post_id = a.post_id "
            "WHERE a.guild_id = ? AND p.kind = ? AND a.on_board = 1 AND a.answered_at >= ? AND a.answered_at < ? "
            "ORDER BY a.item_id, a.answer_id",
            (guild_id, kind.value, to_ms(start), to_ms(end)),
        )
        return [WindowAnswer(r[0], r[1], bool(r[2])) for r in rows]
