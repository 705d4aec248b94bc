"""Item statistics for tutors: facility, option spread and discrimination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GROUP_SHARE = 0.27  # the classic upper and lower 27% groups


@dataclass(frozen=True, slots=True)
class ItemResponse:
    user_id: int
    choice: int
    correct: bool


@dataclass(frozen=True, slots=True)
class ItemStats:
    item_id: str
    attempts: int
    facility: float | None  # share correct
    choice_counts: tuple[int, ...]
    discrimination: float | None  # upper group's facility minus lower group's; None with too few learners
    most_chosen_wrong: int | None  # options are counted by written index: posts show them shuffled
    most_chosen_wrong_text: str | None = None


def item_stats(
    item_id: str,
    option_count: int,
    correct_option: int,
    responses: Sequence[ItemResponse],
    learner_scores: Mapping[int, float],
) -> ItemStats:
    """Return the statistics of one item given every response and each learner's overall score."""
    counts = [0] * option_count
    for r in responses:
        if 0 <= r.choice < option_count:
            counts[r.choice] += 1
    attempts = len(responses)
    facility = sum(r.correct for r in responses) / attempts if attempts else None
    wrong = [(n, i) for i, n in enumerate(counts) if i != correct_option and n > 0]
    most_wrong = min(wrong, key=lambda pair: (-pair[0], pair[1]))[1] if wrong else None  # ties: first letter
    return ItemStats(item_id, attempts, facility, tuple(counts), _discrimination(responses, learner_scores), most_wrong)


def _discrimination(responses: Sequence[ItemResponse], scores: Mapping[int, float]) -> float | None:
    ranked = sorted(responses, key=lambda r: (scores.get(r.user_id, 0.0), r.user_id))
    group = int(len(ranked) * GROUP_SHARE)
    if group < 2:
        return None
    lower, upper = ranked[:group], ranked[-group:]
    return sum(r.correct for r in upper) / group - sum(r.correct for r in lower) / group
