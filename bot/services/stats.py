"""A learner's own statistics: accuracy per element, weakest concepts, streaks."""

from __future__ import annotations

from dataclasses import dataclass

from bot.course.catalog import Catalog, CourseInfo
from bot.domain.entities import PostKind
from bot.domain.streaks import Streaks
from bot.services.leaderboards import LeaderboardService
from bot.storage.learners import LearnerRepository

WEAKEST_LIMIT = 5


@dataclass(frozen=True, slots=True)
class Accuracy:
    """How many answers and how many right, for one element or one concept."""

    key: str
    title: str
    answers: int
    correct: int

    @property
    def rate(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True, slots=True)
class WeakConcept:
    """A concept the learner often gets wrong, with what to revise for it."""

    concept_id: str
    name: str
    element_id: str
    answers: int
    correct: int
    tip: str

    @property
    def rate(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True, slots=True)
class LearnerStats:
    """Everything /stats shows for one learner in one server."""

    answers: int
    correct: int
    elements: tuple[Accuracy, ...]  # in course order, only elements answered
    weakest: tuple[WeakConcept, ...]
    streaks: Streaks


class LearnerStatsService:
    """Works out a learner's own statistics from their answers (practice included)."""

    def __init__(self, learners: LearnerRepository, catalog: Catalog, leaderboards: LeaderboardService) -> None:
        self._learners = learners
        self._catalog = catalog
        self._leaderboards = leaderboards

    async def stats(self, guild_id: int, user_id: int, course: CourseInfo | None = None) -> LearnerStats:
        """Return the learner's accuracy per element, weakest concepts and streaks in a server (or one course)."""
        records = await self._learners.records(user_id)
        answers = [
            a
            for a in records.answers
            if a.guild_id == guild_id and (course is None or a.element_id in course.element_ids)
        ]
        per_element: dict[str, list[int]] = {}
        per_concept: dict[tuple[str, str], list[int]] = {}
        tips: dict[tuple[str, str], str] = {}
        for a in answers:
            counts = per_element.setdefault(a.element_id, [0, 0])
            counts[0] += 1
            counts[1] += a.correct
            if a.kind != PostKind.QUESTION.value:
                continue
            try:
                located = self._catalog.question(a.item_id)
            except KeyError:
                continue  # a question since removed from the content
            for concept_id in located.item.concepts:
                key = (located.element.id, concept_id)
                counts = per_concept.setdefault(key, [0, 0])
                counts[0] += 1
                counts[1] += a.correct
                if key not in tips:
                    for ref in (*located.item.tips, *located.item.marking_points):
                        try:
                            tips[key] = located.element.helping_text(ref)
                            break
                        except KeyError:
                            continue
        elements = []
        order = {e.id: (i, e.title) for i, e in enumerate(self._catalog.elements())}
        for element_id in sorted(per_element, key=lambda e: (order.get(e, (len(order), e))[0], e)):
            total, right = per_element[element_id]
            title = order[element_id][1] if element_id in order else element_id
            elements.append(Accuracy(element_id, title, total, right))
        weak = [self._weak(key, total, right, tips.get(key)) for key, (total, right) in per_concept.items()]
        weak = [w for w in weak if w is not None and w.correct < w.answers]
        weak.sort(key=lambda w: (w.rate, -w.answers, w.concept_id))
        streaks = await self._leaderboards.streaks(guild_id, user_id)
        return LearnerStats(
            len(answers), sum(a.correct for a in answers), tuple(elements), tuple(weak[:WEAKEST_LIMIT]), streaks
        )

    def _weak(self, key: tuple[str, str], total: int, right: int, tip: str | None) -> WeakConcept | None:
        element_id, concept_id = key
        try:
            element = self._catalog.element(element_id)
        except KeyError:
            return None
        concept = next((c for c in element.concepts if c.id == concept_id), None)
        if concept is None:
            return None
        return WeakConcept(concept_id, concept.name, element_id, total, right, tip or concept.explanation)
