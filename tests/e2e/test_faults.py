"""`revbot run` killed and restarted again and again while Discord fails: nothing is lost or posted twice.

The process runs on the system clock. Slots are set up due at start (a zone where it is about midday), and
while the bot is down the test moves some posts' closing times forward, as if hours had passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from benchmarks._process import bot_env
from bot.domain.clock import to_ms
from bot.domain.entities import GuildSettings, Schedule, ScheduleKind
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from tests.fakediscord.messages import FakeInteraction, FakeMessage
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import FakeGuild, World

SEED = 24
ROUNDS = int(os.environ.get("FAULT_ROUNDS", "12"))  # about 35 s; set FAULT_ROUNDS for a longer soak
MANAGE_GUILD = 1 << 5
LEARNERS = ("alice", "bob", "carol", "dave")
ANSWER_ID = re.compile(r"^rb:ans:(\d+):([0-4])$")
MESSAGES = r"/channels/\d+/messages"


@pytest.fixture
def fake_discord_world() -> World:
    """Two servers, each with a #quiz channel and four learners."""
    world = World.default()
    world.add_guild("Second")
    for name in LEARNERS[2:]:
        world.add_user(name)
    for guild in world.guilds.values():
        if not any(c.name == "quiz" for c in guild.text_channels):
            guild.add_text_channel("quiz")
        for name in (*LEARNERS, "tutor"):
            user = next(u for u in world.users.values() if u.username == name)
            if user.id not in guild.members:
                guild.add_member(user)
    return world


def _midday_zone(now: datetime) -> ZoneInfo:
    """Return a fixed-offset zone in which it is about midday now, so no slot crosses a local midnight."""
    offset = 12 - now.hour
    return ZoneInfo("UTC" if offset == 0 else f"Etc/GMT{-offset:+d}")


async def _schedule_due_slots(database: Path | str, guilds: list[FakeGuild]) -> int:
    """Set up a daily question and a spot-the-mistake in every server, both due now; return how many."""
    now = datetime.now(UTC)
    zone = _midday_zone(now)
    local = (now - timedelta(minutes=2)).astimezone(zone)
    db = await Database.open(database)
    try:
        repo = GuildRepository(db)
        for guild in guilds:
            await repo.save(GuildSettings(guild.id, timezone=zone.key), now)
            channel = guild.channel("quiz").id
            for kind in (ScheduleKind.DAILY, ScheduleKind.SPOT):
                slot = Schedule(guild.id, kind, channel, time(local.hour, local.minute), close_after_minutes=60)
                await repo.save_schedule(slot, now)
    finally:
        await db.close()
    return 2 * len(guilds)


@dataclass
class Bot:
    """One `revbot run` process and what it printed."""

    proc: asyncio.subprocess.Process
    output: bytearray = field(default_factory=bytearray)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := await self.proc.stdout.read(65536):
            self.output.extend(chunk)


async def _launch(fake: FakeDiscord, data: Path, **env: str) -> Bot:
    """Start `revbot run` with its data in data (and env added to its environment), reading what it prints."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=data.parent,
        env={**bot_env(fake, data), "PYTHONFAULTHANDLER": "1", **env},  # a hung stop dumps its stacks on SIGABRT
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = Bot(proc)
    bot.reader = asyncio.create_task(bot.read())
    return bot


async def _start(fake: FakeDiscord, data: Path) -> Bot:
    """Start `revbot run` and wait until it has synced its commands and identified on the gateway."""
    mark, identified = fake.mark(), fake.identify_count
    bot = await _launch(fake, data)
    proc = bot.proc
    synced = asyncio.create_task(fake.wait_for_request("PUT", r"/applications/\d+/commands", timeout=60, since=mark))
    exited = asyncio.create_task(proc.wait())
    await asyncio.wait((synced, exited), return_when=asyncio.FIRST_COMPLETED)
    if synced.done() and synced.exception() is None:
        exited.cancel()
        # A session closed by SIGTERM cannot be resumed, so events need the new process's own session.
        await fake.wait_for(lambda: fake.identify_count > identified, timeout=30, what="the bot to identify")
        return bot
    synced.cancel()
    with contextlib.suppress(ProcessLookupError):  # it may have exited already: say why
        proc.kill()
    await proc.wait()
    if bot.reader is not None:
        await bot.reader
    raise AssertionError(f"the bot did not start:\n{bot.output.decode(errors='replace')}")


async def _stop(bot: Bot, sig: signal.Signals) -> str:
    """Send the signal, wait for the process to end and return its output."""
    if bot.proc.returncode is None:
        bot.proc.send_signal(sig)
    try:
        await asyncio.wait_for(bot.proc.wait(), timeout=45)
    except TimeoutError:
        bot.proc.send_signal(signal.SIGABRT)
        await asyncio.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            bot.proc.kill()
        await bot.proc.wait()
        if bot.reader is not None:
            await bot.reader
        raise AssertionError(f"{sig.name} did not stop the bot:\n{bot.output.decode(errors='replace')}") from None
    if bot.reader is not None:
        await bot.reader
    log = bot.output.decode(errors="replace")
    if sig is signal.SIGTERM:
        assert bot.proc.returncode == 0, log
    return log


def _posts(database: Path) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM posts ORDER BY post_id").fetchall()


def _close_some_now(database: Path, rng: random.Random, missed: set[int]) -> int:
    """While the bot is down, bring some open posts' closing times to now (as if hours had passed).

    A post not sent yet whose time is up was missed while the bot was down: it goes into ``missed``.
    """
    now = to_ms(datetime.now(UTC))
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        rows = conn.execute("SELECT post_id, message_id FROM posts WHERE state = 'open' AND closes_at IS NOT NULL")
        chosen = [(post_id, message_id) for post_id, message_id in rows if rng.random() < 0.4]
        conn.executemany("UPDATE posts SET closes_at = ? WHERE post_id = ?", [(now, i) for i, _ in chosen])
    missed.update(post_id for post_id, message_id in chosen if message_id is None)
    return len(chosen)


def _buttons(message: FakeMessage) -> list[tuple[int, int]]:
    return [(int(m[1]), int(m[2])) for m in map(ANSWER_ID.match, message.custom_ids) if m]


@dataclass
class Faults:
    """What was done to the bot, for the summary line."""

    counts: Counter[str] = field(default_factory=Counter)

    def line(self, rounds: int) -> str:
        c = self.counts
        return (
            f"fault test: {rounds} rounds, {c['SIGKILL']} SIGKILL, {c['SIGTERM']} SIGTERM, {c['5xx']} 5xx, "
            f"{c['429']} 429 injected, {c['clicks']} clicks ({c['recorded']} recorded), "
            f"{c['quiz']} class-quiz commands, {c['closed early']} closing times brought forward"
        )


def _inject(fake: FakeDiscord, rng: random.Random, faults: Faults) -> None:
    """Make Discord fail some posts, edits and replies this round: 503s (some after doing the work), 500s, 429s."""
    for method, path in (("POST", MESSAGES), ("PATCH", MESSAGES + r"/\d+")):
        roll = rng.random()
        if roll < 0.35:
            times = rng.randint(1, 3)
            fake.fail(method, path, 503, times=times, processed=rng.random() < 0.5)
            faults.counts["5xx"] += times
        elif roll < 0.5:
            fake.fail(method, path, 500, times=1)  # discord.py tries again after 1 s
            faults.counts["5xx"] += 1
    if rng.random() < 0.5:
        count = rng.randint(1, 4)
        fake.rate_limits.inject(count, retry_after=0.05, is_global=False)
        faults.counts["429"] += count


async def _act(
    fake: FakeDiscord, rng: random.Random, faults: Faults, clicks: list[tuple[FakeInteraction, int, int]]
) -> None:
    """Do one thing a learner or tutor might: click an answer, or move a class quiz on."""
    guild = rng.choice(list(fake.world.guilds.values()))
    channel = guild.channel("quiz")
    if rng.random() < 0.2:
        command = rng.choice(["class start", "class next", "class next", "class stop"])
        options = {"questions": 3, "seconds": 60, "mode": "paced"} if command == "class start" else {}
        await fake.slash(command, options, user="tutor", guild=guild, channel=channel, permissions=MANAGE_GUILD)
        faults.counts["quiz"] += 1
        return
    posted = [m for m in fake.messages_in(channel) if _buttons(m)]
    if not posted:
        return
    message = rng.choice(posted)
    post_id, _ = _buttons(message)[0]
    option = rng.randrange(len(_buttons(message)))
    user = rng.choice(LEARNERS)
    click = await fake.click(message, f"rb:ans:{post_id}:{option}", user=user, force=True)
    clicks.append((click, post_id, option))
    faults.counts["clicks"] += 1


def _check(
    fake: FakeDiscord, database: Path, due: int, missed: set[int], clicks: list[tuple[FakeInteraction, int, int]]
) -> None:
    """Every due slot posted exactly once, every answer acknowledged stored, every closed post shown closed.

    A slot whose time was up before it could be sent (``missed``) is posted at most once.
    """
    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        answers = {(r[0], r[1]): r[2] for r in conn.execute("SELECT post_id, user_id, choice FROM answers")}
    posts = {p["post_id"]: p for p in _posts(database)}
    scheduled = [p for p in posts.values() if p["origin"] == "scheduled"]
    assert len(scheduled) == due, [dict(p) for p in scheduled]
    shown: Counter[int] = Counter()
    for channel in (g.channel("quiz") for g in fake.world.guilds.values()):
        for message in fake.messages_in(channel):
            if _buttons(message):
                post_id = _buttons(message)[0][0]
                shown[post_id] += 1
                post = posts.get(post_id)
                assert post is not None, f"message {message.id} shows post {post_id}, which does not exist"
                assert post["message_id"] == message.id, dict(post)
                if post["state"] == "closed":
                    assert all(c.get("disabled") for row in message.components for c in row["components"]), dict(post)
    for post in scheduled:
        allowed = {0, 1} if post["post_id"] in missed else {1}
        assert shown[post["post_id"]] in allowed, f"post {post['post_id']} shown {shown[post['post_id']]} times"
    now = to_ms(datetime.now(UTC))
    late = [dict(p) for p in posts.values() if p["state"] == "open" and p["closes_at"] and p["closes_at"] <= now]
    assert not late, late
    for click, post_id, option in clicks:
        content = (click.callback or {}).get("data", {}).get("content", "")
        if content.startswith(("✅", "❌")):
            assert answers.get((post_id, click.user.id)) == option, (content, post_id, click.user.id)


async def test_kills_restarts_and_outages_lose_nothing(
    fake_discord: FakeDiscord, tmp_path: Path, record_property: Any, discord_log_errors: Any
) -> None:
    """Killed (SIGKILL or SIGTERM) at random points with 5xx and 429 injected, the bot loses and doubles nothing."""
    fake, rng, faults = fake_discord, random.Random(SEED), Faults()
    data = tmp_path / "data"
    database = data / "revbot.sqlite3"
    data.mkdir()
    due = await _schedule_due_slots(database, list(fake.world.guilds.values()))
    clicks: list[tuple[FakeInteraction, int, int]] = []
    missed: set[int] = set()
    logs: list[str] = []
    for _ in range(ROUNDS):
        bot = await _start(fake, data)
        _inject(fake, rng, faults)
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + rng.uniform(0.2, 4.0)
        while loop.time() < stop_at:
            await _act(fake, rng, faults, clicks)
            await asyncio.sleep(rng.uniform(0.02, 0.3))
        sig = signal.SIGKILL if rng.random() < 0.55 else signal.SIGTERM
        faults.counts[sig.name] += 1
        logs.append(await _stop(bot, sig))
        fake.clear_failures()
        faults.counts["closed early"] += _close_some_now(database, rng, missed)
    # A last, undisturbed run finishes what the kills left: unsent posts, closings and closing edits.
    bot = await _start(fake, data)
    await fake.wait_for(lambda: _settled(database, due), timeout=30, what="unsent posts and closing edits to be done")
    logs.append(await _stop(bot, signal.SIGTERM))
    faults.counts["recorded"] = sum(
        1 for c, _, _ in clicks if (c.callback or {}).get("data", {}).get("content", "").startswith(("✅", "❌"))
    )
    summary = faults.line(ROUNDS)
    record_property("fault_summary", summary)
    tracebacks = [log for log in logs if "Traceback" in log]
    assert not tracebacks, tracebacks[0][-4000:]
    _check(fake, database, due, missed, clicks)
    discord_log_errors.clear()  # the fake's own log, not the bot's: the bot runs in its own process


def _settled(database: Path, due: int) -> bool:
    """Tell whether every due slot has its post and nothing a stop interrupted is left to do."""
    now = to_ms(datetime.now(UTC))
    posts = _posts(database)
    return sum(p["origin"] == "scheduled" for p in posts) == due and not [
        p
        for p in posts
        if p["reveal_pending"]
        or (p["state"] == "open" and p["closes_at"] and p["closes_at"] <= now)
        or (p["state"] == "open" and p["message_id"] is None and p["origin"] in ("scheduled", "manual"))
    ]
