"""Small text helpers shared by embeds (no Discord objects here)."""

from __future__ import annotations

from datetime import datetime

from bot.course.models import OPTION_LETTERS

LETTERS = OPTION_LETTERS  # the letters embeds and buttons show, defined once with the content limits
LETTER_EMOJI = ("🇦", "🇧", "🇨", "🇩", "🇪")


def timestamp(when: datetime, style: str = "R") -> str:
    """Return a Discord timestamp that each reader sees in their own time (R: 'in 3 hours')."""
    return f"<t:{int(when.timestamp())}:{style}>"


def bar(share: float, width: int = 10) -> str:
    """Return a text bar for a share between 0 and 1."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


def clip(text: str, limit: int) -> str:
    """Shorten text to a limit, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else (plural_form or noun + 's')}"
