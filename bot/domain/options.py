"""The order a post shows an item's options in: shuffled per post, so the place of the answer says nothing."""

from __future__ import annotations

import random
from collections.abc import Sequence

Order = tuple[int, ...]


def shuffled_order(count: int, seed: str) -> Order:
    """Return the written index of the option at each shown place, the same for the same seed."""
    order = list(range(count))
    random.Random(seed).shuffle(order)  # noqa: S311 - an order to show, not a secret
    return tuple(order)


def shown(options: Sequence[str], order: Order | None) -> tuple[str, ...]:
    """Return the options in the order a post shows them (as written when it has no order, or the content
    was edited since and the order no longer fits)."""
    if order is None or sorted(order) != list(range(len(options))):
        return tuple(options)
    return tuple(options[i] for i in order)


def written_index(place: int, order: Order | None) -> int:
    """Return the written index of the option shown at a place."""
    return place if order is None or not 0 <= place < len(order) else order[place]


def encode(order: Order | None) -> str | None:
    """Return the order as stored with the post."""
    return None if order is None else "".join(str(i) for i in order)


def decode(text: str | None) -> Order | None:
    """Return the order stored with a post."""
    return None if text is None else tuple(int(c) for c in text)
