"""The pacer keeps the bot's own posts under a rate without being told to slow down."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.pacing import POSTS_PER_SECOND, Pacer, posts_per_second


class FakeTime:
    """A clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_requests_are_spaced_to_the_rate() -> None:
    """A thousand callers at once are let through at most 50 in any second, in arrival order."""
    time = FakeTime()
    pacer = Pacer(50, now=lambda: time.now, sleep=time.sleep)
    released: list[tuple[int, float]] = []

    async def caller(n: int) -> None:
        await pacer.wait()
        released.append((n, time.now))

    await asyncio.gather(*(caller(n) for n in range(1000)))
    times = [t for _, t in released]
    assert [n for n, _ in released] == list(range(1000))
    for i in range(len(times) - 50):
        assert times[i + 50] - times[i] >= 1.0 - 1e-9  # never more than 50 inside one second
    assert times[-1] - times[0] == pytest.approx(999 / 50)  # and no slower than the rate


async def test_an_idle_pacer_does_not_delay() -> None:
    """After a quiet spell the next request goes straight out."""
    time = FakeTime()
    pacer = Pacer(10, now=lambda: time.now, sleep=time.sleep)
    await pacer.wait()
    time.now += 5
    before = time.now
    await pacer.wait()
    assert time.now == before


def test_rate_must_be_positive() -> None:
    """A zero rate is refused."""
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)


class LateTime(FakeTime):
    """A clock whose sleeps wake up late: a little every time, and now and then after a long stall."""

    def __init__(self, late: float, stall_every: int = 0, stall: float = 0.0) -> None:
        super().__init__()
        self.late, self.stall_every, self.stall, self.sleeps = late, stall_every, stall, 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        stalled = self.stall if self.stall_every and self.sleeps % self.stall_every == 0 else 0.0
        self.now += seconds + self.late + stalled


async def _release_times(time: LateTime, callers: int = 1000) -> list[float]:
    """Let callers through a pacer at 48 a second on time's clock; return when each was let out."""
    pacer = Pacer(48, now=lambda: time.now, sleep=time.sleep)
    released: list[float] = []

    async def caller() -> None:
        await pacer.wait()
        released.append(time.now)

    await asyncio.gather(*(caller() for _ in range(callers)))
    return released


async def test_late_wake_ups_do_not_add_up() -> None:
    """Waking 3 ms late each time, a thousand posts at 48 a second still take about 999/48 seconds."""
    released = await _release_times(LateTime(late=0.003))
    assert released[-1] - released[0] == pytest.approx(999 / 48, abs=0.01)


async def test_a_stalled_loop_never_bursts_past_the_limit() -> None:
    """After stalls of 300 ms, the queued posts are not let out together: never more than 50 in a second."""
    released = await _release_times(LateTime(late=0.004, stall_every=37, stall=0.3))
    for i in range(len(released) - 50):
        assert released[i + 50] - released[i] >= 1.0 - 1e-9


@pytest.mark.parametrize(
    ("shard_count", "shard_ids", "rate"),
    [
        (None, None, 48),
        (4, None, 48),
        (4, (0, 1, 2, 3), 48),
        (4, (2,), 11.25),
        (4, (0, 3), 23.5),
        (3, (1,), 49 / 3 - 1),
        (64, (5,), 1),
    ],
)
def test_a_process_posts_at_its_shards_share_of_the_rate_less_one(
    shard_count: int | None, shard_ids: tuple[int, ...] | None, rate: float
) -> None:
    """A process running some of the shards gets that share of 49 a second less one; one running all gets 48."""
    assert posts_per_second(shard_count, shard_ids) == pytest.approx(rate)


class JitterTime(FakeTime):
    """A process's clock whose sleeps wake up late by a different few milliseconds each time, as on a busy loop."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.rng.uniform(0, 0.015)


async def test_processes_on_one_token_together_stay_under_discords_limit() -> None:
    """Four processes, one shard of four each, posting at once with uneven delays: at most 49 in any second together.

    Each process's clock is its own; each has a quarter of a thousand posts due at the same moment.
    """
    released: list[float] = []
    for shard in range(4):
        time = JitterTime(seed=shard)
        pacer = Pacer(posts_per_second(4, (shard,)), now=lambda time=time: time.now, sleep=time.sleep)

        async def caller(pacer: Pacer = pacer, time: JitterTime = time) -> None:
            await pacer.wait()
            released.append(time.now)

        await asyncio.gather(*(caller() for _ in range(250)))
    released.sort()
    most = int(POSTS_PER_SECOND) + 1  # as many as one process's posts at 48 a second can land in a second
    for i in range(len(released) - most):
        assert released[i + most] - released[i] >= 1.0 - 1e-9
    assert released[-1] - released[0] < 249 / 11  # and each still posts at its share, about 11 a second
