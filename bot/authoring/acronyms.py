"""Find acronyms the notes expand, such as `the 'HEAT' model (Hear, Empathise, Apologise, Take ownership)`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_QUOTES = "'\"‘’“”"
_ACRONYM_RE = re.compile(rf"[{_QUOTES}]?\b(?P<letters>[A-Z]{{2,10}})\b[{_QUOTES}]?")
_WORDS_BETWEEN = r"(?P<between>(?:\s+[A-Za-z][\w-]*){0,3}?)"
# `HEAT model (Hear, ...)` or `PESTLE (Political, ...)`: the expansion is in brackets.
_BRACKETED_RE = re.compile(_WORDS_BETWEEN + r"\s*\((?P<list>[^()]*)\)")
# `'APOLOGY': Apologise, ...` or `SMART goals: Specific, ...`: the expansion follows a colon.
_AFTER_COLON_RE = re.compile(_WORDS_BETWEEN + r"\s*:\s*(?P<list>[^.;()]*)(?P<close>\))?")
_NOUNS = (
    "model",
    "framework",
    "structure",
    "method",
    "technique",
    "approach",
    "process",
    "rule",
    "formula",
    "mnemonic",
    "analysis",
    "checklist",
)
_PLURAL_NOUNS = ("goals", "targets", "objectives", "criteria", "steps", "principles")
_NOUN_AFTER_RE = re.compile(r"\s+(?P<noun>[a-z]+)\b")


# Small words an expansion may skip ("Reporting of Injuries, Diseases and Dangerous Occurrences Regulations").
SMALL_WORDS = frozenset({"of", "and", "for", "the", "to", "in", "on", "at", "a", "an", "with"})
_TOKEN_RE = re.compile(r"[A-Za-z0-9][\w'’-]*")


@dataclass(frozen=True, slots=True)
class Acronym:
    """An acronym and the words the notes expand it into; matches says whether they spell it."""

    letters: str
    words: tuple[str, ...]  # one per letter when it matches; else the parts as the notes list them
    label: str  # how to name it in a question, e.g. "the HEAT model", "SMART goals", "the acronym PESTLE"

    @property
    def matches(self) -> bool:
        return len(self.words) == len(self.letters) and self.initials == self.letters

    @property
    def initials(self) -> str:
        return "".join(w[0].upper() for w in self.words)

    def mismatch(self) -> str:
        """Return why the words do not spell the acronym."""
        return (
            f"'{self.letters}' has {len(self.letters)} letters ({' '.join(self.letters)}) but the notes expand it "
            f"into {len(self.words)} parts ({', '.join(self.words)}), whose first letters spell {self.initials}"
        )


def find_acronyms(text: str) -> Iterator[Acronym]:
    """Yield every acronym in text that the notes expand, before it in brackets or after it."""
    for match in _ACRONYM_RE.finditer(text):
        letters = match.group("letters")
        after = text[match.end() :]
        expansion = _BRACKETED_RE.match(after)
        bounded = True
        if expansion is None:
            expansion = _AFTER_COLON_RE.match(after)
            bounded = expansion is not None and expansion.group("close") is not None
        parts = _words(expansion.group("list"), bounded) if expansion is not None else ()
        if len(parts) < 2 or parts[0][0].upper() != letters[0]:
            # Not followed by a list: perhaps named after it, as in `Reporting of ... Regulations (RIDDOR)`.
            backwards = _expanded_before(text, match, letters)
            if backwards is not None:
                yield Acronym(letters, backwards, f"the acronym {letters}")
            continue  # a bracket that does not expand the acronym, e.g. `UK (England, Wales)` or `(e.g., ...)`
        noun = _noun(expansion.group("between"), after[expansion.end() :])
        spelled = parts if "".join(p[0].upper() for p in parts) == letters else None
        spelled = spelled or _spell(letters, [t for part in parts for t in _TOKEN_RE.findall(part)])
        yield Acronym(letters, spelled or parts, _label(letters, noun))


def _spell(letters: str, tokens: list[str]) -> tuple[str, ...] | None:
    """Return the word each letter stands for if the tokens spell letters in order, else None.

    Every word counts but the small ones, which may give a letter or be skipped; a hyphenated word gives
    one letter (Time-bound) or one per part (Know-Your-Customer).
    """
    memo: dict[tuple[int, int], tuple[str, ...] | None] = {}

    def spell(i: int, j: int) -> tuple[str, ...] | None:
        if (i, j) in memo:
            return memo[i, j]
        result: tuple[str, ...] | None = None
        if j == len(tokens):
            result = () if i == len(letters) else None
        else:
            token = tokens[j].strip("'’")
            pieces = [p for p in token.split("-") if p]
            if i < len(letters) and token[:1].upper() == letters[i]:
                rest = spell(i + 1, j + 1)
                result = None if rest is None else (token, *rest)
            if (
                result is None
                and len(pieces) > 1
                and "".join(p[0].upper() for p in pieces) == letters[i : i + len(pieces)]
            ):
                rest = spell(i + len(pieces), j + 1)
                result = None if rest is None else (*pieces, *rest)
            if result is None and token.casefold() in SMALL_WORDS:
                result = spell(i, j + 1)
        memo[i, j] = result
        return result

    return spell(0, 0)


def _expanded_before(text: str, match: re.Match[str], letters: str) -> tuple[str, ...] | None:
    """Return the words before `(ACRONYM)` that spell it, the fewest that do, or None."""
    opening = text.rfind("(", 0, match.start())
    if (
        opening < 0
        or text[opening + 1 : match.start()].strip(_QUOTES + " ")
        or not text[match.end() :].lstrip(_QUOTES + " ").startswith(")")
    ):
        return None
    clause = re.split(r"[.;:!?()]", text[:opening])[-1]
    tokens = _TOKEN_RE.findall(clause)
    for start in range(len(tokens) - 1, -1, -1):
        if tokens[start][:1].isupper() and tokens[start].casefold() not in SMALL_WORDS:
            spelled = _spell(letters, tokens[start:])
            if spelled is not None:
                return spelled
    return None


def _words(listed: str, bounded: bool) -> tuple[str, ...]:
    if "," not in listed:
        return ()  # `GDPR (General Data Protection Regulation)` names one thing; it lists no steps
    words = []
    for part in listed.split(","):
        word = re.sub(r"^(?:and|or|&)\s+", "", part.strip()).strip(_QUOTES + " ").rstrip(".")
        if word:
            words.append(word)
    if words and not bounded:
        # Without a closing bracket the last word runs on into the sentence: keep its capitalised start
        # (and small words between capitalised ones, as in "Dangerous Occurrences and Diseases").
        tokens = words[-1].split()
        kept = []
        for index, token in enumerate(tokens):
            later = tokens[index + 1][:1].isupper() if index + 1 < len(tokens) else False
            if not (token[:1].isupper() or (token.casefold() in SMALL_WORDS and kept and later)):
                break
            kept.append(token)
        words[-1] = " ".join(kept)
    return tuple(w for w in words if w and w[:1].isalpha())


def _noun(between: str | None, after_bracket: str) -> str | None:
    candidates = (between or "").split()
    follow = _NOUN_AFTER_RE.match(after_bracket)
    if follow:
        candidates.append(follow.group("noun"))
    for word in candidates:
        if word.casefold() in _NOUNS or word.casefold() in _PLURAL_NOUNS:
            return word.casefold()
    return None


def _label(letters: str, noun: str | None) -> str:
    if noun in _PLURAL_NOUNS:
        return f"{letters} {noun}"
    if noun is not None:
        return f"the {letters} {noun}"
    return f"the acronym {letters}"
