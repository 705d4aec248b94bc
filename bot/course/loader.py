"""Load a content folder into a Catalog, reporting every problem with its file, line and field."""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from bot.course.catalog import Catalog, CompiledCacheError, Content, Course, compile_catalog, load_compiled
from bot.course.models import Challenge, CourseFile, Element, Question
from bot.course.yamlsource import ContentError, Document, read_document

log = logging.getLogger(__name__)

COURSE_FILE = "course.yaml"
CONTENT_SUFFIXES = (".yaml", ".yml")
MENTION_RE = re.compile(r"@(?:everyone|here)\b|<@[!&]?\d+>|<#\d+>")
_UNION_TAGS = frozenset({"int", "bool", "str", "float", "none"})
_LIMIT_NAMES = {
    64: "the limit for an id",
    80: "what fits on a Discord button",
    256: "what fits in a Discord embed title",
    1000: "the limit for a question prompt",
    1016: "what fits in a Discord embed field with its letter",
    1024: "what fits in a Discord embed field",
    4096: "what fits in a Discord embed description",
}


class ContentInvalid(Exception):
    """Content could not be loaded; errors lists every problem found."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line or 0, e.path, e.message))
        super().__init__(f"{len(self.errors)} problem(s) in the content")


def load_content(root: Path) -> tuple[Content, str]:
    """Load and validate every course under root; return the content and its version (a hash)."""
    sources = _read_sources(root)
    return _build(root, sources), _fingerprint(root, sources)


def load_catalog(root: Path, cache_dir: Path | None = None) -> Catalog:
    """Load every course under root; reuse the compiled form in cache_dir when nothing has changed."""
    sources = _read_sources(root)
    version = _fingerprint(root, sources)
    cache_file = cache_dir / f"content-{version[:20]}.bin" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        try:
            return load_compiled(cache_file.read_bytes(), version)
        except (OSError, CompiledCacheError) as exc:
            log.warning("content cache unusable, rebuilding: file=%s error=%s", cache_file, exc)
    content = _build(root, sources)
    if cache_file is not None:
        _write_cache(cache_file, compile_catalog(content, version))
    return Catalog.from_content(content, version)


@dataclass(frozen=True, slots=True)
class _Source:
    course_dir: Path
    path: Path
    raw: bytes

    @property
    def display(self) -> str:
        return str(self.path)


def _read_sources(root: Path) -> list[_Source]:
    if not root.exists():
        raise ContentInvalid([ContentError(str(root), None, "", "no such file or folder")])
    if (root / COURSE_FILE).is_file():
        course_dirs = [root]
    elif root.is_dir():
        course_dirs = sorted(d for d in root.iterdir() if (d / COURSE_FILE).is_file())
    else:
        course_dirs = []
    if not course_dirs:
        raise ContentInvalid(
            [ContentError(str(root), None, "", f"no course found: expected {COURSE_FILE} here or in a sub-folder")]
        )
    sources = []
    for course_dir in course_dirs:
        files = sorted(p for p in course_dir.iterdir() if p.suffix in CONTENT_SUFFIXES and p.is_file())
        files.sort(key=lambda p: p.name != COURSE_FILE)  # the course file first
        try:
            sources.extend(_Source(course_dir, p, p.read_bytes()) for p in files)
        except OSError as exc:
            raise ContentInvalid([ContentError(str(course_dir), None, "", f"cannot read: {exc.strerror}")]) from exc
    return sources


def _fingerprint(root: Path, sources: list[_Source]) -> str:
    digest = hashlib.sha256()
    # The code that validates is part of the key: a change to any rule invalidates the cache.
    digest.update(_code_fingerprint())
    for source in sources:
        digest.update(str(source.path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(source.raw).digest())
    return digest.hexdigest()


@functools.cache
def _code_fingerprint() -> bytes:
    """Hash the source of this module and of every bot module it imports, directly or through others."""
    digest = hashlib.sha256()
    for path in code_that_loads():
        digest.update(path.read_bytes())
    return digest.digest()


def code_that_loads(start: str = __name__) -> list[Path]:
    """Return the source files of start and of every bot module it imports, found by reading their imports.

    Derived rather than listed, so a rule added in a new module is part of the cache key without anyone
    remembering to add it. Imports inside functions count too: a key that changes too often costs one rebuild.
    """
    found: dict[str, Path] = {}
    pending = [start]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # a class or function named in `from x import y`
            continue
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        found[name] = Path(spec.origin)
        package = name if spec.submodule_search_locations is not None else name.rpartition(".")[0]
        pending.extend(_bot_imports(found[name], package))
    return sorted(found.values())


def _bot_imports(path: Path, package: str) -> Iterator[str]:
    """Yield the names a module imports from the bot package (modules, or names that may be modules)."""
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (name for name in names if name == "bot" or name.startswith("bot."))


def _write_cache(cache_file: Path, compiled: bytes) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_bytes(compiled)
        tmp.replace(cache_file)
        for old in cache_file.parent.glob("content-*.bin"):
            if old != cache_file:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only disk must not stop the bot: the cache is only for speed
        log.warning("could not write content cache: file=%s error=%s", cache_file, exc.strerror)


# --- building and checking ---------------------------------------------------------------------


@dataclass(slots=True)
class _LoadedElement:
    doc: Document
    element: Element


def _build(root: Path, sources: list[_Source]) -> Content:
    errors: list[ContentError] = []
    courses: list[Course] = []
    ids = _IdRegistry(errors)
    by_dir: dict[Path, list[_Source]] = {}
    for source in sources:
        by_dir.setdefault(source.course_dir, []).append(source)
    for course_dir, dir_sources in by_dir.items():
        course = _build_course(course_dir, dir_sources, ids, errors)
        if course is not None:
            courses.append(course)
    if errors:
        raise ContentInvalid(errors)
    return Content(courses=tuple(courses))


def _build_course(
    course_dir: Path, sources: list[_Source], ids: _IdRegistry, errors: list[ContentError]
) -> Course | None:
    course_source, element_sources = sources[0], sources[1:]
    course_doc, course_file = _parse(course_source, CourseFile, errors)
    loaded: dict[str, _LoadedElement] = {}
    failed_ids: set[str] = set()
    for source in element_sources:
        doc, element = _parse(source, Element, errors)
        if element is None or doc is None:
            # Already reported; do not also say the course is missing this element.
            failed_ids.add(source.path.stem)
            if doc is not None and isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str):
                failed_ids.add(doc.data["id"])
            continue
        if source.path.stem != element.id:
            errors.append(
                ContentError(
                    doc.file,
                    doc.line_of(("id",)),
                    "id",
                    f"element id {element.id!r} must match the file name ({element.id}.yaml)",
                )
            )
        if element.id in loaded:
            continue  # reported by the id registry below
        loaded[element.id] = _LoadedElement(doc, element)
        _check_element(doc, element, ids, errors)
    if course_file is None or course_doc is None:
        return None
    ids.claim(course_file.id, course_doc, ("id",))
    for index, element_id in enumerate(course_file.elements):
        if element_id not in loaded and element_id not in failed_ids:
            errors.append(
                ContentError(
                    course_doc.file,
                    course_doc.line_of(("elements", index)),
                    f"elements[{index}]",
                    f"no file {element_id}.yaml in {course_dir}",
                )
            )
    listed = set(course_file.elements)
    for element_id, item in loaded.items():
        if element_id not in listed:
            errors.append(
                ContentError(
                    item.doc.file,
                    item.doc.line_of(("id",)),
                    "id",
                    f"element {element_id!r} is not listed in {course_doc.file} elements",
                )
            )
    if errors:
        return None
    return Course(
        id=course_file.id,
        title=course_file.title,
        elements=tuple(loaded[e].element for e in course_file.elements),
    )


M = TypeVar("M", bound=BaseModel)


def _parse(source: _Source, model: type[M], errors: list[ContentError]) -> tuple[Document | None, M | None]:
    doc, read_errors = read_document(source.path, source.display, source.raw)
    errors.extend(read_errors)
    if doc is None:
        return None, None
    errors.extend(_mention_errors(doc, source.raw))
    try:
        parsed = model.model_validate(doc.data)
    except ValidationError as exc:
        errors.extend(_validation_errors(doc, exc, model))
        return doc, None
    return doc, (parsed if not read_errors else None)


class _IdRegistry:
    """Every id must be unique across all loaded content."""

    def __init__(self, errors: list[ContentError]) -> None:
        self._first: dict[str, tuple[Document, tuple[int | str, ...]]] = {}
        self._errors = errors

    def claim(self, item_id: str, doc: Document, loc: tuple[int | str, ...]) -> None:
        first = self._first.setdefault(item_id, (doc, loc))
        if first != (doc, loc):
            # Lines are looked up only for the rare duplicate: it keeps loading large courses fast.
            first_doc, first_loc = first
            self._errors.append(
                ContentError(
                    doc.file,
                    doc.line_of(loc),
                    _path(loc),
                    f"id {item_id!r} is already used at {first_doc.file}:{first_doc.line_of(first_loc)}",
                )
            )


def _check_element(doc: Document, element: Element, ids: _IdRegistry, errors: list[ContentError]) -> None:
    ids.claim(element.id, doc, ("id",))
    for field in ("concepts", "tips", "misconceptions", "marking_points", "questions", "challenges"):
        for index, item in enumerate(getattr(element, field)):
            ids.claim(item.id, doc, (field, index, "id"))
    concepts = {c.id for c in element.concepts}
    tips = {t.id for t in element.tips}
    marks = {m.id for m in element.marking_points}
    misconceptions = {m.id for m in element.misconceptions}

    def check(loc: tuple[int | str, ...], refs: tuple[str, ...], allowed: set[str], what: str) -> None:
        for i, ref in enumerate(refs):
            if ref not in allowed:
                errors.append(
                    ContentError(
                        doc.file,
                        doc.line_of((*loc, i)),
                        _path((*loc, i)),
                        f"{ref!r} is not {what} of element {element.id!r}",
                    )
                )

    for index, question in enumerate(element.questions):
        _check_question(doc, index, question, check, concepts, marks, tips, errors)
    for index, challenge in enumerate(element.challenges):
        base: tuple[int | str, ...] = ("challenges", index)
        check((*base, "concepts"), challenge.concepts, concepts, "a key concept")
        check((*base, "helps"), challenge.helps, tips | marks, "an exam tip or marking point")
        if challenge.misconception not in misconceptions:
            errors.append(
                ContentError(
                    doc.file,
                    doc.line_of((*base, "misconception")),
                    _path((*base, "misconception")),
                    f"{challenge.misconception!r} is not a misconception of element {element.id!r}",
                )
            )


def _check_question(
    doc: Document,
    index: int,
    question: Question,
    check: Any,
    concepts: set[str],
    marks: set[str],
    tips: set[str],
    errors: list[ContentError],
) -> None:
    base: tuple[int | str, ...] = ("questions", index)
    check((*base, "concepts"), question.concepts, concepts, "a key concept")
    check((*base, "marking_points"), question.marking_points, marks, "a marking point")
    check((*base, "tips"), question.tips, tips, "an exam tip")
    if not (question.concepts or question.marking_points or question.tips):
        errors.append(
            ContentError(
                doc.file,
                doc.line_of(base),
                _path(base),
                "a question must test at least one concept, marking point or tip",
            )
        )


def _mention_errors(doc: Document, raw: bytes) -> Iterator[ContentError]:
    if not MENTION_RE.search(raw.decode("utf-8", errors="replace")):
        return  # one pass over the text is enough for the usual case of no mentions at all
    for loc, text in _strings(doc.data, ()):
        match = MENTION_RE.search(text)
        if match:
            yield ContentError(
                doc.file,
                doc.line_of(loc),
                _path(loc),
                f"text must not mention anyone ({match.group()!r} could ping people)",
            )


def _strings(value: Any, loc: tuple[int | str, ...]) -> Iterator[tuple[tuple[int | str, ...], str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*loc, i))


# --- turning pydantic's errors into ours ---------------------------------------------------------


def _validation_errors(doc: Document, exc: ValidationError, model: type[BaseModel]) -> list[ContentError]:
    merged: dict[tuple[int, str], list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        if err["type"] == "extra_forbidden":
            line = doc.key_line(loc)
            allowed = _fields_at(model, loc[:-1])
            message = f"unknown key; allowed keys are: {', '.join(allowed)}" if allowed else "unknown key"
        else:
            line = doc.line_of(loc)
            message = _message(err)
        messages = merged.setdefault((line, _path(loc)), [])
        if message not in messages:
            messages.append(message)
    return [ContentError(doc.file, line, path, " or ".join(msgs)) for (line, path), msgs in merged.items()]


def _message(err: Any) -> str:
    kind, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    if kind == "missing":
        return "required, but missing"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        why = _LIMIT_NAMES.get(limit, "the limit")
        return f"is {len(err['input'])} characters long; at most {limit} allowed ({why})"
    if kind == "string_pattern_mismatch":
        return "is not a valid id: use lower-case letters and digits, with - _ or . between them"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", msg))
    if kind in {"int_type", "int_parsing", "bool_type", "bool_parsing"}:
        return "must be a whole number (an option index) or true/false"
    if kind == "model_type":
        return "must be a mapping of keys"
    if kind == "string_type" and isinstance(err["input"], bool):
        return 'was read as true/false, not text: put it in quotes (e.g. "Yes")'
    return msg[:1].lower() + msg[1:]


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _inner_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


__all__ = ["COURSE_FILE", "Catalog", "Challenge", "ContentError", "ContentInvalid", "load_catalog"]
