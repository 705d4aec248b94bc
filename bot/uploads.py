"""Turn an uploaded notes file or question bank into validated elements, in a child process.

The importers belong to the authoring tools, which the running bot never imports. An upload runs the
command line's own `revbot content import` or `import-bank` (and `lint`) in a child process on a
temporary folder, then the bot loads that folder with its own loader, so the loader's checks (limits,
mentions, references) apply to what a tutor uploaded exactly as to shipped content. The child process
also keeps a hostile file's cost (time, memory) out of the bot: it is killed after a time limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.course.catalog import Content, Course
from bot.course.loader import COURSE_FILE, ContentInvalid, load_content

log = logging.getLogger(__name__)

UPLOAD_MAX_BYTES = 256 * 1024
UPLOAD_SUFFIXES = (".txt", ".md", ".gift", ".yaml", ".yml")
CONVERT_TIMEOUT_S = 60
_NOTES_HEADING = re.compile(r"^\s*#*\s*(topic synopsis|key concepts)", re.IGNORECASE | re.MULTILINE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ConversionFailed(Exception):
    """The file could not be imported; messages holds the importer's `file:line` messages."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(f"{len(messages)} problem(s)")
        self.messages = messages


@dataclass(frozen=True, slots=True)
class Converted:
    """The validated content made from one file, the importer's warnings and each item's lint findings."""

    content: Content
    messages: list[str]
    lint: dict[str, list[str]] = field(default_factory=dict)


def safe_filename(filename: str) -> str:
    """Return the upload's name reduced to letters, digits and . _ - (never a path)."""
    name = _SAFE_NAME.sub("-", Path(filename).name).strip(".-") or "upload"
    return name[-80:]


def is_notes(filename: str, text: str) -> bool:
    """Return whether a file reads as revision notes rather than a question bank."""
    return Path(filename).suffix.lower() in (".txt", ".md") and bool(_NOTES_HEADING.search(text))


async def convert(filename: str, data: bytes, course_id: str) -> Converted:
    """Import one uploaded file into a course with this id (ConversionFailed with the messages if it cannot)."""
    name = safe_filename(filename)
    with tempfile.TemporaryDirectory(prefix="revbot-upload-") as folder:
        root = Path(folder)
        source = root / name
        source.write_bytes(data)
        out = root / "content" / course_id
        text = data.decode("utf-8", errors="replace")
        command = "import" if is_notes(name, text) else "import-bank"
        code, _output, problems = await _run(root, "content", command, name, "--course", course_id, "--out", str(out))
        messages = _messages(problems, root)
        if code != 0:
            raise ConversionFailed(messages or [f"{name}: nothing could be imported"])
        try:
            content, _version = load_content(root / "content")
        except ContentInvalid as exc:
            raise ConversionFailed([_relative(str(e), root) for e in exc.errors]) from None
        _code, lint_output, lint_problems = await _run(root, "content", "lint", str(root / "content"), "--strict")
        ids = {i.id for c in content.courses for e in c.elements for i in (*e.questions, *e.challenges)}
        return Converted(content, messages, _lint_by_item(_messages(lint_output + lint_problems, root), ids))


def course_yaml(course: Course) -> dict[str, str]:
    """Return a course as the files of a content folder: file name -> YAML."""
    files = {f"{e.id}.yaml": _yaml(e.model_dump(mode="json", exclude_defaults=True)) for e in course.elements}
    files[COURSE_FILE] = _yaml({"id": course.id, "title": course.title, "elements": [e.id for e in course.elements]})
    return files


async def course_gift(course: Course) -> str:
    """Return a course as Moodle GIFT, written by the command line's `revbot content export`."""
    with tempfile.TemporaryDirectory(prefix="revbot-export-") as folder:
        root = Path(folder)
        course_dir = root / "content" / course.id
        course_dir.mkdir(parents=True)
        for name, text in course_yaml(course).items():
            (course_dir / name).write_text(text, encoding="utf-8")
        out = root / "course.gift"
        code, _output, problems = await _run(
            root, "content", "export", str(root / "content"), "--format", "gift", "--out", str(out)
        )
        if code != 0:
            raise ConversionFailed(_messages(problems, root))
        return out.read_text(encoding="utf-8")


def _yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


async def _run(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` in cwd; return its exit code, its output and its messages (stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_env(),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CONVERT_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ConversionFailed([f"the file took longer than {CONVERT_TIMEOUT_S} seconds to import"]) from None
    return process.returncode or 0, stdout.decode(errors="replace"), stderr.decode(errors="replace")


def _child_env() -> dict[str, str]:
    """Return the environment for the importer: no token or other secret, only what Python needs."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV", "SYSTEMROOT", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    # The child runs in a temporary folder: it finds this bot where this process found it, installed or not.
    source = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    return env


def _relative(line: str, root: Path) -> str:
    return line.replace(f"{root}/content/", "").replace(f"{root}/", "").replace(str(root), ".")


def _messages(output: str, root: Path) -> list[str]:
    """Return the non-empty lines, with the temporary folder taken out of the file names."""
    return [_relative(line, root) for line in output.splitlines() if line.strip()]


def _lint_by_item(lines: list[str], ids: set[str]) -> dict[str, list[str]]:
    """Return the lint findings that name an item, by item id."""
    found: dict[str, list[str]] = {}
    for line in lines:
        for part in re.findall(r": ([a-z0-9][a-z0-9._-]*):", line):
            if part in ids:
                found.setdefault(part, []).append(line.split(f"{part}:", 1)[1].strip())
    return found
