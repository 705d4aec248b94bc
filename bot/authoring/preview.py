"""Take questions and challenges in a terminal, as a learner would, to check new content."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from bot.course.catalog import Catalog, Located
from bot.course.models import OPTION_LETTERS as LETTERS
from bot.course.models import Challenge, ChallengeKind, ElementNotes, Question

WIDTH = 78


@dataclass(slots=True)
class PreviewResult:
    """How a preview session went."""

    asked: int = 0
    right: int = 0
    skipped: int = 0
    quit: bool = False


class Preview:
    """Ask each item, read a letter, then show the explanation."""

    def __init__(self, catalog: Catalog, read: Callable[[], str], out: TextIO) -> None:
        self._catalog = catalog
        self._read = read
        self._out = out

    def run(self, items: Iterable[Located[Question] | Located[Challenge]]) -> PreviewResult:
        result = PreviewResult()
        for number, located in enumerate(items, start=1):
            if isinstance(located.item, Question):
                choice = self._ask_question(number, located.element, located.item)
                correct = located.item.correct_index
            else:
                choice = self._ask_challenge(number, located.element, located.item)
                correct = located.item.mistake
            if choice is None:
                result.quit = True
                break
            result.asked += 1
            if choice == "skip":
                result.skipped += 1
            elif choice == correct:
                result.right += 1
            self._reveal(located, choice, correct)
        self._write(
            f"\nYou answered {result.asked - result.skipped} and got {result.right} right ({result.skipped} skipped)."
        )
        return result

    def _ask_question(self, number: int, element: ElementNotes, question: Question) -> int | str | None:
        self._write(f"\n── Question {number} · {element.title} · difficulty {question.difficulty} ── [{question.id}]")
        self._wrap(question.prompt)
        return self._choose(question.choices, "Your answer")

    def _ask_challenge(self, number: int, element: ElementNotes, challenge: Challenge) -> int | str | None:
        self._write(f"\n── Spot the mistake {number} · {element.title} ── [{challenge.id}]")
        if challenge.kind is ChallengeKind.SCENARIO and challenge.scenario:
            self._wrap(challenge.scenario)
        else:
            self._write("One of these statements holds a mistake. Which one?")
        return self._choose(challenge.options, "The mistake is in")

    def _choose(self, options: tuple[str, ...], question: str) -> int | str | None:
        letters = LETTERS[: len(options)]
        for letter, option in zip(letters, options, strict=True):
            self._wrap(option, prefix=f"  {letter}) ")
        while True:
            self._out.write(f"{question} ({letters[0]}-{letters[-1]}, s to skip, q to quit): ")
            self._out.flush()
            try:
                typed = self._read().strip().upper()
            except EOFError:
                self._write("")
                return None
            if typed == "Q":
                return None
            if typed == "S":
                return "skip"
            if len(typed) == 1 and typed in letters:
                return letters.index(typed)
            self._write(f"Please type a letter from {letters[0]} to {letters[-1]}, s to skip or q to quit.")

    def _reveal(self, located: Located[Question] | Located[Challenge], choice: int | str, correct: int) -> None:
        element, item = located.element, located.item
        letter = LETTERS[correct]
        if choice == "skip":
            self._write(f"Skipped. The answer was {letter}.")
        elif choice == correct:
            self._write("Right!")
        else:
            self._write(f"Not quite. The answer was {letter}.")
        self._wrap(item.explanation, prefix="Why: ")
        if isinstance(item, Challenge):
            for ref in item.helps:
                self._wrap(element.helping_text(ref), prefix="Helps: ")

    def _wrap(self, text: str, prefix: str = "") -> None:
        indent = " " * len(prefix)
        for i, paragraph in enumerate(text.splitlines() or [""]):
            self._write(
                textwrap.fill(paragraph, WIDTH, initial_indent=prefix if i == 0 else indent, subsequent_indent=indent)
                or prefix.rstrip()
            )

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")


def preview_items(
    catalog: Catalog, element_id: str | None, kind: str, seed: int | None
) -> list[Located[Question] | Located[Challenge]]:
    """Return the items to preview, in content order or shuffled with a seed."""
    items: list[Located[Question] | Located[Challenge]] = []
    for element in catalog.elements():
        if element_id is not None and element.id != element_id:
            continue
        if kind in {"all", "questions"}:
            items.extend(catalog.questions(element.id))
        if kind in {"all", "challenges"}:
            items.extend(catalog.challenges(element.id))
    if seed is not None:
        random.Random(seed).shuffle(items)  # noqa: S311 - ordering for a preview, not security
    return items
