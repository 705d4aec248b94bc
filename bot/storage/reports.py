"""Report queries for tutors: every leaderboard answer to a server's items, and how each item was posted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.entities import PostKind
from bot.domain.options import decode, written_index
from bot.storage.db import Database


@dataclass(frozen=True, slots=True)
class ItemAnswer:
    """One learner's answer to one posting of an item; choice is the option's written index."""

    item_id: str
    user_id: int
    choice: int
    correct: bool


@dataclass(frozen=True, slots=True)
class PostedItem:
    """How an item was shown in a server: its element, option count and right option (its written index)."""

    item_id: str
    element_id: str
    option_count: int
    correct_option: int


class ReportRepository:
    """Reads the answers and posts that tutors' reports are built from (practice is never included)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def item_answers(self, guild_id: int, kind: PostKind, element_id: str | None = None) -> list[ItemAnswer]:
        """Return every on-board answer to the server's posts of a kind, optionally of one element."""
        where, params = _post_filter(guild_id, kind, element_id)
        rows = await self._db.fetch_all(
            "SELECT p.item_id, a.user_id, a.choice, a.correct, p.option_order FROM posts p "
            f"JOIN answers a ON a.post_id = p.post_id WHERE {where} AND a.on_board = 1 "
            "ORDER BY p.item_id, a.answered_at, a.answer_id",
            params,
        )
        return [ItemAnswer(r[0], r[1], written_index(r[2], decode(r[4])), bool(r[3])) for r in rows]

    async def posted_items(self, guild_id: int, kind: PostKind, element_id: str | None = None) -> dict[str, PostedItem]:
        """Return, per item the server was shown, its element, widest option count and latest right option."""
        where, params = _post_filter(guild_id, kind, element_id)
        rows = await self._db.fetch_all(
            "SELECT p.item_id, p.element_id, p.option_count, p.correct_option, p.option_order FROM posts p "
            f"WHERE {where} ORDER BY p.opens_at, p.post_id",
            params,
        )
        items: dict[str, PostedItem] = {}
        for item_id, element, option_count, place, order in rows:
            correct_option = written_index(place, decode(order))
            earlier = items.get(item_id)
            # Content may have been edited between postings: keep every option ever shown countable,
            # and judge "wrong" by the latest key, which is the one tutors are looking at now.
            widest = max(option_count, earlier.option_count) if earlier else option_count
            items[item_id] = PostedItem(item_id, element, widest, correct_option)
        return items

    async def learner_scores(self, guild_id: int) -> dict[int, float]:
        """Return each learner's share of on-board answers correct in the server, over every kind and element."""
        rows = await self._db.fetch_all(
            "SELECT a.user_id, AVG(a.correct) FROM answers a JOIN posts p ON p.post_id = a.post_id "
            "WHERE a.guild_id = ? AND a.on_board = 1 AND p.origin != 'practice' GROUP BY a.user_id",
            (guild_id,),
        )
        return {r[0]: float(r[1]) for r in rows}


def _post_filter(guild_id: int, kind: PostKind, element_id: str | None) -> tuple[str, list[Any]]:
    where, params = ["p.guild_id = ?", "p.kind = ?", "p.origin != 'practice'"], [guild_id, kind.value]
    if element_id is not None:
        where.append("p.element_id = ?")
        params.append(element_id)
    return " AND ".join(where), params
