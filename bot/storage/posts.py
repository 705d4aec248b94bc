"""Posts: what was shown where, when it opens and closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.clock import from_ms, to_ms
from bot.domain.entities import NewPost, Post, PostKind, PostState
from bot.domain.options import decode, encode
from bot.domain.scoring import Origin
from bot.storage.db import Database, Transaction

POST_COLUMNS = (
    "post_id, guild_id, kind, origin, item_id, element_id, correct_option, option_count, opens_at, closes_at, "
    "state, channel_id, message_id, local_date, class_quiz_id, option_order"
)
POST_WIDTH = POST_COLUMNS.count(",") + 1


_LATEST_SQL = (
    f"SELECT {POST_COLUMNS} FROM posts WHERE guild_id = ? AND kind = ? AND origin != 'practice' "
    "ORDER BY opens_at DESC, post_id DESC LIMIT 1"
)


def post_from_row(row: tuple[Any, ...]) -> Post:
    """Wrap a row selected with the post columns."""
    return Post(
        post_id=row[0],
        guild_id=row[1],
        kind=PostKind(row[2]),
        origin=Origin(row[3]),
        item_id=row[4],
        element_id=row[5],
        correct_option=row[6],
        option_count=row[7],
        opens_at=from_ms(row[8]),
        closes_at=from_ms(row[9]) if row[9] is not None else None,
        state=PostState(row[10]),
        channel_id=row[11],
        message_id=row[12],
        local_date=row[13],
        class_quiz_id=row[14],
        option_order=decode(row[15]),
    )


class PostRepository:
    """Reads and writes posts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, tx: Transaction, new: NewPost) -> Post | None:
        """Insert a post; return None if this scheduled post already exists for that local date."""
        row = await tx.fetch_one(
            "INSERT INTO posts (guild_id, kind, origin, item_id, element_id, correct_option, option_count, "
            "opens_at, closes_at, channel_id, local_date, class_quiz_id, option_order) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            # The one unique rule besides the id: a scheduled post per server, kind and local date.
            f"ON CONFLICT DO NOTHING RETURNING {POST_COLUMNS}",
            (
                new.guild_id,
                new.kind.value,
                new.origin.value,
                new.item_id,
                new.element_id,
                new.correct_option,
                new.option_count,
                to_ms(new.opens_at),
                to_ms(new.closes_at) if new.closes_at else None,
                new.channel_id,
                new.local_date,
                new.class_quiz_id,
                encode(new.option_order),
            ),
        )
        return post_from_row(tuple(row)) if row else None

    async def get(self, post_id: int) -> Post | None:
        row = await self._db.fetch_one(f"SELECT {POST_COLUMNS} FROM posts WHERE post_id = ?", (post_id,))
        return post_from_row(row) if row else None

    async def set_message(self, post_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE posts SET channel_id = ?, message_id = ? WHERE post_id = ?", (channel_id, message_id, post_id)
            )

    async def delete(self, post_id: int) -> None:
        """Remove a post that never reached its channel (its answers go with it)."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM posts WHERE post_id = ?", (post_id,))

    async def close(self, post_id: int, when: datetime) -> bool:
        """Close an open post; return False if it was already closed."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE posts SET state = 'closed', reveal_pending = 1, "
                "closes_at = CASE WHEN closes_at < ? THEN closes_at ELSE ? END "  # the earlier of the two
                "WHERE post_id = ? AND state = 'open'",
                (to_ms(when), to_ms(when), post_id),
            )
            return changed == 1

    async def set_revealed(self, post_id: int) -> None:
        """Record that a closed post's message shows it closed (or that it has no message to edit)."""
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE posts SET reveal_pending = 0 WHERE post_id = ?", (post_id,))

    async def reveal_pending(self) -> list[Post]:
        """Return closed posts whose closing edit has not been done yet."""
        rows = await self._db.fetch_all(f"SELECT {POST_COLUMNS} FROM posts WHERE reveal_pending = 1 ORDER BY post_id")
        return [post_from_row(r) for r in rows]

    async def unsent(self) -> list[Post]:
        """Return open channel posts whose message was never recorded as sent (a stop or Discord failure between)."""
        rows = await self._db.fetch_all(
            f"SELECT {POST_COLUMNS} FROM posts WHERE state = 'open' AND closes_at IS NOT NULL AND message_id IS NULL "
            "AND channel_id IS NOT NULL AND origin IN ('scheduled', 'manual') ORDER BY post_id"
        )
        return [post_from_row(r) for r in rows]

    async def open_posts(self) -> list[Post]:
        """Return every open post that will close (to schedule their closing)."""
        rows = await self._db.fetch_all(
            f"SELECT {POST_COLUMNS} FROM posts WHERE state = 'open' AND closes_at IS NOT NULL ORDER BY closes_at"
        )
        return [post_from_row(r) for r in rows]

    async def scheduled_for_date(self, guild_id: int, kind: PostKind, local_date: str) -> Post | None:
        row = await self._db.fetch_one(
            f"SELECT {POST_COLUMNS} FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' "
            "AND local_date = ?",
            (guild_id, kind.value, local_date),
        )
        return post_from_row(row) if row else None

    async def latest(self, guild_id: int, kind: PostKind) -> Post | None:
        row = await self._db.fetch_one(_LATEST_SQL, (guild_id, kind.value))
        return post_from_row(row) if row else None

    async def item_history(self, guild_id: int, kind: PostKind) -> dict[str, tuple[int, int, int]]:
        """Return, per item, how often the server was shown it and its answers and wrong answers."""
        rows = await self._db.fetch_all(
            "SELECT p.item_id, COUNT(DISTINCT p.post_id), COUNT(a.answer_id), "
            "COALESCE(SUM(1 - a.correct), 0) "
            "FROM posts p LEFT JOIN answers a ON a.post_id = p.post_id "
            "WHERE p.guild_id = ? AND p.kind = ? AND p.origin != 'practice' GROUP BY p.item_id",
            (guild_id, kind.value),
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}
