"""Which course a server revises: its choice, else the default, also for servers from before courses could be chosen."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

import bot.storage.schema as schema_module
from bot.course.catalog import Catalog
from bot.course.loader import load_catalog
from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind
from bot.services.container import build_services
from bot.services.courses import CourseService, UnknownCourse
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from bot.storage.schema import apply_migrations, migrations
from tests.conftest import Core
from tests.helpers import SHIPPED_COURSE, write_two_courses

SCHEMA_BEFORE_COURSES = 9  # the last schema version without guilds.course_id


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return load_catalog(write_two_courses(tmp_path / "content"))


def _database_at_version_9(path: Path) -> None:
    """Write a database as the release before courses could be chosen left it: a server set up with a schedule."""
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema_module, "migrations", lambda: migrations()[:SCHEMA_BEFORE_COURSES])
        apply_migrations(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_BEFORE_COURSES
    conn.execute(
        "INSERT INTO guilds (guild_id, timezone, week_start, tutor_role_id, streak_bonus, created_at) "
        "VALUES (1, 'Asia/Kolkata', 6, 77, 1, 0)"
    )
    conn.execute("INSERT INTO schedules (guild_id, kind, channel_id, local_time) VALUES (1, 'daily', 5, '09:00')")
    conn.close()


async def test_a_server_from_before_courses_keeps_its_settings_and_revises_the_default_course(
    tmp_path: Path, catalog: Catalog, clock: FixedClock
) -> None:
    """After the upgrade a server set up earlier keeps its settings and schedule, and revises the default course."""
    path = tmp_path / "revbot.sqlite3"
    _database_at_version_9(path)
    db = await Database.open(path)
    try:
        services = build_services(db, catalog, clock)
        settings = await services.guilds.get(1)
        assert (settings.timezone, settings.week_start, settings.tutor_role_id, settings.streak_bonus) == (
            "Asia/Kolkata",
            6,
            77,
            True,
        )
        assert settings.course_id is None
        [(schedule, scheduled_settings)] = await services.guilds.enabled_schedules()
        assert (schedule.channel_id, schedule.course_id, scheduled_settings) == (5, None, settings)
        assert (await services.courses.of_guild(1)).id == SHIPPED_COURSE
        question = await services.selection.next_item(1, PostKind.QUESTION, "s", course_id=SHIPPED_COURSE)
        opened = await services.posting.open_scheduled(schedule, scheduled_settings)
        assert opened is not None and catalog.course_of(opened.post.element_id) == SHIPPED_COURSE
        assert question in catalog.question_ids(course_id=SHIPPED_COURSE)
    finally:
        await db.close()


async def test_a_chosen_course_is_kept_when_other_settings_change(core: Core, catalog: Catalog) -> None:
    """Saving the timezone or tutor role later does not undo the server's choice of course."""
    courses = CourseService(catalog, core.guilds, core.clock, None)
    assert (await courses.choose(1, "demo")).title == "Demo course"
    settings = await core.guilds.get(1)
    await core.guilds.save(replace(settings, timezone="Europe/Paris", tutor_role_id=9), core.clock.now())
    assert (await core.guilds.get(1)).course_id == "demo"
    assert (await courses.of_guild(1)).id == "demo"
    assert (await courses.of_guild(2)).id == SHIPPED_COURSE  # another server is not affected


async def test_an_unknown_course_is_refused_and_the_choice_kept(core: Core, catalog: Catalog) -> None:
    """Choosing a course the bot lacks says which ones it has and changes nothing."""
    courses = CourseService(catalog, core.guilds, core.clock, None)
    await courses.choose(1, "demo")
    with pytest.raises(UnknownCourse, match=r"no course 'maths'.*customer-service \(.*demo \(Demo course\)"):
        await courses.choose(1, "maths")
    assert (await courses.of_guild(1)).id == "demo"


async def test_a_course_gone_from_the_content_falls_back_to_the_default(core: Core, tmp_path: Path) -> None:
    """A server whose course was removed from the content revises the default course instead of nothing."""
    await GuildRepository(core.db).set_course(1, "demo", core.clock.now())
    shipped_only = load_catalog(write_two_courses(tmp_path / "content") / SHIPPED_COURSE)
    assert (await CourseService(shipped_only, core.guilds, core.clock, None).of_guild(1)).id == SHIPPED_COURSE


def test_default_course_must_be_one_the_bot_has(core: Core, catalog: Catalog) -> None:
    """DEFAULT_COURSE picks the default; a name the content lacks is refused with the courses it has."""
    assert CourseService(catalog, core.guilds, core.clock, "demo").default.id == "demo"
    with pytest.raises(UnknownCourse, match="no course 'maths'"):
        CourseService(catalog, core.guilds, core.clock, "maths")
