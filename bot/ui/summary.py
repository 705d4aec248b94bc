"""The weekly summary embed."""

from __future__ import annotations

import discord

from bot.services.summary import WeeklySummary
from bot.ui.boards import MEDALS, safe_name
from bot.ui.text import clip, plural


def summary_embed(summary: WeeklySummary) -> discord.Embed:
    """Return the week in one embed: top five, most improved, hardest question, most common mistake."""
    span = f"{summary.first_day:%-d %b} to {summary.last_day:%-d %b %Y}"
    embed = discord.Embed(title=f"📅 Weekly summary · {span}", colour=discord.Colour.teal())
    if summary.top:
        lines = [
            f"{MEDALS.get(r.rank, f'`#{r.rank}`')} **{safe_name(r.display_name)}**: {plural(r.points, 'point')}"
            for r in summary.top
        ]
        embed.add_field(name="Top five", value="\n".join(lines), inline=False)
    else:
        embed.description = "No answers this week. A fresh start next week!"
    if summary.most_improved:
        m = summary.most_improved
        embed.add_field(
            name="Most improved",
            value=f"**{safe_name(m.display_name)}**: {plural(m.gain, 'point')} more than the week before",
            inline=False,
        )
    if summary.hardest:
        h = summary.hardest
        embed.add_field(
            name="Hardest question",
            value=clip(f"{h.prompt}\n{h.facility:.0%} of {plural(h.attempts, 'answer')} were right.", 1024),
            inline=False,
        )
    if summary.common_mistake:
        c = summary.common_mistake
        embed.add_field(
            name="Most common mistake",
            value=clip(f"{c.belief}\nFallen for in {c.rate:.0%} of {plural(c.attempts, 'attempt')}.", 1024),
            inline=False,
        )
    embed.set_footer(text=f"{plural(summary.learners, 'learner')} scored this week.")
    return embed
