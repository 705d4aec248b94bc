"""Turn parsed notes into element content: the notes themselves, plus generated questions and challenges.

Every generated item records where it came from (`origin`) and starts unreviewed. Choices that look
random (distractors, the right answer's position) are fixed by hashes of the content, so the same notes
always give the same items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.authoring.acronyms import Acronym, find_acronyms
from bot.authoring.notes import HEADINGS, Notes, NotesWarning, Section
from bot.authoring.spot import STATEMENT_MAX, generated_origin, spot_challenges
from bot.authoring.wording import (
    STOPWORDS,
    as_sentence,
    content_words,
    fit,
    lower_first,
    mistake_wording,
    place_answer,
    slug,
    stable_index,
    stable_rank,
    trim_to,
)
from bot.course.loader import MENTION_RE
from bot.course.models import (
    BUTTON_LABEL_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_TITLE_MAX,
    PROMPT_MAX,
)

ID_MAX = 64
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
MAX_DISTRACTORS = 3


@dataclass(frozen=True, slots=True)
class NotesSource:
    """One notes file to import: its parsed notes and the element it becomes."""

    name: str  # the file's name, as recorded in the element file
    element_id: str
    title: str
    notes: Notes


@dataclass
class GeneratedElement:
    """An element ready to write, with counts for the summary and warnings for the tutor."""

    element_id: str
    data: dict[str, Any]
    warnings: list[NotesWarning] = field(default_factory=list)

    def count(self, key: str) -> int:
        return sum(1 for item in self.data[key] if not str(item["id"]).endswith(".missing"))


@dataclass(frozen=True, slots=True)
class _Concept:
    id: str
    name: str
    explanation: str
    label: str | None  # the name as it fits on a button, None if it cannot be shortened safely
    line: int | None = None


@dataclass
class _Element:
    source: NotesSource
    data: dict[str, Any]
    concepts: list[_Concept]
    warnings: list[NotesWarning]
    ids: set[str]
    untaught: set[str] = field(default_factory=set)  # ids holding a mismatched acronym: never taught

    @property
    def id(self) -> str:
        return self.source.element_id

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(NotesWarning(line, message))

    def new_id(self, kind: str, text: str) -> str:
        prefix = f"{self.id}.{kind}."
        phrase = re.split(r"[;,:(—–]|\.\s", text, maxsplit=1)[0]  # the opening phrase names an item best
        base = slug(phrase, ID_MAX - len(prefix) - 3, max_words=4) or slug(text, ID_MAX - len(prefix) - 3) or kind
        candidate, n = prefix + base, 2
        while candidate in self.ids:
            candidate, n = f"{prefix}{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate


def generate_course(sources: list[NotesSource]) -> list[GeneratedElement]:
    """Return the content of every element; distractors come from the same element first, then the course."""
    elements = [_notes_part(source) for source in sources]
    _label_concepts(elements)
    vocabulary = {e.id: _vocabulary(e.data) for e in elements}
    acronyms = {e.id: _acronym_questions(e, vocabulary, elements) for e in elements}
    for element in elements:
        element.data["questions"] = _concept_questions(element, elements) + acronyms[element.id]
        element.data["challenges"] = spot_challenges(
            element.data,
            element.source.notes.misconceptions,
            element.new_id,
            element.warn,
            frozenset(element.untaught),
        )
    return [GeneratedElement(e.id, e.data, e.warnings) for e in elements]


# --- the notes themselves -------------------------------------------------------------------------

_MISSING = {
    Section.CONCEPTS: "key concepts",
    Section.TIPS: "exam tips",
    Section.MISCONCEPTIONS: "common mistakes",
    Section.MARKING_POINTS: "marking points",
}


def _missing(what: Section) -> str:
    return f"The notes for this element had no {_MISSING[what]}: add them to the notes and import again."


def _notes_part(source: NotesSource) -> _Element:
    notes, warnings = source.notes, list(source.notes.warnings)
    element = _Element(source, {}, [], warnings, set())

    def text(value: str, limit: int, line: int | None, what: str) -> str:
        if MENTION_RE.search(value):
            warnings.append(NotesWarning(line, f"{what} mentions someone; the @ is broken so it cannot ping"))
            value = MENTION_RE.sub(lambda m: m.group().replace("@", "@\u200b").replace("<#", "<#\u200b"), value)
        if len(value) > limit:
            warnings.append(NotesWarning(line, f"{what} is {len(value)} characters long: cut to {limit}"))
            value = fit(value, limit)
        return value

    synopsis = text(notes.synopsis, EMBED_DESCRIPTION_MAX, notes.synopsis_line, "the synopsis")
    if not synopsis:
        synopsis = "The notes for this element had no synopsis: add one to the notes and import again."
    concepts, seen_names = [], {}
    for concept in notes.concepts:
        name = text(concept.name, EMBED_FIELD_NAME_MAX, concept.line, "a concept's name")
        if name.casefold() in seen_names:
            element.warn(concept.line, f"two concepts are called {name!r} (see line {seen_names[name.casefold()]})")
        seen_names.setdefault(name.casefold(), concept.line)
        explanation = as_sentence(text(concept.explanation, EMBED_FIELD_VALUE_MAX - 1, concept.line, "an explanation"))
        concepts.append({"id": element.new_id("concept", name), "name": name, "explanation": explanation})
    tips = [
        {
            "id": element.new_id("tip", t.text),
            "text": as_sentence(text(t.text, EMBED_FIELD_VALUE_MAX - 1, t.line, "a tip")),
        }
        for t in notes.tips
    ]
    misconceptions = []
    for item in notes.misconceptions:
        cleaned = text(item.text, EMBED_FIELD_VALUE_MAX // 2, item.line, "a misconception")
        wording = mistake_wording(cleaned)
        correction = f"{wording.advice} {wording.tail}".strip()
        misconceptions.append(
            {
                "id": element.new_id("mis", item.text),
                "belief": fit(wording.belief, STATEMENT_MAX),
                "correction": fit(correction, EMBED_FIELD_VALUE_MAX),
            }
        )
    marks = [
        {
            "id": element.new_id("mark", m.text),
            "text": as_sentence(text(m.text, EMBED_FIELD_VALUE_MAX - 1, m.line, "a marking point")),
        }
        for m in notes.marking_points
    ]
    # The content model needs at least one of each; a placeholder keeps the file valid and says what to add.
    if not concepts:
        concepts = [
            {
                "id": f"{source.element_id}.concept.missing",
                "name": "Missing from the notes",
                "explanation": _missing(Section.CONCEPTS),
            }
        ]
    if not tips:
        tips = [{"id": f"{source.element_id}.tip.missing", "text": _missing(Section.TIPS)}]
    if not misconceptions:
        misconceptions = [
            {
                "id": f"{source.element_id}.mis.missing",
                "belief": "(none listed)",
                "correction": _missing(Section.MISCONCEPTIONS),
            }
        ]
    if not marks:
        marks = [{"id": f"{source.element_id}.mark.missing", "text": _missing(Section.MARKING_POINTS)}]
    for section, items in (
        (Section.CONCEPTS, concepts),
        (Section.TIPS, tips),
        (Section.MISCONCEPTIONS, misconceptions),
        (Section.MARKING_POINTS, marks),
    ):
        if items[0]["id"].endswith(".missing"):
            element.warn(None, f"no {_MISSING[section]} ('{HEADINGS[section]}'): a placeholder keeps the file valid")
    element.data = {
        "id": source.element_id,
        "title": text(source.title, EMBED_TITLE_MAX, None, "the title"),
        "synopsis": synopsis,
        "concepts": concepts,
        "tips": tips,
        "misconceptions": misconceptions,
        "marking_points": marks,
    }
    element.concepts = [
        _Concept(c["id"], c["name"], c["explanation"], None, note.line)
        for c, note in zip(concepts, notes.concepts, strict=False)
        if not c["id"].endswith(".missing")
    ]
    return element


def _label_concepts(elements: list[_Element]) -> None:
    """Give each concept a button label; a long name is shortened only if it stays unambiguous."""
    everything = [(e, c) for e in elements for c in e.concepts]
    full_names = {c.name.casefold() for _, c in everything}
    shortened = {c.id: _shorten(c.name) for _, c in everything}
    owners: dict[str, set[str]] = {}
    for _, concept in everything:
        owners.setdefault(shortened[concept.id].casefold(), set()).add(concept.name.casefold())
    labels: dict[str, str | None] = {}
    for element, concept in everything:
        label = shortened[concept.id]
        clash = len(owners[label.casefold()]) > 1 or (label != concept.name and label.casefold() in full_names)
        labels[concept.id] = None if clash else label
        if clash:
            element.warn(
                concept.line,
                f"concept {concept.name!r} is too long for a button ({len(concept.name)} characters, at most "
                f"{BUTTON_LABEL_MAX}) and cannot be shortened without clashing with another: no question for it",
            )
        elif label != concept.name:
            element.warn(concept.line, f"concept {concept.name!r} is shortened to {label!r} on answer buttons")
    for element in elements:
        element.concepts = [_Concept(c.id, c.name, c.explanation, labels[c.id], c.line) for c in element.concepts]


def _shorten(name: str) -> str:
    if len(name) <= BUTTON_LABEL_MAX:
        return name
    without_brackets = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if 0 < len(without_brackets) <= BUTTON_LABEL_MAX:
        return without_brackets
    return fit(name, BUTTON_LABEL_MAX)


# --- questions on concepts ------------------------------------------------------------------------


def _concept_questions(element: _Element, course: list[_Element]) -> list[dict[str, Any]]:
    """Ask about each concept in one of three forms, taken in turn so an element mixes them."""
    questions = []
    first_form = stable_index(f"{element.id}\0forms", len(_FORMS))
    for position, concept in enumerate(element.concepts):
        if concept.label is None or concept.id in element.untaught:
            continue
        seed = f"{element.id}\0concept\0{concept.name}\0{concept.explanation}"
        same = sorted((c for c in element.concepts if c.id != concept.id), key=lambda c: stable_rank(seed, c.name))
        rest = sorted(
            (c for e in course if e is not element for c in e.concepts), key=lambda c: stable_rank(seed, c.name)
        )
        distractors: list[_Concept] = []
        seen = {concept.label.casefold()}
        for other in (*same, *rest):
            if other.label is not None and other.label.casefold() not in seen and len(distractors) < MAX_DISTRACTORS:
                distractors.append(other)
                seen.add(other.label.casefold())
        if not distractors:
            element.warn(
                concept.line, f"concept {concept.name!r}: no other concept to offer as a wrong answer, so no question"
            )
            continue
        # A right answer that is always the longest is a cue: in two questions of three, offer a longer name.
        longer = [c for c in (*same, *rest) if c.label and len(c.label) > len(concept.label) and c not in distractors]
        if longer and all(len(d.label or "") < len(concept.label) for d in distractors) and stable_index(seed, 3):
            distractors[-1] = longer[0]
        ask = _Ask(element, concept, distractors, [d for d in distractors if d in same], seed)
        turns = (_FORMS[(first_form + position + turn) % len(_FORMS)] for turn in range(len(_FORMS)))
        question = next((q for q in (form(ask) for form in turns) if q is not None), None)
        question = question or _term_from_description(ask)
        questions.append(
            {
                "id": element.new_id("q", concept.name),
                "kind": "multiple_choice",
                **question,
                "concepts": [concept.id],
                "origin": generated_origin(concept.id),
            }
        )
    return questions


@dataclass(frozen=True, slots=True)
class _Ask:
    element: _Element
    concept: _Concept
    distractors: list[_Concept]
    same: list[_Concept]  # the distractors from the same element
    seed: str

    def contrast(self) -> str:
        """Return a sentence on the concept after this one in the notes, or '' (two never name each other)."""
        concepts = [c for c in self.element.concepts if c.id not in self.element.untaught]
        if len(concepts) < 3 or self.concept not in concepts:
            return ""
        other = concepts[(concepts.index(self.concept) + 1) % len(concepts)]
        opening = trim_to(other.explanation, 40).rstrip(".")
        return f" {other.name} is a different concept, about {lower_first(opening)}."

    def item(self, prompt: str, right: str, wrong: list[str], explanation: str, difficulty: int) -> dict[str, Any]:
        """Return the question's fields, with the right option at a position fixed by the seed."""
        options, answer = place_answer(right, wrong, self.seed)
        return {
            "prompt": fit(prompt, PROMPT_MAX),
            "options": options,
            "answer": answer,
            "explanation": fit(explanation + self.contrast(), EMBED_FIELD_VALUE_MAX),
            "difficulty": difficulty,
        }

    def labels(self) -> tuple[str, list[str]]:
        """Return the concept's button label and the distractors' labels."""
        return self.concept.label or "", [d.label or "" for d in self.distractors]


def _term_from_description(ask: _Ask) -> dict[str, Any]:
    """Quote the concept's explanation with its name's words blanked, and ask which concept it is."""
    concept = ask.concept
    prefix = "Which key concept do the notes describe here? "
    described = fit(_blank(concept.explanation, concept.name), PROMPT_MAX - len(prefix) - 2)
    explanation = f"The notes describe {concept.name} like this: {lower_first(concept.explanation)}"
    difficulty = 1 if all(d in ask.same for d in ask.distractors) else 2
    return ask.item(f'{prefix}"{described}"', *ask.labels(), explanation, difficulty)


def _description_from_term(ask: _Ask) -> dict[str, Any] | None:
    """Offer descriptions as options; only when the right one does not repeat the concept's name."""
    concept = ask.concept
    right = _option_gist(concept.explanation)
    # Blanks in the options would point at the answer, so the right one must not repeat the name instead.
    if content_words(right) & content_words(concept.name):
        return None
    wrong = [
        _option_gist(d.explanation)
        for d in ask.distractors
        if d.id not in ask.element.untaught and not d.id.endswith(".missing")
    ]
    wrong = list(dict.fromkeys(w for w in wrong if w.casefold() != right.casefold()))
    if not wrong:
        return None
    explanation = f"{concept.name} is about {lower_first(_gist(concept.explanation))}."
    return ask.item(f"Which of these does the key concept {concept.name} cover?", right, wrong, explanation, 2)


_EXAMPLE_RE = re.compile(
    r"\((?:e\.g\.|eg|for example|such as|like)[,:]?\s*(?P<bracketed>[^()]{4,60})\)"
    r"|\b(?:such as|for example|e\.g\.|like)[,:]?\s+(?P<plain>[^,.;:()]{4,50})"
)


def _scenario(ask: _Ask) -> dict[str, Any] | None:
    """Set a learner's answer that uses an example the notes give, and ask which concept it applies."""
    concept = ask.concept
    match = _EXAMPLE_RE.search(concept.explanation)
    if match is None:
        return None
    example = (match.group("bracketed") or match.group("plain")).strip().rstrip(",")
    others = [c.explanation.casefold() for c in ask.element.concepts if c.id != concept.id]
    if content_words(example) & content_words(concept.name) or any(example.casefold() in o for o in others):
        return None
    explanation = f"The notes give {example} as an example under {concept.name}: {lower_first(concept.explanation)}"
    prompt = f"A learner's answer brings in {example}. Which key concept is the learner applying?"
    return ask.item(prompt, *ask.labels(), explanation, 2)


_FORMS = (_term_from_description, _description_from_term, _scenario)


def _blank(text: str, name: str) -> str:
    """Return text with the words of name blanked, so the description does not give the name away."""
    for word in sorted(content_words(name), key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(word[:5])}[\w-]*", "___", text, flags=re.I)
    return text


def _option_gist(explanation: str) -> str:
    """Return the opening of an explanation short enough for a button, cut at a comma where it can be."""
    gist = trim_to(explanation, 55).rstrip(".")
    if len(gist) > BUTTON_LABEL_MAX and ", " in gist[:BUTTON_LABEL_MAX]:
        gist = gist[: gist.rindex(", ", 0, BUTTON_LABEL_MAX)]
    return fit(gist, BUTTON_LABEL_MAX)


def _gist(explanation: str) -> str:
    """Return the opening phrase of an explanation (up to its first comma or bracket, if that says enough)."""
    phrase = re.split(r",? including\b|, such as\b|\s\(|;\s|\.\s", explanation.rstrip("."), maxsplit=1)[0]
    return fit(phrase if len(phrase.split()) >= 3 else explanation.rstrip("."), 100)


# --- questions on acronyms ------------------------------------------------------------------------


def _acronym_sources(element: _Element) -> Iterable[tuple[str, str, str, int | None]]:
    """Yield (text, source id, field of the question that tests it, line) for text that may hold acronyms."""
    notes = element.source.notes
    lines = {c.name: c.line for c in notes.concepts}
    for concept in element.data["concepts"]:
        yield f"{concept['name']}: {concept['explanation']}", concept["id"], "concepts", lines.get(concept["name"])
    for item, note in zip(element.data["tips"], notes.tips, strict=False):
        yield item["text"], item["id"], "tips", note.line
    for item, note in zip(element.data["marking_points"], notes.marking_points, strict=False):
        yield item["text"], item["id"], "marking_points", note.line


_HOLDER = {"concepts": "key concept", "tips": "exam tip", "marking_points": "marking point"}


def _acronym_questions(
    element: _Element, vocabulary: dict[str, list[str]], course: list[_Element]
) -> list[dict[str, Any]]:
    """Ask what one letter stands for and the order, per acronym; teach nothing from a mismatched one."""
    questions: list[dict[str, Any]] = []
    done: dict[str, bool] = {}
    for text, source_id, ref_field, line in _acronym_sources(element):
        if source_id.endswith(".missing"):
            continue
        for acronym in find_acronyms(text):
            if not acronym.matches:
                element.untaught.add(source_id)
            if acronym.letters in done:
                continue
            done[acronym.letters] = acronym.matches
            if not acronym.matches:
                element.warn(
                    line,
                    f"acronym {acronym.mismatch()}: no questions made from it, and the {_HOLDER[ref_field]} that "
                    "holds it is left out of questions, spot-the-mistake lines and helps",
                )
                continue
            pool = [*vocabulary[element.id], *(w for e in course if e is not element for w in vocabulary[e.id])]
            questions.append(_letter_question(element, acronym, pool, source_id, ref_field))
            if len(acronym.words) >= 4:  # the order of two or three parts is too easy to guess to ask
                questions.append(_order_question(element, acronym, source_id, ref_field))
    return questions


def _letter_question(
    element: _Element, acronym: Acronym, pool: list[str], source_id: str, ref_field: str
) -> dict[str, Any]:
    """Ask about one letter: one whose letter starts another part too, else one fixed by a hash."""
    # One letter, not each: questions on every letter of one acronym ask the same point again.
    doubled = [i for i, w in enumerate(acronym.words) if acronym.initials.count(w[0].upper()) > 1]
    index = doubled[0] if doubled else stable_index(f"{element.id}\0letter\0{acronym.letters}", len(acronym.words))
    letter, right = acronym.letters[index], acronym.words[index]
    seed = f"{element.id}\0acronym\0{acronym.letters}\0{index}"
    twins = [w for w in acronym.words if w[0].upper() == letter and w.casefold() != right.casefold()]
    taken = {_stem(w) for w in acronym.words}
    same_letter = [
        w
        for w in pool
        if w[0].upper() == letter
        and _stem(w) not in taken
        and _same_shape(w, right)
        and right.casefold() not in w.casefold()
        and w.casefold() not in right.casefold()
    ]
    # Words of about the answer's length, then words that end like it (Technological: Logical), are the most
    # plausible wrong answers and do not make the answer stand out by its length.
    ranked = sorted(
        dict.fromkeys(same_letter),
        key=lambda w: (abs(len(w) - len(right)) // 4, -_shared_ending(w, right), stable_rank(seed, w)),
    )
    wrong = list(dict.fromkeys([*twins, *ranked]))[:MAX_DISTRACTORS]
    if not wrong:  # no word in the notes starts with this letter: fall back to the acronym's other words
        wrong = [w for w in acronym.words if w.casefold() != right.casefold()][:MAX_DISTRACTORS]
    options, answer = place_answer(right, [fit(w, BUTTON_LABEL_MAX) for w in wrong], seed)
    ordinal = ORDINALS[index]
    explanation = f"The {ordinal} letter of {acronym.letters}, {letter}, stands for {right}."
    for twin in twins:
        if twin in wrong:
            position = ORDINALS[acronym.words.index(twin)]
            explanation += f" {twin} also begins with {letter}, but it is the {position} letter."
    return {
        "id": element.new_id("q", f"{acronym.letters} letter"),
        "kind": "multiple_choice",
        "prompt": f"In {acronym.label}, what does the {ordinal} letter, {letter}, stand for?",
        "options": options,
        "answer": answer,
        "explanation": fit(explanation, EMBED_FIELD_VALUE_MAX),
        ref_field: [source_id],
        "difficulty": 1,
        "origin": generated_origin(source_id),
    }


def _order_question(element: _Element, acronym: Acronym, source_id: str, ref_field: str) -> dict[str, Any]:
    """Ask which part comes after another: options that are one part each differ in length as parts do.

    (Options that list every part in a different order are all the same length, which a test-wise
    learner reads as "the right answer is never shorter than the others".)
    """
    words = list(acronym.words)
    seed = f"{element.id}\0order\0{acronym.letters}"
    k = stable_index(seed, len(words) - 1)
    right_option = words[k + 1]
    others = [w for i, w in enumerate(words) if i not in (k, k + 1)] or [words[k]]
    wrong = sorted(others, key=lambda w: stable_rank(seed, w))[:MAX_DISTRACTORS]
    prompt = f"In {acronym.label}, which part comes straight after {words[k]}?"
    options, answer = place_answer(right_option, [fit(w, BUTTON_LABEL_MAX) for w in wrong], seed)
    steps = ", ".join(f"{w[0].upper()} for {w}" for w in words)
    explanation = f"Read {acronym.letters} letter by letter: {steps}."
    return {
        "id": element.new_id("q", f"{acronym.letters} order"),
        "kind": "multiple_choice",
        "prompt": prompt,
        "options": options,
        "answer": answer,
        "explanation": fit(explanation, EMBED_FIELD_VALUE_MAX),
        ref_field: [source_id],
        "difficulty": 2,
        "origin": generated_origin(source_id),
    }


def _same_shape(word: str, answer: str) -> bool:
    """Return whether word could stand where answer does (not a plural, -ing or -ed form when answer is not)."""
    w, a = word.casefold(), answer.split()[0].casefold()
    for ending in ("ing", "ed"):
        if w.endswith(ending) and not a.endswith(ending):
            return False
    plural = w.endswith("s") and not w.endswith(("ss", "is", "us"))
    return not plural or a.endswith("s")


def _shared_ending(word: str, answer: str) -> int:
    w, a = word.casefold(), answer.split()[0].casefold()
    n = 0
    while n < 3 and n < min(len(w), len(a)) and w[-1 - n] == a[-1 - n]:
        n += 1
    return n


def _stem(word: str) -> str:
    return word.casefold()[:5]


def _vocabulary(data: dict[str, Any]) -> list[str]:
    """Return the notes' longer words, capitalised, in order of first use (wrong answers for letter questions)."""
    texts = [data["synopsis"]]
    texts += [f"{c['name']} {c['explanation']}" for c in data["concepts"]]
    texts += [t["text"] for t in data["tips"]] + [m["text"] for m in data["marking_points"]]
    words: dict[str, str] = {}
    for text in texts:
        for word in re.findall(r"\b[A-Za-z][a-z]{4,}(?:-[a-z]+)?\b", text):
            folded = word.casefold()
            if folded not in STOPWORDS and not folded.endswith("ly"):
                words.setdefault(folded, word[0].upper() + word[1:])
    return list(words.values())
