"""Questions and challenges as one flat shape, the one other programs take: a prompt, options, one answer."""

from __future__ import annotations

from dataclasses import dataclass

from bot.course.catalog import Catalog, Located
from bot.course.models import Challenge, ChallengeKind, ElementNotes, Question, QuestionKind

MISTAKE_QUESTION = "Which line holds the mistake?"


@dataclass(frozen=True, slots=True)
class FlatItem:
    """An item as a question with one right option; a challenge asks which line holds the mistake."""

    id: str
    element: ElementNotes
    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    true_false: bool  # options are True and False
    concepts: tuple[str, ...]

    @property
    def right(self) -> str:
        return self.options[self.answer]


def flat_question(located: Located[Question]) -> FlatItem:
    """Return a question in the flat shape."""
    q = located.item
    return FlatItem(
        q.id,
        located.element,
        q.prompt,
        q.choices,
        q.correct_index,
        q.explanation,
        q.kind is QuestionKind.TRUE_FALSE,
        q.concepts,
    )


def flat_challenge(located: Located[Challenge]) -> FlatItem:
    """Return a spot-the-mistake challenge as a question: which line holds the mistake?"""
    c = located.item
    if c.kind is ChallengeKind.STATEMENTS or c.scenario is None:
        prompt = MISTAKE_QUESTION
    else:  # a scenario usually ends by asking for the mistake already
        prompt = c.scenario if c.scenario.rstrip().endswith("?") else f"{c.scenario}\n\n{MISTAKE_QUESTION}"
    return FlatItem(
        c.id,
        located.element,
        prompt,
        c.options,
        c.mistake,
        c.explanation,
        False,
        c.concepts,
    )


def flat_items(catalog: Catalog, element_id: str | None = None) -> list[FlatItem]:
    """Return every question, then every challenge, of one element or of all, in teaching order."""
    element_ids = [element_id] if element_id is not None else [e.id for e in catalog.elements()]
    out: list[FlatItem] = []
    for eid in element_ids:
        out += [flat_question(q) for q in catalog.questions(eid)]
        out += [flat_challenge(c) for c in catalog.challenges(eid)]
    return out


def flat_item(catalog: Catalog, item_id: str) -> FlatItem | None:
    """Return the question or challenge with this id, or None if the course no longer has it."""
    try:
        return flat_question(catalog.question(item_id))
    except KeyError:
        pass
    try:
        return flat_challenge(catalog.challenge(item_id))
    except KeyError:
        return None
