"""Posting to channels and closing posts: the scheduler's jobs, and tutors' posts made by hand.

Failures of one server (deleted channel, missing permission, Discord errors) are logged and recorded
on that server's schedule; they never stop other servers or the bot.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.domain.entities import GuildSettings, PostKind, Schedule, ScheduleKind
from bot.pacing import Pacer
from bot.services.posting import NothingToPost, OpenedPost
from bot.ui.posts import closed_embed, post_embed, post_view
from bot.ui.summary import summary_embed

if TYPE_CHECKING:
    from bot.app import RevisionBot
    from bot.services.container import Services

log = logging.getLogger(__name__)

CATCH_UP_DELAY = timedelta(seconds=2)
SLOTS_AT_ONCE = 16
REGISTER_AT_ONCE = 200  # schedules registered at start between yields to the event loop (~10 ms each)


class PostFailed(Exception):
    """A post could not be sent; the message says why in words a tutor understands."""


class Delivery:
    """Sends posts for the scheduler and tutors, and closes them on time."""

    def __init__(self, bot: RevisionBot) -> None:
        self._bot = bot
        self._in_flight: set[asyncio.Task[object]] = set()
        self._pacer = Pacer()  # thousands of servers due at 09:00 must not exceed Discord's global limit
        self._slots = asyncio.Semaphore(SLOTS_AT_ONCE)

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self._in_flight.discard)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - shutdown must not hang forever
        """Wait for posts being sent or closed to finish, so none is left half-done at shutdown."""
        pending = {t for t in self._in_flight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    @property
    def _services(self) -> Services:
        return self._bot.services

    async def start(self) -> None:
        """Rebuild every job from the database, close overdue posts and catch up missed ones.

        Schedules are registered REGISTER_AT_ONCE at a time with a yield to the event loop in between,
        so that thousands of them never hold the loop in one piece.
        """
        services = self._services
        now = services.clock.now()
        for post in await services.posting.open_posts():
            if post.class_quiz_id is not None:
                continue  # a class quiz resumes or ends its own questions (cogs/classquiz.py)
            if post.closes_at is not None and post.closes_at <= now:
                await self._close_post(post.post_id)
            elif post.closes_at is not None:
                self._bot.scheduler.schedule_close(post.post_id, post.closes_at, self.close_post)
        schedules = await services.guilds.enabled_schedules()
        # ZoneInfo keeps a zone cached only while something holds it (and its last 8): hold every zone in
        # use until the jobs' triggers do, or each settings.zone below would read its tz file again. The
        # files are read on a thread (hundreds of zones take ~0.1 s).
        zones = await asyncio.to_thread(_zones_in_use, schedules)
        caught_up = 0
        for first in range(0, len(schedules), REGISTER_AT_ONCE):
            chunk = schedules[first : first + REGISTER_AT_ONCE]
            due = {(d.schedule.guild_id, d.schedule.kind) for d in await services.posting.due_now(chunk)}
            due |= {(s.guild_id, s.kind) for s in await services.weekly.due_now(chunk)}  # a missed weekly summary
            caught_up += len(due)
            with self._bot.scheduler.adding_many():
                for schedule, settings in chunk:
                    if (schedule.guild_id, schedule.kind) in due:
                        log.info("catching up missed post guild=%s kind=%s", schedule.guild_id, schedule.kind.value)
                        self._bot.scheduler.schedule_slot(settings, schedule.kind, now + CATCH_UP_DELAY, self.run_slot)
                    else:
                        self.schedule_next(schedule, settings)
            await asyncio.sleep(0)  # other tasks (the gateway, once connected) get their turn between chunks
        log.info("scheduled %d slots in %d time zones (%d catching up)", len(schedules), len(zones), caught_up)

    def schedule_next(self, schedule: Schedule, settings: GuildSettings) -> None:
        """Schedule the schedule's next slot after now (or remove it when disabled)."""
        if not schedule.enabled:
            self._bot.scheduler.remove_slot(schedule.guild_id, schedule.kind)
            return
        run_at = self._services.posting.next_slot(schedule, settings)
        if run_at is not None:
            self._bot.scheduler.schedule_slot(settings, schedule.kind, run_at, self.run_slot)

    async def run_slot(self, guild_id: int, kind_value: str) -> None:
        """Post today's scheduled item for a server, then schedule the next slot."""
        self._track()
        # When a thousand servers are due in the same minute, a few at a time keep the event loop
        # responsive; the pacer caps the rate at which they reach Discord anyway.
        async with self._slots:
            await self._run_slot(guild_id, kind_value)

    async def _run_slot(self, guild_id: int, kind_value: str) -> None:
        kind = ScheduleKind(kind_value)
        services = self._services
        schedule = await services.guilds.schedule(guild_id, kind)
        settings = await services.guilds.get(guild_id)
        if schedule is None or not schedule.enabled:
            return
        try:
            if kind is ScheduleKind.WEEKLY:
                await self._send_summary(schedule)
                await services.guilds.record_error(guild_id, kind, None, services.clock.now())
                return
            opened = await services.posting.open_scheduled(schedule, settings)
            if opened is None:
                log.info("already posted today guild=%s kind=%s", guild_id, kind.value)
            else:
                await self._send(opened, schedule.channel_id, schedule.role_id)
                await services.guilds.record_error(guild_id, kind, None, services.clock.now())
        except (PostFailed, NothingToPost) as exc:
            log.warning("scheduled post failed guild=%s kind=%s error=%s", guild_id, kind.value, exc)
            await services.guilds.record_error(guild_id, kind, str(exc), services.clock.now())
        except Exception as exc:
            log.exception("scheduled post crashed guild=%s kind=%s", guild_id, kind.value)
            await services.guilds.record_error(
                guild_id, kind, f"Unexpected error: {type(exc).__name__}", services.clock.now()
            )
        finally:
            self.schedule_next(schedule, settings)

    async def _send_summary(self, schedule: Schedule) -> None:
        """Post the week's summary once per server and week."""
        services = self._services
        week = (await services.weekly.week_for(schedule.guild_id)).isoformat()
        if not await services.summaries.claim(schedule.guild_id, week, schedule.channel_id, services.clock.now()):
            log.info("summary already posted guild=%s week=%s", schedule.guild_id, week)
            return
        summary = await services.weekly.build(schedule.guild_id)
        try:
            channel = await self._channel(schedule.channel_id)
            await self._pacer.wait()
            message = await channel.send(embed=summary_embed(summary), allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, PostFailed) as exc:
            await services.summaries.release(schedule.guild_id, week)
            raise PostFailed(_refusal(exc, schedule.channel_id)) from exc
        await services.summaries.set_message(schedule.guild_id, week, message.id)
        log.info("weekly summary posted guild=%s week=%s message=%s", schedule.guild_id, week, message.id)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self._bot.get_channel(channel_id) or await self._bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise PostFailed(f"channel {channel_id} cannot hold messages")
        return channel

    async def post_now(
        self,
        guild_id: int,
        channel_id: int,
        kind: PostKind,
        element_id: str | None,
        close_after_minutes: int,
        seed: int | str,
    ) -> OpenedPost:
        """Post an item now for a tutor (raises PostFailed or NothingToPost)."""
        opened = await self._services.posting.open_manual(
            guild_id, channel_id, kind, element_id, close_after_minutes, seed
        )
        await self._send(opened, channel_id, None)
        return opened

    async def _send(self, opened: OpenedPost, channel_id: int, role_id: int | None) -> None:
        """Send a post's message; forget the post if Discord refuses it."""
        services, post = self._services, opened.post
        try:
            channel = await self._channel(channel_id)
            content = f"<@&{role_id}>" if role_id else None
            mentions = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
            )
            await self._pacer.wait()
            message = await channel.send(
                content=content,
                embed=post_embed(post, opened.item),
                view=post_view(post, opened.item),
                allowed_mentions=mentions,
            )
        except (discord.HTTPException, PostFailed) as exc:
            await services.posting.discard(post.post_id)
            raise PostFailed(_refusal(exc, channel_id)) from exc
        await services.posting.attach_message(post.post_id, message.channel.id, message.id)
        log.info("posted guild=%s post=%s item=%s message=%s", post.guild_id, post.post_id, post.item_id, message.id)
        if post.closes_at is not None:
            self._bot.scheduler.schedule_close(post.post_id, post.closes_at, self.close_post)

    async def close_post(self, post_id: int) -> None:
        """Close a post and edit its message to reveal the answer (the scheduler's job)."""
        self._track()
        await self._close_post(post_id)

    async def _close_post(self, post_id: int) -> None:
        services = self._services
        try:
            closed = await services.posting.close(post_id)
            if closed is None or closed.post.message_id is None or closed.post.channel_id is None:
                return
            view = post_view(closed.post, closed.item, disabled=True)
            channel = self._bot.get_partial_messageable(closed.post.channel_id)
            await self._pacer.wait()
            await channel.get_partial_message(closed.post.message_id).edit(
                embed=closed_embed(closed), view=view, allowed_mentions=discord.AllowedMentions.none()
            )
            log.info("closed post=%s answers=%s", post_id, closed.answers)
        except discord.HTTPException as exc:
            log.warning("could not edit closed post=%s error=%s", post_id, exc)
        except Exception:
            log.exception("closing crashed post=%s", post_id)


def _zones_in_use(schedules: list[tuple[Schedule, GuildSettings]]) -> dict[str, ZoneInfo]:
    """Return each timezone the schedules use, by name."""
    return {settings.timezone: settings.zone for _, settings in schedules}


def _refusal(exc: Exception, channel_id: int) -> str:
    """Say why Discord refused a post, in words a tutor can act on."""
    if isinstance(exc, PostFailed):
        return str(exc)
    if isinstance(exc, discord.Forbidden):
        return (
            f"Missing permission to post in <#{channel_id}> (View Channel, Send Messages and Embed Links are needed)."
        )
    if isinstance(exc, discord.NotFound):
        return f"Channel {channel_id} no longer exists. Choose another channel with /setup."
    status = getattr(exc, "status", "?")
    return f"Discord refused the post ({status}). It will be tried at the next slot."
