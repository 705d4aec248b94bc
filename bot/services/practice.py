"""Personal practice: FSRS decides when each learner sees each question again."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

from bot.course.catalog import Catalog
from bot.domain.clock import Clock, to_ms
from bot.interchange.anki import deck_bytes
from bot.interchange.items import flat_item
from bot.storage.db import Connection, Database
from bot.storage.practice import PracticeCard, PracticeRepository, read_card, write_card

log = logging.getLogger(__name__)

ROUND_SIZE = 5
MISSED_DECK_SIZE = 50  # the questions a learner got wrong most, for the Anki deck of /practice export
MISSED_DECK_NAME = "Revision: questions I got wrong"
# One short step rather than FSRS's default two: a multiple-choice question answered right the first
# time is already known, so it goes straight to days; a wrong one comes back ten minutes later.
LEARNING_STEPS = (timedelta(minutes=10),)
RELEARNING_STEPS = (timedelta(minutes=10),)


@dataclass(frozen=True, slots=True)
class MissedDeck:
    """An Anki deck (.apkg bytes) of the questions a learner got wrong most."""

    data: bytes
    count: int


def practice_scheduler() -> Scheduler:
    """Return the FSRS scheduler practice uses, without fuzzing so the same answers give the same times."""
    return Scheduler(learning_steps=LEARNING_STEPS, relearning_steps=RELEARNING_STEPS, enable_fuzzing=False)


class PracticeService:
    """Schedules each learner's practice questions with FSRS and picks their next round."""

    def __init__(self, db: Database, repo: PracticeRepository, catalog: Catalog, clock: Clock) -> None:
        self._db = db
        self._repo = repo
        self._catalog = catalog
        self._clock = clock
        self._scheduler = practice_scheduler()

    def review_in(self, conn: Connection, user_id: int, item_id: str, correct: bool, now: datetime) -> Card:
        """Update the learner's card inside the caller's transaction (the answer path does it with the answer)."""
        now = now.astimezone(UTC)  # fsrs accepts UTC datetimes only
        stored = read_card(conn, user_id, item_id)
        if stored is None:
            # An explicit id and due time: fsrs would otherwise read the wall clock and sleep 1 ms.
            card, reviews, lapses = Card(card_id=to_ms(now), due=now), 0, 0
        else:
            card, reviews, lapses = Card.from_json(stored.card), stored.reviews, stored.lapses
        lapsed = not correct and card.state is State.Review  # forgotten after it had been learnt
        card, _ = self._scheduler.review_card(card, Rating.Good if correct else Rating.Again, now)
        write_card(conn, PracticeCard(user_id, item_id, card.to_json(), card.due, reviews + 1, lapses + int(lapsed)))
        log.debug("practice review: user=%s item=%s correct=%s due=%s", user_id, item_id, correct, card.due)
        return card

    async def next_round(
        self, user_id: int, element_id: str | None = None, size: int = ROUND_SIZE, *, course_id: str | None = None
    ) -> list[str]:
        """Return question ids of an element, else of a course, for a round.

        Due ones come first (most overdue first), then new ones, then the soonest due.
        """
        if size <= 0:
            return []
        pool = self._catalog.question_ids(element_id, course_id)  # only questions the course still has
        chosen = await self._repo.due_item_ids(user_id, self._clock.now(), pool, limit=size)
        seen = await self._repo.item_ids(user_id, pool)
        known, taken = set(seen), set(chosen)
        for item_id in (*(i for i in pool if i not in known), *seen):
            if len(chosen) >= size:
                break
            if item_id not in taken:
                chosen.append(item_id)
                taken.add(item_id)
        return chosen

    async def due_count(self, user_id: int, course_id: str | None = None) -> int:
        """Return how many of the learner's questions of a course (or of all) are due now."""
        return await self._repo.count_due(user_id, self._clock.now(), self._catalog.question_ids(course_id=course_id))

    async def missed_deck(
        self,
        user_id: int,
        element_id: str | None = None,
        size: int = MISSED_DECK_SIZE,
        *,
        course_id: str | None = None,
    ) -> MissedDeck | None:
        """Return an Anki deck of the items (of an element or course) the learner got wrong most, or None if none."""
        items = []
        for item_id, _wrong in await self._repo.most_missed(user_id):
            item = flat_item(self._catalog, item_id)  # only items the course still has
            if item is None:
                continue
            if (element_id is None or item.element.id == element_id) and (
                course_id is None or self._catalog.course_of(item.element.id) == course_id
            ):
                items.append(item)
            if len(items) >= size:
                break
        if not items:
            return None
        # genanki writes an SQLite file and a zip: off the event loop.
        data = await asyncio.to_thread(deck_bytes, items, MISSED_DECK_NAME, "missed", self._clock.now().timestamp())
        return MissedDeck(data, len(items))
