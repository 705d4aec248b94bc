"""Scoring rules, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Origin(StrEnum):
    """Where a post came from; it decides the scoring and whether it is on leaderboards."""

    SCHEDULED = "scheduled"
    MANUAL = "manual"
    CLASS = "class"
    PRACTICE = "practice"


DAILY_POINTS = 10
CHALLENGE_POINTS = 15
CLASS_MAX_POINTS = 100
STREAK_BONUS_PER_DAY = 2
STREAK_BONUS_CAP = 10
# A streak longer than this earns no more bonus, so no more of it needs counting.
STREAK_BONUS_DAYS = -(-STREAK_BONUS_CAP // STREAK_BONUS_PER_DAY)


@dataclass(frozen=True, slots=True)
class Score:
    points: int
    on_board: bool


def class_quiz_points(correct: bool, elapsed_s: float, limit_s: float, max_points: int = CLASS_MAX_POINTS) -> int:
    """Full points for an instant answer, falling linearly to half at the time limit; none if wrong."""
    if not correct:
        return 0
    if limit_s <= 0:
        return max_points
    share = min(max(elapsed_s, 0.0) / limit_s, 1.0)
    return round(max_points * (1 - 0.5 * share))


def streak_bonus(streak_before: int, enabled: bool) -> int:
    """Bonus for a correct scheduled answer that extends a streak (off unless the server enables it)."""
    if not enabled or streak_before <= 0:
        return 0
    return min(streak_before * STREAK_BONUS_PER_DAY, STREAK_BONUS_CAP)


def score_answer(
    *,
    kind: str,
    origin: Origin,
    correct: bool,
    elapsed_s: float | None = None,
    limit_s: float | None = None,
    streak_before: int = 0,
    streak_bonus_enabled: bool = False,
) -> Score:
    """Return the points for an answer and whether it counts on leaderboards."""
    if origin is Origin.PRACTICE:
        return Score(0, on_board=False)
    if origin is Origin.CLASS:
        return Score(class_quiz_points(correct, elapsed_s or 0.0, limit_s or 0.0), on_board=True)
    if not correct:
        return Score(0, on_board=True)
    base = CHALLENGE_POINTS if kind == "challenge" else DAILY_POINTS
    bonus = streak_bonus(streak_before, streak_bonus_enabled) if origin is Origin.SCHEDULED else 0
    return Score(base + bonus, on_board=True)
