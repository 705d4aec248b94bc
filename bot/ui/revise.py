"""Revision notes for one element as pages of embeds, turned with persistent Previous/Next buttons."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.course.models import EMBED_TOTAL_BUDGET, ElementNotes
from bot.ui.errors import replies_on_failure
from bot.ui.text import clip

if TYPE_CHECKING:
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

REVISE_TEMPLATE = r"rb:rv:(?P<element>[a-z0-9._-]{1,64}):(?P<page>[0-9]{1,4}):(?P<dir>[pn])"
MAX_FIELDS = 25
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
COLOUR = discord.Colour.teal()

Field = tuple[str, str]


def _mistake_fields(notes: ElementNotes) -> list[Field]:
    fields: list[Field] = []
    for n, m in enumerate(notes.misconceptions, 1):
        both = f"❌ {m.belief}\n✅ {m.correction}"
        if len(both) <= FIELD_VALUE_MAX:
            fields.append((f"Mistake {n}", both))
        else:  # too long for one field: the belief and the correction each get their own
            fields += [
                (f"Mistake {n}", clip(f"❌ {m.belief}", FIELD_VALUE_MAX)),
                ("What is right", clip(m.correction, FIELD_VALUE_MAX)),
            ]
    return fields


def _chunks(fields: Sequence[Field], room: int) -> list[list[Field]]:
    """Split fields into pages of at most 25 whose text fits the room left in an embed."""
    pages: list[list[Field]] = [[]]
    used = 0
    for name, value in fields:
        size = len(name) + len(value)
        if pages[-1] and (len(pages[-1]) >= MAX_FIELDS or used + size > room):
            pages.append([])
            used = 0
        pages[-1].append((name, value))
        used += size
    return pages


def revise_pages(notes: ElementNotes) -> list[discord.Embed]:
    """Return the element's synopsis, key concepts, exam tips, common mistakes and marking points as embeds."""
    sections: list[tuple[str, list[Field]]] = [
        ("Key concepts", [(clip(c.name, FIELD_NAME_MAX), c.explanation) for c in notes.concepts]),
        ("Exam tips", [(f"Tip {n}", t.text) for n, t in enumerate(notes.tips, 1)]),
        ("Common mistakes", _mistake_fields(notes)),
        ("Marking points", [(f"Point {n}", p.text) for n, p in enumerate(notes.marking_points, 1)]),
    ]
    titled: list[tuple[str, str | None, list[Field]]] = [("Synopsis", notes.synopsis, [])]
    room = EMBED_TOTAL_BUDGET - 256 - 100  # the title and footer
    for heading, fields in sections:
        chunks = _chunks(fields, room)
        for n, chunk in enumerate(chunks, 1):
            titled.append((heading if len(chunks) == 1 else f"{heading} ({n}/{len(chunks)})", None, chunk))
    pages = []
    for number, (heading, description, fields) in enumerate(titled, 1):
        embed = discord.Embed(title=clip(f"📘 {notes.title} · {heading}", 256), description=description, colour=COLOUR)
        for name, value in fields:
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(text=f"Page {number} of {len(titled)}")
        pages.append(embed)
    return pages


def revise_view(element_id: str, page: int, pages: int) -> discord.ui.View:
    """Return Previous and Next buttons for a page (disabled at either end)."""
    view = discord.ui.View(timeout=None)
    view.add_item(RevisePageButton(element_id, page - 1, "p", disabled=page <= 0))
    view.add_item(RevisePageButton(element_id, page + 1, "n", disabled=page >= pages - 1))
    return view


class RevisePageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REVISE_TEMPLATE):
    """Turns revision notes to another page; the element and page are in the custom id."""

    def __init__(self, element_id: str, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "p" else "Next",
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"rb:rv:{element_id}:{max(page, 0)}:{direction}",
            )
        )
        self.element_id = element_id
        self.page = max(page, 0)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RevisePageButton:
        return cls(match["element"], int(match["page"]), match["dir"])

    @replies_on_failure
    async def callback(self, interaction: discord.Interaction[RevisionClient]) -> None:
        catalog = interaction.client.services.catalog
        if not catalog.has_element(self.element_id):
            await interaction.response.send_message("These notes are no longer in the course.", ephemeral=True)
            return
        pages = revise_pages(catalog.element(self.element_id))
        page = min(self.page, len(pages) - 1)
        await interaction.response.edit_message(embed=pages[page], view=revise_view(self.element_id, page, len(pages)))
