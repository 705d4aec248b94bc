"""/setup: where and when the bot posts, and who the tutors are (Manage Server or the tutor role)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.entities import GuildSettings, PostKind, Schedule, ScheduleKind, Weekdays
from bot.domain.slots import describe_weekdays
from bot.services.courses import UnknownCourse
from bot.services.schedules import InvalidSchedule
from bot.ui.checks import guild_id_of, guild_of, named_course, tutor_only
from bot.ui.choices import course_autocomplete, days_autocomplete, timezone_autocomplete
from bot.ui.errors import UserFacingError
from bot.ui.options import CloseAfterHours, CourseId, DaysText, LocalTime, Pick, TimezoneName
from bot.ui.text import timestamp

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

NEEDED_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history")
WEEK_STARTS = [app_commands.Choice(name=n, value=v) for n, v in (("Monday", 0), ("Sunday", 6), ("Saturday", 5))]
DAY_CHOICES = [
    app_commands.Choice(name=name, value=name[:3].lower())
    for name in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
]
KIND_CHOICES = [
    app_commands.Choice(name="daily question", value="daily"),
    app_commands.Choice(name="spot the mistake", value="spot"),
    app_commands.Choice(name="weekly summary", value="weekly"),
]
DayChoice = app_commands.Transform[app_commands.Choice[str], Pick("day", DAY_CHOICES)]
WeekStartChoice = app_commands.Transform[app_commands.Choice[int], Pick("day", WEEK_STARTS)]
KindChoice = app_commands.Transform[app_commands.Choice[str], Pick("kind", KIND_CHOICES)]


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [p.replace("_", " ").title() for p in NEEDED_PERMISSIONS if not getattr(perms, p)]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Setup(commands.GroupCog, group_name="setup", group_description="Set up the bot for this server (tutors)"):
    """Server settings for tutors and admins."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="daily", description="Choose when and where the daily question is posted")
    @app_commands.describe(
        channel="Channel to post the question in",
        time="Local time to post, 24-hour clock, e.g. 09:00",
        timezone="Your server's timezone, e.g. Europe/London",
        days="Which days: every day, weekdays, weekends, or e.g. mon, wed, fri (default: every day)",
        role="A study role to ping when the question is posted (optional)",
        close_after="Hours the question stays open for answers (default 12)",
        course="Post from this course (default: the server's course)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete, days=days_autocomplete, course=course_autocomplete)
    @tutor_only()
    async def daily(
        self,
        interaction: discord.Interaction[RevisionClient],
        channel: discord.TextChannel,
        time: LocalTime,
        timezone: TimezoneName,
        days: DaysText = "every day",
        role: discord.Role | None = None,
        close_after: CloseAfterHours = 12,
        course: CourseId | None = None,
    ) -> None:
        """Save the daily question schedule and show when it next runs."""
        await self._save_schedule(
            interaction, ScheduleKind.DAILY, channel, time, timezone, days, role, close_after, course
        )

    @app_commands.command(name="spot", description="Choose when and where spot-the-mistake challenges are posted")
    @app_commands.describe(
        channel="Channel to post the challenge in",
        time="Local time to post, 24-hour clock, e.g. 16:00",
        days="Which days: every day, weekdays, weekends, or e.g. tue, thu (default: weekdays)",
        timezone="Your server's timezone (default: the one already set, or Europe/London)",
        role="A study role to ping when the challenge is posted (optional)",
        close_after="Hours the challenge stays open (default 12)",
        course="Post from this course (default: the server's course)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete, days=days_autocomplete, course=course_autocomplete)
    @tutor_only()
    async def spot(
        self,
        interaction: discord.Interaction[RevisionClient],
        channel: discord.TextChannel,
        time: LocalTime,
        days: DaysText = "weekdays",
        timezone: TimezoneName | None = None,
        role: discord.Role | None = None,
        close_after: CloseAfterHours = 12,
        course: CourseId | None = None,
    ) -> None:
        """Save the spot-the-mistake schedule and show when it next runs."""
        await self._save_schedule(
            interaction, ScheduleKind.SPOT, channel, time, timezone, days, role, close_after, course
        )

    @app_commands.command(name="weekly", description="Post a weekly summary: top five, most improved, hardest question")
    @app_commands.describe(
        channel="Channel to post the summary in",
        day="Day to post it",
        time="Local time to post, 24-hour clock, e.g. 18:00",
        timezone="Your server's timezone (default: the one already set, or Europe/London)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @tutor_only()
    async def weekly(
        self,
        interaction: discord.Interaction[RevisionClient],
        channel: discord.TextChannel,
        day: DayChoice,
        time: LocalTime,
        timezone: TimezoneName | None = None,
    ) -> None:
        """Save the weekly summary schedule and show when it next runs."""
        await self._save_schedule(interaction, ScheduleKind.WEEKLY, channel, time, timezone, day.value, None, 12)

    async def _save_schedule(
        self,
        interaction: discord.Interaction[RevisionClient],
        kind: ScheduleKind,
        channel: discord.TextChannel,
        time: str,
        timezone: str | None,
        days: str,
        role: discord.Role | None,
        close_after: int,
        course: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        if role is not None and role.is_default():
            raise UserFacingError("Pick a study role to ping, not @everyone.")
        own_course = named_course(interaction, course)
        try:
            saved = await self.bot.services.schedules.save(
                guild.id,
                kind,
                channel.id,
                time,
                days,
                timezone=timezone,
                role_id=role.id if role else None,
                close_after_hours=close_after,
                course_id=own_course.id if own_course else None,
            )
        except InvalidSchedule as exc:
            raise UserFacingError(str(exc)) from None
        schedule, settings, next_at = saved.schedule, saved.settings, saved.next_at
        self.bot.delivery.schedule_next(schedule, settings)
        local_time, weekdays, zone = schedule.local_time, schedule.weekdays, settings.zone
        what = _schedule_title(kind).lower()
        lines = [
            f"The {what} will be posted in {channel.mention} at **{local_time:%H:%M}** ({zone.key}), "
            f"{describe_weekdays(weekdays)}."
        ]
        if kind is not ScheduleKind.WEEKLY:
            lines.append(
                f"It stays open for {close_after} hour{'s' if close_after != 1 else ''}."
                + (f" I will ping {role.mention}." if role else "")
                + (f" It comes from **{own_course.title}**." if own_course else "")
            )
        if next_at is not None:
            lines.append(f"Next post: {timestamp(next_at, 'F')} ({timestamp(next_at)}).")
        missing = missing_permissions(channel, guild.me) if guild.me is not None else []
        if missing:
            lines.append(f"⚠️ I cannot post there yet. Please give me: {', '.join(missing)}.")
        log.info(
            "schedule saved guild=%s kind=%s channel=%s time=%s zone=%s",
            guild.id,
            kind.value,
            channel.id,
            local_time,
            zone.key,
        )
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name="tutor-role", description="Choose the role whose members can run tutor commands")
    @app_commands.describe(role="Members with this role can set up the bot and post questions")
    @tutor_only()
    async def tutor_role(self, interaction: discord.Interaction[RevisionClient], role: discord.Role) -> None:
        """Save the tutor role."""
        guild_id = guild_id_of(interaction)
        if role.is_default():
            raise UserFacingError("Pick a specific role, not @everyone.")
        services = self.bot.services
        current = await services.guilds.get(guild_id)
        await services.guilds.save(replace(current, tutor_role_id=role.id), services.clock.now())
        await interaction.response.send_message(
            f"Members with {role.mention} can now use tutor commands.", ephemeral=True
        )

    @app_commands.command(name="week-start", description="Choose the day weekly leaderboards start")
    @tutor_only()
    async def week_start(self, interaction: discord.Interaction[RevisionClient], day: WeekStartChoice) -> None:
        """Save the first day of the week."""
        guild_id = guild_id_of(interaction)
        services = self.bot.services
        current = await services.guilds.get(guild_id)
        await services.guilds.save(replace(current, week_start=day.value), services.clock.now())
        await interaction.response.send_message(f"Weeks now start on {day.name}.", ephemeral=True)

    @app_commands.command(name="course", description="Choose the course this server revises")
    @app_commands.describe(course="Posts, practice, quizzes and element lists use only this course")
    @app_commands.autocomplete(course=course_autocomplete)
    @tutor_only()
    async def course(self, interaction: discord.Interaction[RevisionClient], course: CourseId) -> None:
        """Save the server's course."""
        guild_id = guild_id_of(interaction)
        try:
            chosen = await self.bot.services.courses.choose(guild_id, course)
        except UnknownCourse as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            f"This server now revises **{chosen.title}**. /post, /spot, /practice, /revise, class quizzes and "
            "scheduled posts (unless a schedule names its own course) use only this course.",
            ephemeral=True,
        )

    @app_commands.command(name="show", description="Show this server's settings and schedules")
    @tutor_only()
    async def show(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Show everything configured, the next post time, the last post and any error."""
        guild_id = guild_id_of(interaction)
        services = self.bot.services
        settings = await services.guilds.get(guild_id)
        embed = discord.Embed(title="Revision bot settings", colour=discord.Colour.blurple())
        tutor = f"<@&{settings.tutor_role_id}>" if settings.tutor_role_id else "not set (Manage Server only)"
        week = {0: "Monday", 5: "Saturday", 6: "Sunday"}.get(settings.week_start, str(settings.week_start))
        course = services.courses.of_settings(settings)
        chosen = "" if settings.course_id == course.id else " (the default; /setup course chooses another)"
        embed.add_field(
            name="Server",
            value=f"Course: {course.title}{chosen}\nTimezone: {settings.timezone}\nWeek starts: {week}\n"
            f"Tutor role: {tutor}",
            inline=False,
        )
        schedules = await services.guilds.schedules(guild_id)
        if not schedules:
            embed.add_field(
                name="Schedules", value="Nothing scheduled yet. Use /setup daily or /setup spot.", inline=False
            )
        for schedule in schedules:
            embed.add_field(
                name=_schedule_title(schedule.kind), value=await self._describe(schedule, settings), inline=False
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _describe(self, schedule: Schedule, settings: GuildSettings) -> str:
        services = self.bot.services
        lines = [
            f"Channel: <#{schedule.channel_id}>",
            f"Time: {schedule.local_time:%H:%M} ({settings.timezone}), {describe_weekdays(schedule.weekdays)}",
        ]
        if schedule.kind is not ScheduleKind.WEEKLY:
            lines.append(
                f"Open for: {schedule.close_after_minutes // 60} h"
                + (f", pings <@&{schedule.role_id}>" if schedule.role_id else "")
            )
            if schedule.course_id is not None:
                lines.append(f"Course: {services.courses.of_schedule(schedule, settings).title}")
        if schedule.enabled:
            next_at = services.posting.next_slot(schedule, settings)
            lines.append(f"Next post: {timestamp(next_at, 'F')}" if next_at else "Next post: none")
        else:
            lines.append(f"Turned off. Run /setup {schedule.kind.value} to turn it back on.")
        kind = {ScheduleKind.DAILY: PostKind.QUESTION, ScheduleKind.SPOT: PostKind.CHALLENGE}.get(schedule.kind)
        last = await services.posting.latest(schedule.guild_id, kind) if kind else None
        if last is not None:
            where = (
                f"https://discord.com/channels/{schedule.guild_id}/{last.channel_id}/{last.message_id}"
                if last.message_id
                else ""
            )
            lines.append(f"Last post: {timestamp(last.opens_at, 'f')} ({last.state.value}) {where}".rstrip())
        if schedule.last_error:
            when = f" ({timestamp(schedule.last_error_at)})" if schedule.last_error_at else ""
            lines.append(f"⚠️ Last error{when}: {schedule.last_error}")
        return "\n".join(lines)[:1024]

    @app_commands.command(name="disable", description="Stop a scheduled post")
    @app_commands.describe(kind="Which scheduled post to stop")
    @tutor_only()
    async def disable(self, interaction: discord.Interaction[RevisionClient], kind: KindChoice | None = None) -> None:
        """Turn a schedule off; its settings are kept."""
        guild_id = guild_id_of(interaction)
        schedule_kind = ScheduleKind(kind.value if kind else "daily")
        services = self.bot.services
        if not await services.guilds.set_enabled(guild_id, schedule_kind, False):
            raise UserFacingError("There is no such schedule to turn off. /setup show lists what is set up.")
        self.bot.scheduler.remove_slot(guild_id, schedule_kind)
        await interaction.response.send_message(
            f"The {_schedule_title(schedule_kind).lower()} is turned off. /setup {schedule_kind.value} turns it back "
            "on.",
            ephemeral=True,
        )


def _schedule_title(kind: ScheduleKind) -> str:
    return {
        ScheduleKind.DAILY: "Daily question",
        ScheduleKind.SPOT: "Spot the mistake",
        ScheduleKind.WEEKLY: "Weekly summary",
    }[kind]


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(Setup(bot))


__all__ = ["Setup", "Weekdays", "setup"]
