"""A small PNG bar chart drawn with the standard library only (zlib and struct), no imaging package."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Colour = tuple[int, int, int]
BACKGROUND: Colour = (47, 49, 54)  # Discord's dark theme, so the chart sits well in an embed
TRACK: Colour = (64, 68, 75)
TEXT: Colour = (220, 221, 222)
GOOD: Colour = (87, 242, 135)
FAIR: Colour = (254, 231, 92)
POOR: Colour = (237, 66, 69)

# A 3x5 pixel font for the labels: digits, the per cent sign and a space.
GLYPHS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
    "%": ("101", "001", "010", "100", "101"),
    " ": ("000", "000", "000", "000", "000"),
}


def encode_png(width: int, height: int, pixels: Sequence[Sequence[Colour]]) -> bytes:
    """Return an 8-bit RGB PNG of rows of (r, g, b) pixels."""
    if width <= 0 or height <= 0 or len(pixels) != height or any(len(row) != width for row in pixels):
        raise ValueError("pixels must be height rows of width (r, g, b) tuples")
    raw = bytearray()
    for row in pixels:
        raw.append(0)  # filter type 0: the row as it is
        for r, g, b in row:
            raw += bytes((r, g, b))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return (
        PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bar_colour(share: float) -> Colour:
    """Return green for 70% and more, yellow from 40%, red below."""
    return GOOD if share >= 0.7 else FAIR if share >= 0.4 else POOR


def bar_chart(shares: Sequence[float], *, bar_width: int = 360, bar_height: int = 18, gap: int = 8) -> bytes:
    """Return a PNG with one horizontal bar per share (0 to 1), top to bottom, each labelled with its per cent."""
    scale = 2  # the font is drawn at twice its size
    label_width = 4 * 4 * scale + 4  # up to "100%"
    margin = 10
    width = margin * 2 + bar_width + label_width
    rows = max(len(shares), 1)
    height = margin * 2 + rows * bar_height + (rows - 1) * gap
    canvas = [[BACKGROUND] * width for _ in range(height)]
    for index, share in enumerate(shares):
        share = max(0.0, min(1.0, share))
        top = margin + index * (bar_height + gap)
        filled = round(share * bar_width)
        for y in range(top, top + bar_height):
            row = canvas[y]
            row[margin : margin + bar_width] = [TRACK] * bar_width
            row[margin : margin + filled] = [bar_colour(share)] * filled
        _text(canvas, f"{share:.0%}", margin + bar_width + 6, top + (bar_height - 5 * scale) // 2, scale)
    return encode_png(width, height, canvas)


def _text(canvas: list[list[Colour]], text: str, left: int, top: int, scale: int) -> None:
    for n, char in enumerate(text):
        glyph = GLYPHS.get(char, GLYPHS[" "])
        x0 = left + n * 4 * scale
        for gy, line in enumerate(glyph):
            for gx, bit in enumerate(line):
                if bit != "1":
                    continue
                for dy in range(scale):
                    for dx in range(scale):
                        y, x = top + gy * scale + dy, x0 + gx * scale + dx
                        if 0 <= y < len(canvas) and 0 <= x < len(canvas[y]):
                            canvas[y][x] = TEXT
