"""A learner's data rights: a copy of everything stored about them, and erasing it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.clock import Clock
from bot.storage.learners import LearnerCard, LearnerRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeletionSummary:
    """What erasing a learner removed; all zero when nothing was stored."""

    user_id: int
    answers: int
    board_rows: int
    practice_cards: int
    guild_ids: tuple[int, ...]  # servers whose leaderboards the learner has left
    deleted_at: datetime

    @property
    def nothing_found(self) -> bool:
        return self.answers == 0 and self.board_rows == 0 and self.practice_cards == 0


class LearnerDataService:
    """Exports and erases one learner's data across every server."""

    def __init__(self, repo: LearnerRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def export(self, user_id: int) -> dict[str, Any]:
        """Return everything stored about a learner as JSON-ready data."""
        records = await self._repo.records(user_id)
        # Discord ids go out as strings, as Discord's own API sends them: JSON readers that use
        # doubles (JavaScript, spreadsheets) would otherwise round them above 2**53.
        return {
            "user_id": str(user_id),
            "exported_at": self._clock.now().isoformat(),
            "answers": [
                {
                    "server_id": str(a.guild_id),
                    "post_id": a.post_id,
                    "kind": a.kind,
                    "origin": a.origin,
                    "item_id": a.item_id,
                    "element_id": a.element_id,
                    "display_name": a.display_name,
                    "choice": a.choice,
                    "correct": a.correct,
                    "points": a.points,
                    "on_leaderboard": a.on_board,
                    "answered_at": a.answered_at.isoformat(),
                    "response_ms": a.elapsed_ms,
                }
                for a in records.answers
            ],
            "board_totals": [
                {
                    "server_id": str(t.guild_id),
                    "element_id": t.element_id,
                    "display_name": t.display_name,
                    "points": t.points,
                    "answers": t.answers,
                    "correct": t.correct,
                }
                for t in records.totals
            ],
            "practice_cards": [_card(c) for c in records.cards],
            "streaks": [
                {
                    "server_id": str(k.guild_id),
                    "kind": k.kind,
                    "last_answered_post_id": k.last_post_id,
                    "days_in_a_row_to_then": k.run,
                    "right_in_a_row_to_then": k.run_correct,
                    "best_days_in_a_row": k.best,
                    "best_right_in_a_row": k.best_correct,
                }
                for k in records.streaks
            ],
        }

    async def export_json(self, user_id: int) -> str:
        """Return everything stored about a learner as indented JSON text."""
        return json.dumps(await self.export(user_id), indent=2, ensure_ascii=False)

    async def delete(self, user_id: int) -> DeletionSummary:
        """Erase everything stored about a learner, in every server; safe to repeat."""
        deleted = await self._repo.delete(user_id)
        log.info(
            "learner data deleted: user=%s answers=%s board_rows=%s cards=%s guilds=%s",
            user_id,
            deleted.answers,
            deleted.board_rows,
            deleted.practice_cards,
            len(deleted.guild_ids),
        )
        return DeletionSummary(
            user_id, deleted.answers, deleted.board_rows, deleted.practice_cards, deleted.guild_ids, self._clock.now()
        )


def _card(card: LearnerCard) -> dict[str, Any]:
    try:
        state: Any = json.loads(card.card)
    except ValueError:
        state = card.card  # hand over what is stored even if it is not valid JSON
    return {
        "item_id": card.item_id,
        "due_at": card.due_at.isoformat(),
        "reviews": card.reviews,
        "lapses": card.lapses,
        "card": state,
    }
