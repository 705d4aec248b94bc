"""The loaded, validated content: an immutable catalog with lookups by id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, TypeVar

from pydantic import Field

from bot.course.models import Challenge, Element, Id, Question, Strict, Title


class Course(Strict):
    """A validated course: its elements in teaching order."""

    id: Id
    title: Title  # type: ignore[valid-type]
    elements: tuple[Element, ...] = Field(min_length=1)


class Content(Strict):
    """Everything loaded from a content folder (the form that is cached)."""

    courses: tuple[Course, ...]


T = TypeVar("T", Question, Challenge)


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """An item together with the course and element it belongs to."""

    course: Course
    element: Element
    item: T


class Catalog:
    """Read-only access to courses, elements, questions and challenges by id."""

    __slots__ = ("_challenges", "_elements", "_questions", "content", "version")

    def __init__(self, content: Content, version: str) -> None:
        self.content = content
        self.version = version
        elements: dict[str, tuple[Course, Element]] = {}
        questions: dict[str, Located[Question]] = {}
        challenges: dict[str, Located[Challenge]] = {}
        for course in content.courses:
            for element in course.elements:
                elements[element.id] = (course, element)
                for question in element.questions:
                    questions[question.id] = Located(course, element, question)
                for challenge in element.challenges:
                    challenges[challenge.id] = Located(course, element, challenge)
        self._elements = MappingProxyType(elements)
        self._questions = MappingProxyType(questions)
        self._challenges = MappingProxyType(challenges)

    @property
    def courses(self) -> tuple[Course, ...]:
        return self.content.courses

    def elements(self) -> Iterator[Element]:
        """Yield every element of every course in teaching order."""
        for course in self.content.courses:
            yield from course.elements

    def element(self, element_id: str) -> Element:
        """Return the element with this id (KeyError if there is none)."""
        return self._elements[element_id][1]

    def question(self, question_id: str) -> Located[Question]:
        """Return a question with its element (KeyError if there is none)."""
        return self._questions[question_id]

    def challenge(self, challenge_id: str) -> Located[Challenge]:
        """Return a challenge with its element (KeyError if there is none)."""
        return self._challenges[challenge_id]

    def has_element(self, element_id: str) -> bool:
        return element_id in self._elements

    @property
    def question_count(self) -> int:
        return len(self._questions)

    @property
    def challenge_count(self) -> int:
        return len(self._challenges)

    @property
    def element_count(self) -> int:
        return len(self._elements)

    def summary(self) -> str:
        """Return a one-line count, e.g. '5 elements, 80 questions, 23 challenges'."""
        return (
            f"{_count(self.element_count, 'element')}, {_count(self.question_count, 'question')}, "
            f"{_count(self.challenge_count, 'challenge')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
