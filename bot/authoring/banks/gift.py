"""Moodle GIFT: read the questions the bot can show, skip the rest with a reason, write a course back.

The syntax followed is Moodle's documented one: questions separated by blank lines, `//` comment
lines, `::title::`, `[html]`/`[markdown]`/`[plain]`/`[moodle]` text formats, answers in `{...}`
(`=` right, `~` wrong, `#` feedback, `####` general feedback, `%50%` weights), `{T}`/`{F}` for
true/false, `$CATEGORY:` lines, and the escapes `\\~ \\= \\# \\{ \\} \\:` and `\\n`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.authoring.banks.markup import html_to_discord, one_line, plain_markdown
from bot.authoring.banks.parsed import BankFormat, BankQuestion, ParsedBank, right_answer_explanation
from bot.interchange.items import FlatItem

# Escaped characters stand in as private-use characters while the structure is read.
_ESCAPES = {"\\~": "\ue000", "\\=": "\ue001", "\\#": "\ue002", "\\{": "\ue003", "\\}": "\ue004", "\\:": "\ue005"}
_RESTORE = {v: k[1] for k, v in _ESCAPES.items()}
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_TRUE_FALSE_RE = re.compile(r"^(T|F|TRUE|FALSE)$", re.I)
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_CATEGORY = "$CATEGORY:"


@dataclass(frozen=True, slots=True)
class _Block:
    line: int  # of the block's first line
    text: str


@dataclass(frozen=True, slots=True)
class _Answer:
    right: bool
    weight: float | None
    text: str
    feedback: str


def _hide_escapes(text: str) -> str:
    text = text.replace("\\\\", "\ue006")  # a literal backslash, so that `\\=` is a backslash then `=`
    for escape, stand_in in _ESCAPES.items():
        text = text.replace(escape, stand_in)
    text = re.sub(r"&#(x?[0-9a-f]+);", "&\ue002\\1;", text, flags=re.I)  # an HTML character reference, not feedback
    return text.replace("\\n", "\ue007")  # a line break in the text, not the blank line that ends a question


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text).replace("\ue006", "\\").replace("\ue007", "\n")


def _blocks(text: str) -> list[_Block]:
    """Return the question blocks: runs of lines between blank lines, comment lines left out."""
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append(_Block(start, "\n".join(current)))
                current = []
            continue
        if line.lstrip().startswith(_CATEGORY):  # a category line stands alone even without a blank line
            if current:
                blocks.append(_Block(start, "\n".join(current)))
                current = []
            blocks.append(_Block(number, line.strip()))
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append(_Block(start, "\n".join(current)))
    return blocks


def parse_gift(text: str) -> ParsedBank:
    """Return the questions of a GIFT file, with every skipped question and error named by its line."""
    bank = ParsedBank(BankFormat.GIFT)
    category: str | None = None
    for block in _blocks(_hide_escapes(text)):
        if block.text.startswith(_CATEGORY):
            parts = [p.strip() for p in _restore(block.text[len(_CATEGORY) :]).split("/") if p.strip()]
            category = parts[-1] if parts else None
            continue
        _question(block, category, bank)
    if not bank.questions and not bank.errors and not bank.skipped:
        bank.error(None, "holds no GIFT questions (answers go in { } after each question)")
    return bank


def _line_at(block: _Block, position: int) -> int:
    return block.line + block.text.count("\n", 0, position)


def _text(raw: str, text_format: str, plain: bool = False) -> str:
    """Return GIFT text in Discord's terms: HTML reduced, escapes restored, whitespace tidied."""
    text = _restore(raw)
    if text_format == "html":
        return html_to_discord(text, plain=plain)
    if plain:
        return plain_markdown(text)
    lines = [line.strip() for line in text.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _question(block: _Block, category: str | None, bank: ParsedBank) -> None:
    text, title = block.text, None
    offset = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            bank.error(block.line, "the question's title has no closing '::'")
            return
        title = one_line(_restore(text[2:end])) or None
        offset = end + 2
    text_format = "moodle"
    match = _FORMAT_RE.match(text[offset:])
    if match:
        text_format = match.group(1).casefold()
        offset += match.end()
    opening = text.find("{", offset)
    name = f"question {title!r}" if title else "this question"
    if opening < 0:
        bank.skip(block.line, f"{name} has no answers in {{ }}: a description, not a question")
        return
    closing = text.find("}", opening)
    if closing < 0:
        bank.error(_line_at(block, opening), f"{name}: the '{{' opened here is never closed with '}}'")
        return
    if "{" in text[opening + 1 : closing]:
        bank.error(_line_at(block, opening), f"{name}: a '{{' opens inside the answers; escape it as \\{{")
        return
    after = text[closing + 1 :]
    if "{" in after:
        bank.skip(block.line, f"{name} has more than one set of answers (embedded answers are not supported)")
        return
    before = text[offset:opening]
    # Moodle's missing-word format: text after the answers means they stand where the blank goes.
    prompt_raw = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
    prompt = _text(prompt_raw, text_format)
    answers_raw = text[opening + 1 : closing]
    general = ""
    if "####" in answers_raw:
        answers_raw, general = answers_raw.split("####", 1)
        general = _text(general, text_format)
    body = answers_raw.strip()
    line = _line_at(block, opening)
    if not prompt:
        bank.error(block.line, f"{name} has no text before its answers")
        return
    if not body:
        bank.skip(block.line, f"{name} is an essay question (empty {{ }}): learners cannot answer it with a button")
        return
    if body.startswith("#"):
        bank.skip(block.line, f"{name} is a numerical question: learners cannot answer it with a button")
        return
    head, _, feedback = body.partition("#")
    if _TRUE_FALSE_RE.match(head.strip()):
        answer = head.strip().upper().startswith("T")
        wrong_feedback, _, right_feedback = feedback.partition("#")  # Moodle: wrong answer's first
        explanation = _explanation(
            general, _text(right_feedback, text_format), [("", _text(wrong_feedback, text_format))]
        )
        explanation = explanation or right_answer_explanation("True" if answer else "False")
        bank.questions.append(BankQuestion(block.line, prompt, None, answer, explanation, title, category))
        return
    if body[0] not in "=~":
        bank.error(line, f"{name}: answers must start with '=' (right) or '~' (wrong), not {_restore(body[:20])!r}")
        return
    answers = _answers(body, text_format)
    if any("->" in a.text for a in answers):
        bank.skip(block.line, f"{name} is a matching question: learners cannot answer it with buttons")
        return
    if "~" not in body:
        bank.skip(block.line, f"{name} is a short-answer question (no wrong options marked '~')")
        return
    right = [a for a in answers if a.right]
    partial = [a for a in answers if a.weight is not None and 0 < a.weight < 100]
    if len(right) > 1 or partial:
        bank.skip(block.line, f"{name} has several right answers or partial credit (weights); the bot allows one")
        return
    if not any(a.right for a in answers):
        bank.error(line, f"{name} marks no answer right: put '=' before the right one")
        return
    options = tuple(a.text for a in answers)
    if any(not o for o in options):
        bank.error(line, f"{name} has an empty answer")
        return
    answer = answers.index(right[0])
    explanation = _explanation(general, right[0].feedback, [(a.text, a.feedback) for a in answers if not a.right])
    explanation = explanation or right_answer_explanation(right[0].text)
    bank.questions.append(BankQuestion(block.line, prompt, options, answer, explanation, title, category))


def _answers(body: str, text_format: str) -> list[_Answer]:
    answers = []
    for match in re.finditer(r"([=~])([^=~]*)", body):
        raw = match.group(2)
        weight = None
        weight_match = _WEIGHT_RE.match(raw.strip())
        if weight_match:
            weight = float(weight_match.group(1))
            raw = raw.strip()[weight_match.end() :]
        text, _, feedback = raw.partition("#")
        right = match.group(1) == "=" or weight == 100
        answers.append(_Answer(right, weight, _text(text, text_format, plain=True), _text(feedback, text_format)))
    return answers


def _explanation(general: str, right: str, wrong: list[tuple[str, str]]) -> str:
    """Return the explanation: the general feedback and the right answer's, else the wrong answers' feedback."""
    parts = [p for p in dict.fromkeys((general, right)) if p]
    if parts:
        return "\n\n".join(parts)
    said = [f"“{option}”: {feedback}" if option else feedback for option, feedback in wrong if feedback]
    return "\n".join(said)


# --- writing ---------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for escape in _ESCAPES:
        text = text.replace(escape[1], escape)
    return text.replace("\n", "\\n")


def gift_question(item: FlatItem) -> str:
    """Return one item as a GIFT question named by its id, with its explanation as general feedback."""
    head = f"::{_escape(item.id)}::[markdown]{_escape(item.prompt)}"
    feedback = f"####{_escape(item.explanation)}"
    if item.true_false:
        return f"{head}{{{'TRUE' if item.answer == 0 else 'FALSE'}{feedback}}}\n"
    answers = "".join(
        f"\t{'=' if i == item.answer else '~'}{_escape(option)}\n" for i, option in enumerate(item.options)
    )
    return f"{head}{{\n{answers}\t{feedback}\n}}\n"


def write_gift(items: list[FlatItem], course_of: dict[str, str]) -> str:
    """Return items as a GIFT file, each element a category under its course (course_of maps element to course)."""
    out = ["// Exported by `revbot content export`: one category per element, each question named by its id.\n"]
    category = None
    for item in items:
        if item.element.id != category:
            category = item.element.id
            out.append(f"\n$CATEGORY: $course$/top/{course_of[category]}/{category}\n")
        out.append("\n" + gift_question(item))
    return "".join(out)
