"""Which course each server revises: the one a tutor chose, else the bot's default course."""

from __future__ import annotations

import logging

from bot.course.catalog import Catalog, CourseInfo
from bot.domain.clock import Clock
from bot.domain.entities import GuildSettings, Schedule
from bot.services.server_content import is_server_course, server_course_id
from bot.storage.guilds import GuildRepository

log = logging.getLogger(__name__)


class UnknownCourse(ValueError):
    """A course id the bot's content does not have; the message lists the ones it has."""

    def __init__(self, course_id: str, catalog: Catalog) -> None:
        known = ", ".join(f"{c.id} ({c.title})" for c in catalog.courses if not is_server_course(c.id))
        shown = course_id if len(course_id) <= 64 else course_id[:63] + "…"
        super().__init__(f"There is no course {shown!r}. Choose one of: {known}.")
        self.course_id = course_id


class CourseService:
    """Resolves and records the course each server revises."""

    def __init__(self, catalog: Catalog, guilds: GuildRepository, clock: Clock, default_course: str | None) -> None:
        if default_course is not None and not catalog.has_course(default_course):
            raise UnknownCourse(default_course, catalog)
        self._catalog = catalog
        self._guilds = guilds
        self._clock = clock
        self.default = catalog.course(default_course) if default_course else catalog.courses[0]

    @property
    def available(self) -> tuple[CourseInfo, ...]:
        """Return the courses any server may choose (not the servers' own uploaded courses)."""
        return tuple(c for c in self._catalog.courses if not is_server_course(c.id))

    def own(self, guild_id: int | None) -> CourseInfo | None:
        """Return the server's own course of approved uploaded items (None if it has none)."""
        if guild_id is None or not self._catalog.has_course(server_course_id(guild_id)):
            return None
        return self._catalog.course(server_course_id(guild_id))

    def of_settings(self, settings: GuildSettings) -> CourseInfo:
        """Return the course a server revises; the default if it chose none or its course has left the content."""
        if settings.course_id is not None and self.is_offered(settings.course_id):
            return self._catalog.course(settings.course_id)
        return self.default

    def of_schedule(self, schedule: Schedule, settings: GuildSettings) -> CourseInfo:
        """Return the course a schedule posts from: its own if it names one the bot has, else the server's."""
        if schedule.course_id is not None and self.is_offered(schedule.course_id):
            return self._catalog.course(schedule.course_id)
        return self.of_settings(settings)

    async def of_guild(self, guild_id: int | None) -> CourseInfo:
        """Return the course a server revises (the default outside a server)."""
        if guild_id is None:
            return self.default
        return self.of_settings(await self._guilds.get(guild_id))

    def is_offered(self, course_id: str) -> bool:
        """Return whether any server may choose this course."""
        return self._catalog.has_course(course_id) and not is_server_course(course_id)

    def named(self, course_id: str) -> CourseInfo:
        """Return the course with this id (UnknownCourse if the bot has no such course, or it is a server's own)."""
        if not self.is_offered(course_id):
            raise UnknownCourse(course_id, self._catalog)
        return self._catalog.course(course_id)

    async def choose(self, guild_id: int, course_id: str) -> CourseInfo:
        """Make a server revise this course from now on (UnknownCourse if the bot has no such course)."""
        course = self.named(course_id)
        await self._guilds.set_course(guild_id, course_id, self._clock.now())
        log.info("course chosen guild=%s course=%s", guild_id, course_id)
        return course
