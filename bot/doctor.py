"""`revbot doctor`: check that this machine can run the bot, one pass/fail line per check, secrets never shown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.course.loader import ContentInvalid, load_catalog
from bot.domain.shards import describe_shard_ids
from bot.invite import application_id_from_token
from bot.logging_setup import LEVELS, level_number
from bot.sandbox import read_sandbox
from bot.services.courses import UnknownCourse
from bot.settings import Settings, SettingsInvalid, load_settings
from bot.storage.files import check_database
from bot.storage.schema import DatabaseError, latest_version
from bot.storage.shard_reports import read_reports

log = logging.getLogger(__name__)

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
SHOWN_CONTENT_ERRORS = 10
LOGIN_TIMEOUT_S = 10.0


class Status(StrEnum):
    PASSED = "PASS"
    FAILED = "FAIL"
    SKIPPED = "SKIP"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: a one-line detail, and extra lines when there is more to say."""

    name: str
    status: Status
    detail: str
    more: tuple[str, ...] = ()


def _settings() -> Settings:
    return load_settings(Settings)


async def diagnose(
    load: Callable[[], Settings] = _settings,
    *,
    online: bool = True,
    timeout: float = LOGIN_TIMEOUT_S,  # noqa: ASYNC109 - a bound on the whole login check
    units_root: Path = Path("/"),
) -> list[CheckResult]:
    """Run every check in order; later checks are skipped when the settings cannot be loaded."""
    try:
        settings = load()
    except SettingsInvalid as exc:
        failed = CheckResult("settings", Status.FAILED, "the settings cannot be loaded", exc.problems)
        skipped = [
            CheckResult(name, Status.SKIPPED, "needs the settings")
            for name in ("token", "database", "content", "timezones", "login")
        ]
        return [failed, *skipped]
    token = settings.discord_token.get_secret_value() if settings.discord_token is not None else ""
    token_result = check_token(token)
    if settings.database_url is not None:
        database = await asyncio.to_thread(check_postgres, settings.database_url.get_secret_value())
    else:
        database = [await asyncio.to_thread(check_database_file, settings.database_file)]
    results = [
        check_settings(settings),
        token_result,
        *database,
        await asyncio.to_thread(check_content, settings.content_dir, settings.default_course),
        check_timezones(),
    ]
    after_database = 2 + len(database)
    shards = await asyncio.to_thread(check_shards, settings.database_location, datetime.now(UTC))
    if shards is not None:  # only while a bot runs
        results.insert(after_database, shards)
    service = check_service_sandbox(settings, os.environ.get("BACKUP_DIR"), units_root)
    if service is not None:  # only where the bot is installed as a systemd service
        results.insert(after_database, service)
    if not online:
        results.append(CheckResult("login", Status.SKIPPED, "not tried (--offline)"))
    elif token_result.status is not Status.PASSED:
        results.append(CheckResult("login", Status.SKIPPED, "needs a well-formed token"))
    else:
        results.append(await check_login(token.strip(), settings.discord_api_base_url, timeout))
    return results


def check_settings(settings: Settings) -> CheckResult:
    """Check the settings that have no other check: the log level, and say which folders are used."""
    level = settings.log_level.strip().upper()
    if level_number(level) is None:
        return CheckResult(
            "settings", Status.FAILED, f"LOG_LEVEL={settings.log_level!r} is not one of {', '.join(LEVELS)}"
        )
    return CheckResult(
        "settings",
        Status.PASSED,
        f"CONTENT_DIR={settings.content_dir} DATA_DIR={settings.data_dir} LOG_LEVEL={level} {_shards(settings)}",
    )


def _shards(settings: Settings) -> str:
    """Say which shards this process runs: all of Discord's recommendation, all of SHARD_COUNT, or SHARD_IDS."""
    if settings.shard_count is None:
        return "shards: as many as Discord recommends"
    mine = "all" if settings.shard_ids is None else describe_shard_ids(settings.shard_ids)
    return f"shards: {mine} of {settings.shard_count}"


def check_token(token: str) -> CheckResult:
    """Check the token is set and shaped like a bot token, without ever showing it."""
    if not token.strip():
        return CheckResult(
            "token",
            Status.FAILED,
            "DISCORD_TOKEN is not set: copy the bot's token from the Developer Portal (Bot → Reset Token)",
        )
    cleaned = token.strip()
    if cleaned.lower().startswith("bot "):
        return CheckResult(
            "token", Status.FAILED, "DISCORD_TOKEN starts with 'Bot ': set the token alone, without 'Bot '"
        )
    if cleaned[0] in "'\"" or cleaned[-1] in "'\"":
        return CheckResult("token", Status.FAILED, "DISCORD_TOKEN is in quotes: remove them")
    user_id = application_id_from_token(cleaned) if TOKEN_SHAPE.match(cleaned) else None
    if user_id is None:
        return CheckResult(
            "token",
            Status.FAILED,
            f"DISCORD_TOKEN ({len(cleaned)} characters) is not shaped like a bot token (three parts separated by "
            "dots, the first one the bot's id): copy it again from Bot → Reset Token, not the client secret "
            "or public key",
        )
    return CheckResult("token", Status.PASSED, f"set and well-formed, for bot user {user_id} (the token is not shown)")


def check_database_file(path: Path) -> CheckResult:
    """Check the database is a migrated revbot database this user can write to (or can be created)."""
    if not path.exists():
        folder = _nearest_existing(path.parent)
        if not folder.is_dir():
            return CheckResult("database", Status.FAILED, f"{path} cannot be created: {folder} is not a folder")
        if os.access(folder, os.W_OK | os.X_OK):
            return CheckResult(
                "database",
                Status.PASSED,
                f"{path} does not exist yet; the bot creates it at start ({folder} is writable)",
            )
        return CheckResult(
            "database", Status.FAILED, f"{path} cannot be created: {folder} is not writable by {_user()}"
        )
    try:
        version = check_database(path)
    except DatabaseError as exc:
        return CheckResult("database", Status.FAILED, str(exc))
    if version < latest_version():
        return CheckResult(
            "database",
            Status.FAILED,
            f"{path} is at schema version {version}, this revbot expects {latest_version()}: run `revbot db migrate`",
        )
    try:
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # takes the write lock, then gives it back without changing anything
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return CheckResult("database", Status.FAILED, f"{path} is not writable by {_user()}: {exc}")
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return CheckResult(
        "database", Status.PASSED, f"{path}: schema version {version} (current), {size / 1e6:.1f} MB, writable"
    )


def check_postgres(url: str) -> list[CheckResult]:
    """Check PostgreSQL answers and its schema is this revbot's; then whether pg_dump can back it up."""
    from bot.storage.pgfiles import client_program
    from bot.storage.postgres import describe, inspect

    try:
        server, major, version = inspect(url)
    except DatabaseError as exc:
        failed = CheckResult("database", Status.FAILED, str(exc))
        return [failed, CheckResult("backups", Status.SKIPPED, "needs the database")]
    where = f"PostgreSQL {describe(url)} (server {server})"
    latest = latest_version()
    if version == 0:
        database = CheckResult("database", Status.PASSED, f"{where} has no tables yet; the bot creates them at start")
    elif version < latest:
        detail = f"{where} is at schema version {version}, this revbot expects {latest}: run `revbot db migrate`"
        database = CheckResult("database", Status.FAILED, detail)
    elif version > latest:
        detail = f"{where} is at schema version {version}, from a newer revbot (this one expects {latest}): upgrade"
        database = CheckResult("database", Status.FAILED, detail)
    else:
        database = CheckResult("database", Status.PASSED, f"{where}: schema version {version} (current)")
    try:
        path, tool = client_program("pg_dump", major)
    except DatabaseError as exc:
        # The bot runs without it (a container's health check must not fail); `revbot db backup` does not.
        return [database, CheckResult("backups", Status.SKIPPED, f"`revbot db backup` cannot run here: {exc}")]
    return [database, CheckResult("backups", Status.PASSED, f"pg_dump {tool} ({path}) can back up PostgreSQL {major}")]


SHARD_SILENT_AFTER = timedelta(minutes=5)  # five missed reports (the bot reports every minute)


def check_shards(location: Path | str, now: datetime) -> CheckResult | None:
    """Show every shard the running processes report (latency, servers), and name any shard none of them runs.

    None when no bot has reported in the last 5 minutes: there is nothing running to show.
    """
    try:
        reports = read_reports(location)
    except DatabaseError as exc:
        return CheckResult("shards", Status.SKIPPED, f"cannot read the shards' reports: {exc}")
    fresh = [r for r in reports if now - r.reported_at <= SHARD_SILENT_AFTER]
    if not fresh:
        return None
    count = max(fresh, key=lambda r: r.reported_at).shard_count
    lines = tuple(
        f"shard {r.shard_id}: "
        + ("latency unknown" if r.latency_ms is None else f"{r.latency_ms} ms")
        + f", {r.servers:,} server{'s' if r.servers != 1 else ''}, {_ago(now - r.reported_at)} ({r.process})"
        for r in fresh
        if r.shard_count == count
    )
    if any(r.shard_count != count for r in fresh):
        return CheckResult(
            "shards", Status.FAILED, "running processes disagree on SHARD_COUNT: give them all the same", lines
        )
    silent = sorted(set(range(count)) - {r.shard_id for r in fresh if r.shard_count == count})
    if silent:
        names = ", ".join(str(s) for s in silent)
        return CheckResult(
            "shards",
            Status.FAILED,
            f"shard{'s' if len(silent) > 1 else ''} {names} of {count} reported nothing for 5 minutes: "
            "is the process that runs them (SHARD_IDS) running?",
            lines,
        )
    return CheckResult("shards", Status.PASSED, f"{count} of {count} reporting", lines)


def _ago(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def check_service_sandbox(settings: Settings, backup_dir: str | None, root: Path = Path("/")) -> CheckResult | None:
    """Check the folders the services write are writable inside their sandbox; None if not installed."""
    bot = read_sandbox("revbot.service", root)
    if bot is None:
        return None
    needs = [(bot, settings.database_file.parent), (bot, settings.cache_dir)]
    backup = read_sandbox("revbot-backup.service", root)
    if backup is not None and backup_dir:
        needs.append((backup, Path(backup_dir)))
    problems = [p for sandbox, path in needs if (p := sandbox.problem(path.resolve())) is not None]
    if problems:
        return CheckResult("service", Status.FAILED, problems[0], tuple(problems[1:]))
    paths = list(dict.fromkeys(path.resolve() for _, path in needs))
    shown = " ".join(str(p) for p in paths if not any(other in p.parents for other in paths))  # not the sub-folders
    return CheckResult("service", Status.PASSED, f"the services may write to {shown}")


def check_content(content_dir: Path, default_course: str | None = None) -> CheckResult:
    """Check the content loads and validates (the same rules as at start) and has the DEFAULT_COURSE."""
    try:
        catalog = load_catalog(content_dir)
    except ContentInvalid as exc:
        lines = [str(e) for e in exc.errors]
        shown = tuple(lines[:SHOWN_CONTENT_ERRORS])
        if len(lines) > len(shown):
            shown += (f"... and {len(lines) - len(shown)} more: run `revbot content validate` to see them all",)
        return CheckResult("content", Status.FAILED, f"{content_dir}: {len(lines)} problem(s)", shown)
    except OSError as exc:
        return CheckResult("content", Status.FAILED, f"{content_dir} cannot be read: {exc}")
    if default_course is not None and not catalog.has_course(default_course):
        return CheckResult(
            "content", Status.FAILED, f"DEFAULT_COURSE: {UnknownCourse(default_course, catalog)}".rstrip(".")
        )
    return CheckResult("content", Status.PASSED, f"{content_dir}: {catalog.summary()} (version {catalog.version[:12]})")


def check_timezones() -> CheckResult:
    """Check the IANA timezone data the schedules need is installed and sane."""
    try:
        london = ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        return CheckResult("timezones", Status.FAILED, "no timezone data for Europe/London: install the tzdata package")
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(london).utcoffset()
    if summer is None or summer.total_seconds() != 3600:
        return CheckResult("timezones", Status.FAILED, "the timezone data for Europe/London is wrong (no summer time)")
    try:
        source = f"tzdata {metadata.version('tzdata')}"
    except metadata.PackageNotFoundError:
        source = "system zoneinfo"
    return CheckResult(
        "timezones", Status.PASSED, f"Europe/London and {len(available_timezones()) - 1} more ({source})"
    )


async def check_login(token: str, api_base_url: str, timeout: float) -> CheckResult:  # noqa: ASYNC109
    """Log in over REST as the bot would and count its servers (no gateway connection, nothing changed)."""
    import aiohttp
    import discord
    import discord.http

    base = api_base_url.rstrip("/")
    previous = discord.http.Route.BASE
    discord.http.Route.BASE = base  # Route reads it each time a request is built
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        async with asyncio.timeout(timeout):
            me = await http.static_login(token)
            application = await http.application_info()
            recommended, _url, limit = await http.get_bot_gateway()
    except discord.LoginFailure:
        return CheckResult(
            "login",
            Status.FAILED,
            "Discord rejected the token: reset it in the Developer Portal and update DISCORD_TOKEN",
        )
    except TimeoutError:
        return CheckResult("login", Status.FAILED, f"no answer from {base} within {timeout:g} s: check the network")
    except discord.HTTPException as exc:
        return CheckResult("login", Status.FAILED, f"{base} answered {exc.status}: {exc.text or exc}")
    except (aiohttp.ClientError, OSError) as exc:
        return CheckResult(
            "login", Status.FAILED, f"cannot reach {base} ({type(exc).__name__}): check the network and firewall"
        )
    finally:
        discord.http.Route.BASE = previous
        with contextlib.suppress(Exception):
            await http.close()
    servers = application.get("approximate_guild_count")
    count = f"in {servers} server{'s' if servers != 1 else ''}" if servers is not None else "server count unknown"
    at_once = limit.get("max_concurrency", 1)
    shards = f"Discord recommends {recommended} shard{'s' if recommended != 1 else ''} ({at_once} may connect at once)"
    return CheckResult("login", Status.PASSED, f"logged in as {me.get('username')} ({me.get('id')}), {count}; {shards}")


def report_lines(results: list[CheckResult]) -> list[str]:
    """Return the report: one line per check, its extra lines indented, then a total."""
    width = max(len(r.name) for r in results)
    lines = []
    for result in results:
        lines.append(f"{result.status.value}  {result.name:<{width}}  {result.detail}")
        lines.extend(f"{'':{width + 8}}{line}" for line in result.more)
    counts = {status: sum(r.status is status for r in results) for status in Status}
    lines.append(
        f"{counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, {counts[Status.SKIPPED]} skipped"
        + ("" if counts[Status.FAILED] else ": ready to run")
    )
    return lines


def failed(results: list[CheckResult]) -> bool:
    return any(r.status is Status.FAILED for r in results)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _user() -> str:
    with contextlib.suppress(KeyError, ImportError):
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    return f"uid {os.geteuid()}"
