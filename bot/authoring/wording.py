"""Small, deterministic rewordings of the notes' own sentences, for generated items (British English)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SENTENCE_END = (".", "!", "?")
_STOPWORDS_TEXT = """
    a about above after again against all also although always among an and any are as at be because been
    before being between both but by can could did do does doing during each either else even ever every for
    from further had has have having here how however if in including into is it its itself just least less
    many may might more most much must near need never no nor not of off often on once only onto or other
    others otherwise our out over own per rather same several should since so some such than that the their
    them then there therefore these they this those though through thus to too toward towards under until up
    upon very via was way we well were what when where whether which while who whom whose why will with within
    without would yet you your e.g eg etc i.e ie thereby whereby hence"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def fit(text: str, limit: int) -> str:
    """Return text cut at a word boundary to at most limit characters, ending with … when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:–—-") + "…"


def as_sentence(text: str) -> str:
    """Return text with a capital first letter and a full stop (unless it already ends a sentence)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((*SENTENCE_END, "…")) else text.rstrip(",;:") + "."


def lower_first(text: str) -> str:
    """Return text with its first letter in lower case, unless the first word is a name or acronym."""
    words = text.split(maxsplit=2)
    if not words:
        return text
    first = words[0]
    if len(first) > 1 and first[1:2].isupper():  # GDPR, HEAT
        return text
    if len(words) > 1 and first.endswith(",") and words[1][:1].isupper():  # "Specific, Measurable, ..."
        return text
    return text[0].lower() + text[1:]


def join_and(words: tuple[str, ...] | list[str]) -> str:
    """Return 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def slug(text: str, max_length: int, max_words: int = 6) -> str:
    """Return an id part from text: lower-case significant words joined by '-', at most max_length long."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in STOPWORDS] or re.findall(
        r"[a-z0-9]+", text.casefold()
    )
    out = ""
    for word in words[:max_words]:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > max_length:
            break
        out = candidate
    return out or (words[0][:max_length] if words else "")


def stable_rank(seed: str, key: str) -> bytes:
    """Return a sort key that orders items the same way on every run and every machine."""
    return hashlib.sha256(f"{seed}\0{key}".encode()).digest()


def stable_index(seed: str, size: int) -> int:
    """Return a position in range(size) fixed by seed."""
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % size


def place_answer(right: str, wrong: list[str], seed: str) -> tuple[list[str], int]:
    """Return the options with the right one at a position fixed by the seed, and that position."""
    answer = stable_index(seed + "\0position", len(wrong) + 1)
    options = list(wrong)
    options.insert(answer, right)
    return options, answer


def content_words(text: str) -> set[str]:
    """Return the significant words of text, cut to a rough stem, for measuring overlap."""
    return {w[:6] for w in re.findall(r"[a-z][a-z-]{3,}", text.casefold()) if w not in STOPWORDS}


# --- marking points as statements -----------------------------------------------------------------

_EXAMINER_VERBS = ("award", "expect", "look", "reward", "assess", "credit", "check", "accept", "give", "mark")


def examiner_statement(text: str) -> str:
    """Return a marking point as a statement about examiners ('Award credit for X' -> 'Examiners award ...')."""
    text = text.strip()
    for pattern, replacement in (
        (r"^credit (?:is |should be )?given for\b", "Examiners give credit for"),
        (r"^evidence of\b", "Examiners look for evidence of"),
    ):
        if re.match(pattern, text, flags=re.I):
            return as_sentence(re.sub(pattern, replacement, text, count=1, flags=re.I))
    first = text.split(maxsplit=1)[0].casefold() if text else ""
    if first in _EXAMINER_VERBS:
        return as_sentence(f"Examiners {lower_first(text)}")
    return as_sentence(text)


# --- misconceptions as a mistaken statement and a correction --------------------------------------

# Where a misconception stops saying what the mistake is and starts saying why it is wrong.
_GIVEAWAY_RE = re.compile(
    r",? (?:leading to|resulting in|which|rather than|instead of|without (?:recognising|realising|understanding))\b"
    r"|; |\s*[—–]\s*|, such as\b|, (?!and |or )\w+ing\b"
    r"| and not \w+ing\b| or not \w+ing\b",
    flags=re.I,
)
_IRREGULAR = {
    "being": "be",
    "having": "have",
    "doing": "do",
    "seeing": "see",
    "lying": "lie",
    "dying": "die",
    "tying": "tie",
    "focusing": "focus",
    "focussing": "focus",
    "biasing": "bias",
    "citing": "cite",
    "writing": "write",
    "quoting": "quote",
    "inviting": "invite",
    "uniting": "unite",
    "exciting": "excite",
    "noting": "note",
    "voting": "vote",
    "promoting": "promote",
    "adding": "add",
    "using": "use",
    "confusing": "confuse",
    "abusing": "abuse",
    "refusing": "refuse",
    "excusing": "excuse",
    "reusing": "reuse",
    "misusing": "misuse",
    "accusing": "accuse",
    "causing": "cause",
    "pausing": "pause",
    "raising": "raise",
    "praising": "praise",
    "closing": "close",
    "choosing": "choose",
    "losing": "lose",
    "proposing": "propose",
    "imposing": "impose",
    "exposing": "expose",
    "supposing": "suppose",
    "purchasing": "purchase",
    "increasing": "increase",
    "releasing": "release",
    "pleasing": "please",
    "making": "make",
    "taking": "take",
    "giving": "give",
    "leaving": "leave",
    "coming": "come",
    "becoming": "become",
    "welcoming": "welcome",
    "ignoring": "ignore",
    "exploring": "explore",
    "storing": "store",
    "scoring": "score",
    "restoring": "restore",
    "assuming": "assume",
    "consuming": "consume",
    "resuming": "resume",
    "providing": "provide",
    "deciding": "decide",
    "guiding": "guide",
    "hiding": "hide",
    "dividing": "divide",
    "overriding": "override",
    "losing sight": "lose sight",
}
_CONSONANTS = set("bcdfghjklmnpqrstvwxyz")
# Words ending in -ing that are usually nouns or prepositions, never turned into a verb's base form.
_NOT_GERUNDS_TEXT = """
    something nothing anything everything during morning evening building training marketing meeting setting
    funding timing wording clothing housing banking spelling pricing branding catering accounting engineering
    nursing thing king ring spring string bring sing wing ceiling according regarding concerning following
    including understanding wellbeing"""
_NOT_GERUNDS = frozenset(_NOT_GERUNDS_TEXT.split())


def base_form(gerund: str) -> str | None:
    """Return the base form of an -ing verb ('assuming' -> 'assume'), or None when unsure."""
    word = gerund.casefold()
    if word in _NOT_GERUNDS:
        return None
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if not word.endswith("ing") or len(word) < 6:
        return None
    stem = word[:-3]
    if stem.endswith("y") or stem.endswith("ie"):
        return stem
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] in _CONSONANTS - set("lsfzd"):
        return stem[:-1]  # stopping -> stop
    needs_e = (
        (
            stem.endswith(("v", "c", "ys", "ud", "uir", "ib", "ut", "ps", "ls", "ns", "rs", "dg", "rg", "ng"))
            and not stem.endswith(("ing", "ong", "ung"))
        )
        or (stem.endswith(("at", "is", "iz", "ur", "ar", "in", "om", "ok")) and stem[-3:-2] in _CONSONANTS)
        or (stem.endswith(("ang", "eng")) and not stem.endswith("eng"))
    )
    return stem + "e" if needs_e else stem


@dataclass(frozen=True, slots=True)
class MistakeWording:
    """A misconception reworded: the mistake as a learner might state it, and advice that corrects it."""

    belief: str
    advice: str
    says_everything: bool = False  # the advice already holds all the notes say, so quoting them adds nothing


def mistake_wording(text: str) -> MistakeWording:
    """Reword a misconception from the notes ('Confusing X with Y; ...') as a statement and a correction."""
    core = _GIVEAWAY_RE.split(text.strip(), maxsplit=1)[0].strip().rstrip(".,;:")
    wording = _reword(core)
    complete = core == text.strip().rstrip(".,;:") and bool(wording.advice)
    return MistakeWording(wording.belief, wording.advice, complete)


def _reword(core: str) -> MistakeWording:
    first, _, rest = core.partition(" ")
    verb = first.casefold()
    if verb == "confusing":
        mixed = re.match(r"(?P<a>.+?) with (?P<b>.+)$", rest)
        if mixed:
            a, b = mixed.group("a"), mixed.group("b")
            return MistakeWording(
                as_sentence(f"{a} is the same as {b}"), as_sentence(f"{a} and {b} are not the same thing")
            )
    if verb == "assuming" and rest:
        claim = re.sub(r"^that\s+", "", rest)
        return MistakeWording(as_sentence(claim), as_sentence(f"Do not assume that {claim}"))
    if verb == "failing" and rest.startswith("to "):
        action = rest[3:]
        return MistakeWording(as_sentence(f"There is no need to {action}"), as_sentence(f"Make sure you {action}"))
    solely = re.match(r"(?:solely|only|just|entirely) on (?P<x>.+?)(?: while .*)?$", rest)
    if verb in {"focusing", "focussing"} and solely:
        x = solely.group("x")
        return MistakeWording(as_sentence(f"Only {x} really matters"), as_sentence(f"Do not focus solely on {x}"))
    means = re.match(r".+? by (?P<gerund>\w+ing) (?P<rest>.+)$", rest)
    if verb.startswith("mis") and means and base_form(means.group("gerund")):
        # 'Misapplying X by citing Y' says what the mistake looks like in the by-clause.
        action = f"{base_form(means.group('gerund'))} {means.group('rest')}"
        advice = f"Do not {base_form(first)} {rest}"
        return MistakeWording(as_sentence(f"It is fine to {action}"), as_sentence(advice))
    base = base_form(first) if first.casefold().endswith("ing") else None
    if base is not None:
        action = _base_conjuncts(f"{base} {rest}".strip())
        return MistakeWording(as_sentence(f"It is fine to {action}"), as_sentence(f"Do not {action}"))
    if first.casefold().endswith("ing"):
        return MistakeWording(as_sentence(f"{core} is fine"), as_sentence(f"Avoid {lower_first(core)}"))
    return MistakeWording(as_sentence(core), "")


def _base_conjuncts(text: str) -> str:
    """Turn gerunds joined by 'or'/'and' into base forms too ('ignore X or assuming Y' -> '... or assume Y')."""

    def replace(match: re.Match[str]) -> str:
        base = base_form(match.group(2))
        return f"{match.group(1)} {base}" if base else match.group(0)

    return re.sub(r"\b(or|and) (\w+ing)\b(?= )", replace, text)
