"""What a question-bank parser returns: the questions it could read, and what it skipped or could not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BankFormat(StrEnum):
    GIFT = "gift"
    AIKEN = "aiken"
    RED = "red"

    @property
    def label(self) -> str:
        return {"gift": "GIFT", "aiken": "Aiken", "red": "Red trivia list"}[self.value]


@dataclass(frozen=True, slots=True)
class BankQuestion:
    """One question read from a bank: multiple choice (options) or true/false (options None)."""

    line: int
    prompt: str
    options: tuple[str, ...] | None
    answer: int | bool
    explanation: str
    title: str | None = None
    category: str | None = None  # the last part of a GIFT $CATEGORY: path


@dataclass(frozen=True, slots=True)
class Problem:
    """A question skipped (a warning) or input that could not be read (an error), with its line."""

    line: int | None
    message: str


@dataclass
class ParsedBank:
    """Everything read from one file."""

    format: BankFormat
    questions: list[BankQuestion] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line remarks for the summary (e.g. conversions)

    def skip(self, line: int | None, message: str) -> None:
        self.skipped.append(Problem(line, message))

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(Problem(line, message))


class BankUnreadable(Exception):
    """The file as a whole cannot be read as a question bank (empty, not UTF-8, not the format)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def decode(raw: bytes) -> str:
    """Return the file's text with Unix line endings; raise BankUnreadable if it is empty or not UTF-8."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BankUnreadable(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8 and import again", line
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BankUnreadable("is empty")
    return text


def right_answer_explanation(right: str) -> str:
    """Return the explanation an item gets when its bank gives none."""
    return f"The right answer is “{right}”."
