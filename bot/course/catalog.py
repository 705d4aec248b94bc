"""The loaded, validated content: an immutable catalog with lookups by id.

A catalog is an index. Questions and challenges come either from content just validated, or from the
compiled cache, where each item stays as JSON until it is first asked for: start-up then costs the
size of the index, not of the question bank.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import Field

from bot.course.models import Challenge, Element, ElementNotes, Id, Question, Strict, Title


class Course(Strict):
    """A validated course: its elements in teaching order."""

    id: Id
    title: Title  # type: ignore[valid-type]
    elements: tuple[Element, ...] = Field(min_length=1)


class Content(Strict):
    """Everything loaded from a content folder."""

    courses: tuple[Course, ...]


@dataclass(frozen=True, slots=True)
class CourseInfo:
    """A course's id, title and element ids in teaching order."""

    id: str
    title: str
    element_ids: tuple[str, ...]


T = TypeVar("T", Question, Challenge)


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """An item together with the course and element it belongs to."""

    course_id: str
    element: ElementNotes
    item: T


class _Items(Protocol):
    def question(self, question_id: str) -> Question: ...
    def challenge(self, challenge_id: str) -> Challenge: ...


class Catalog:
    """Read-only access to courses, elements, questions and challenges by id."""

    __slots__ = (
        "_challenge_ids",
        "_course_of",
        "_courses_by_id",
        "_element_of",
        "_items",
        "_notes",
        "_question_ids",
        "_unreviewed",
        "courses",
        "version",
    )

    def __init__(
        self,
        version: str,
        courses: tuple[CourseInfo, ...],
        notes: tuple[ElementNotes, ...],
        question_ids: dict[str, tuple[str, ...]],
        challenge_ids: dict[str, tuple[str, ...]],
        items: _Items,
        unreviewed: frozenset[str] = frozenset(),
    ) -> None:
        self.version = version
        self.courses = courses
        self._notes = {n.id: n for n in notes}
        self._course_of = {e: c.id for c in courses for e in c.element_ids}
        self._courses_by_id = {c.id: c for c in courses}
        self._question_ids = question_ids
        self._challenge_ids = challenge_ids
        self._element_of = {i: e for e, ids in question_ids.items() for i in ids} | {
            i: e for e, ids in challenge_ids.items() for i in ids
        }
        self._items = items
        self._unreviewed = unreviewed

    @classmethod
    def from_content(cls, content: Content, version: str) -> Catalog:
        """Build a catalog from freshly validated content."""
        elements = [e for c in content.courses for e in c.elements]
        return cls(
            version,
            tuple(CourseInfo(c.id, c.title, tuple(e.id for e in c.elements)) for c in content.courses),
            tuple(_notes_of(e) for e in elements),
            {e.id: tuple(q.id for q in e.questions) for e in elements},
            {e.id: tuple(c.id for c in e.challenges) for e in elements},
            _ValidatedItems(
                {q.id: q for e in elements for q in e.questions},
                {c.id: c for e in elements for c in e.challenges},
            ),
            frozenset(i.id for e in elements for i in (*e.questions, *e.challenges) if _unreviewed(i)),
        )

    def merged(self, extra: Content) -> Catalog:
        """Return this catalog with extra courses added, whose ids must differ from this catalog's."""
        if not extra.courses:
            return self
        other = Catalog.from_content(extra, self.version)
        return Catalog(
            self.version,
            self.courses + other.courses,
            (*self._notes.values(), *other._notes.values()),
            self._question_ids | other._question_ids,
            self._challenge_ids | other._challenge_ids,
            _MergedItems(self, other),
            self._unreviewed | other._unreviewed,
        )

    def course(self, course_id: str) -> CourseInfo:
        """Return the course with this id (KeyError if there is none)."""
        return self._courses_by_id[course_id]

    def has_course(self, course_id: str) -> bool:
        return course_id in self._courses_by_id

    def course_of(self, element_id: str) -> str:
        """Return the id of the course an element belongs to (KeyError if there is none)."""
        return self._course_of[element_id]

    def elements(self, course_id: str | None = None) -> Iterator[ElementNotes]:
        """Yield the elements of one course, or of every course, in teaching order."""
        for course in self.courses if course_id is None else (self._courses_by_id[course_id],):
            for element_id in course.element_ids:
                yield self._notes[element_id]

    def element(self, element_id: str) -> ElementNotes:
        """Return the element with this id (KeyError if there is none)."""
        return self._notes[element_id]

    def has_element(self, element_id: str) -> bool:
        return element_id in self._notes

    def question_ids(self, element_id: str | None = None, course_id: str | None = None) -> tuple[str, ...]:
        """Return the ids of the questions of one element, else of one course or of all, in order."""
        if element_id is not None:
            return self._question_ids[element_id]
        return tuple(i for e in self.elements(course_id) for i in self._question_ids[e.id])

    def challenge_ids(self, element_id: str | None = None, course_id: str | None = None) -> tuple[str, ...]:
        """Return the ids of the challenges of one element, else of one course or of all, in order."""
        if element_id is not None:
            return self._challenge_ids[element_id]
        return tuple(i for e in self.elements(course_id) for i in self._challenge_ids[e.id])

    def postable_question_ids(
        self, element_id: str | None = None, include_unreviewed: bool = False, course_id: str | None = None
    ) -> tuple[str, ...]:
        """Return question_ids without generated questions no tutor has reviewed, unless include_unreviewed."""
        return self._postable(self.question_ids(element_id, course_id), include_unreviewed)

    def postable_challenge_ids(
        self, element_id: str | None = None, include_unreviewed: bool = False, course_id: str | None = None
    ) -> tuple[str, ...]:
        """Return challenge_ids without generated challenges no tutor has reviewed, unless include_unreviewed."""
        return self._postable(self.challenge_ids(element_id, course_id), include_unreviewed)

    def _postable(self, ids: tuple[str, ...], include_unreviewed: bool) -> tuple[str, ...]:
        if include_unreviewed or not self._unreviewed:
            return ids
        return tuple(i for i in ids if i not in self._unreviewed)

    def question(self, question_id: str) -> Located[Question]:
        """Return a question with its element (KeyError if there is none)."""
        element_id = self._element_of[question_id]
        return Located(self._course_of[element_id], self._notes[element_id], self._items.question(question_id))

    def challenge(self, challenge_id: str) -> Located[Challenge]:
        """Return a challenge with its element (KeyError if there is none)."""
        element_id = self._element_of[challenge_id]
        return Located(self._course_of[element_id], self._notes[element_id], self._items.challenge(challenge_id))

    def questions(self, element_id: str | None = None) -> Iterator[Located[Question]]:
        """Yield the questions of one element, or of all, in content order."""
        return (self.question(i) for i in self.question_ids(element_id))

    def challenges(self, element_id: str | None = None) -> Iterator[Located[Challenge]]:
        """Yield the challenges of one element, or of all, in content order."""
        return (self.challenge(i) for i in self.challenge_ids(element_id))

    @property
    def question_count(self) -> int:
        return sum(len(ids) for ids in self._question_ids.values())

    @property
    def challenge_count(self) -> int:
        return sum(len(ids) for ids in self._challenge_ids.values())

    @property
    def element_count(self) -> int:
        return len(self._notes)

    def summary(self) -> str:
        """Return a one-line count, e.g. '5 elements, 80 questions, 23 challenges'."""
        return (
            f"{_count(self.element_count, 'element')}, {_count(self.question_count, 'question')}, "
            f"{_count(self.challenge_count, 'challenge')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _unreviewed(item: Question | Challenge) -> bool:
    return item.origin is not None and item.origin.unreviewed_generated


def _notes_of(element: Element) -> ElementNotes:
    # Already validated as part of the element: copy the fields without validating again.
    return ElementNotes.model_construct(**{name: getattr(element, name) for name in ElementNotes.model_fields})


class _ValidatedItems:
    def __init__(self, questions: dict[str, Question], challenges: dict[str, Challenge]) -> None:
        self._questions = questions
        self._challenges = challenges

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def challenge(self, challenge_id: str) -> Challenge:
        return self._challenges[challenge_id]


class _MergedItems:
    """Look an item up in the catalog that holds it."""

    def __init__(self, first: Catalog, second: Catalog) -> None:
        self._first = first
        self._second = second

    def _holder(self, item_id: str) -> Catalog:
        return self._second if item_id in self._second._element_of else self._first

    def question(self, question_id: str) -> Question:
        return self._holder(question_id)._items.question(question_id)

    def challenge(self, challenge_id: str) -> Challenge:
        return self._holder(challenge_id)._items.challenge(challenge_id)


# --- the compiled form --------------------------------------------------------------------------
# One file: a JSON index on the first line, then every item's JSON back to back. The index holds
# each item's byte range, so an item is decoded only when it is first used.


class _CompiledElement(Strict):
    notes: ElementNotes
    questions: tuple[tuple[str, int, int], ...]
    challenges: tuple[tuple[str, int, int], ...]
    unreviewed: tuple[str, ...] = ()  # generated items no tutor has reviewed, known without decoding them


class _CompiledCourse(Strict):
    id: str
    title: str
    elements: tuple[_CompiledElement, ...]


class _CompiledIndex(Strict):
    version: str
    blob_sha256: str
    courses: tuple[_CompiledCourse, ...]


class CompiledCacheError(ValueError):
    """The compiled file is damaged or from another version."""


def compile_catalog(content: Content, version: str) -> bytes:
    """Return the compiled form of validated content."""
    blob = bytearray()

    def place(item: Question | Challenge) -> tuple[str, int, int]:
        start = len(blob)
        blob.extend(item.model_dump_json(exclude_defaults=True).encode())
        return (item.id, start, len(blob))

    courses = tuple(
        _CompiledCourse(
            id=course.id,
            title=course.title,
            elements=tuple(
                _CompiledElement(
                    notes=_notes_of(element),
                    questions=tuple(place(q) for q in element.questions),
                    challenges=tuple(place(c) for c in element.challenges),
                    unreviewed=tuple(i.id for i in (*element.questions, *element.challenges) if _unreviewed(i)),
                )
                for element in course.elements
            ),
        )
        for course in content.courses
    )
    index = _CompiledIndex(version=version, blob_sha256=hashlib.sha256(blob).hexdigest(), courses=courses)
    return index.model_dump_json().encode() + b"\n" + bytes(blob)


def load_compiled(data: bytes, version: str) -> Catalog:
    """Return a catalog over a compiled file (CompiledCacheError if it is damaged or stale)."""
    header, sep, blob = data.partition(b"\n")
    if not sep:
        raise CompiledCacheError("no index line")
    try:
        index = _CompiledIndex.model_validate_json(header)
    except ValueError as exc:
        raise CompiledCacheError(f"index unreadable: {exc}") from exc
    if index.version != version:
        raise CompiledCacheError("made from other content")
    if hashlib.sha256(blob).hexdigest() != index.blob_sha256:
        raise CompiledCacheError("items do not match the index")
    elements = [e for c in index.courses for e in c.elements]
    return Catalog(
        version,
        tuple(CourseInfo(c.id, c.title, tuple(e.notes.id for e in c.elements)) for c in index.courses),
        tuple(e.notes for e in elements),
        {e.notes.id: tuple(q[0] for q in e.questions) for e in elements},
        {e.notes.id: tuple(c[0] for c in e.challenges) for e in elements},
        _CompiledItems(
            blob,
            {q[0]: (q[1], q[2]) for e in elements for q in e.questions},
            {c[0]: (c[1], c[2]) for e in elements for c in e.challenges},
        ),
        frozenset(i for e in elements for i in e.unreviewed),
    )


class _CompiledItems:
    """Decode each item from its byte range on first use, then keep it."""

    def __init__(
        self, blob: bytes, questions: dict[str, tuple[int, int]], challenges: dict[str, tuple[int, int]]
    ) -> None:
        self._blob = blob
        self._question_at = questions
        self._challenge_at = challenges
        self._questions: dict[str, Question] = {}
        self._challenges: dict[str, Challenge] = {}

    def question(self, question_id: str) -> Question:
        found = self._questions.get(question_id)
        if found is None:
            start, end = self._question_at[question_id]
            found = self._questions[question_id] = Question.model_validate_json(self._blob[start:end])
        return found

    def challenge(self, challenge_id: str) -> Challenge:
        found = self._challenges.get(challenge_id)
        if found is None:
            start, end = self._challenge_at[challenge_id]
            found = self._challenges[challenge_id] = Challenge.model_validate_json(self._blob[start:end])
        return found
