"""A learner's own statistics and the tutors' report, as embeds."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.itemstats import ItemStats
from bot.services.reports import MisconceptionStat
from bot.services.stats import LearnerStats
from bot.ui.text import bar, clip, plural

REPORT_ROWS = 10
MISCONCEPTION_ROWS = 5


def stats_embed(stats: LearnerStats, name: str) -> discord.Embed:
    """Return the learner's accuracy per element as text bars, weakest concepts and streaks."""
    embed = discord.Embed(title=clip(f"📊 Stats for {name}", 256), colour=discord.Colour.blurple())
    if not stats.answers:
        embed.description = "No answers yet. Try `/practice` or answer the daily question."
    else:
        share = stats.correct / stats.answers
        embed.description = f"{plural(stats.answers, 'answer')}, {share:.0%} right (practice included)."
        lines = [f"`{bar(e.rate)}` {e.rate:>4.0%} **{e.title}** ({e.correct}/{e.answers})" for e in stats.elements]
        embed.add_field(name="Accuracy by element", value=_lines(lines), inline=False)
        weak = [f"**{w.name}**: {w.rate:.0%} of {w.answers}. Revise: {clip(w.tip, 160)}" for w in stats.weakest]
        embed.add_field(
            name="Weakest concepts",
            value=_lines(weak) if weak else "None yet: every concept you were asked about, you got right.",
            inline=False,
        )
    s = stats.streaks
    embed.add_field(name="Daily streak", value=f"{plural(s.current, 'day')} (best {s.best})")
    embed.add_field(name="Correct streak", value=f"{plural(s.current_correct, 'day')} (best {s.best_correct})")
    return embed


def _lines(lines: Sequence[str], limit: int = 1024) -> str:
    out: list[str] = []
    for line in lines:
        if len("\n".join([*out, line])) > limit - 2:
            out.append("…")
            break
        out.append(line)
    return "\n".join(out)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def report_embed(
    stats: Sequence[ItemStats], misconceptions: Sequence[MisconceptionStat], element_title: str | None
) -> discord.Embed:
    """Return the hardest questions and the misconceptions learners fall for most."""
    embed = discord.Embed(
        title=clip(f"📋 Report · {element_title or 'all elements'}", 256), colour=discord.Colour.dark_teal()
    )
    if not stats and not misconceptions:
        embed.description = "No leaderboard answers yet (practice is not counted)."
        return embed
    lines = []
    for s in stats[:REPORT_ROWS]:
        wrong = f", most chosen wrong: {clip(s.most_chosen_wrong_text, 60)}" if s.most_chosen_wrong_text else ""
        disc = "–" if s.discrimination is None else f"{s.discrimination:+.2f}"
        lines.append(
            f"`{s.item_id}`: {plural(s.attempts, 'attempt')}, facility {_percent(s.facility)}, "
            f"discrimination {disc}{wrong}"
        )
    embed.description = (
        f"**Hardest questions** ({len(stats)} answered; all in the CSV)\n" + _lines(lines, 3500)
        if lines
        else "No questions answered yet."
    )
    mis = [
        f"**{clip(m.belief or m.misconception_id, 120)}**: fell for it {m.rate:.0%} ({m.fell_for} of {m.attempts})"
        for m in misconceptions[:MISCONCEPTION_ROWS]
    ]
    embed.add_field(
        name="Misconceptions learners fall for most",
        value=_lines(mis) if mis else "No challenges answered yet.",
        inline=False,
    )
    embed.set_footer(text="Facility: share right. Discrimination: top 27%'s facility minus bottom 27%'s.")
    return embed
