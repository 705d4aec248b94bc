"""A server's own course: tutors upload notes or question banks, review each item, and approved items are posted.

Each server's course has the id `server-<guild id>` and every element and item id in it is prefixed with the
server's own scope, so its ids never meet the shipped content's or another server's. The course is never
offered to other servers: CourseService hides it from choice, and only this server's rotation includes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.course.catalog import Content, Course
from bot.course.models import ID_MAX_LENGTH, Challenge, Element, ElementNotes, Question
from bot.domain.clock import Clock
from bot.storage.server_content import NewItem, ServerContentRepository, StoredItem
from bot.uploads import (
    UPLOAD_MAX_BYTES,
    UPLOAD_SUFFIXES,
    ConversionFailed,
    Converted,
    course_gift,
    course_yaml,
)

log = logging.getLogger(__name__)

ITEMS_PER_UPLOAD_MAX = 200
ITEMS_PER_SERVER_MAX = 2_000
SERVER_COURSE_PREFIX = "server-"
OWN_COURSE_TITLE = "This server's own questions"

Converter = Callable[[str, bytes, str], Awaitable[Converted]]


class UploadRefused(ValueError):
    """An upload the bot will not take; messages are the file's problems (maybe none), str(self) the summary."""

    def __init__(self, summary: str, messages: list[str] | None = None) -> None:
        super().__init__(summary)
        self.messages = messages or []


@dataclass(frozen=True, slots=True)
class UploadResult:
    questions: int
    challenges: int
    skipped: int  # items already uploaded before
    messages: list[str]


@dataclass(frozen=True, slots=True)
class CourseExport:
    files: dict[str, str]  # a content folder: file name -> YAML
    gift: str


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item waiting for review, as learners will see it, with its lint findings."""

    item_id: str
    kind: str
    element: ElementNotes
    item: Question | Challenge
    warnings: tuple[str, ...]
    pending: int  # how many items are waiting, this one included


def server_course_id(guild_id: int) -> str:
    return f"{SERVER_COURSE_PREFIX}{guild_id}"


def is_server_course(course_id: str) -> bool:
    return course_id.startswith(SERVER_COURSE_PREFIX)


def scoped_id(guild_id: int, local_id: str) -> str:
    """Return an id in the server's own id space: 'g<guild id>.<id>', shortened with a hash if too long."""
    prefix = f"g{guild_id}."
    scoped = prefix + local_id
    if len(scoped) <= ID_MAX_LENGTH:
        return scoped
    digest = hashlib.sha256(local_id.encode()).hexdigest()[:8]
    return f"{prefix}{local_id[: ID_MAX_LENGTH - len(prefix) - 9]}-{digest}"


class ServerContentService:
    """Upload, review and export a server's own course."""

    def __init__(self, repo: ServerContentRepository, clock: Clock, converter: Converter) -> None:
        self._repo = repo
        self._clock = clock
        self._convert = converter

    async def upload(self, guild_id: int, filename: str, data: bytes) -> UploadResult:
        """Import a file into the server's course as items waiting for review (UploadRefused if it cannot)."""
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if suffix not in UPLOAD_SUFFIXES:
            raise UploadRefused(f"Upload a notes file or question bank: {', '.join(UPLOAD_SUFFIXES)}.")
        if len(data) > UPLOAD_MAX_BYTES:
            raise UploadRefused(f"The file is {len(data) // 1024} KB; at most {UPLOAD_MAX_BYTES // 1024} KB.")
        try:
            converted = await self._convert(filename, data, server_course_id(guild_id))
        except ConversionFailed as exc:
            raise UploadRefused("Nothing was imported: the file has problems.", exc.messages) from None
        elements, items = _scoped(guild_id, converted)
        known = await self._repo.existing_ids(guild_id)
        new_items = [i for i in items if i.item_id not in known]
        if len(new_items) > ITEMS_PER_UPLOAD_MAX:
            raise UploadRefused(f"The file has {len(new_items)} items; at most {ITEMS_PER_UPLOAD_MAX} per upload.")
        stored = await self._repo.item_count(guild_id)
        if stored + len(new_items) > ITEMS_PER_SERVER_MAX:
            raise UploadRefused(
                f"This server has {stored} uploaded items; at most {ITEMS_PER_SERVER_MAX} in all. "
                f"This file would add {len(new_items)}."
            )
        new_elements = [(e, notes) for e, notes in elements if e not in known]
        await self._repo.add(guild_id, new_elements, new_items, self._clock.now())
        log.info("content uploaded guild=%s items=%d", guild_id, len(new_items))
        return UploadResult(
            questions=sum(i.kind == "question" for i in new_items),
            challenges=sum(i.kind == "challenge" for i in new_items),
            skipped=len(items) - len(new_items),
            messages=converted.messages,
        )

    async def next_pending(self, guild_id: int) -> PendingItem | None:
        """Return the server's oldest item waiting for review (None when none is)."""
        stored, count = await self._repo.next_pending(guild_id)
        if stored is None:
            return None
        element = await self._repo.element(guild_id, stored.element_id)
        if element is None:  # the foreign key makes this impossible; say so rather than guess
            raise LookupError(f"item {stored.item_id} has no element")
        return PendingItem(
            stored.item_id,
            stored.kind,
            ElementNotes.model_validate_json(element.notes_json),
            _item_model(stored),
            tuple(line for line in stored.warnings.splitlines() if line),
            count,
        )

    async def review(self, guild_id: int, item_id: str, approve: bool) -> bool:
        """Approve or reject a pending item; False if it was already reviewed."""
        done = await self._repo.set_status(guild_id, item_id, "approved" if approve else "rejected")
        if done:
            log.info("item reviewed guild=%s item=%s approved=%s", guild_id, item_id, approve)
        return done

    async def approved_content(self) -> Content:
        """Return every server's course made of its approved items (servers with none are left out)."""
        elements = await self._repo.all_elements()
        by_element: dict[tuple[int, str], list[StoredItem]] = {}
        for item in await self._repo.items():
            by_element.setdefault((item.guild_id, item.element_id), []).append(item)
        courses: dict[int, list[Element]] = {}
        for stored in elements:
            items = by_element.get((stored.guild_id, stored.element_id))
            if items:
                courses.setdefault(stored.guild_id, []).append(_element(stored.notes_json, items))
        return Content(
            courses=tuple(
                Course(id=server_course_id(g), title=OWN_COURSE_TITLE, elements=tuple(e)) for g, e in courses.items()
            )
        )

    async def export(self, guild_id: int) -> CourseExport | None:
        """Return the server's approved course as content YAML files and as GIFT (None if it has none)."""
        elements = await self._repo.all_elements(guild_id)
        by_element: dict[str, list[StoredItem]] = {}
        for item in await self._repo.items(guild_id):
            by_element.setdefault(item.element_id, []).append(item)
        found = [_element(e.notes_json, by_element[e.element_id]) for e in elements if e.element_id in by_element]
        if not found:
            return None
        course = Course(id=server_course_id(guild_id), title=OWN_COURSE_TITLE, elements=tuple(found))
        try:
            gift = await course_gift(course)
        except ConversionFailed as exc:  # the bot's own content always exports; say so loudly if not
            raise RuntimeError(f"GIFT export failed: {exc.messages}") from None
        return CourseExport(course_yaml(course), gift)


def _scoped(guild_id: int, converted: Converted) -> tuple[list[tuple[str, str]], list[NewItem]]:
    """Return the converted elements (id, notes JSON) and items, with ids moved into the server's id space."""
    elements: list[tuple[str, str]] = []
    items: list[NewItem] = []
    for course in converted.content.courses:
        for element in course.elements:
            element_id = scoped_id(guild_id, element.id)
            notes = ElementNotes.model_validate(
                {**element.model_dump(include=set(ElementNotes.model_fields)), "id": element_id}
            )
            elements.append((element_id, notes.model_dump_json()))
            for kind, found in (("question", element.questions), ("challenge", element.challenges)):
                for item in found:
                    scoped = item.model_copy(update={"id": scoped_id(guild_id, item.id)})
                    items.append(
                        NewItem(
                            scoped.id,
                            element_id,
                            kind,
                            scoped.model_dump_json(exclude_defaults=True),
                            "\n".join(converted.lint.get(item.id, [])),
                        )
                    )
    return elements, items


def _item_model(stored: StoredItem) -> Question | Challenge:
    model = Question if stored.kind == "question" else Challenge
    return model.model_validate_json(stored.item_json)


def _element(notes_json: str, items: list[StoredItem]) -> Element:
    """Return an element of approved items, each marked reviewed (a tutor approved it in Discord)."""
    data: dict[str, Any] = json.loads(notes_json)
    data["questions"] = [_reviewed(i) for i in items if i.kind == "question"]
    data["challenges"] = [_reviewed(i) for i in items if i.kind == "challenge"]
    return Element.model_validate(data)


def _reviewed(item: StoredItem) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(item.item_json)
    if data.get("origin") is not None:
        data["origin"] = {**data["origin"], "reviewed": True}
    return data
