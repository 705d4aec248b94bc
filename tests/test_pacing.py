"""The pacer keeps the bot's own posts under a rate without being told to slow down."""

from __future__ import annotations

import asyncio

import pytest

from bot.pacing import Pacer


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
