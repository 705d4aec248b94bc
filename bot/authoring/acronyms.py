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


@dataclass(frozen=True, slots=True)
class Acronym:
    """An acronym and the words the notes expand it into; matches says whether they spell it."""

    letters: str
    words: tuple[str, ...]
    label: str  # how to name it in a question, e.g. "the HEAT model", "SMART goals", "the acronym PESTLE"
    sentence: str  # the notes' sentence it appears in

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
    """Yield every acronym in text that is followed by a list of words starting with its first letter."""
    for match in _ACRONYM_RE.finditer(text):
        letters = match.group("letters")
        after = text[match.end() :]
        expansion = _BRACKETED_RE.match(after)
        bounded = True
        if expansion is None:
            expansion = _AFTER_COLON_RE.match(after)
            bounded = expansion is not None and expansion.group("close") is not None
        if expansion is None:
            continue
        words = _words(expansion.group("list"), bounded)
        if len(words) < 2 or words[0][0].upper() != letters[0]:
            continue  # a bracket that does not expand the acronym, e.g. `UK (England, Wales)` or `(e.g., ...)`
        noun = _noun(expansion.group("between"), after[expansion.end() :])
        yield Acronym(letters, words, _label(letters, noun), _sentence(text, match.start()))


def _words(listed: str, bounded: bool) -> tuple[str, ...]:
    if "," not in listed:
        return ()  # `GDPR (General Data Protection Regulation)` names one thing; it lists no steps
    words = []
    for part in listed.split(","):
        word = re.sub(r"^(?:and|or|&)\s+", "", part.strip()).strip(_QUOTES + " ").rstrip(".")
        if word:
            words.append(word)
    if words and not bounded:
        # Without a closing bracket the last word runs on into the sentence: keep its capitalised start.
        kept = []
        for token in words[-1].split():
            if not token[:1].isupper():
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


def _sentence(text: str, position: int) -> str:
    starts = [m.end() for m in re.finditer(r"[.!?]\s+(?=[A-Z'\"‘“(])", text[:position])]
    start = starts[-1] if starts else 0
    end_match = re.search(r"[.!?](?=\s+[A-Z]|\s*$)", text[position:])
    end = position + end_match.end() if end_match else len(text)
    return text[start:end].strip()
