"""Opening and closing posts: scheduled once per local day, by hand whenever a tutor asks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.course.catalog import Catalog, Located
from bot.course.models import Challenge, Question, QuestionKind
from bot.domain.clock import Clock
from bot.domain.entities import GuildSettings, NewPost, Post, PostKind, Schedule, ScheduleKind
from bot.domain.options import Order, shuffled_order
from bot.domain.scoring import Origin
from bot.domain.slots import next_slot, slot_today
from bot.services.courses import CourseService
from bot.services.selection import SelectionService
from bot.storage.answers import AnswerRepository
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from bot.storage.posts import PostRepository

log = logging.getLogger(__name__)

POST_KIND = {ScheduleKind.DAILY: PostKind.QUESTION, ScheduleKind.SPOT: PostKind.CHALLENGE}


class NothingToPost(Exception):
    """There is no question or challenge to post (e.g. an element with none)."""


@dataclass(frozen=True, slots=True)
class OpenedPost:
    """A post just created, with the item it shows."""

    post: Post
    item: Located[Question] | Located[Challenge]


@dataclass(frozen=True, slots=True)
class ClosedPost:
    """A post after closing: the item, the answer and how learners chose."""

    post: Post
    item: Located[Question] | Located[Challenge]
    choice_counts: tuple[int, ...]

    @property
    def answers(self) -> int:
        return sum(self.choice_counts)


@dataclass(frozen=True, slots=True)
class DueSlot:
    """A schedule whose post for today should go out now."""

    schedule: Schedule
    settings: GuildSettings
    slot: datetime


class PostingService:
    """Creates posts for servers and closes them."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        posts: PostRepository,
        answers: AnswerRepository,
        guilds: GuildRepository,
        selection: SelectionService,
        courses: CourseService,
        clock: Clock,
    ) -> None:
        self._db = db
        self._courses = courses
        self._catalog = catalog
        self._posts = posts
        self._answers = answers
        self._guilds = guilds
        self._selection = selection
        self._clock = clock

    def item(self, post: Post) -> Located[Question] | Located[Challenge]:
        """Return the question or challenge a post shows."""
        if post.kind is PostKind.QUESTION:
            return self._catalog.question(post.item_id)
        return self._catalog.challenge(post.item_id)

    async def open_scheduled(self, schedule: Schedule, settings: GuildSettings) -> OpenedPost | None:
        """Create today's scheduled post; None if the server already has it for this local date."""
        local_date = self._clock.now().astimezone(settings.zone).date().isoformat()
        kind = POST_KIND[schedule.kind]
        if await self._posts.scheduled_for_date(schedule.guild_id, kind, local_date) is not None:
            return None
        return await self._open(
            schedule.guild_id,
            kind,
            Origin.SCHEDULED,
            seed=f"{schedule.guild_id}:{kind.value}:{local_date}",
            course_id=self._courses.of_schedule(schedule, settings).id,
            close_after_minutes=schedule.close_after_minutes,
            channel_id=schedule.channel_id,
            local_date=local_date,
        )

    async def open_manual(
        self,
        guild_id: int,
        channel_id: int,
        kind: PostKind,
        element_id: str | None,
        close_after_minutes: int,
        seed: int | str,
    ) -> OpenedPost:
        """Create a post a tutor asked for now; it does not count as the scheduled one."""
        return _never_refused(
            await self._open(
                guild_id,
                kind,
                Origin.MANUAL,
                seed=seed,
                element_id=element_id,
                close_after_minutes=close_after_minutes,
                channel_id=channel_id,
            )
        )

    async def open_practice(self, guild_id: int, kind: PostKind, element_id: str | None, seed: int | str) -> OpenedPost:
        """Create a personal post (counted in the learner's stats only) that stays open."""
        return _never_refused(await self._open(guild_id, kind, Origin.PRACTICE, seed=seed, element_id=element_id))

    async def open_practice_item(self, guild_id: int, kind: PostKind, item_id: str) -> OpenedPost:
        """Create a personal post for one chosen item (counted in the learner's stats only) that stays open."""
        return _never_refused(await self._open(guild_id, kind, Origin.PRACTICE, seed=item_id, item_id=item_id))

    async def _open(
        self,
        guild_id: int,
        kind: PostKind,
        origin: Origin,
        *,
        seed: int | str,
        element_id: str | None = None,
        course_id: str | None = None,
        close_after_minutes: int | None = None,
        channel_id: int | None = None,
        local_date: str | None = None,
        item_id: str | None = None,
    ) -> OpenedPost | None:
        """Choose the item (unless given) and create the post; None only when a scheduled post for the date exists.

        Without an element, the item comes from the server's course or its own course of uploaded items.
        """
        if item_id is None:
            own = None
            if element_id is None:
                if course_id is None:
                    course_id = (await self._courses.of_guild(guild_id)).id
                own_course = self._courses.own(guild_id)
                own = own_course.id if own_course is not None else None
            item_id = await self._selection.next_item(guild_id, kind, seed, element_id, course_id, own)
        if item_id is None:
            raise NothingToPost("there is nothing of this kind to post" + (f" in {element_id}" if element_id else ""))
        located = self._catalog.question(item_id) if kind is PostKind.QUESTION else self._catalog.challenge(item_id)
        now = self._clock.now()
        correct, count, order = layout(located.item, f"{seed}:{item_id}:{now.isoformat()}")
        new = NewPost(
            guild_id=guild_id,
            kind=kind,
            origin=origin,
            item_id=item_id,
            element_id=located.element.id,
            correct_option=correct,
            option_count=count,
            option_order=order,
            opens_at=now,
            closes_at=now + timedelta(minutes=close_after_minutes) if close_after_minutes else None,
            channel_id=channel_id,
            local_date=local_date,
        )
        async with self._db.transaction() as tx:
            post = await self._posts.create(tx, new)
        return OpenedPost(post, located) if post is not None else None

    async def attach_message(self, post_id: int, channel_id: int, message_id: int) -> None:
        await self._posts.set_message(post_id, channel_id, message_id)

    async def discard(self, post_id: int) -> None:
        """Forget a post whose message could not be sent."""
        await self._posts.delete(post_id)

    async def close(self, post_id: int) -> ClosedPost | None:
        """Close a post now; None if it was already closed or does not exist."""
        if not await self._posts.close(post_id, self._clock.now()):
            return None
        return await self.summary(post_id)

    async def summary(self, post_id: int) -> ClosedPost | None:
        post = await self._posts.get(post_id)
        if post is None:
            return None
        counts = await self._answers.choice_counts(post_id)
        return ClosedPost(post, self.item(post), tuple(counts.get(i, 0) for i in range(post.option_count)))

    async def due_now(self, schedules: list[tuple[Schedule, GuildSettings]] | None = None) -> list[DueSlot]:
        """Return schedules whose slot today has passed, not yet posted, and still before closing time."""
        now = self._clock.now()
        due = []
        for schedule, settings in schedules if schedules is not None else await self._guilds.enabled_schedules():
            if schedule.kind not in POST_KIND:
                continue
            slot = slot_today(schedule.local_time, schedule.weekdays, settings.zone, now)
            if slot is None or not slot <= now < slot + timedelta(minutes=schedule.close_after_minutes):
                continue
            local_date = now.astimezone(settings.zone).date().isoformat()
            if await self._posts.scheduled_for_date(schedule.guild_id, POST_KIND[schedule.kind], local_date) is None:
                due.append(DueSlot(schedule, settings, slot))
        return due

    def next_slot(self, schedule: Schedule, settings: GuildSettings) -> datetime | None:
        """Return when the schedule next fires after now."""
        return next_slot(schedule.local_time, schedule.weekdays, settings.zone, self._clock.now())

    async def open_posts(self) -> list[Post]:
        return await self._posts.open_posts()

    async def unsent(self) -> list[Post]:
        """Return open posts whose message was never recorded as sent."""
        return await self._posts.unsent()

    async def reveal_pending(self) -> list[Post]:
        """Return closed posts whose message may still show them open."""
        return await self._posts.reveal_pending()

    async def revealed(self, post_id: int) -> None:
        """Record that a closed post's message shows it closed, or that there is none to edit."""
        await self._posts.set_revealed(post_id)

    async def latest(self, guild_id: int, kind: PostKind) -> Post | None:
        return await self._posts.latest(guild_id, kind)


def layout(item: Question | Challenge, seed: str) -> tuple[int, int, Order | None]:
    """Return where a new post shows the right option, how many it shows, and their shuffled order.

    Multiple-choice options are shuffled so the answer's place gives nothing away; true/false, items marked
    fixed_order and spot-the-mistake lines (a reply read in order) keep the order they were written in.
    """
    if isinstance(item, Challenge):
        return item.mistake, len(item.options), None
    if item.kind is QuestionKind.TRUE_FALSE or item.fixed_order:
        return item.correct_index, len(item.choices), None
    order = shuffled_order(len(item.choices), seed)
    return order.index(item.correct_index), len(item.choices), order


def _never_refused(opened: OpenedPost | None) -> OpenedPost:
    if opened is None:  # pragma: no cover - only scheduled posts are limited to one a day
        raise RuntimeError("a post that is not scheduled was refused as a duplicate")
    return opened
