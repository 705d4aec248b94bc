"""Which question a server sees next: no repeats until the bank is used up, weighted to what it gets wrong."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible item and the server's history with it."""

    item_id: str
    element_id: str
    times_posted: int = 0
    attempts: int = 0
    wrong: int = 0


ELEMENT_WEIGHT = 2.0
ITEM_WEIGHT = 2.0


def wrong_rate(wrong: int, attempts: int) -> float:
    """Return the share of wrong answers, smoothed so one answer does not dominate."""
    return (wrong + 1) / (attempts + 2)  # Laplace smoothing: 0.5 with no evidence


def choose_item(candidates: Sequence[Candidate], seed: int | str) -> Candidate | None:
    """Pick the next item, deterministically for a seed.

    Only items posted the fewest times are eligible, so nothing repeats until every item has been
    used. Among those, items and elements with a higher wrong rate are more likely.
    """
    if not candidates:
        return None
    fewest = min(c.times_posted for c in candidates)
    pool = sorted((c for c in candidates if c.times_posted == fewest), key=lambda c: c.item_id)
    element_rates = _element_rates(candidates)
    weights = [
        1.0 + ELEMENT_WEIGHT * element_rates[c.element_id] + ITEM_WEIGHT * wrong_rate(c.wrong, c.attempts) for c in pool
    ]
    rng = random.Random(str(seed))  # noqa: S311 - fairness, not security
    return rng.choices(pool, weights=weights, k=1)[0]


def _element_rates(candidates: Sequence[Candidate]) -> Mapping[str, float]:
    totals: dict[str, list[int]] = {}
    for c in candidates:
        wrong_attempts = totals.setdefault(c.element_id, [0, 0])
        wrong_attempts[0] += c.wrong
        wrong_attempts[1] += c.attempts
    return {element: wrong_rate(w, a) for element, (w, a) in totals.items()}
