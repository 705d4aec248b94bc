"""The bot: wires the database, content, cogs, buttons and scheduler in setup_hook."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import discord
from discord.ext import commands

from bot.course.catalog import Catalog
from bot.course.loader import ContentInvalid, load_catalog
from bot.course.yamlsource import ContentError
from bot.delivery import Delivery
from bot.domain.clock import Clock, SystemClock
from bot.domain.entities import Post, PostKind
from bot.domain.shards import IDENTIFY_WINDOW_S, IdentifyGate, ShardFilter
from bot.scheduling import Scheduler
from bot.services.container import Services, build_services
from bot.services.courses import UnknownCourse
from bot.settings import Settings
from bot.storage.db import Database
from bot.ui.boards import BoardPageButton
from bot.ui.errors import install_error_handler
from bot.ui.posts import AnswerButton
from bot.ui.review import ReviewButton

log = logging.getLogger(__name__)

IDENTIFY_CLAIM_SPARE_MS = 250

JOBS_GRACE_S = 30  # at shutdown, posts and closing edits in flight get this long (discord.py retries a 5xx for ~25 s)
CLICKS_GRACE_S = 5  # then clicks and commands being handled get this long to reply
# The names discord.py gives the tasks that run interaction handlers (buttons, selects, modals, slash commands).
HANDLER_TASKS = ("discord-ui-dynamic-item-", "discord-ui-view-dispatch-", "discord-ui-modal-", "CommandTree-invoker")

EXTENSIONS = (
    "cogs.setup",
    "cogs.post",
    "cogs.leaderboard",
    "cogs.study",
    "cogs.records",
    "cogs.admin",
    "cogs.classquiz",
    "cogs.content",
)


def intents() -> discord.Intents:
    """Return the intents the bot needs: guilds only (channels and roles); nothing privileged."""
    return discord.Intents(guilds=True)


class RevisionBot(commands.AutoShardedBot):
    """A revision bot for one or more study servers, on as many shards as Discord asks for (or SHARD_COUNT).

    With SHARD_IDS it connects only those shards and schedules only their servers, so that several processes
    can share the servers between them.
    """

    identify_window = IDENTIFY_WINDOW_S

    def __init__(self, settings: Settings, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            **options,
        )
        self.settings = settings
        self.shard_filter = ShardFilter(settings.shard_count, settings.shard_ids)
        self._identify_gate = IdentifyGate(1, self.identify_window)
        self.clock = clock or SystemClock()
        self.scheduler = Scheduler()
        self.delivery = Delivery(self)
        self._services: Services | None = None
        self._base_catalog: Catalog | None = None  # the shipped content, without the servers' own courses
        self._db: Database | None = None
        self.started_at = self.clock.now()
        self._reload_lock = asyncio.Lock()
        self._shutdown: asyncio.Task[None] | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the bot has not finished starting")
        return self._services

    async def setup_hook(self) -> None:
        """Open the database, load content, add cogs and buttons, start the scheduler, sync commands."""
        settings = self.settings
        await self._plan_shards()
        self._db = await Database.open(settings.database_location)
        catalog = await asyncio.to_thread(load_catalog, settings.content_dir, settings.cache_dir)
        log.info("content loaded: %s version=%s", catalog.summary(), catalog.version[:12])
        self._base_catalog = catalog
        self._services = await self._build_services(self._db, catalog, self.clock)
        install_error_handler(self.tree)
        self.add_dynamic_items(AnswerButton, BoardPageButton, ReviewButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.delivery.start()  # jobs added before the scheduler starts are registered in one pass
        self.scheduler.start()
        await self._sync_commands()

    async def _plan_shards(self) -> None:
        """Ask Discord for its shard count (unless SHARD_COUNT is set) and how many shards may IDENTIFY at once."""
        recommended, _url, limit = await self.http.get_bot_gateway()
        if self.shard_count is None:
            self.shard_count = recommended
        self._identify_gate = IdentifyGate(int(limit.get("max_concurrency", 1)), self.identify_window)
        log.info(
            "shards: %s of %d, %d may identify at once",
            "all" if self.shard_ids is None else ",".join(map(str, self.shard_ids)),
            self.shard_count,
            self._identify_gate.max_concurrency,
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait until Discord lets this shard's bucket IDENTIFY (max_concurrency shards per 5 seconds)."""
        loop = asyncio.get_running_loop()
        shard = shard_id or 0
        gate = self._identify_gate
        while (delay := gate.wait(shard, loop.time())) > 0:
            log.info("shard waits to connect shard=%s seconds=%.1f", shard, delay)
            await asyncio.sleep(delay)
        if self.shard_ids is not None:  # other processes may run the other shards on this token
            # The claim is taken a moment before IDENTIFY goes out, and that moment grows under load: the spare
            # keeps the next process's IDENTIFY from landing inside this one's window.
            window_ms = round(gate.window * 1000) + IDENTIFY_CLAIM_SPARE_MS
            while not await self.services.shard_reports.claim_identify(
                gate.bucket(shard), round(time.time() * 1000), window_ms
            ):
                log.info("shard waits for another process's shard to connect shard=%s", shard)
                await asyncio.sleep(gate.window / 5)
        gate.identified(shard, loop.time())

    async def reload_content(self) -> Catalog:
        """Load the content again and switch the services to it; if it is invalid (ContentInvalid), nothing changes."""
        async with self._reload_lock:
            current = self.services
            catalog = await asyncio.to_thread(load_catalog, self.settings.content_dir, self.settings.cache_dir)
            merged = catalog.merged(await current.server_content.approved_content())
            problems = [
                ContentError(
                    "open posts", None, f"post {p.post_id}", f"{why}; it closes {p.closes_at:%Y-%m-%d %H:%M} UTC"
                )
                for p in await current.posting.open_posts()
                if (why := _unfit(p, merged))
            ]
            if problems:  # closing them needs their item as it was shown: keep it until they have closed
                raise ContentInvalid(problems)
            try:
                services = self._services_over(current.db, merged, current.clock)
            except UnknownCourse as exc:  # DEFAULT_COURSE names a course the new content lacks
                raise ContentInvalid([ContentError("DEFAULT_COURSE", None, "", str(exc))]) from None
            self._services = services
            self._base_catalog = catalog
            log.info("content reloaded: %s version=%s", catalog.summary(), catalog.version[:12])
            return catalog

    async def refresh_server_courses(self) -> None:
        """Switch the services to a catalog with every server's approved uploaded items, at once."""
        async with self._reload_lock:
            current = self.services
            if self._base_catalog is None:
                raise RuntimeError("the bot has not finished starting")
            self._services = await self._build_services(current.db, self._base_catalog, current.clock)
            log.info("server courses refreshed: %s", self._services.catalog.summary())

    async def _build_services(self, db: Database, base: Catalog, clock: Clock) -> Services:
        """Return services over the shipped content merged with the servers' own approved courses."""
        plain = self._services_over(db, base, clock)
        extra = await plain.server_content.approved_content()
        return self._services_over(db, base.merged(extra), clock) if extra.courses else plain

    def _services_over(self, db: Database, catalog: Catalog, clock: Clock) -> Services:
        # Services are immutable and hold the catalog in several places: a new catalog means a new set over
        # the same database and clock, swapped in one assignment. Work already running keeps the old set.
        return build_services(
            db,
            catalog,
            clock,
            include_unreviewed=self.settings.use_unreviewed_generated,
            default_course=self.settings.default_course,
        )

    async def _sync_commands(self) -> None:
        guild_id = self.settings.dev_guild_id
        if guild_id:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development server %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    def _stop_taking_interactions(self) -> None:
        """Leave interactions that arrive from now on unacknowledged, so none starts as the connection closes.

        discord.py has no public switch for this: its gateway looks each event's parser up in the state's
        parsers table, so INTERACTION_CREATE's entry is replaced. Discord shows the learner that the click
        failed, and they can click again once the bot is back.
        """
        parsers = getattr(self._connection, "parsers", None)
        if isinstance(parsers, dict) and "INTERACTION_CREATE" in parsers:
            parsers["INTERACTION_CREATE"] = _ignore_interaction

    async def on_ready(self) -> None:
        log.info("ready as %s servers=%d", self.user, len(self.guilds))

    async def close(self) -> None:
        """Let jobs (posts, closing edits) and then clicks in flight finish, then close Discord, then the database.

        Clicks keep being answered while jobs finish; one that comes after the connection closed is never
        acknowledged, so Discord tells the learner it failed and nothing was recorded. Every caller waits for
        the same shutdown (a signal's and the runner's).
        """
        if self._shutdown is None:
            self._shutdown = asyncio.create_task(self._shut_down(), name="revbot-shutdown")
        await self._shutdown

    async def _shut_down(self) -> None:
        await self.scheduler.stop(timeout=JOBS_GRACE_S)
        self._stop_taking_interactions()
        await _handlers_done(CLICKS_GRACE_S)
        await super().close()
        if self._db is not None:
            await self._db.close()
            self._db = None


def _unfit(post: Post, catalog: Catalog) -> str | None:
    """Say why an open post could not close with this content: its item is gone or has another number of options."""
    try:
        item = catalog.question(post.item_id).item if post.kind is PostKind.QUESTION else None
        shown = item.choices if item is not None else catalog.challenge(post.item_id).item.options
    except KeyError:
        return f"shows {post.kind.value} {post.item_id!r}, which the new content lacks"
    if len(shown) != post.option_count:
        return (
            f"shows {post.kind.value} {post.item_id!r} with {post.option_count} options; the new content gives it "
            f"{len(shown)}, so the buttons would no longer match"
        )
    return None


async def _handlers_done(timeout: float) -> None:  # noqa: ASYNC109 - shutdown must not hang forever
    """Wait until no interaction handler is running (new ones may start meanwhile), for at most timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (running := [t for t in asyncio.all_tasks() if t.get_name().startswith(HANDLER_TASKS)]) and (
        left := deadline - loop.time()
    ) > 0:
        await asyncio.wait(running, timeout=left)


def _ignore_interaction(data: Any) -> None:
    log.info("interaction left unanswered: the bot is stopping id=%s", data.get("id"))
