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
