"""Moodle's text formats reduced to what Discord shows: markdown in prompts, plain text on buttons."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "u": "__", "code": "`", "s": "~~", "strike": "~~"}
_BLOCK = {"p", "div", "ul", "ol", "table", "tr", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED = {"script", "style", "head", "title"}


class _Reducer(HTMLParser):
    """Collect the text of HTML, with Discord markdown for emphasis unless plain."""

    def __init__(self, plain: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.plain = plain
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.skipping = 0

    def _mark(self, text: str) -> None:
        if not self.plain:
            self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
            if tag in _HEADINGS:
                self._mark("**")
        elif tag == "li":
            self.parts.append("\n- " if not self.plain else "\n")
        elif tag in _INLINE:
            self._mark(_INLINE[tag])
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _HEADINGS:
            self._mark("**")
            self.parts.append("\n\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
        elif tag in _INLINE:
            self._mark(_INLINE[tag])
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://")) and not self.plain:
                self.parts.append(f" (<{href}>)")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_discord(html: str, plain: bool = False) -> str:
    """Return HTML as Discord markdown (or plain text): emphasis, line breaks, lists and links kept."""
    reducer = _Reducer(plain)
    reducer.feed(html)
    reducer.close()
    text = "".join(reducer.parts)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    """Return text with every run of whitespace, line breaks included, as one space."""
    return re.sub(r"\s+", " ", text).strip()


def plain_markdown(text: str) -> str:
    """Return markdown without its emphasis marks, as a button shows text."""
    return one_line(re.sub(r"(\*\*|__|~~|[*_`])(?=\S)(.+?)(?<=\S)\1", r"\2", text))
