"""Streaks: consecutive scheduled daily questions answered, and answered correctly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Streaks:
    current: int
    best: int
    current_correct: int
    best_correct: int


def compute_streaks(post_ids: Sequence[int], answers: Mapping[int, bool], open_post_id: int | None = None) -> Streaks:
    """Return streaks over scheduled posts in time order, given the learner's answers (post id -> correct).

    A post still open that the learner has not answered yet does not break the current streak.
    """
    current = best = current_correct = best_correct = 0
    for post_id in post_ids:
        if post_id == open_post_id and post_id not in answers:
            continue
        if post_id in answers:
            current += 1
            current_correct = current_correct + 1 if answers[post_id] else 0
        else:
            current = current_correct = 0
        best = max(best, current)
        best_correct = max(best_correct, current_correct)
    return Streaks(current, best, current_correct, best_correct)


@dataclass(frozen=True, slots=True)
class StreakState:
    """A learner's streaks as of their latest answer to a server's scheduled posts of one kind.

    Kept with each answer, so showing a streak reads this and at most two later posts instead of the server's
    whole history (which grows by a post a day).
    """

    last_post_id: int  # the latest scheduled post the learner answered
    last_opened_ms: int  # when it opened (UTC milliseconds)
    run: int  # consecutive scheduled posts answered, ending with that one
    run_correct: int  # consecutive right answers ending with it
    best: int
    best_correct: int


def state_after_answer(
    state: StreakState, post_id: int, opened_ms: int, previous_id: int | None, correct: bool
) -> StreakState:
    """Return the state once the learner has answered post_id, the scheduled post after previous_id.

    The caller makes sure post_id comes after state.last_post_id (an older post answered late is counted from the
    history instead): the run goes on if the learner's last answer was to the post just before this one.
    """
    goes_on = state.last_post_id == previous_id
    run = state.run + 1 if goes_on else 1
    run_correct = (state.run_correct + 1 if goes_on else 1) if correct else 0
    return StreakState(post_id, opened_ms, run, run_correct, max(state.best, run), max(state.best_correct, run_correct))


def state_from_history(
    post_ids: Sequence[int], opened_ms: Sequence[int], answers: Mapping[int, bool]
) -> StreakState | None:
    """Return the state as of the learner's latest answer, from the server's scheduled posts in time order."""
    state: StreakState | None = None
    previous: int | None = None
    for post_id, opened in zip(post_ids, opened_ms, strict=True):
        if post_id in answers:
            if state is None:
                right = int(answers[post_id])
                state = StreakState(post_id, opened, 1, right, 1, right)
            else:
                state = state_after_answer(state, post_id, opened, previous, answers[post_id])
        previous = post_id
    return state


def streaks_now(state: StreakState, later_open: Sequence[bool]) -> Streaks:
    """Return the learner's streaks, given whether each scheduled post opened since their last answer is open.

    Those posts are unanswered. The run still counts when there are none, or just one that is still open (today's
    question not answered yet); any other missed post ends it, as compute_streaks does.
    """
    standing = not later_open or (len(later_open) == 1 and later_open[0])
    return Streaks(state.run if standing else 0, state.best, state.run_correct if standing else 0, state.best_correct)
