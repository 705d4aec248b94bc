"""`revbot content export`: a course as GIFT or Aiken for Moodle, or as an Anki deck for learners."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.authoring.banks.aiken import write_aiken
from bot.authoring.banks.gift import write_gift
from bot.course.catalog import Catalog
from bot.interchange.anki import deck_bytes
from bot.interchange.items import flat_items

EXIT_OK, EXIT_FAILED = 0, 1
FORMATS = ("gift", "aiken", "anki")


def export_bytes(catalog: Catalog, fmt: str, element_id: str | None, timestamp: float) -> tuple[bytes, int]:
    """Return the file's content in the format, and how many items it holds."""
    items = flat_items(catalog, element_id)
    course_of = {e: c.id for c in catalog.courses for e in c.element_ids}
    if fmt == "gift":
        return write_gift(items, course_of).encode("utf-8"), len(items)
    if fmt == "aiken":
        return write_aiken(items).encode("utf-8"), len(items)
    courses = [c for c in catalog.courses if element_id is None or element_id in c.element_ids]
    name = courses[0].title if len(courses) == 1 else "Revision questions"
    if element_id is not None:
        name = f"{name}::{catalog.element(element_id).title}"
    key = "+".join(c.id for c in courses) + (f"/{element_id}" if element_id else "")
    return deck_bytes(items, name, key, timestamp), len(items)


def run_export(
    catalog: Catalog, fmt: str, element_id: str | None, out: Path, timestamp: float, stdout: TextIO, stderr: TextIO
) -> int:
    """Write the export to out and say what it holds; return the exit code."""
    data, count = export_bytes(catalog, fmt, element_id, timestamp)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        stderr.write(f"Cannot write {out}: {exc.strerror or exc}.\n")
        return EXIT_FAILED
    what = {"gift": "Moodle GIFT", "aiken": "Moodle Aiken", "anki": "an Anki deck"}[fmt]
    stdout.write(f"{out}: {count} item{'s' if count != 1 else ''} as {what}")
    if fmt == "aiken":
        stdout.write(" (Aiken has no feedback, so the explanations are left out; GIFT keeps them)")
    stdout.write("\n")
    return EXIT_OK
