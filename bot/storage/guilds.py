"""Per-server settings and schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

from bot.domain.clock import from_ms, to_ms
from bot.domain.entities import GuildSettings, Schedule, ScheduleKind, Weekdays
from bot.storage.db import Connection, Database

_SCHEDULE_COLUMNS = (
    "guild_id, kind, channel_id, local_time, weekdays, role_id, close_after_minutes, enabled, last_error, "
    "last_error_at, course_id"
)

_ENABLED_SCHEDULES = (
    f"SELECT {', '.join('s.' + c.strip() for c in _SCHEDULE_COLUMNS.split(','))}, "
    "g.timezone, g.week_start, g.tutor_role_id, g.streak_bonus, g.course_id "
    "FROM schedules s JOIN guilds g ON g.guild_id = s.guild_id WHERE s.enabled = 1 "
    "ORDER BY s.guild_id, s.kind"
)


def _schedule(row: tuple[Any, ...]) -> Schedule:
    return Schedule(
        guild_id=row[0],
        kind=ScheduleKind(row[1]),
        channel_id=row[2],
        local_time=time.fromisoformat(row[3]),
        weekdays=Weekdays(row[4]),
        role_id=row[5],
        close_after_minutes=row[6],
        enabled=bool(row[7]),
        last_error=row[8],
        last_error_at=from_ms(row[9]) if row[9] is not None else None,
        course_id=row[10],
    )


def guild_settings_from_row(row: tuple[Any, ...]) -> GuildSettings:
    """Wrap (guild_id, timezone, week_start, tutor_role_id, streak_bonus[, course_id])."""
    return GuildSettings(row[0], row[1], row[2], row[3], bool(row[4]), *row[5:6])


_SETTINGS_SQL = (
    "SELECT guild_id, timezone, week_start, tutor_role_id, streak_bonus, course_id FROM guilds WHERE guild_id = ?"
)


def guild_settings_in(conn: Connection, guild_id: int) -> GuildSettings:
    """Return the server's settings (defaults if it has none yet), read on the caller's connection."""
    row = conn.execute(_SETTINGS_SQL, (guild_id,)).fetchone()
    return guild_settings_from_row(row) if row else GuildSettings(guild_id)


class GuildRepository:
    """Reads and writes server settings and schedules."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings:
        """Return the server's settings (defaults if it has none yet)."""
        row = await self._db.fetch_one(_SETTINGS_SQL, (guild_id,))
        return guild_settings_from_row(row) if row else GuildSettings(guild_id)

    async def save(self, settings: GuildSettings, now: datetime) -> None:
        """Save a server's settings; a new timezone or week start regroups its answers into weeks."""
        await self._db.write(lambda conn: _write_settings(conn, settings, now))

    async def save_schedule(self, schedule: Schedule, now: datetime) -> None:
        """Create or replace a server's schedule of a kind (creating the server's row if needed)."""
        await self._db.write(lambda conn: _write_schedule(conn, schedule, now))

    async def save_with_schedule(self, schedule: Schedule, timezone: str, now: datetime) -> GuildSettings:
        """Save one of a server's schedules and set the server's timezone together, or neither.

        The rest of the settings are read inside the same transaction, so a change made meanwhile (a tutor
        role, a week start) is kept. Return the server's settings as saved.
        """

        def write(conn: Connection) -> GuildSettings:
            settings = replace(guild_settings_in(conn, schedule.guild_id), timezone=timezone)
            _write_settings(conn, settings, now)
            _write_schedule(conn, schedule, now)
            return settings

        return await self._db.write(write)

    async def schedules(self, guild_id: int) -> list[Schedule]:
        rows = await self._db.fetch_all(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE guild_id = ? ORDER BY kind", (guild_id,)
        )
        return [_schedule(r) for r in rows]

    async def schedule(self, guild_id: int, kind: ScheduleKind) -> Schedule | None:
        row = await self._db.fetch_one(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE guild_id = ? AND kind = ?", (guild_id, kind.value)
        )
        return _schedule(row) if row else None

    async def enabled_schedules(self) -> list[tuple[Schedule, GuildSettings]]:
        """Return every enabled schedule with its server's settings (to rebuild jobs at start).

        The rows become objects on the reader's thread: for 10,000 servers that is a tenth of a second
        the event loop would otherwise spend in one piece.
        """

        def read(conn: Connection) -> list[tuple[Schedule, GuildSettings]]:
            rows = conn.execute(_ENABLED_SCHEDULES).fetchall()
            return [(_schedule(r[:11]), GuildSettings(r[0], r[11], r[12], r[13], bool(r[14]), r[15])) for r in rows]

        return await self._db.read(read)

    async def set_course(self, guild_id: int, course_id: str | None, now: datetime) -> None:
        """Choose the course a server revises (None: the bot's default), creating the server's row if needed."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guilds (guild_id, course_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET course_id = excluded.course_id",
                (guild_id, course_id, to_ms(now)),
            )

    async def set_enabled(self, guild_id: int, kind: ScheduleKind, enabled: bool) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE schedules SET enabled = ? WHERE guild_id = ? AND kind = ?", (int(enabled), guild_id, kind.value)
            )
            return changed == 1

    async def record_error(self, guild_id: int, kind: ScheduleKind, error: str | None, when: datetime) -> None:
        """Remember the last failure of a schedule (None clears it)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE schedules SET last_error = ?, last_error_at = ? WHERE guild_id = ? AND kind = ?",
                (error, to_ms(when) if error else None, guild_id, kind.value),
            )


def _write_settings(conn: Connection, settings: GuildSettings, now: datetime) -> None:
    from bot.storage.answers import rebuild_week_totals  # that module imports this one

    before = conn.execute("SELECT timezone, week_start FROM guilds WHERE guild_id = ?", (settings.guild_id,)).fetchone()
    conn.execute(
        "INSERT INTO guilds (guild_id, timezone, week_start, tutor_role_id, streak_bonus, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone, "
        "week_start = excluded.week_start, tutor_role_id = excluded.tutor_role_id, "
        "streak_bonus = excluded.streak_bonus",
        (
            settings.guild_id,
            settings.timezone,
            settings.week_start,
            settings.tutor_role_id,
            int(settings.streak_bonus),
            to_ms(now),
        ),
    )
    defaults = GuildSettings(settings.guild_id)
    old = tuple(before) if before else (defaults.timezone, defaults.week_start)
    if old != (settings.timezone, settings.week_start):
        rebuild_week_totals(conn, settings)


def _write_schedule(conn: Connection, schedule: Schedule, now: datetime) -> None:
    conn.execute(
        "INSERT INTO guilds (guild_id, created_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
        (schedule.guild_id, to_ms(now)),
    )
    conn.execute(
        f"INSERT INTO schedules ({_SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?) "
        "ON CONFLICT (guild_id, kind) DO UPDATE SET channel_id = excluded.channel_id, "
        "course_id = excluded.course_id, "
        "local_time = excluded.local_time, weekdays = excluded.weekdays, role_id = excluded.role_id, "
        "close_after_minutes = excluded.close_after_minutes, enabled = excluded.enabled, "
        "last_error = NULL, last_error_at = NULL",
        (
            schedule.guild_id,
            schedule.kind.value,
            schedule.channel_id,
            schedule.local_time.strftime("%H:%M"),
            int(schedule.weekdays),
            schedule.role_id,
            schedule.close_after_minutes,
            int(schedule.enabled),
            schedule.course_id,
        ),
    )
