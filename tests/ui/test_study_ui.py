"""Revision pages within Discord's limits, and the practice round's custom ids."""

from __future__ import annotations

from pathlib import Path

from bot.course.loader import load_catalog
from bot.ui.practice import PRACTICE_TEMPLATE, next_custom_id, to_base36
from bot.ui.revise import revise_pages

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_revision_pages_fit_discord_limits() -> None:
    """Every shipped element's pages stay within 6000 characters, 25 fields and 1024 per field."""
    catalog = load_catalog(CONTENT)
    for notes in catalog.elements():
        pages = revise_pages(notes)
        assert pages[0].description == notes.synopsis
        headings = " ".join(p.title or "" for p in pages)
        for heading in ("Key concepts", "Exam tips", "Common mistakes", "Marking points"):
            assert heading in headings
        for page in pages:
            assert len(page) <= 6000 and len(page.fields) <= 25
            assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in page.fields)


def test_practice_custom_id_fits_even_with_huge_ids() -> None:
    """Five 63-bit post ids (a full round) and a 64-bit user id still fit in 100 characters and match the template."""
    import re

    custom_id = next_custom_id(2**64 - 1, 5, [2**63 - 1] * 5)
    assert len(custom_id) <= 100
    match = re.fullmatch(PRACTICE_TEMPLATE, custom_id)
    assert match is not None and int(match["user"], 36) == 2**64 - 1
    assert to_base36(0) == "0" and to_base36(35) == "z" and to_base36(36) == "10"
