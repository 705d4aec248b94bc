"""Read a tutor's revision notes (plain text in five sections) into structured, line-numbered parts.

The parser is forgiving in the ways real notes vary: Windows or Unix line endings, blank lines
anywhere, `-`, `*`, `•` or numbered bullets, headings in any case with or without a colon, missing or
extra sections, wrapped bullet lines, and a first line that repeats (a cut-off start of) the synopsis.
Anything it has to guess about becomes a warning; only text that is not notes at all is an error.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Section(StrEnum):
    SYNOPSIS = "synopsis"
    CONCEPTS = "concepts"
    TIPS = "tips"
    MISCONCEPTIONS = "misconceptions"
    MARKING_POINTS = "marking_points"


HEADINGS = {
    Section.SYNOPSIS: "Topic Synopsis",
    Section.CONCEPTS: "Key Concepts & Core Principles",
    Section.TIPS: "Exam Tips & Revision Strategies",
    Section.MISCONCEPTIONS: "Common Misconceptions & Mistakes to Avoid",
    Section.MARKING_POINTS: "Examiner Marking Points",
}

# Keywords that identify a heading, checked in this order (a heading is a short line, see _heading).
_HEADING_WORDS: tuple[tuple[Section, re.Pattern[str]], ...] = (
    (Section.SYNOPSIS, re.compile(r"\bsynopsis\b|^(?:topic )?overview$")),
    (Section.MISCONCEPTIONS, re.compile(r"\bmisconceptions?\b|\bmistakes?\b|\bpitfalls?\b")),
    (Section.MARKING_POINTS, re.compile(r"\bmarking\b|\bmark scheme\b|\bassessment criteria\b")),
    (Section.TIPS, re.compile(r"\btips?\b|\brevision strateg")),
    (Section.CONCEPTS, re.compile(r"\bconcepts?\b|\bcore principles?\b|\bkey principles?\b")),
)
_HEADING_MAX_WORDS = 8
_HEADING_MAX_CHARS = 70
_BULLET_RE = re.compile(r"^\s*(?:[-•‣◦▪●·–—]|\*(?!\*)|\d{1,2}[.)](?=\s))\s*(?P<text>.*)$")
_MARKDOWN_HEADING_RE = re.compile(r"^\s*#{1,6}\s*")
_EMPHASIS_RE = re.compile(r"\*\*|__")
_CONTROL_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_SENTENCE_END = (".", "!", "?")


class NotesError(ValueError):
    """The text cannot be read as revision notes at all; the message says why."""


@dataclass(frozen=True, slots=True)
class NotesWarning:
    """Something the parser had to guess about, with the line it concerns (None for the whole file)."""

    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Item:
    """One bullet of a section: its text (wrapped lines joined) and the line it starts on."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class ConceptNote:
    """A key concept written as `Name: explanation`."""

    name: str
    explanation: str
    line: int


@dataclass(frozen=True, slots=True)
class Notes:
    """Everything read from one notes file."""

    title: str | None
    synopsis: str
    synopsis_line: int | None
    concepts: tuple[ConceptNote, ...]
    tips: tuple[Item, ...]
    misconceptions: tuple[Item, ...]
    marking_points: tuple[Item, ...]
    warnings: tuple[NotesWarning, ...]


def decode_notes(raw: bytes) -> tuple[str, list[NotesWarning]]:
    """Return the text of a notes file: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise NotesError("it starts like UTF-16 text but is not valid UTF-16") from exc
    if b"\0" in raw:
        raise NotesError("it is a binary file, not text")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise NotesError("it is neither UTF-8 nor Windows-1252 text") from exc
    return text, [NotesWarning(None, "not UTF-8: read as Windows-1252 text; check any accented letters")]


def parse_notes(raw: bytes) -> Notes:
    """Parse the bytes of a notes file (NotesError if it is not notes at all)."""
    text, warnings = decode_notes(raw)
    lines = [_clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if not any(lines):
        raise NotesError("the file is empty")
    return _Parser(lines, warnings).parse()


def _clean_line(line: str) -> str:
    line = _CONTROL_RE.sub("", line).replace("\t", "    ")
    return line.rstrip()


def collapse(text: str) -> str:
    """Return text with emphasis markers dropped and runs of spaces made one."""
    return _SPACES_RE.sub(" ", _EMPHASIS_RE.sub("", text)).strip()


def _norm(text: str) -> str:
    """Return text folded for comparison: lower case, single spaces, no trailing ellipsis."""
    return _SPACES_RE.sub(" ", text).strip().rstrip(".…").strip().casefold()


def _heading(line: str) -> Section | None:
    """Return the section a heading line opens, or None if the line is not a known heading."""
    if not line.strip() or (_BULLET_RE.match(line) and not _MARKDOWN_HEADING_RE.match(line)):
        return None
    text = _MARKDOWN_HEADING_RE.sub("", collapse(line)).strip().rstrip(":").strip()
    if not text or len(text) > _HEADING_MAX_CHARS or len(text.split()) > _HEADING_MAX_WORDS:
        return None
    if text.endswith((*_SENTENCE_END, ",", ";")) and not text.endswith("..."):
        return None
    folded = re.sub(r"[^a-z ]+", " ", text.replace("&", " and ").casefold())
    folded = " ".join(folded.split())
    for section, pattern in _HEADING_WORDS:
        if pattern.search(folded):
            return section
    return None


def _looks_like_other_heading(line: str, next_line: str | None, section_has_bullets: bool) -> bool:
    """Return whether a line is a heading we do not know (an extra section), not a wrapped bullet."""
    if not line.strip() or line[:1].isspace() or _BULLET_RE.match(line):
        return False
    if _MARKDOWN_HEADING_RE.match(line):
        return True
    text = collapse(line)
    if len(text) > _HEADING_MAX_CHARS or len(text.split()) > _HEADING_MAX_WORDS:
        return False
    if text.endswith(":"):
        return True
    if text.endswith((*_SENTENCE_END, ",", ";")):
        return False
    title_case = all(w[:1].isupper() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text) if len(w) > 3)
    return title_case and section_has_bullets and next_line is not None and bool(_BULLET_RE.match(next_line))


@dataclass
class _Block:
    section: Section
    heading_line: int
    lines: list[tuple[int, str]] = field(default_factory=list)


class _Parser:
    def __init__(self, lines: list[str], warnings: list[NotesWarning]) -> None:
        self.lines = lines
        self.warnings = warnings

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(NotesWarning(line, message))

    def parse(self) -> Notes:
        preamble, blocks = self._blocks()
        if len({b.section for b in blocks}) < 2:
            found = ", ".join(f"'{HEADINGS[b.section]}'" for b in blocks) or "none"
            raise NotesError(
                f"no revision-notes sections found (found: {found}); notes need headings such as "
                + ", ".join(f"'{h}'" for h in HEADINGS.values())
            )
        merged: dict[Section, _Block] = {}
        for block in blocks:
            if block.section in merged:
                self.warn(
                    block.heading_line,
                    f"a second '{HEADINGS[block.section]}' heading: its lines are added to the first "
                    f"(line {merged[block.section].heading_line})",
                )
                merged[block.section].lines.extend(block.lines)
            else:
                merged[block.section] = block
        for section, heading in HEADINGS.items():
            if section not in merged:
                self.warn(None, f"no '{heading}' section")
        items = {s: self._items(merged[s]) for s in Section if s is not Section.SYNOPSIS and s in merged}
        concepts = tuple(self._concepts(items.get(Section.CONCEPTS, [])))
        if not concepts and not any(
            items.get(s) for s in (Section.TIPS, Section.MISCONCEPTIONS, Section.MARKING_POINTS)
        ):
            raise NotesError("no key concepts, exam tips, misconceptions or marking points found under the headings")
        synopsis, synopsis_line, title = self._synopsis_and_title(preamble, merged.get(Section.SYNOPSIS))
        return Notes(
            title=title,
            synopsis=synopsis,
            synopsis_line=synopsis_line,
            concepts=concepts,
            tips=tuple(items.get(Section.TIPS, [])),
            misconceptions=tuple(items.get(Section.MISCONCEPTIONS, [])),
            marking_points=tuple(items.get(Section.MARKING_POINTS, [])),
            warnings=tuple(self.warnings),
        )

    def _blocks(self) -> tuple[list[tuple[int, str]], list[_Block]]:
        preamble: list[tuple[int, str]] = []
        blocks: list[_Block] = []
        skipping: str | None = None
        for index, line in enumerate(self.lines):
            number = index + 1
            section = _heading(line)
            if section is not None and blocks and self._wraps_previous(index, blocks[-1]):
                section = None  # a lower-case line that finishes the bullet above it, not a heading
            if section is not None:
                blocks.append(_Block(section, number))
                skipping = None
                continue
            if not blocks:
                preamble.append((number, line))
                continue
            current = blocks[-1]
            has_bullets = any(_BULLET_RE.match(text) for _, text in current.lines)
            if skipping is None and _looks_like_other_heading(line, self._next_text(index), has_bullets):
                skipping = collapse(_MARKDOWN_HEADING_RE.sub("", line)).rstrip(":").strip()
                self.warn(number, f"section '{skipping}' is not one the importer knows: its lines are ignored")
                continue
            if skipping is not None:
                continue
            current.lines.append((number, line))
        return preamble, blocks

    def _wraps_previous(self, index: int, block: _Block) -> bool:
        line, previous = self.lines[index].strip(), self.lines[index - 1].strip() if index else ""
        return (
            line[:1].islower()
            and bool(previous)
            and not previous.endswith((*_SENTENCE_END, ":"))
            and any(_BULLET_RE.match(text) for _, text in block.lines)
        )

    def _next_text(self, index: int) -> str | None:
        for line in self.lines[index + 1 :]:
            if line.strip():
                return line
        return None

    def _items(self, block: _Block) -> list[Item]:
        """Split a section into bullets; a line that follows a bullet directly continues it."""
        bulleted = any(_BULLET_RE.match(text) for _, text in block.lines)
        starts: list[int] = []
        texts: list[str] = []
        previous_blank = True
        for number, line in block.lines:
            match = _BULLET_RE.match(line)
            body = collapse(match.group("text") if match else line)
            if not body:
                previous_blank = True
                continue
            wrapped = line[:1].isspace() or (bool(texts) and not texts[-1].endswith(_SENTENCE_END))
            if bulleted and not match and not previous_blank and texts and wrapped:
                texts[-1] = f"{texts[-1]} {body}"
            else:
                if bulleted and not match:
                    self.warn(number, "a line without a bullet is read as a bullet of its own")
                starts.append(number)
                texts.append(body)
            previous_blank = False
        if not texts:
            self.warn(block.heading_line, f"the '{HEADINGS[block.section]}' section is empty")
        return [Item(text, number) for number, text in zip(starts, texts, strict=True)]

    def _concepts(self, items: list[Item]) -> Iterator[ConceptNote]:
        for item in items:
            split = split_concept(item.text)
            if split is None:
                self.warn(
                    item.line,
                    "a key concept should read 'Name: explanation'; this one does not, so it is left out: "
                    f"{_clip(item.text, 60)!r}",
                )
                continue
            yield ConceptNote(split[0], split[1], item.line)

    def _synopsis_and_title(
        self, preamble: list[tuple[int, str]], block: _Block | None
    ) -> tuple[str, int | None, str | None]:
        first = [(n, collapse(t)) for n, t in preamble if t.strip()]
        synopsis_lines = [(n, _unbullet(t)) for n, t in (block.lines if block else []) if _unbullet(t)]
        synopsis = " ".join(t for _, t in synopsis_lines)
        synopsis_line = synopsis_lines[0][0] if synopsis_lines else None
        if not first:
            return synopsis, synopsis_line, None
        head_line, head = first[0]
        rest = " ".join(t for _, t in first[1:])
        if synopsis and _norm(synopsis).startswith(_norm(head)):
            if rest:
                self.warn(first[1][0], "text between the first line and the first heading is ignored")
            return synopsis, synopsis_line, None
        if not synopsis:
            if rest and _norm(rest).startswith(_norm(head)):
                self.warn(first[1][0], "no 'Topic Synopsis' heading: the paragraph after the first line is used")
                return rest, first[1][0], None
            self.warn(
                head_line,
                "no synopsis under a heading: the text before the first heading is used (it may be cut short)",
            )
            return " ".join(t for _, t in first), head_line, None
        if len(first) == 1 and len(head) <= 100 and not head.endswith(_SENTENCE_END):
            return synopsis, synopsis_line, head.rstrip(":").strip()
        self.warn(head_line, "the text before the first heading does not repeat the synopsis, so it is ignored")
        return synopsis, synopsis_line, None


_CONCEPT_SEPARATORS = (re.compile(r":\s+"), re.compile(r"(?<=[a-z)])\:(?=[A-Z])"), re.compile(r"\s+[–—-]\s+"))
_NAME_MAX_CHARS = 160
_NAME_MAX_WORDS = 20


def split_concept(text: str) -> tuple[str, str] | None:
    """Split `Name: explanation` at the first separator that leaves a plausible name (colons may follow)."""
    for separator in _CONCEPT_SEPARATORS:
        match = separator.search(text)
        if match is None:
            continue
        name = text[: match.start()].strip().strip("'\"‘’“”").strip()
        explanation = text[match.end() :].strip()
        if (
            name
            and explanation
            and len(name) <= _NAME_MAX_CHARS
            and len(name.split()) <= _NAME_MAX_WORDS
            and not re.search(r"[.!?]\s", name)
        ):
            return name, explanation
    return None


def _unbullet(line: str) -> str:
    match = _BULLET_RE.match(line)
    return collapse(match.group("text") if match else line)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
