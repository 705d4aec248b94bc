"""The live class quiz as a state machine: lobby, each question open then revealed, finished (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Mode(StrEnum):
    TIMED = "timed"  # moves on when time is up or everyone present has answered
    PACED = "paced"  # waits for the tutor's /class next after each reveal


class Phase(StrEnum):
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"


class Step(StrEnum):
    """What moving a quiz on does next."""

    OPEN = "open"
    REVEAL = "reveal"
    FINISH = "finish"
    NONE = "none"


class InvalidTransition(Exception):
    """The quiz cannot make this move from where it is."""


@dataclass(frozen=True, slots=True)
class QuizState:
    """Where a quiz is: its phase and the current question's index (-1 in the lobby)."""

    mode: Mode
    question_count: int
    phase: Phase = Phase.LOBBY
    index: int = -1

    @property
    def is_last(self) -> bool:
        return self.index >= self.question_count - 1

    @property
    def live(self) -> bool:
        return self.phase is not Phase.FINISHED

    def next_step(self) -> Step:
        """Return what /class next (or the timed quiz's pause) does from here."""
        if self.phase is Phase.LOBBY:
            return Step.OPEN
        if self.phase is Phase.QUESTION:
            return Step.REVEAL
        if self.phase is Phase.REVEAL:
            return Step.FINISH if self.is_last else Step.OPEN
        return Step.NONE

    def open_next(self) -> QuizState:
        """Open the next question (from the lobby or a reveal that was not the last)."""
        if self.next_step() is not Step.OPEN:
            raise InvalidTransition(f"cannot open a question from {self.phase.value} at {self.index}")
        return replace(self, phase=Phase.QUESTION, index=self.index + 1)

    def reveal(self) -> QuizState:
        """Close the open question and show its answer."""
        if self.phase is not Phase.QUESTION:
            raise InvalidTransition(f"cannot reveal from {self.phase.value}")
        return replace(self, phase=Phase.REVEAL)

    def finish(self) -> QuizState:
        """End the quiz, normally after the last reveal or early when the tutor stops it."""
        if self.phase is Phase.FINISHED:
            raise InvalidTransition("the quiz has already finished")
        return replace(self, phase=Phase.FINISHED)

    def moves_on_by_itself(self) -> bool:
        """Return whether the quiz continues after a reveal without the tutor (timed mode)."""
        return self.mode is Mode.TIMED and self.phase is Phase.REVEAL


def everyone_answered(mode: Mode, present: set[int] | frozenset[int], answered: set[int] | frozenset[int]) -> bool:
    """Return whether a timed question can close early: someone is present and all of them answered."""
    return mode is Mode.TIMED and bool(present) and present <= answered


@dataclass(frozen=True, slots=True)
class ClassQuiz:
    """A live or past class quiz."""

    quiz_id: int
    guild_id: int
    channel_id: int
    tutor_id: int
    element_id: str | None
    question_count: int
    seconds: int
    mode: Mode
    phase: Phase
    index: int
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def state(self) -> QuizState:
        return QuizState(self.mode, self.question_count, self.phase, self.index)


@dataclass(frozen=True, slots=True)
class QuizAnswer:
    """One learner's answer to one question of a quiz."""

    post_id: int
    user_id: int
    display_name: str
    choice: int
    correct: bool
    points: int
    elapsed_ms: int | None
