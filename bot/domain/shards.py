"""Shards: which shard a server is on, which shards a process runs, and when a shard may IDENTIFY."""

from __future__ import annotations

from collections.abc import Iterable

IDENTIFY_WINDOW_S = 5.0  # Discord lets each IDENTIFY bucket start one session per this many seconds


def shard_of(guild_id: int, shard_count: int) -> int:
    """Return the shard Discord puts a server on: (guild_id >> 22) % shard_count."""
    return (guild_id >> 22) % shard_count


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """Parse shard ids such as '0-3' or '0,2,5' (or both, '0-1,4') into sorted ids; raise ValueError if malformed."""
    ids: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"{part!r} is not a shard id or a range such as 0-3")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"the range {part!r} runs backwards")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def describe_shard_ids(ids: Iterable[int]) -> str:
    """Return shard ids as short ranges, e.g. (0, 1, 2, 5) -> '0-2, 5'."""
    runs: list[list[int]] = []
    for shard_id in sorted(ids):
        if runs and shard_id == runs[-1][1] + 1:
            runs[-1][1] = shard_id
        else:
            runs.append([shard_id, shard_id])
    return ", ".join(f"{low}" if low == high else f"{low}-{high}" for low, high in runs)


class ShardFilter:
    """Which servers this process schedules: all of them, or only those on its own shards."""

    def __init__(self, shard_count: int | None = None, shard_ids: Iterable[int] | None = None) -> None:
        self.shard_count = shard_count
        self.shard_ids = frozenset(shard_ids) if shard_ids is not None else None

    def owns(self, guild_id: int) -> bool:
        """Tell whether this process schedules the server's posts, summaries and timers."""
        if self.shard_count is None or self.shard_ids is None:
            return True
        return shard_of(guild_id, self.shard_count) in self.shard_ids


class IdentifyGate:
    """Discord's IDENTIFY rate limit: shard s is in bucket s % max_concurrency; one IDENTIFY per bucket per window.

    Times are seconds on any monotonic clock, passed in by the caller.
    """

    def __init__(self, max_concurrency: int = 1, window: float = IDENTIFY_WINDOW_S) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self.window = window
        self._last: dict[int, float] = {}  # bucket -> time of its latest IDENTIFY

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    def wait(self, shard_id: int, now: float) -> float:
        """Return how many seconds the shard must wait before it may IDENTIFY (0 if it may now)."""
        last = self._last.get(self.bucket(shard_id))
        return 0.0 if last is None else max(0.0, last + self.window - now)

    def identified(self, shard_id: int, at: float) -> None:
        """Record that the shard sent IDENTIFY at the given time."""
        self._last[self.bucket(shard_id)] = at
