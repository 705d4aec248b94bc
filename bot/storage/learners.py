"""Everything stored about one learner, to hand over or to erase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import from_ms
from bot.storage.db import Database


@dataclass(frozen=True, slots=True)
class LearnerAnswer:
    """One of the learner's answers, with the post it answered."""

    guild_id: int
    post_id: int
    kind: str
    origin: str
    item_id: str
    element_id: str
    display_name: str
    choice: int
    correct: bool
    points: int
    on_board: bool
    answered_at: datetime
    elapsed_ms: int | None


@dataclass(frozen=True, slots=True)
class LearnerTotal:
    """A leaderboard total kept for the learner: a server's overall one, or one element's (element_id set)."""

    guild_id: int
    element_id: str | None
    display_name: str
    points: int
    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class LearnerCard:
    """One of the learner's practice cards."""

    item_id: str
    card: str  # the fsrs Card as JSON
    due_at: datetime
    reviews: int
    lapses: int


@dataclass(frozen=True, slots=True)
class LearnerStreak:
    """The streak kept for the learner in one server, for one kind of scheduled post."""

    guild_id: int
    kind: str
    run: int
    run_correct: int
    best: int
    best_correct: int
    last_post_id: int


@dataclass(frozen=True, slots=True)
class LearnerRecords:
    """Every row stored about one learner."""

    answers: tuple[LearnerAnswer, ...]
    totals: tuple[LearnerTotal, ...]
    cards: tuple[LearnerCard, ...]
    streaks: tuple[LearnerStreak, ...] = ()


@dataclass(frozen=True, slots=True)
class DeletedRows:
    """How many rows deleting a learner removed, and the servers whose leaderboards changed."""

    answers: int
    board_rows: int
    practice_cards: int
    guild_ids: tuple[int, ...]


class LearnerRepository:
    """Reads and erases one learner's data across every server."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def records(self, user_id: int) -> LearnerRecords:
        """Return everything stored about a learner."""
        answers = await self._db.fetch_all(
            "SELECT a.guild_id, a.post_id, p.kind, p.origin, a.item_id, a.element_id, a.display_name, a.choice, "
            "a.correct, a.points, a.on_board, a.answered_at, a.elapsed_ms "
            "FROM answers a JOIN posts p ON p.post_id = a.post_id WHERE a.user_id = ? "
            "ORDER BY a.answered_at, a.answer_id",
            (user_id,),
        )
        totals = await self._db.fetch_all(
            "SELECT guild_id, NULL, display_name, points, answers, correct FROM board_totals WHERE user_id = ? "
            "UNION ALL SELECT guild_id, element_id, display_name, points, answers, correct "
            "FROM board_element_totals WHERE user_id = ? ORDER BY 1, 2 NULLS FIRST",
            (user_id, user_id),
        )
        cards = await self._db.fetch_all(
            "SELECT item_id, card, due_at, reviews, lapses FROM practice_cards WHERE user_id = ? ORDER BY item_id",
            (user_id,),
        )
        streaks = await self._db.fetch_all(
            "SELECT guild_id, kind, run, run_correct, best, best_correct, last_post_id FROM learner_streaks "
            "WHERE user_id = ? ORDER BY guild_id, kind",
            (user_id,),
        )
        return LearnerRecords(
            tuple(
                LearnerAnswer(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9], bool(r[10]), from_ms(r[11]), r[12]
                )
                for r in answers
            ),
            tuple(LearnerTotal(*r) for r in totals),
            tuple(LearnerCard(r[0], r[1], from_ms(r[2]), r[3], r[4]) for r in cards),
            tuple(LearnerStreak(*r) for r in streaks),
        )

    async def delete(self, user_id: int) -> DeletedRows:
        """Erase every row about a learner in one transaction; return what was removed."""
        async with self._db.transaction() as tx:
            guilds = await tx.fetch_all(
                "SELECT guild_id FROM answers WHERE user_id = ? AND on_board = 1 "
                "UNION SELECT guild_id FROM board_totals WHERE user_id = ? ORDER BY 1",
                (user_id, user_id),
            )
            board_rows = 0
            for table in ("board_totals", "board_element_totals"):
                row = await tx.fetch_one(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))
                board_rows += int(row[0]) if row else 0
            # The answers' delete trigger takes their points off every board total.
            answers = await tx.execute("DELETE FROM answers WHERE user_id = ?", (user_id,))
            # Totals should now be gone; any left would mean they had drifted from the answers, and must go too.
            for table in ("board_totals", "board_element_totals"):
                await tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            cards = await tx.execute("DELETE FROM practice_cards WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM learner_streaks WHERE user_id = ?", (user_id,))  # the trigger left none
            return DeletedRows(answers, board_rows, cards, tuple(r[0] for r in guilds))
