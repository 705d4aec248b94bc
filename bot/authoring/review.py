"""`revbot content review`: list generated items no tutor has reviewed yet, and mark them reviewed.

Marking goes through ruamel.yaml's round-trip mode, which changes only the `reviewed` value (or adds it),
so a tutor's wording, comments and layout in the file stay as they were.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml
from ruamel.yaml import YAML

from bot.authoring.yamlout import write_atomically
from bot.course.loader import CONTENT_SUFFIXES, COURSE_FILE, ContentInvalid, load_content

EXIT_OK, EXIT_FAILED = 0, 1
_PROMPT_SHOWN = 100


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A question or challenge in a content file, and what review needs to know about it."""

    file: Path
    id: str
    kind: str  # "question" or "challenge"
    source: str
    text: str
    generated: bool
    reviewed: bool

    @property
    def unreviewed(self) -> bool:
        return self.generated and not self.reviewed


def run_review(root: Path, mark: Sequence[str] | None, mark_all: bool, stdout: TextIO, stderr: TextIO) -> int:
    """List unreviewed generated items under root, or mark some (or all) reviewed; return the exit code."""
    if not _valid(root, stderr):
        return EXIT_FAILED
    items = list(_items(root))
    if not mark and not mark_all:
        _list(root, [i for i in items if i.unreviewed], stdout)
        return EXIT_OK
    if mark_all:
        targets = [i for i in items if i.unreviewed]
    else:
        by_id = {i.id: i for i in items}
        problems = []
        for item_id in dict.fromkeys(mark or ()):
            found = by_id.get(item_id)
            if found is None:
                problems.append(f"{item_id}: no question or challenge has this id")
            elif not found.generated:
                problems.append(f"{item_id}: written by hand, not generated; there is nothing to review")
        if problems:
            for problem in problems:
                stderr.write(f"error: {problem}\n")
            stderr.write("nothing marked\n")
            return EXIT_FAILED
        targets = [by_id[i] for i in dict.fromkeys(mark or ())]
        for item in targets:
            if item.reviewed:
                stdout.write(f"{item.id}: already reviewed\n")
        targets = [i for i in targets if not i.reviewed]
    by_file: dict[Path, list[ReviewItem]] = {}
    for item in targets:
        by_file.setdefault(item.file, []).append(item)
    for path, marked in by_file.items():
        _mark(path, marked)
        stdout.write(f"{path}: marked {len(marked)} item{'s' if len(marked) != 1 else ''} reviewed\n")
    if not _valid(root, stderr):  # never expected: the edit changes one value the model accepts either way
        return EXIT_FAILED
    left = sum(1 for i in _items(root) if i.unreviewed)
    stdout.write(f"{len(targets)} marked reviewed; {left} still to review\n")
    return EXIT_OK


def _valid(root: Path, stderr: TextIO) -> bool:
    try:
        load_content(root)
    except ContentInvalid as exc:
        for error in exc.errors:
            stderr.write(f"{error}\n")
        stderr.write(f"{root}: fix these problems first (`revbot content validate {root}` lists them)\n")
        return False
    return True


def _list(root: Path, unreviewed: list[ReviewItem], stdout: TextIO) -> None:
    if not unreviewed:
        stdout.write(f"No unreviewed generated items in {root}.\n")
        return
    id_width = max(len(i.id) for i in unreviewed)
    source_width = max(len(i.source) for i in unreviewed)
    stdout.write(f"{'id':<{id_width}}  {'kind':<9}  {'source':<{source_width}}  prompt\n")
    for item in unreviewed:
        text = " ".join(item.text.split())
        shown = text if len(text) <= _PROMPT_SHOWN else text[: _PROMPT_SHOWN - 1] + "…"
        stdout.write(f"{item.id:<{id_width}}  {item.kind:<9}  {item.source:<{source_width}}  {shown}\n")
    questions = sum(1 for i in unreviewed if i.kind == "question")
    stdout.write(
        f"{len(unreviewed)} unreviewed generated items ({questions} questions, "
        f"{len(unreviewed) - questions} challenges). Check each one in its file, then mark it: "
        f"`revbot content review {root} --mark ID...` (or `--all`)\n"
    )


def _element_files(root: Path) -> Iterator[Path]:
    if (root / COURSE_FILE).is_file():
        course_dirs = [root]
    else:
        course_dirs = sorted(d for d in root.iterdir() if (d / COURSE_FILE).is_file())
    for course_dir in course_dirs:
        yield from sorted(
            p for p in course_dir.iterdir() if p.suffix in CONTENT_SUFFIXES and p.is_file() and p.name != COURSE_FILE
        )


def _items(root: Path) -> Iterator[ReviewItem]:
    for path in _element_files(root):
        text = path.read_bytes().decode("utf-8")
        data = yaml.safe_load(text)
        for key, kind in (("questions", "question"), ("challenges", "challenge")):
            for value in data.get(key) or []:
                origin = value.get("origin") or {}
                yield ReviewItem(
                    file=path,
                    id=value["id"],
                    kind=kind,
                    source=str(origin.get("source", "")),
                    text=_shown_text(value),
                    generated=origin.get("generated") is True,
                    reviewed=origin.get("reviewed") is True,
                )


def _shown_text(value: dict[str, Any]) -> str:
    if "prompt" in value:
        return str(value["prompt"])
    if value.get("scenario"):
        return str(value["scenario"])
    options, mistake = value.get("options") or [], value.get("mistake")
    if isinstance(mistake, int) and 0 <= mistake < len(options):
        return f"spot the mistake: {options[mistake]}"
    return ""


def _mark(path: Path, items: list[ReviewItem]) -> None:
    """Set reviewed: true for these items, leaving the rest of the file as it was."""
    text = path.read_bytes().decode("utf-8")
    data = _ROUND_TRIP.load(text)
    ids = {i.id for i in items}
    for key in ("questions", "challenges"):
        for value in data.get(key) or []:
            if value.get("id") not in ids:
                continue
            origin = value["origin"]
            if "reviewed" in origin:
                origin["reviewed"] = True
            else:  # beside `generated`, where the importer writes it
                origin.insert(list(origin).index("generated") + 1 if "generated" in origin else 0, "reviewed", True)
    out = io.StringIO()
    _ROUND_TRIP.dump(data, out)
    edited = out.getvalue()
    write_atomically(path, edited.replace("\n", "\r\n") if "\r\n" in text else edited)


def _round_trip() -> YAML:
    yaml_rt = YAML(typ="rt")
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 4096  # never re-wrap a line an author wrote
    yaml_rt.indent(mapping=2, sequence=4, offset=2)  # the layout the importer writes and the shipped files use
    return yaml_rt


_ROUND_TRIP = _round_trip()
