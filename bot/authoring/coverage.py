"""Which key concepts, tips, misconceptions and marking points the questions and challenges test."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.course.catalog import Catalog


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One item of the notes and how many questions or challenges test it."""

    element_id: str
    kind: str
    item_id: str
    label: str
    count: int


def coverage(catalog: Catalog) -> list[CoverageRow]:
    """Return a row for every concept, tip, misconception and marking point, in content order."""
    rows: list[CoverageRow] = []
    for element in catalog.elements():
        tested: Counter[str] = Counter()
        for question in (q.item for q in catalog.questions(element.id)):
            tested.update(set(question.concepts) | set(question.marking_points) | set(question.tips))
        for challenge in (c.item for c in catalog.challenges(element.id)):
            tested.update(set(challenge.concepts) | set(challenge.helps) | {challenge.misconception})
        items = [
            *(("concept", c.id, c.name) for c in element.concepts),
            *(("tip", t.id, t.text) for t in element.tips),
            *(("misconception", m.id, m.belief) for m in element.misconceptions),
            *(("marking point", m.id, m.text) for m in element.marking_points),
        ]
        rows.extend(CoverageRow(element.id, kind, item_id, label, tested[item_id]) for kind, item_id, label in items)
    return rows
