"""/admin status and /admin reload: for the bot's owner (the application's owner in the Developer Portal)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.course.loader import ContentInvalid
from bot.status import BotStatus, collect_status, duration, report_shards
from bot.ui.errors import MESSAGE_LIMIT, UserFacingError
from bot.ui.text import plural, timestamp

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

ERRORS_FILE = "content-errors.txt"
SHARD_REPORT_EVERY_S = 60  # `revbot doctor` calls a shard silent after several missed reports


def owner_only() -> Any:
    """A check that refuses everyone but the bot's owner, whatever Discord showed them."""

    async def predicate(interaction: discord.Interaction[RevisionClient]) -> bool:
        if not await interaction.client.is_owner(interaction.user):
            raise UserFacingError("Only the bot's owner can use /admin.")
        return True

    return app_commands.check(predicate)


# Hidden from everyone but server admins by default; the owner check below is what protects it.
@app_commands.default_permissions(administrator=True)
class Admin(commands.GroupCog, group_name="admin", group_description="Run the bot (its owner only)"):
    """The owner's view of the running bot."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.report_shards.start()

    async def cog_unload(self) -> None:
        self.report_shards.cancel()

    @tasks.loop(seconds=SHARD_REPORT_EVERY_S)
    async def report_shards(self) -> None:
        """Record this process's shards for `revbot doctor`; a failure is logged and tried again next time."""
        try:
            await report_shards(self.bot)
        except Exception:
            log.warning("could not record this process's shards", exc_info=True)

    @report_shards.before_loop
    async def _when_ready(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(name="status", description="Uptime, servers, scheduled jobs, database and content")
    @owner_only()
    async def status(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Show how the bot is doing, privately."""
        await interaction.response.send_message(embed=status_embed(await collect_status(self.bot)), ephemeral=True)

    @app_commands.command(name="reload", description="Read the course content again (invalid content is not used)")
    @owner_only()
    async def reload(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Load the content again; keep the current content and list every problem if the new one is invalid."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # a large course takes seconds to load
        before = self.bot.services.catalog.version[:12]
        try:
            catalog = await self.bot.reload_content()
        except ContentInvalid as exc:
            log.warning("content reload refused problems=%d user=%s", len(exc.errors), interaction.user.id)
            head = (
                f"❌ The new content has {plural(len(exc.errors), 'problem')}. "
                f"The current content (version {before}) stays live."
            )
            await _send_problems(interaction, head, [str(e) for e in exc.errors])
            return
        except Exception as exc:  # e.g. a permission error: the owner must hear of it, and the old content stays
            log.exception("content reload failed user=%s", interaction.user.id)
            text = f"❌ The content could not be read ({type(exc).__name__}: {exc}). The current content stays live."
            await interaction.followup.send(text[:MESSAGE_LIMIT], ephemeral=True)
            return
        log.info("content reload by user=%s version=%s", interaction.user.id, catalog.version[:12])
        same = " (unchanged)" if catalog.version[:12] == before else f" (was {before})"
        await interaction.followup.send(
            f"✅ Content reloaded: {catalog.summary()}, version {catalog.version[:12]}{same}.", ephemeral=True
        )


async def _send_problems(interaction: discord.Interaction[Any], head: str, problems: list[str]) -> None:
    """Send every problem: in the message when it fits, otherwise as a text file with the message."""
    listing = "\n".join(problems)
    text = f"{head}\n```\n{listing}\n```"
    if len(text) <= MESSAGE_LIMIT and "```" not in listing:
        await interaction.followup.send(text, ephemeral=True)
        return
    attachment = discord.File(io.BytesIO((listing + "\n").encode("utf-8")), filename=ERRORS_FILE)
    await interaction.followup.send(f"{head} Every problem is in {ERRORS_FILE}.", file=attachment, ephemeral=True)


def status_embed(status: BotStatus) -> discord.Embed:
    """Return the status as an embed of short fields."""
    embed = discord.Embed(title="revbot status", colour=discord.Colour.green())
    embed.add_field(name="Uptime", value=duration(status.uptime))
    embed.add_field(name="Servers", value=f"{status.servers:,}")
    memory = f"{status.memory_bytes / 2**20:.0f} MB" if status.memory_bytes is not None else "unknown"
    embed.add_field(name="Memory (resident)", value=memory)
    soonest = [
        f"{timestamp(job.next_run, 'f')} ({timestamp(job.next_run)}) {job.label}"
        for job in status.soonest
        if job.next_run is not None
    ]
    shards = [
        f"{shard.shard_id}: "
        + ("latency unknown" if shard.latency_s is None else f"{shard.latency_s * 1000:.0f} ms")
        + f", {plural(shard.servers, 'server')}"
        for shard in status.shards
    ]
    embed.add_field(name=f"Shards here (of {status.shard_count})", value="\n".join(shards) or "none", inline=False)
    jobs = plural(status.job_count, "scheduled job")
    embed.add_field(name="Scheduled jobs", value="\n".join([jobs, *soonest]), inline=False)
    embed.add_field(name="Database", value=f"{status.database_bytes / 1e6:.1f} MB · `{status.database}`", inline=False)
    embed.add_field(
        name="Content", value=f"version `{status.content_version}` · {status.content_summary}", inline=False
    )
    return embed


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(Admin(bot))
