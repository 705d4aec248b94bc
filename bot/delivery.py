"""Posting to channels and closing posts: the scheduler's jobs, and tutors' posts made by hand.

Failures of one server (deleted channel, missing permission, Discord errors) are logged and recorded
on that server's schedule; they never stop other servers or the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import aiohttp
import discord

from bot.domain.entities import GuildSettings, Post, PostKind, Schedule, ScheduleKind
from bot.domain.scoring import Origin
from bot.pacing import Pacer, posts_per_second
from bot.scheduling import reveal_job_id, send_job_id
from bot.services.posting import POST_KIND, ClosedPost, NothingToPost, OpenedPost
from bot.ui.errors import discord_trouble
from bot.ui.posts import Item, closed_embed, post_embed, post_view, shows_post
from bot.ui.summary import summary_embed

if TYPE_CHECKING:
    from bot.services.container import Services
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

CATCH_UP_DELAY = timedelta(seconds=2)
SLOTS_AT_ONCE = 16
REGISTER_AT_ONCE = 200  # schedules registered at start between yields to the event loop, which stays responsive
RETRY_FIRST = timedelta(seconds=30)  # a post or closing edit that met a Discord outage is tried again after this,
RETRY_MOST = timedelta(minutes=10)  # doubling each time up to this
RECENT_MESSAGES = 100  # a channel's messages read to find a post's message sent just before a stop (one request)
# Failures that pass by themselves (discord.py has already retried 5xx and rate limits it could).
NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)
PASSING: tuple[type[BaseException], ...] = (discord.RateLimited, *NETWORK_ERRORS)
SCHEDULE_KIND = {post_kind: schedule_kind for schedule_kind, post_kind in POST_KIND.items()}


class PostFailed(Exception):
    """A post could not be sent; the message says why in words a tutor understands."""


class Delivery:
    """Sends posts for the scheduler and tutors, and closes them on time."""

    def __init__(self, bot: RevisionClient) -> None:
        self._bot = bot
        self._tries: dict[str, int] = {}  # failed tries per retry job id, for the backoff
        # Thousands of servers due at 09:00 must not exceed Discord's global limit, which processes on one
        # token share: each paces at its shards' share of it (posts_per_second).
        shards = bot.shard_filter
        self.pacer = Pacer(posts_per_second(shards.shard_count, shards.shard_ids))
        self._slots = asyncio.Semaphore(SLOTS_AT_ONCE)

    @property
    def _services(self) -> Services:
        return self._bot.services

    async def start(self) -> None:
        """Rebuild every job from the database, close overdue posts and catch up missed ones.

        Work a stop interrupted is taken up again: posts whose message was never recorded are sent (or their
        message found), and closing edits not done are done.

        Schedules are registered REGISTER_AT_ONCE at a time with a yield to the event loop in between,
        so that thousands of them never hold the loop in one piece.
        """
        services = self._services
        now = services.clock.now()
        mine = self._bot.shard_filter.owns  # another process runs the other shards' servers
        for post in await services.posting.open_posts():
            if post.class_quiz_id is not None or not mine(post.guild_id):
                continue  # a class quiz resumes or ends its own questions (cogs/classquiz.py)
            if post.closes_at is not None and post.closes_at <= now:
                await self.close_post(post.post_id)
            elif post.closes_at is not None:
                self._bot.scheduler.schedule_close(post.post_id, post.closes_at, self.close_post)
        soon = now + CATCH_UP_DELAY
        for post in await services.posting.reveal_pending():
            if not mine(post.guild_id):
                continue
            self._bot.scheduler.schedule_at(reveal_job_id(post.post_id), soon, self.reveal, post.post_id)
        for post in await services.posting.unsent():
            if not mine(post.guild_id):
                continue
            log.info("sending a post a stop or failure interrupted post=%s", post.post_id)
            self._bot.scheduler.schedule_at(send_job_id(post.post_id), soon, self.send_unsent, post.post_id)
        schedules = [(s, g) for s, g in await services.guilds.enabled_schedules() if mine(s.guild_id)]
        # ZoneInfo keeps a zone cached only while something holds it (and its last 8): hold every zone in
        # use until the jobs' triggers do, or each settings.zone below would read its tz file again. The
        # files are read on a thread, off the event loop.
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
        """Schedule the schedule's next slot after now (or remove it when disabled or on another process's shard)."""
        if not schedule.enabled or not self._bot.shard_filter.owns(schedule.guild_id):
            self._bot.scheduler.remove_slot(schedule.guild_id, schedule.kind)
            return
        run_at = self._services.posting.next_slot(schedule, settings)
        if run_at is not None:
            self._bot.scheduler.schedule_slot(settings, schedule.kind, run_at, self.run_slot)

    async def run_slot(self, guild_id: int, kind_value: str) -> None:
        """Post today's scheduled item for a server, then schedule the next slot."""
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
            await self.pacer.wait()
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
        """Send a new post's message; on a passing failure keep the post and try again, else forget it."""
        post = opened.post
        try:
            message = await self._create_message(post, opened.item, channel_id, role_id)
        except (discord.HTTPException, PostFailed, *PASSING) as exc:
            if self._retry_send(post, exc):
                raise PostFailed(_refusal(exc, channel_id)) from exc
            await self._services.posting.discard(post.post_id)
            raise PostFailed(_refusal(exc, channel_id)) from exc
        await self._sent(post, message)

    async def send_unsent(self, post_id: int) -> None:
        """Send an open post whose message was never recorded (the scheduler's job, after a failure or a stop)."""
        services = self._services
        post = await services.posts.get(post_id)
        if post is None or post.message_id is not None or post.channel_id is None:
            return
        if not post.is_open_at(services.clock.now()):
            return  # its closing job closes it (and edits a message found by then)
        schedule = None
        if post.origin is Origin.SCHEDULED:
            schedule = await services.guilds.schedule(post.guild_id, SCHEDULE_KIND[post.kind])
        try:
            message = await self._find_sent(post) or await self._create_message(
                post, services.posting.item(post), post.channel_id, schedule.role_id if schedule else None
            )
        except (discord.HTTPException, PostFailed, *PASSING) as exc:
            if self._retry_send(post, exc):
                return
            log.warning("post could not be sent post=%s error=%s", post_id, exc)
            await services.posting.discard(post_id)
            if schedule is not None:
                await services.guilds.record_error(
                    post.guild_id, schedule.kind, _refusal(exc, post.channel_id), services.clock.now()
                )
            return
        await self._sent(post, message)
        if schedule is not None:
            await services.guilds.record_error(post.guild_id, schedule.kind, None, services.clock.now())

    def _retry_send(self, post: Post, exc: BaseException) -> bool:
        """Schedule another try of a post that met a passing failure while it is still open; False if it will not be."""
        if not _passing(exc) or post.closes_at is None:
            return False
        run_at = self._services.clock.now() + self._backoff(send_job_id(post.post_id))
        if run_at >= post.closes_at:
            return False
        log.warning("post not sent, trying again post=%s at=%s error=%s", post.post_id, f"{run_at:%H:%M:%S}", exc)
        self._bot.scheduler.schedule_at(send_job_id(post.post_id), run_at, self.send_unsent, post.post_id)
        return True

    def _backoff(self, job_id: str) -> timedelta:
        """Return how long to wait before the next try of a job: doubling from RETRY_FIRST up to RETRY_MOST."""
        tries = self._tries.get(job_id, 0)
        self._tries[job_id] = tries + 1
        return min(RETRY_FIRST * 2**tries, RETRY_MOST)

    async def _create_message(self, post: Post, item: Item, channel_id: int, role_id: int | None) -> discord.Message:
        """Create a post's message; the nonce makes Discord return the one it already made for this post."""
        channel = await self._channel(channel_id)
        content = f"<@&{role_id}>" if role_id else None
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
        )
        await self.pacer.wait()
        # discord.py sends enforce_nonce with every nonce: a create repeated within a few minutes (its own 5xx
        # retries, or ours) returns the message Discord already made instead of a second one.
        return await channel.send(
            content=content,
            embed=post_embed(post, item),
            view=post_view(post, item),
            allowed_mentions=mentions,
            nonce=post_nonce(post.post_id),
        )

    async def _find_sent(self, post: Post) -> discord.Message | None:
        """Return the post's message if Discord made it but the bot never recorded it (a stop in between).

        Discord keeps a nonce for a few minutes only, so after a longer stop the channel's recent messages are
        read instead: the bot's message with this post's buttons is the one.
        """
        if post.channel_id is None or self._bot.user is None:
            return None
        channel = self._bot.get_partial_messageable(post.channel_id)
        try:
            async for message in channel.history(limit=RECENT_MESSAGES):
                if message.author.id == self._bot.user.id and shows_post(message, post.post_id):
                    log.info(
                        "found the message of a post sent before a stop post=%s message=%s", post.post_id, message.id
                    )
                    return message
        except discord.Forbidden as exc:  # no Read Message History: the post's nonce still stops a quick repeat
            log.warning("cannot read the channel to find a post's message post=%s error=%s", post.post_id, exc)
        return None

    async def _sent(self, post: Post, message: discord.Message) -> None:
        """Record the message of a post and schedule its closing."""
        self._tries.pop(send_job_id(post.post_id), None)
        await self._services.posting.attach_message(post.post_id, message.channel.id, message.id)
        log.info("posted guild=%s post=%s item=%s message=%s", post.guild_id, post.post_id, post.item_id, message.id)
        if post.closes_at is not None:
            self._bot.scheduler.schedule_close(post.post_id, post.closes_at, self.close_post)

    async def close_post(self, post_id: int) -> None:
        """Close a post and edit its message to reveal the answer (the scheduler's job)."""
        await self._closing(post_id, self._services.posting.close)

    async def reveal(self, post_id: int) -> None:
        """Finish the closing edit of a closed post (the scheduler's job, after a failure or a stop)."""
        await self._closing(post_id, self._services.posting.summary)

    async def _closing(self, post_id: int, step: Callable[[int], Awaitable[ClosedPost | None]]) -> None:
        try:
            closed = await step(post_id)
            if closed is not None:
                await self._reveal(closed)
        except Exception:
            log.exception("closing crashed post=%s", post_id)

    async def _reveal(self, closed: ClosedPost) -> None:
        """Edit a closed post's message to show the answer (a class-quiz question only has its buttons disabled)."""
        post, services = closed.post, self._services
        try:
            message_id = post.message_id
            if message_id is None and post.channel_id is not None:
                found = await self._find_sent(post)
                if found is not None:
                    await services.posting.attach_message(post.post_id, found.channel.id, found.id)
                    message_id = found.id
            if message_id is not None and post.channel_id is not None:
                view = post_view(post, closed.item, disabled=True)
                embeds = {} if post.class_quiz_id is not None else {"embed": closed_embed(closed)}
                await self.pacer.wait()
                await (
                    self._bot.get_partial_messageable(post.channel_id)
                    .get_partial_message(message_id)
                    .edit(**embeds, view=view, allowed_mentions=discord.AllowedMentions.none())
                )
                log.info("closed post=%s answers=%s", post.post_id, closed.answers)
        except (discord.HTTPException, *PASSING) as exc:
            if _passing(exc):
                job_id = reveal_job_id(post.post_id)
                run_at = services.clock.now() + self._backoff(job_id)
                log.warning(
                    "could not edit closed post=%s, trying again at=%s error=%s",
                    post.post_id,
                    f"{run_at:%H:%M:%S}",
                    exc,
                )
                self._bot.scheduler.schedule_at(job_id, run_at, self.reveal, post.post_id)
                return
            log.warning("could not edit closed post=%s error=%s", post.post_id, exc)  # deleted, or no permission
        self._tries.pop(reveal_job_id(post.post_id), None)
        await services.posting.revealed(post.post_id)


def _zones_in_use(schedules: list[tuple[Schedule, GuildSettings]]) -> dict[str, ZoneInfo]:
    """Return each timezone the schedules use, by name."""
    return {settings.timezone: settings.zone for _, settings in schedules}


def _refusal(exc: Exception, channel_id: int) -> str:
    """Say why Discord refused a post, in words a tutor can act on."""
    if isinstance(exc, PostFailed):
        return str(exc)
    if isinstance(exc, discord.Forbidden):
        return (
            f"Missing permission to post in <#{channel_id}> (View Channel, Send Messages, Embed Links and Read "
            "Message History are needed)."
        )
    if isinstance(exc, discord.NotFound):
        return f"Channel {channel_id} no longer exists. Choose another channel with /setup."
    status = getattr(exc, "status", "?")
    if _passing(exc):
        return f"Discord could not take the post just now ({status or type(exc).__name__}). It is being tried again."
    return f"Discord refused the post ({status}). It will be tried at the next slot."


def _passing(exc: BaseException) -> bool:
    """Tell whether a failure may pass by itself: Discord's own trouble, or the network."""
    return discord_trouble(exc) or isinstance(exc, NETWORK_ERRORS)


def post_nonce(post_id: int) -> str:
    """Return the nonce of a post's message: the same for every try, at most Discord's 25 characters."""
    return f"rbpost{post_id}"
