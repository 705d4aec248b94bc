"""Start the bot process: logging, Discord endpoints, signals, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import aiohttp
import discord
import yarl

from bot.app import RevisionBot
from bot.course.loader import ContentInvalid
from bot.logging_setup import configure_logging
from bot.services.courses import UnknownCourse
from bot.settings import Settings
from bot.storage.schema import DatabaseError

log = logging.getLogger(__name__)

CONTENT_ERRORS_SHOWN = 20  # the rest are one `revbot content validate` away


def point_at_discord(settings: Settings) -> None:
    """Use the configured REST and gateway URLs (Discord's own by default, or a proxy)."""
    discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def serve(bot: RevisionBot, token: str) -> None:
    """Run the bot until it is closed or the process gets SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    if sys.platform != "win32":  # asyncio has no signal handlers on Windows; Ctrl+C still stops the bot there
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda s=sig: _stop(bot, s, stopping))
    try:
        async with bot:
            await bot.start(token)
    except Exception as exc:
        if not stopping.is_set():
            raise
        # A stop that comes while the bot connects closes the connection under it: nothing is lost.
        log.info("stopped while connecting to Discord error=%s", type(exc).__name__)
    finally:
        await bot.close()  # a stop a signal started finishes (database closed) before the loop ends


def _stop(bot: RevisionBot, sig: signal.Signals, stopping: asyncio.Event) -> None:
    log.info("received %s, shutting down", sig.name)
    stopping.set()
    asyncio.get_running_loop().create_task(bot.close())


def run_bot(settings: Settings) -> int:
    """Run the bot; return the process exit code."""
    assert settings.discord_token is not None  # checked by the caller  # noqa: S101
    token = settings.discord_token.get_secret_value().strip()
    configure_logging(settings.log_level, (token,))
    point_at_discord(settings)
    bot = RevisionBot(settings)
    # Exit 2 where a setting, the token or the content needs fixing (systemd does not restart on it), and 1
    # where trying again later may work.
    try:
        asyncio.run(serve(bot, token))
    except discord.LoginFailure:
        log.error("Discord rejected the token. Check DISCORD_TOKEN: copy it again from the Developer Portal.")
        return 2
    except UnknownCourse as exc:
        log.error("DEFAULT_COURSE cannot be used: %s", exc)
        return 2
    except ContentInvalid as exc:
        for error in exc.errors[:CONTENT_ERRORS_SHOWN]:
            log.error("content: %s", error)
        log.error(
            "Not started: %d problem(s) in %s. `revbot content validate` lists them all; fix them and start again.",
            len(exc.errors),
            settings.content_dir,
        )
        return 2
    except DatabaseError as exc:
        # Out of reach, being restored, or from a newer revbot: say which; the service tries again later.
        log.error("Not started: %s", exc)
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused the intents this bot asked for.")
        return 2
    except (aiohttp.ClientConnectionError, discord.DiscordServerError, discord.GatewayNotFound) as exc:
        # One line, then exit 1: systemd starts the bot again after RestartSec, which is the retry.
        log.error(
            "Discord at %s is out of reach (%s): check the network, DNS and firewall. Exiting; the service restarts.",
            settings.discord_api_base_url,
            _reason(exc),
        )
        return 1
    return 0


def _reason(exc: Exception) -> str:
    """Return why a connection failed in a few words, e.g. 'ClientConnectorError: Connect call failed'."""
    if isinstance(exc, discord.DiscordServerError):
        return f"Discord answered {exc.status}"
    cause = getattr(exc, "os_error", None) or exc.__cause__ or exc
    return f"{type(exc).__name__}: {getattr(cause, 'strerror', None) or cause}"
