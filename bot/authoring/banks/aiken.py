"""Moodle's Aiken format: a question, lettered options (`A.` or `A)`), then `ANSWER: X`.

Aiken carries no feedback, so imported questions are explained only by naming the right answer, and
exported ones lose their explanations (GIFT keeps them).
"""

from __future__ import annotations

import re

from bot.authoring.banks.markup import one_line
from bot.authoring.banks.parsed import BankFormat, BankQuestion, ParsedBank, right_answer_explanation
from bot.course.models import OPTION_LETTERS
from bot.interchange.items import FlatItem

_OPTION_RE = re.compile(r"^([A-Z])[.)]\s+(\S.*)$")
_ANSWER_RE = re.compile(r"^ANSWER\s*:\s*(\S*)\s*$", re.I)


def parse_aiken(text: str) -> ParsedBank:
    """Return the questions of an Aiken file, with every error named by its line."""
    bank = ParsedBank(BankFormat.AIKEN)
    prompt: list[str] = []
    options: list[str] = []
    start = 0
    lines = [*text.split("\n"), ""]

    def reset() -> None:
        prompt.clear()
        options.clear()

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        option = _OPTION_RE.match(line)
        answer = _ANSWER_RE.match(line)
        if answer:
            if not prompt:
                bank.error(number, "ANSWER: line without a question before it")
            elif not options:
                bank.error(number, "ANSWER: line without lettered options (A. or A)) before it")
            else:
                _finish(bank, start, prompt, options, answer.group(1).upper(), number)
            reset()
        elif option and prompt and (options or option.group(1) == "A"):
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                bank.error(number, f"option {option.group(1)} is out of order: expected {expected}")
                reset()
                continue
            options.append(one_line(option.group(2)))
        elif not line:
            continue
        elif options:
            bank.error(start, "question has options but no 'ANSWER: X' line after them")
            reset()
            start, prompt[:] = number, [line]
        else:
            if not prompt:
                start = number
            prompt.append(line)
    if prompt:
        bank.error(start, "question has no lettered options (A. or A)) and no 'ANSWER: X' line")
    if not bank.questions and not bank.errors:
        bank.error(None, "holds no Aiken questions (a question, options A. B. ..., then ANSWER: X)")
    if bank.questions:
        bank.notes.append("Aiken has no feedback: each explanation only names the right answer, so write a better one")
    return bank


def _finish(bank: ParsedBank, line: int, prompt: list[str], options: list[str], key: str, key_line: int) -> None:
    letters = "".join(chr(ord("A") + i) for i in range(len(options)))
    if len(key) != 1 or key not in letters:
        bank.error(
            key_line, f"the answer key {key or '(empty)'!r} names no option (options are {letters[0]} to {letters[-1]})"
        )
        return
    answer = letters.index(key)
    bank.questions.append(
        BankQuestion(line, "\n".join(prompt), tuple(options), answer, right_answer_explanation(options[answer]))
    )


def write_aiken(items: list[FlatItem]) -> str:
    """Return items as an Aiken file: each prompt on one line, true/false as the options True and False."""
    blocks = []
    for item in items:
        lines = [one_line(item.prompt)]
        lines += [f"{OPTION_LETTERS[i]}. {one_line(o)}" for i, o in enumerate(item.options)]
        lines.append(f"ANSWER: {OPTION_LETTERS[item.answer]}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
