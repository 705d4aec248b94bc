"""Ranks in which ties share a place (1, 2, 2, 4)."""

from __future__ import annotations

from collections.abc import Sequence


def competition_ranks(points: Sequence[int], offset: int = 0, first_rank: int | None = None) -> list[int]:
    """Return ranks for a slice of scores sorted high to low that starts at position offset.

    first_rank is the rank of the slice's first score (1 + how many score higher); on a later page the
    first score may tie with the page before, so the caller looks it up. It defaults to offset + 1.
    """
    ranks: list[int] = []
    for index, score in enumerate(points):
        if index == 0:
            ranks.append(first_rank if first_rank is not None else offset + 1)
        elif score == points[index - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(offset + index + 1)
    return ranks
