"""Class quizzes: the quiz rows, and reading their posts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.classquiz import ClassQuiz, Mode, Phase, QuizAnswer, QuizState
from bot.domain.clock import from_ms, to_ms
from bot.domain.entities import Post
from bot.storage.db import Database, Transaction
from bot.storage.posts import POST_COLUMNS, post_from_row

QUIZ_COLUMNS = (
    "quiz_id, guild_id, channel_id, tutor_id, element_id, question_count, seconds, mode, state, current_index, "
    "started_at, ended_at, end_reason"
)


def quiz_from_row(row: tuple[Any, ...]) -> ClassQuiz:
    return ClassQuiz(
        quiz_id=row[0],
        guild_id=row[1],
        channel_id=row[2],
        tutor_id=row[3],
        element_id=row[4],
        question_count=row[5],
        seconds=row[6],
        mode=Mode(row[7]),
        phase=Phase(row[8]),
        index=row[9],
        started_at=from_ms(row[10]),
        ended_at=from_ms(row[11]) if row[11] is not None else None,
        end_reason=row[12],
    )


class ClassQuizRepository:
    """Reads and writes class quizzes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        guild_id: int,
        channel_id: int,
        tutor_id: int,
        element_id: str | None,
        question_count: int,
        seconds: int,
        mode: Mode,
        now: datetime,
    ) -> ClassQuiz | None:
        """Insert a quiz in its lobby; None if the channel already has a live quiz."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO class_quizzes (guild_id, channel_id, tutor_id, element_id, question_count, seconds, "
                f"mode, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                # The one unique rule besides the id: one live quiz per channel, across every process.
                f"ON CONFLICT DO NOTHING RETURNING {QUIZ_COLUMNS}",
                (guild_id, channel_id, tutor_id, element_id, question_count, seconds, mode.value, to_ms(now)),
            )
        return quiz_from_row(tuple(row)) if row else None

    async def get(self, quiz_id: int) -> ClassQuiz | None:
        row = await self._db.fetch_one(f"SELECT {QUIZ_COLUMNS} FROM class_quizzes WHERE quiz_id = ?", (quiz_id,))
        return quiz_from_row(row) if row else None

    async def live_in_channel(self, channel_id: int) -> ClassQuiz | None:
        row = await self._db.fetch_one(
            f"SELECT {QUIZ_COLUMNS} FROM class_quizzes WHERE channel_id = ? AND state != 'finished'", (channel_id,)
        )
        return quiz_from_row(row) if row else None

    async def live(self) -> list[ClassQuiz]:
        rows = await self._db.fetch_all(
            f"SELECT {QUIZ_COLUMNS} FROM class_quizzes WHERE state != 'finished' ORDER BY quiz_id"
        )
        return [quiz_from_row(r) for r in rows]

    async def recent(self, guild_id: int, limit: int = 25) -> list[ClassQuiz]:
        rows = await self._db.fetch_all(
            f"SELECT {QUIZ_COLUMNS} FROM class_quizzes WHERE guild_id = ? ORDER BY quiz_id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [quiz_from_row(r) for r in rows]

    async def move(
        self,
        tx: Transaction,
        quiz: ClassQuiz,
        to: QuizState,
        *,
        ended_at: datetime | None = None,
        reason: str | None = None,
    ) -> bool:
        """Move a quiz from the state it was read in to another; False if something else moved it first."""
        changed = await tx.execute(
            "UPDATE class_quizzes SET state = ?, current_index = ?, ended_at = ?, end_reason = ? "
            "WHERE quiz_id = ? AND state = ? AND current_index = ?",
            (
                to.phase.value,
                to.index,
                to_ms(ended_at) if ended_at else None,
                reason,
                quiz.quiz_id,
                quiz.phase.value,
                quiz.index,
            ),
        )
        return changed == 1

    async def posts(self, quiz_id: int) -> list[Post]:
        """Return the quiz's questions in the order they were asked."""
        rows = await self._db.fetch_all(
            f"SELECT {POST_COLUMNS} FROM posts WHERE class_quiz_id = ? ORDER BY post_id", (quiz_id,)
        )
        return [post_from_row(r) for r in rows]

    async def answers(self, quiz_id: int) -> list[QuizAnswer]:
        """Return every answer to the quiz's questions, first answers first."""
        rows = await self._db.fetch_all(
            "SELECT a.post_id, a.user_id, a.display_name, a.choice, a.correct, a.points, a.elapsed_ms "
            "FROM answers a JOIN posts p ON p.post_id = a.post_id WHERE p.class_quiz_id = ? "
            "ORDER BY a.answered_at, a.answer_id",
            (quiz_id,),
        )
        return [QuizAnswer(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]
