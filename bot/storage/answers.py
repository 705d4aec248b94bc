"""Answers: one per learner per post, enforced by the database."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.clock import from_ms, to_ms
from bot.domain.entities import Answer, Post
from bot.storage.db import Database


class AnswerRepository:
    """Reads and writes answers."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find_in(self, tx: aiosqlite.Connection, post_id: int, user_id: int) -> Answer | None:
        """Return the learner's answer to a post, inside a transaction."""
        async with tx.execute(
            "SELECT post_id, user_id, display_name, choice, correct, points, answered_at FROM answers "
            "WHERE post_id = ? AND user_id = ?",
            (post_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _answer(tuple(row)) if row else None

    async def insert(
        self, tx: aiosqlite.Connection, post: Post, answer: Answer, *, on_board: bool, elapsed_ms: int | None
    ) -> bool:
        """Insert an answer; return False if the learner had already answered (nothing is written)."""
        cursor = await tx.execute(
            "INSERT INTO answers (post_id, guild_id, user_id, display_name, choice, correct, points, on_board, "
            "element_id, item_id, answered_at, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (post_id, user_id) DO NOTHING",
            (
                post.post_id,
                post.guild_id,
                answer.user_id,
                answer.display_name,
                answer.choice,
                int(answer.correct),
                answer.points,
                int(on_board),
                post.element_id,
                post.item_id,
                to_ms(answer.answered_at),
                elapsed_ms,
            ),
        )
        return cursor.rowcount == 1

    async def choice_counts(self, post_id: int) -> dict[int, int]:
        """Return how many learners picked each option of a post."""
        rows = await self._db.fetch_all(
            "SELECT choice, COUNT(*) FROM answers WHERE post_id = ? GROUP BY choice", (post_id,)
        )
        return {r[0]: r[1] for r in rows}

    async def for_post(self, post_id: int) -> list[Answer]:
        rows = await self._db.fetch_all(
            "SELECT post_id, user_id, display_name, choice, correct, points, answered_at FROM answers "
            "WHERE post_id = ? ORDER BY answered_at, user_id",
            (post_id,),
        )
        return [_answer(r) for r in rows]

    async def scheduled_answers(
        self, guild_id: int, user_id: int, kind: str, tx: aiosqlite.Connection | None = None
    ) -> dict[int, bool]:
        """Return the learner's answers to the server's scheduled posts of a kind: post id -> correct."""
        sql = (
            "SELECT a.post_id, a.correct FROM answers a JOIN posts p ON p.post_id = a.post_id "
            "WHERE p.guild_id = ? AND p.kind = ? AND p.origin = 'scheduled' AND a.user_id = ?"
        )
        params = (guild_id, kind, user_id)
        if tx is None:
            rows = await self._db.fetch_all(sql, params)
        else:
            rows = [tuple(r) for r in await tx.execute_fetchall(sql, params)]
        return {r[0]: bool(r[1]) for r in rows}

    async def scheduled_post_ids(
        self, guild_id: int, kind: str, before: datetime, tx: aiosqlite.Connection | None = None
    ) -> list[int]:
        """Return the server's scheduled post ids of a kind opened before a time, oldest first."""
        sql = (
            "SELECT post_id FROM posts WHERE guild_id = ? AND kind = ? AND origin = 'scheduled' AND opens_at <= ? "
            "ORDER BY opens_at"
        )
        params = (guild_id, kind, to_ms(before))
        rows = await (self._db.fetch_all(sql, params) if tx is None else tx.execute_fetchall(sql, params))
        return [r[0] for r in rows]


def _answer(row: tuple[object, ...]) -> Answer:
    post_id, user_id, name, choice, correct, points, answered_at = row
    return Answer(
        int(post_id),
        int(user_id),
        str(name),
        int(choice),
        bool(correct),
        int(points),  # type: ignore[arg-type]
        from_ms(int(answered_at)),
    )  # type: ignore[arg-type]
