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


# --- every spot-the-mistake line in one voice: advice a learner might give -----------------------
#
# Mistaken and correct lines are both imperative advice ("Link X to Y", "Focus on X alone"), so neither
# the form nor the opening words tell a learner which line is the mistake.

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
    "adhering": "adhere",
    "interfering": "interfere",
    "persevering": "persevere",
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
        or stem.endswith(("uat", "ag", "bl", "cl", "dl", "fl", "gl", "kl", "pl", "tl", "zl"))
        or (stem.endswith("ul") and not stem.endswith("ull"))
    )
    return stem + "e" if needs_e else stem


# How a marking point names what examiners want, before the thing itself ("Award credit for ...").
_MARK_PREFIX_RE = re.compile(
    r"^(?:to achieve (?:the|this) criterion,\s*)?"
    r"(?:(?:award|give|reward) (?:credit|marks?)(?: is| should be)? (?:for|where|when)"
    r"|credit(?: is| should be)? given for|credit (?:responses|answers|learners|work) (?:that|which)"
    r"|(?:assessors|examiners) (?:should |will )?(?:look for|expect|credit|reward)|expect|look for|reward|assess"
    r"|learners (?:must|should))\s+",
    flags=re.I,
)
_EVIDENCE_RE = re.compile(
    r"^(?:(?:clear |some )?(?:evidence|demonstration|signs?) (?:of|that)|(?:the )?ability to)\s+", re.I
)
_LEARNER_RE = re.compile(r"^(?:the )?(?:learner|candidate|student)s? (?P<verb>[a-z]+)\b", re.I)
# Nouns that name what a learner does: "explanations of how" -> "explain how".
_NOMINAL = {
    "explanation": "explain",
    "explanations": "explain",
    "description": "describe",
    "descriptions": "describe",
    "demonstration": "demonstrate",
    "identification": "identify",
    "evaluation": "evaluate",
    "analysis": "analyse",
    "use": "use",
    "application": "apply",
    "understanding": "understand",
    "awareness": "show awareness of",
    "knowledge": "show knowledge of",
}
_ADVERB_RE = re.compile(r"^(?P<adverb>\w+ly)\s+(?P<rest>.+)$")


def advice_line(text: str, kind: str) -> str | None:
    """Return a tip, marking point or concept explanation as imperative advice, or None if it will not go."""
    text = text.strip().rstrip(".")
    if kind == "tip":
        return as_sentence(text)  # exam tips are advice already
    if kind == "concept":
        imperative = imperative_of(text)
        return as_sentence(imperative) if imperative is not None else None
    prefix = _MARK_PREFIX_RE.match(text)
    text = text[prefix.end() :] if prefix else text
    evidence = _EVIDENCE_RE.match(text)
    text = text[evidence.end() :] if evidence else text
    learner = _LEARNER_RE.match(text)
    if learner:
        return as_sentence(f"{_present_to_base(learner.group('verb'))}{text[learner.end() :]}")
    if (prefix and re.search(r"(?:must|should|that|which)\s+$", prefix.group(0))) or (
        evidence and evidence.group(0).casefold().rstrip().endswith("ability to")
    ):
        return as_sentence(text)  # "learners must identify X", "the ability to outline X": a command already
    first = text.split(maxsplit=1)[0].casefold() if text else ""
    if first in _NOMINAL:
        rest = re.sub(r"^\S+\s+(?:of\s+)?", "", text, count=1)
        return as_sentence(f"{_NOMINAL[first]} {rest}")
    imperative = imperative_of(text)
    if imperative is not None:
        return as_sentence(imperative)
    return as_sentence(f"Show {lower_first(text)}") if text else None


def imperative_of(text: str) -> str | None:
    """Turn text that starts with -ing verbs into commands ('Defining and monitoring X' -> 'Define and monitor X')."""
    adverb = ""
    match = _ADVERB_RE.match(text)
    if match and base_form(match.group("rest").split(maxsplit=1)[0]):
        adverb, text = match.group("adverb") + " ", match.group("rest")
    first, _, rest = text.partition(" ")
    base = "understand" if first.casefold() == "understanding" else base_form(first)
    if base is None:
        return None
    return _base_conjuncts(f"{adverb}{base} {rest}".strip())


def _present_to_base(verb: str) -> str:
    """Return 'respects' -> 'respect', 'identifies' -> 'identify' (the command for what a learner does)."""
    word = verb.casefold()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# Where a line may be cut and still say something whole: before a clause that adds a reason, a purpose,
# an example or a manner.
_CUT_RE = re.compile(
    r";\s|\s[—–]\s?|—|\.\s|\s\(|,? (?:including|such as|for example|e\.g\.|which|so that|thereby)\b"
    r"|, (?:\w+ing|when|where|while|before|after)\b| (?:by \w+ing|while|whereas)\b"
    r"| (?:in order )?to (?:ensure|demonstrate|show|make|help|achieve|provide|illustrate|support|avoid|maintain)\b"
)
# A line that opens with a clause ("When analysing a sector, ...") must not be cut before that clause ends.
_OPENING_CLAUSE_RE = re.compile(r"^(?:when|if|for|in|to|as|while|after|before|although|once|during)\b[^,]*,", re.I)


def trim_to(text: str, target: int, floor: int = 30) -> str:
    """Return text cut at a clause boundary to the length nearest target (never under floor), as a sentence."""
    text = text.strip().rstrip(".")
    opening = _OPENING_CLAUSE_RE.match(text)
    floor = max(floor, opening.end() + 20) if opening else floor
    cuts = [len(text)] + [m.start() for m in _CUT_RE.finditer(text) if m.start() >= floor]
    best = min(cuts, key=lambda n: (abs(n - target), -n))
    cut = text[:best].rstrip(" ,;:–—-")
    if cut.count("(") > cut.count(")"):
        cut = cut[: cut.rindex("(")].rstrip(" ,;:")
    return as_sentence(cut)


# --- misconceptions as a mistaken line and a correction -------------------------------------------

# Where a misconception stops saying what the mistake is and starts saying why it is wrong.
_GIVEAWAY_RE = re.compile(
    r",? (?:leading to|resulting in|which|rather than|instead of|without|when in fact|even though|although|"
    r"because|whereas)\b|:\s|; |\s*[—–]\s*|, (?:such as|when|but|as|so|since|while)\b|, (?!and |or )\w+ing\b"
    r"| and not \w+ing\b| or not \w+ing\b| while (?:neglecting|ignoring|overlooking|forgetting)\b",
    flags=re.I,
)
# A tail that is a whole clause of its own ("...: a profitable business can still fail") reads as a sentence.
_CLAUSE_TAIL_RE = re.compile(r"^(?::\s|; |\s*[—–]\s*)")
_SET_ASIDE = {"ignoring", "overlooking", "neglecting", "disregarding", "forgetting"}
_BELIEVING = {"assuming", "believing", "thinking", "presuming", "expecting"}


@dataclass(frozen=True, slots=True)
class MistakeWording:
    """A misconception reworded: the mistake as a learner might advise it, and the correction."""

    belief: str
    advice: str
    tail: str = ""  # what the notes add after the mistake (why it is wrong), as a sentence, or ""


def mistake_wording(text: str) -> MistakeWording:
    """Reword a misconception from the notes ('Confusing X with Y; ...') as advice and a correction."""
    text = text.strip().rstrip(".")
    split = None
    for match in _GIVEAWAY_RE.finditer(text):
        if len(text[: match.start()].split()) >= 3:
            split = match
            break
    core = (text[: split.start()] if split else text).strip().rstrip(".,;:")
    tail = ""
    if split is not None:
        rest = text[split.end() :].strip()
        if _CLAUSE_TAIL_RE.match(split.group(0)) and rest:
            tail = as_sentence(rest)
        else:
            tail = f"The notes list this as a mistake to avoid: {lower_first(as_sentence(text))}"
    belief, advice = _reword(core)
    return MistakeWording(_soften(belief), advice, tail)


# Absolute words mark a line as the mistake to a test-wise learner; a learner's belief is just as
# mistaken without them ("customers have similar needs" is the error, not the word "all").
_SOFTER = (
    (re.compile(r"\b(?:solely|only|entirely|exclusively|purely|just)\b ?", re.I), "mainly "),
    (re.compile(r"\ball (?=[a-z]+s\b)", re.I), ""),
    (re.compile(r"\bthe same (?=[a-z]+s\b)", re.I), "similar "),
    (re.compile(r"\balways\b", re.I), "as a rule"),
    (re.compile(r"\bnever\b", re.I), "rarely"),
)


def _soften(belief: str) -> str:
    for pattern, softer in _SOFTER:
        belief = pattern.sub(softer, belief)
    return as_sentence(re.sub(r"\s+", " ", belief).strip())


def _reword(core: str) -> tuple[str, str]:
    first, _, rest = core.partition(" ")
    verb = first.casefold()
    if verb == "not" and rest:
        first, _, rest = rest.partition(" ")
        base = base_form(first)
        if base:
            action = _base_conjuncts(f"{base} {rest}".strip())
            return as_sentence(f"Treat it as optional to {action}"), as_sentence(f"Make sure you {action}")
    if verb == "confusing":
        mixed = re.match(r"(?P<a>.+?) (?:with|and) (?P<b>.+)$", rest)
        if mixed:
            a, b = mixed.group("a"), mixed.group("b")
            return (
                as_sentence(f"Treat {a} as another word for {b}"),
                as_sentence(f"{a} and {b} are different things, not one idea under two names"),
            )
    if verb in _BELIEVING and rest:
        claim = lower_first(re.sub(r"^that\s+", "", rest))
        return as_sentence(f"Work on the basis that {claim}"), as_sentence(f"Do not assume that {claim}")
    if verb == "failing" and rest.startswith("to "):
        action = _base_conjuncts(rest[3:])
        return as_sentence(f"Treat it as optional to {action}"), as_sentence(f"Make sure you {action}")
    solely = re.match(r"(?:solely|only|just|entirely|purely|exclusively) on (?P<x>.+)$", rest)
    if verb in {"focusing", "focussing", "concentrating"} and solely:
        x = solely.group("x")
        return as_sentence(f"Focus on {x} alone"), as_sentence(f"Do not focus solely on {x}")
    if verb in _SET_ASIDE and rest:
        action = _base_conjuncts(rest)
        return as_sentence(f"Leave aside {action}"), as_sentence(f"Do not {base_form(first)} {action}")
    if verb == "underestimating" and rest:
        return as_sentence(f"Play down {rest}"), as_sentence(f"Do not underestimate {rest}")
    means = re.match(r".+? by (?P<gerund>\w+ing) (?P<rest>.+)$", rest)
    if verb.startswith("mis") and means and base_form(means.group("gerund")):
        # 'Misapplying X by citing Y' says what the mistake looks like in the by-clause.
        action = f"{base_form(means.group('gerund'))} {means.group('rest')}"
        return as_sentence(action), as_sentence(f"Do not {base_form(first)} {rest}")
    base = base_form(first) if verb.endswith("ing") else None
    if base is not None:
        action = _base_conjuncts(f"{base} {rest}".strip())
        return as_sentence(action), as_sentence(f"Do not {action}")
    claim = lower_first(core)
    return as_sentence(f"Work on the basis that {claim}"), as_sentence(f"It is a mistake to think that {claim}")


def _base_conjuncts(text: str) -> str:
    """Turn later gerunds of a list into base forms too ('ignore X or assuming Y' -> '... or assume Y')."""

    def replace(match: re.Match[str]) -> str:
        # A gerund after a preposition ("essential for building X, clarifying Y") stays as it is.
        if _GOVERNED_RE.search(text[: match.start()]):
            return match.group(0)
        base = base_form(match.group(2))
        return f"{match.group(1)} {base}" if base else match.group(0)

    return re.sub(r"(,|,? or|,? and) (\w+ing)\b(?= )", replace, text)


_GOVERNED_RE = re.compile(r"\b(?:for|of|by|to|in|on|about|without|through|when|while|after|before) \w+ing\b", re.I)
