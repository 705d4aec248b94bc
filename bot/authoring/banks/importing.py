"""`revbot content import-bank`: bring Moodle GIFT or Aiken files and Red trivia lists into a course folder.

Questions go to the element named by --element, else (GIFT) to the last part of their $CATEGORY: path,
else to an element named after the file. Each element file is a valid element: a bank has no notes, so
its synopsis, concepts, tips, misconceptions and marking points are placeholders (ids ending in
`.missing`) for the tutor to replace; they are kept on every later import. Imported questions are
marked like generated ones, and importing again keeps what a tutor reviewed or wrote by hand, exactly as
`revbot content import` does (the merge is that command's own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import ValidationError

from bot.authoring.banks.aiken import parse_aiken
from bot.authoring.banks.gift import parse_gift
from bot.authoring.banks.parsed import BankFormat, BankQuestion, BankUnreadable, ParsedBank, decode
from bot.authoring.banks.red import parse_red
from bot.authoring.generate import ID_MAX, GeneratedElement
from bot.authoring.importer import (
    COURSE_SCHEMA,
    ELEMENT_ID_MAX,
    ELEMENT_SCHEMA,
    GENERATED_BY,
    ImportRefused,
    check_target,
    clashes_beside,
    count_of,
    course_file,
    generated_from,
    merge_with_existing,
    validate_generated,
)
from bot.authoring.wording import fit, slug
from bot.authoring.yamlout import dump_content, write_atomically
from bot.course.loader import COURSE_FILE, MENTION_RE, ContentInvalid, load_catalog
from bot.course.models import (
    BUTTON_LABEL_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_TITLE_MAX,
    ID_RE,
    OPTION_LETTERS,
    Question,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
BANK_SOURCE = "the question bank "  # follows GENERATED_BY in the header of an element file this command wrote
DIFFICULTY = 2  # a bank does not say how hard a question is; the tutor adjusts it when reviewing
_NOTES_KEYS = ("id", "title", "synopsis", "concepts", "tips", "misconceptions", "marking_points")
_PARSERS: dict[BankFormat, Callable[[str], ParsedBank]] = {
    BankFormat.GIFT: parse_gift,
    BankFormat.AIKEN: parse_aiken,
    BankFormat.RED: parse_red,
}


@dataclass
class _Element:
    id: str
    title: str
    sources: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


def detect_format(path: Path, text: str) -> BankFormat:
    """Return the file's format from its name, else from its text; raise BankUnreadable if it cannot tell."""
    suffix = path.suffix.casefold()
    if suffix == ".gift":
        return BankFormat.GIFT
    if suffix in (".yaml", ".yml"):
        return BankFormat.RED
    if re.search(r"^\s*ANSWER\s*:\s*[A-Za-z]\s*$", text, re.M) and re.search(r"^\s*[A-Z][.)]\s", text, re.M):
        return BankFormat.AIKEN
    if re.search(r"\{[^}]*[=~]|\{\s*(?:T|F|TRUE|FALSE)\s*[#}]|^\s*::|^\s*\$CATEGORY:", text, re.M | re.I):
        return BankFormat.GIFT
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
        return BankFormat.RED
    raise BankUnreadable("is not recognisably GIFT, Aiken or a Red trivia list; name the format with --format")


def run_import_bank(
    paths: Sequence[Path],
    course_id: str,
    out: Path,
    element_id: str | None,
    fmt: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Import question banks into the course folder out; return the exit code."""
    try:
        existing_course = check_target(course_id, out)
        if element_id is not None and not (ID_RE.match(element_id) and len(element_id) <= ELEMENT_ID_MAX):
            raise ImportRefused(
                f"--element {element_id!r} is not a valid element id: use lower-case letters, digits and - _ . "
                f"(at most {ELEMENT_ID_MAX} characters)"
            )
    except ImportRefused as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    elements: dict[str, _Element] = {}
    failed = False
    for path in paths:
        bank = _read(path, None if fmt is None else BankFormat(fmt), stderr)
        if bank is None:
            failed = True
            continue
        failed = failed or bool(bank.errors)
        imported = 0
        for question in bank.questions:
            element = _element_for(elements, question, element_id, path, course_id)
            item = _item(question, element, bank.format, path, stderr)
            if item is not None:
                element.items.append(item)
                imported += 1
                if path.name not in element.sources:
                    element.sources.append(path.name)
        skipped = len(bank.skipped) + len(bank.questions) - imported
        stdout.write(f"{path} ({bank.format.label}): {imported} imported, {skipped} skipped\n")
        for note in bank.notes:
            stdout.write(f"  {note}\n")
    if failed:
        stderr.write("nothing written: correct the errors above and import again\n")
        return EXIT_FAILED
    if not elements:
        stderr.write("nothing written: no question could be imported\n")
        return EXIT_FAILED
    prepared = _prepare(out, list(elements.values()), stderr)
    if prepared is None:
        stderr.write("nothing written\n")
        return EXIT_FAILED
    out.mkdir(parents=True, exist_ok=True)
    for element, generated, header in prepared:
        path = out / f"{element.id}.yaml"
        write_atomically(path, dump_content(generated.data, header))
        for warning in generated.warnings:
            stderr.write(f"warning: {path}: {warning.message}\n")
        stdout.write(f"{path}: {count_of(len(generated.data['questions']), 'question')}\n")
    for clash in clashes_beside(out, [course_id, *elements]):
        stderr.write(f"warning: {clash}\n")
    course = course_file(course_id, None, existing_course, out, list(elements))
    write_atomically(out / COURSE_FILE, dump_content(course, [COURSE_SCHEMA]))
    try:
        load_catalog(out)
    except ContentInvalid as exc:  # e.g. a tutor's earlier edit that no longer fits
        for error in exc.errors:
            stderr.write(f"{error}\n")
        stderr.write(f"{out} was written but does not validate: correct the problems above\n")
        return EXIT_FAILED
    stdout.write(
        f"{out}: {count_of(len(prepared), 'element')} written; write their notes over the "
        f"placeholders and review the questions with `revbot content review {out}`\n"
    )
    return EXIT_OK


def _read(path: Path, fmt: BankFormat | None, stderr: TextIO) -> ParsedBank | None:
    """Return the file's questions, printing its errors and skipped questions; None if it cannot be read at all."""
    try:
        text = decode(path.read_bytes())
        bank = _PARSERS[fmt or detect_format(path, text)](text)
    except OSError as exc:
        stderr.write(f"{path}: cannot be read: {exc.strerror or exc}\n")
        return None
    except BankUnreadable as exc:
        stderr.write(f"{_where(path, exc.line)}: {exc}\n")
        return None
    for problem in bank.errors:
        stderr.write(f"{_where(path, problem.line)}: {problem.message}\n")
    for problem in bank.skipped:
        stderr.write(f"warning: {_where(path, problem.line)}: skipped: {problem.message}\n")
    return bank


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def _element_for(
    elements: dict[str, _Element], question: BankQuestion, chosen: str | None, path: Path, course_id: str
) -> _Element:
    if chosen is not None:
        element_id, title = chosen, None
    elif question.category:
        element_id, title = _id_from(question.category), question.category
    else:
        element_id, title = _id_from(path.stem), None
    if element_id == course_id:
        element_id = f"{element_id[: ELEMENT_ID_MAX - 5]}-bank"
    if element_id not in elements:
        words = re.sub(r"[-_.]+", " ", element_id)
        elements[element_id] = _Element(element_id, fit(title or words[:1].upper() + words[1:], EMBED_TITLE_MAX))
    return elements[element_id]


def _id_from(text: str) -> str:
    return slug(text, ELEMENT_ID_MAX) or "bank"


def _item(question: BankQuestion, element: _Element, fmt: BankFormat, path: Path, stderr: TextIO) -> dict[str, Any]:
    """Return the question as content, or None (with a warning) when Discord cannot show it."""
    too_long = [i for i, o in enumerate(question.options or ()) if len(o) > BUTTON_LABEL_MAX]
    if question.options is not None and len(question.options) > len(OPTION_LETTERS):
        stderr.write(
            f"warning: {path}:{question.line}: skipped: it has {len(question.options)} options; "
            f"the bot shows at most {len(OPTION_LETTERS)}\n"
        )
        return None
    if question.options is not None and too_long:
        stderr.write(
            f"warning: {path}:{question.line}: skipped: option {OPTION_LETTERS[too_long[0]]} is "
            f"{len(question.options[too_long[0]])} characters long; a button shows at most {BUTTON_LABEL_MAX}\n"
        )
        return None
    item: dict[str, Any] = {"id": _item_id(question, element), "kind": "multiple_choice"}
    if question.options is None:
        item["kind"] = "true_false"
    item["prompt"] = _no_mentions(question.prompt)
    if question.options is not None:
        item["options"] = [_no_mentions(o) for o in question.options]
    explanation = _no_mentions(question.explanation)
    if len(explanation) > EMBED_FIELD_VALUE_MAX:
        stderr.write(f"warning: {path}:{question.line}: the feedback is cut to {EMBED_FIELD_VALUE_MAX} characters\n")
        explanation = fit(explanation, EMBED_FIELD_VALUE_MAX)
    # The loader wants every question to test a point of the notes: the placeholder, until the tutor links it.
    item |= {
        "answer": question.answer,
        "explanation": explanation,
        "concepts": [f"{element.id}.concept.missing"],
        "difficulty": DIFFICULTY,
    }
    item["origin"] = {"generated": True, "reviewed": False, "source": f"{fmt.label} {path.name}:{question.line}"}
    try:
        Question.model_validate(item)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        stderr.write(f"warning: {path}:{question.line}: skipped: {where}: {problem['msg']}\n")
        element.ids.discard(item["id"])
        return None
    return item


def _item_id(question: BankQuestion, element: _Element) -> str:
    """Return an id from the question's title (kept as it is when it already is this element's id), else its text."""
    title = (question.title or "").casefold()
    if title.startswith(f"{element.id}.") and ID_RE.match(title) and len(title) <= ID_MAX:
        base = title
    else:
        room = ID_MAX - len(element.id) - 4
        base = f"{element.id}.{slug(question.title or question.prompt, room) or 'question'}"
    candidate, n = base, 2
    while candidate in element.ids:
        candidate, n = f"{base[: ID_MAX - 4]}-{n}", n + 1
    element.ids.add(candidate)
    return candidate


def _no_mentions(text: str) -> str:
    """Return text whose mentions cannot ping: a zero-width space follows each @ or <#."""
    return MENTION_RE.sub(lambda m: m.group().replace("@", "@\u200b").replace("<#", "<#\u200b"), text)


# --- notes and earlier imports ---------------------------------------------------------------------


def placeholder_notes(element_id: str, title: str, sources: list[str]) -> dict[str, Any]:
    """Return notes that keep the element valid and tell the tutor what to write in their place."""
    todo = "Imported from a question bank, which has no notes: replace this with"
    return {
        "id": element_id,
        "title": title,
        "synopsis": (
            f"Questions imported from {', '.join(sources)}. This element has no notes yet: write its synopsis, "
            "key concepts, exam tips, common mistakes and marking points in place of the placeholders."
        ),
        "concepts": [
            {
                "id": f"{element_id}.concept.missing",
                "name": "Key concepts to write",
                "explanation": f"{todo} the element's key concepts, then list them in each question's concepts.",
            }
        ],
        "tips": [{"id": f"{element_id}.tip.missing", "text": f"{todo} the element's exam tips."}],
        "misconceptions": [
            {
                "id": f"{element_id}.mis.missing",
                "belief": "(none written yet)",
                "correction": f"{todo} the mistakes learners often make.",
            }
        ],
        "marking_points": [{"id": f"{element_id}.mark.missing", "text": f"{todo} what examiners credit."}],
    }


def _prepare(
    out: Path, elements: list[_Element], stderr: TextIO
) -> list[tuple[_Element, GeneratedElement, list[str]]] | None:
    """Return each element's content and header, merged with an earlier import; None if one cannot be written."""
    prepared = []
    refused = False
    for element in elements:
        path = out / f"{element.id}.yaml"
        notes = placeholder_notes(element.id, element.title, element.sources)
        if path.exists():
            made_from = generated_from(path)
            if made_from is None or not made_from.startswith(BANK_SOURCE):
                stderr.write(
                    f"{path}: exists and was not written by `revbot content import-bank`, so it is left alone; "
                    "choose another --element or --out\n"
                )
                refused = True
                continue
            notes |= _earlier_notes(path, element.id)
        generated = GeneratedElement(element.id, {**notes, "questions": element.items, "challenges": []})
        merge_with_existing(path, generated)
        _keep_placeholder_concept(generated.data)
        try:
            validate_generated(generated)
        except ValidationError as exc:
            stderr.write(f"{path}: its notes are no longer valid ({exc.error_count()} problems); run validate\n")
            refused = True
            continue
        if not generated.data["challenges"]:
            del generated.data["challenges"]
        header = [
            ELEMENT_SCHEMA,
            f"{GENERATED_BY}{BANK_SOURCE}{', '.join(element.sources)}; check items with `revbot content review`.",
        ]
        if any(str(i["id"]).endswith(".missing") for key in _NOTES_KEYS[3:] for i in generated.data[key]):
            header.append("The notes with ids ending in .missing are placeholders: replace them with your own.")
        prepared.append((element, generated, header))
    return None if refused else prepared


def _keep_placeholder_concept(data: dict[str, Any]) -> None:
    """Put the placeholder concept back when the tutor replaced it but new questions still test it."""
    placeholder = placeholder_notes(data["id"], data["title"], [])["concepts"][0]
    tested = any(placeholder["id"] in (q.get("concepts") or []) for q in data["questions"])
    if tested and all(c.get("id") != placeholder["id"] for c in data["concepts"]):
        data["concepts"] = [*data["concepts"], placeholder]


def _earlier_notes(path: Path, element_id: str) -> dict[str, Any]:
    """Return the notes a tutor has written into an element file of an earlier import (the bank has none)."""
    try:
        old = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(old, dict) or old.get("id") != element_id:
        return {}
    return {key: old[key] for key in _NOTES_KEYS[1:] if key in old}


__all__ = ["detect_format", "placeholder_notes", "run_import_bank"]
