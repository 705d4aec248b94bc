"""Answer burst: 500 learners click one post's buttons within one second, through the fake Discord server.

python -m benchmarks.burst [--learners 500] [--spread 1.0] [--json PATH]

Measures, per click, the time from the fake sending INTERACTION_CREATE to the bot's interaction
callback arriving at the fake, and checks that every click is recorded exactly once. The fake and
the bot share one process and event loop, as in the end-to-end tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.app import RevisionBot
from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind
from bot.settings import Settings
from bot.storage.answers import AnswerRepository
from tests.fakediscord.harness import point_discord_py_at, running_bot
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import World

CONTENT = Path(__file__).resolve().parents[1] / "content"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def burst(learners: int, spread: float, data_dir: Path) -> dict[str, object]:
    world = World.default()
    members = [world.guilds[next(iter(world.guilds))].add_member(world.add_user(f"l{i}")) for i in range(learners)]
    fake = FakeDiscord(world)
    await fake.start()
    try:
        with point_discord_py_at(fake):
            settings = Settings(
                discord_token=fake.token,
                content_dir=CONTENT,
                data_dir=data_dir,
                discord_api_base_url=fake.api_base,
                discord_gateway_url=fake.gateway_url,
            )
            bot = RevisionBot(settings, FixedClock(datetime.now(UTC)), guild_ready_timeout=0.05)
            async with running_bot(bot, fake):
                channel = fake.guild.channel("quiz")
                opened = await bot.delivery.post_now(fake.guild.id, channel.id, PostKind.QUESTION, None, 60, "burst")
                message = fake.messages_in(channel)[-1]
                post = opened.post
                sent: dict[int, float] = {}
                interactions = []

                async def click(index: int, member: object) -> None:
                    await asyncio.sleep(index * spread / learners)
                    started = time.monotonic()
                    ix = await fake.click(
                        message, f"rb:ans:{post.post_id}:{index % post.option_count}", user=member.user
                    )  # type: ignore[attr-defined]
                    sent[ix.id] = started
                    interactions.append(ix)

                began = time.monotonic()
                await asyncio.gather(*(click(i, m) for i, m in enumerate(members)))
                await fake.wait_for(
                    lambda: all(ix.callback is not None for ix in interactions), timeout=120, what="every callback"
                )
                elapsed = time.monotonic() - began
                callbacks = {
                    int(r.path.split("/")[2]): r.at
                    for r in fake.requests_to("POST", r"/interactions/\d+/[^/]+/callback")
                }
                latencies = [(callbacks[i] - sent[i]) * 1000 for i in sent]
                recorded = await AnswerRepository(bot.services.db).for_post(post.post_id)
    finally:
        await fake.close()
    users = [a.user_id for a in recorded]
    return {
        "learners": learners,
        "spread_s": spread,
        "wall_s": round(elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "recorded": len(recorded),
        "recorded_once_each": len(users) == len(set(users)) == learners,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the clicks arrive")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/burst.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(burst(args.learners, args.spread, Path(tmp)))
    print(f"{'learners':>8} {'spread s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'recorded':>8}  once each")
    print(
        f"{result['learners']:>8} {result['spread_s']:>8} {result['p50_ms']:>8} {result['p99_ms']:>8} "
        f"{result['max_ms']:>8} {result['recorded']:>8}  {result['recorded_once_each']}"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
