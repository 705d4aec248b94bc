"""Red-DiscordBot trivia lists: YAML mapping each question to its accepted typed answers.

`AUTHOR` names who wrote the list and `CONFIG` holds Red's game settings (neither is a question).
The bot asks multiple choice, so a question becomes one only when the list's other answers give
wrong options of the same kind (numbers for a number, words for words); the rest are skipped.
"""

from __future__ import annotations

import re

import yaml

from bot.authoring.banks.markup import one_line
from bot.authoring.banks.parsed import BankFormat, BankQuestion, ParsedBank
from bot.authoring.wording import place_answer, stable_rank
from bot.course.models import BUTTON_LABEL_MAX

WRONG_OPTIONS = 3
MIN_WRONG_OPTIONS = 2
_NUMBER_RE = re.compile(r"^[-+]?[\d.,\s]+%?$")
_SPECIAL_KEYS = ("AUTHOR", "CONFIG")


def parse_red(text: str) -> ParsedBank:
    """Return a trivia list's questions as multiple choice where wrong options can be drawn from the list."""
    bank = ParsedBank(BankFormat.RED)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        bank.error(mark.line + 1 if mark else None, f"is not valid YAML: {getattr(exc, 'problem', exc)}")
        return bank
    if not isinstance(root, yaml.MappingNode):
        bank.error(1, "is not a trivia list: it should map each question to a list of accepted answers")
        return bank
    entries: list[tuple[int, str, list[str]]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        question = one_line(str(yaml.safe_load(yaml.serialize(key_node))))
        if question in _SPECIAL_KEYS:
            continue
        if question.casefold() in seen:
            bank.error(line, f"the question {question!r} is also on line {seen[question.casefold()]}")
            continue
        seen[question.casefold()] = line
        value = yaml.safe_load(yaml.serialize(value_node))
        values = value if isinstance(value, list) else [value]
        answers = [one_line(str(v)) for v in values if v is not None and not isinstance(v, (dict, list))]
        answers = [a for a in answers if a]
        if not answers or len(answers) != len(values):
            bank.error(line, f"the question {question!r} needs a list of accepted answers (text or numbers)")
            continue
        entries.append((line, question, answers))
    _convert(entries, bank)
    return bank


def _kind(answer: str) -> str:
    return "number" if _NUMBER_RE.match(answer) else "text"


def _convert(entries: list[tuple[int, str, list[str]]], bank: ParsedBank) -> None:
    pool = list(dict.fromkeys(answers[0] for _, _, answers in entries))
    converted = 0
    for line, question, answers in entries:
        right = answers[0]
        if len(right) > BUTTON_LABEL_MAX:
            bank.skip(line, f"the answer to {question!r} is longer than a button's {BUTTON_LABEL_MAX} characters")
            continue
        accepted = {a.casefold() for a in answers}
        candidates = sorted(
            (
                p
                for p in pool
                if p.casefold() not in accepted and _kind(p) == _kind(right) and len(p) <= BUTTON_LABEL_MAX
            ),
            key=lambda p, q=question: stable_rank(q, p),
        )
        wrong = list(dict.fromkeys(candidates))[:WRONG_OPTIONS]
        if len(wrong) < MIN_WRONG_OPTIONS:
            bank.skip(line, f"{question!r}: the list has too few other answers of the same kind to give wrong options")
            continue
        options, answer = place_answer(right, wrong, question)
        also = [a for a in answers[1:] if a.casefold() != right.casefold()]
        explanation = f"The answer is “{right}”." + (
            f" Also accepted when typed: {', '.join(f'“{a}”' for a in also)}." if also else ""
        )
        bank.questions.append(BankQuestion(line, question, tuple(options), answer, explanation))
        converted += 1
    bank.notes.append(
        f"{converted} typed-answer question{'s' if converted != 1 else ''} converted to multiple choice, "
        f"{len(entries) - converted} skipped"
    )
