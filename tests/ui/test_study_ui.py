"""The PNG writer, revision pages within Discord's limits, and the practice round's custom ids."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from bot.course.loader import load_catalog
from bot.ui.chart import PNG_SIGNATURE, bar_chart, bar_colour, encode_png
from bot.ui.practice import PRACTICE_TEMPLATE, next_custom_id, to_base36
from bot.ui.revise import revise_pages

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png.startswith(PNG_SIGNATURE)
    out, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        out.append((kind, data))
        at += 12 + length
    return out


def test_encode_png_writes_valid_chunks_and_pixels() -> None:
    """A 2x2 image has the signature, IHDR, one IDAT with filtered rows, IEND, and correct CRCs."""
    red, blue = (255, 0, 0), (0, 0, 255)
    png = encode_png(2, 2, [[red, blue], [blue, red]])
    chunks = _chunks(png)
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (2, 2, 8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    assert raw == bytes([0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 255, 255, 0, 0])


def test_encode_png_refuses_ragged_pixels() -> None:
    """Rows that do not match the size are an error, not a broken file."""
    with pytest.raises(ValueError):
        encode_png(2, 1, [[(0, 0, 0)]])


def test_bar_chart_has_one_bar_per_share() -> None:
    """The chart grows with the number of bars and colours a bar by its share."""
    one, three = bar_chart([0.5]), bar_chart([0.1, 0.5, 1.0])
    height_one = struct.unpack(">II", _chunks(one)[0][1][:8])[1]
    height_three = struct.unpack(">II", _chunks(three)[0][1][:8])[1]
    assert height_three > height_one
    assert bar_colour(0.9) != bar_colour(0.5) != bar_colour(0.1)
    assert bar_chart([]).startswith(PNG_SIGNATURE)


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
