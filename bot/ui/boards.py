"""Leaderboard and rank embeds, with page buttons that keep working after a restart."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.periods import Period
from bot.services.leaderboards import BoardEntry, BoardPage, LearnerStanding
from bot.ui.errors import replies_on_failure
from bot.ui.text import clip, plural

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
# The board's target: an element id, "@" and a course id, or nothing for the whole server.
PAGE_TEMPLATE = r"rb:lb:(?P<period>today|week|month|all):(?P<element>@?[a-z0-9._-]{0,64}):(?P<page>[0-9]{1,6})"
COURSE_MARK = "@"


def safe_name(name: str) -> str:
    """Return a display name that can neither format text nor ping anyone."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(clip(name, 40)))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def entry_line(entry: BoardEntry) -> str:
    badge = MEDALS.get(entry.rank, f"`#{entry.rank}`")
    return (
        f"{badge} **{safe_name(entry.display_name)}**: {plural(entry.points, 'point')} · "
        f"{plural(entry.answers, 'answer')}"
    )


def board_embed(page: BoardPage, element_title: str | None) -> discord.Embed:
    """Return one page of a leaderboard."""
    title = f"🏆 Leaderboard · {page.period.label}" + (f" · {element_title}" if element_title else "")
    if page.entries:
        description = "\n".join(entry_line(e) for e in page.entries)
    else:
        description = "No points yet for this period. Answer a question to get on the board!"
    embed = discord.Embed(title=clip(title, 256), description=description, colour=discord.Colour.gold())
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages} · {plural(page.learners, 'learner')}")
    return embed


def viewer_line(entry: BoardEntry | None, page: BoardPage) -> str:
    if entry is None:
        return f"You have no points for {page.period.label.lower()} yet."
    return (
        f"You are {ordinal(entry.rank)} of {page.learners} with {plural(entry.points, 'point')} "
        f"({plural(entry.answers, 'answer')})."
    )


def board_view(page: BoardPage) -> discord.ui.View:
    """Return Previous/Next buttons for a board with more than one page."""
    view = discord.ui.View(timeout=None)
    if page.pages > 1:
        element = page.element_id or (COURSE_MARK + page.course.id if page.course else "")
        view.add_item(BoardPageButton(page.period, element, page.page - 1, "Previous", disabled=page.page == 0))
        view.add_item(
            BoardPageButton(page.period, element, page.page + 1, "Next", disabled=page.page >= page.pages - 1)
        )
    return view


def standing_embed(standing: LearnerStanding, name: str) -> discord.Embed:
    """Return a learner's points, rank, accuracy and streaks."""
    embed = discord.Embed(title=f"📊 {safe_name(name)}", colour=discord.Colour.blurple())
    rank = f"{ordinal(standing.rank)} of {standing.learners}" if standing.rank else "not ranked yet"
    accuracy = f"{standing.accuracy:.0%}" if standing.accuracy is not None else "no answers yet"
    embed.add_field(name="Points", value=f"{standing.points:,}")
    embed.add_field(name="Rank (all time)", value=rank)
    embed.add_field(name="Accuracy", value=f"{accuracy} ({standing.correct} of {standing.answers})")
    s = standing.streaks
    embed.add_field(name="Daily streak", value=f"{plural(s.current, 'day')} (best {s.best})")
    embed.add_field(name="Correct streak", value=f"{plural(s.current_correct, 'day')} (best {s.best_correct})")
    return embed


class BoardPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """Turns a leaderboard message to another page."""

    def __init__(self, period: Period, element_id: str, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"rb:lb:{period.value}:{element_id}:{max(page, 0)}",
            )
        )
        self.period = period
        self.element_id = element_id or None
        self.page = max(page, 0)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BoardPageButton:
        return cls(Period(match["period"]), match["element"], int(match["page"]), getattr(item, "label", "") or "")

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        bot = interaction.client
        catalog = bot.services.catalog
        course_id = self.element_id[1:] if self.element_id and self.element_id.startswith(COURSE_MARK) else None
        element_id = self.element_id if course_id is None else None
        if course_id is not None and not catalog.has_course(course_id):
            await interaction.response.send_message(
                f"The course {course_id!r} is no longer available. /leaderboard shows a current board.", ephemeral=True
            )
            return
        if element_id is not None and not catalog.has_element(element_id):
            await interaction.response.send_message(
                f"The element {element_id!r} is no longer in the course. /leaderboard shows a current board.",
                ephemeral=True,
            )
            return
        if interaction.guild_id is None:
            raise RuntimeError("leaderboard clicked outside a server")
        course = catalog.course(course_id) if course_id is not None else None
        page = await bot.services.leaderboards.leaderboard(
            interaction.guild_id, self.period, element_id, self.page, course=course
        )
        title = catalog.element(element_id).title if element_id else course.title if course else None
        await interaction.response.edit_message(embed=board_embed(page, title), view=board_view(page))
