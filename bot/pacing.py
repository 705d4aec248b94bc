"""Keep the bot under Discord's global request limit by spacing its own posts, not by waiting for 429s."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection

# Discord allows 50 requests a second per bot across all routes (interaction replies do not count).
# Scheduled posts and edits use a little less, leaving room for the few other requests the bot makes
# (channels and roles come from the gateway cache, so a post is normally one request).
POSTS_PER_SECOND = 48.0


def posts_per_second(shard_count: int | None, shard_ids: Collection[int] | None) -> float:
    """Return the post rate of a process that runs shard_ids of shard_count shards: its share of Discord's limit."""
    if shard_count is None or not shard_ids:  # all shards (a process with none posts nothing)
        return POSTS_PER_SECOND
    share = len(shard_ids) / shard_count
    # Processes on one token share Discord's limit; Discord spreads servers evenly over shards, so each process
    # takes its shards' share. Uneven delays on the way can land one request a second more than a pacer's rate,
    # so each process keeps one spare: together no more land in a second than from one process at
    # POSTS_PER_SECOND, which this gives when share is 1. At least one a second (beyond 24 processes).
    return max(1.0, (POSTS_PER_SECOND + 1) * share - 1)


class Pacer:
    """Lets callers through no faster than a rate, in the order they arrive, however many wait."""

    def __init__(
        self,
        rate: float = POSTS_PER_SECOND,
        *,
        now: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._now = now
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    def _time(self) -> float:
        return self._now() if self._now is not None else asyncio.get_running_loop().time()

    async def wait(self) -> None:
        """Return when the next request may go out."""
        async with self._lock:
            now = self._time()
            if self._next <= now:  # nothing queued: go now, and the next one interval later
                self._next = now + self._interval
                return
            await self._sleep(self._next - now)
            now = max(self._time(), self._next)
            # Keep to the planned spacing, so wake-ups a few milliseconds late (a busy loop) do not add up
            # over a thousand posts; after a longer stall, wait at least half an interval, so the requests
            # queued behind it never go out in a burst (at 48 a second that stays within Discord's 50).
            self._next = max(self._next + self._interval, now + self._interval / 2)
