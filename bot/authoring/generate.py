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
    fit,
    join_and,
    lower_first,
    mistake_wording,
    place_answer,
    slug,
    stable_index,
    stable_rank,
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
    for element in elements:
        element.data["questions"] = _concept_questions(element, elements) + _acronym_questions(
            element, vocabulary, elements
        )
        element.data["challenges"] = spot_challenges(
            element.data, element.source.notes.misconceptions, element.new_id, element.warn
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
        original = as_sentence(cleaned)
        wording = mistake_wording(cleaned)
        if wording.says_everything:
            correction = f"{wording.advice} The notes list this among the common mistakes to avoid."
        else:
            correction = f"{wording.advice} The notes list this as a mistake to avoid: {lower_first(original)}"
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
    questions = []
    for concept in element.concepts:
        if concept.label is None:
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
        options, answer = place_answer(concept.label, [d.label or "" for d in distractors], seed)
        described = re.sub(re.escape(concept.name), "this concept", concept.explanation, flags=re.I)
        prefix = "Which key concept do the notes describe like this? "
        prompt = f'{prefix}"{fit(described, PROMPT_MAX - len(prefix) - 2)}"'
        explanation = (
            f"'{concept.name}' is the key concept the notes explain in these words: {lower_first(concept.explanation)}"
        )
        contrasts = [
            f"'{d.name}' is about {lower_first(_gist(d.explanation))}"
            for d in distractors
            if any(d.id == c.id for c in element.concepts)
        ]
        if contrasts:
            explanation = _add_while_fits(explanation, " The other options are different concepts: ", contrasts, "; ")
        questions.append(
            {
                "id": element.new_id("q", concept.name),
                "kind": "multiple_choice",
                "prompt": prompt,
                "options": options,
                "answer": answer,
                "explanation": fit(explanation, EMBED_FIELD_VALUE_MAX),
                "concepts": [concept.id],
                "difficulty": 1 if all(d in same for d in distractors) else 2,
                "origin": generated_origin(concept.id),
            }
        )
    return questions


def _gist(explanation: str) -> str:
    """Return the opening phrase of an explanation (up to its first comma or bracket, if that says enough)."""
    phrase = re.split(r",? including\b|, such as\b|\s\(|;\s|\.\s", explanation.rstrip("."), maxsplit=1)[0]
    return fit(phrase if len(phrase.split()) >= 3 else explanation.rstrip("."), 100)


def _add_while_fits(text: str, lead: str, parts: list[str], separator: str) -> str:
    kept: list[str] = []
    for part in parts:
        candidate = text + lead + separator.join([*kept, part]) + "."
        if len(candidate) > EMBED_FIELD_VALUE_MAX:
            break
        kept.append(part)
    return text + lead + separator.join(kept) + "." if kept else text


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


def _acronym_questions(
    element: _Element, vocabulary: dict[str, list[str]], course: list[_Element]
) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    done: set[str] = set()
    for text, source_id, ref_field, line in _acronym_sources(element):
        if source_id.endswith(".missing"):
            continue
        for acronym in find_acronyms(text):
            if acronym.letters in done:
                continue
            done.add(acronym.letters)
            if not acronym.matches:
                element.warn(line, f"acronym {acronym.mismatch()}: no questions made from it")
                continue
            pool = [*vocabulary[element.id], *(w for e in course if e is not element for w in vocabulary[e.id])]
            for index in range(len(acronym.letters)):
                questions.append(_letter_question(element, acronym, index, pool, source_id, ref_field))
            questions.append(_order_question(element, acronym, source_id, ref_field))
    return questions


def _letter_question(
    element: _Element, acronym: Acronym, index: int, pool: list[str], source_id: str, ref_field: str
) -> dict[str, Any]:
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
    # Words that end like the answer (Technological: Logical, Typical) make the most plausible wrong answers.
    ranked = sorted(dict.fromkeys(same_letter), key=lambda w: (-_shared_ending(w, right), stable_rank(seed, w)))
    wrong = list(dict.fromkeys([*twins, *ranked]))[:MAX_DISTRACTORS]
    if not wrong:  # no word in the notes starts with this letter: fall back to the acronym's other words
        wrong = [w for w in acronym.words if w.casefold() != right.casefold()][:MAX_DISTRACTORS]
    options, answer = place_answer(right, [fit(w, BUTTON_LABEL_MAX) for w in wrong], seed)
    ordinal = ORDINALS[index]
    explanation = (
        f"{acronym.letters} stands for {join_and(acronym.words)}, so its {ordinal} letter, {letter}, "
        f"stands for {right}."
    )
    for twin in twins:
        if twin in wrong:
            position = ORDINALS[acronym.words.index(twin)]
            explanation += f" {twin} also begins with {letter}, but it is the {position} letter."
    explanation += f' The notes put it like this: "{fit(acronym.sentence, 500)}"'
    return {
        "id": element.new_id("q", f"{acronym.letters} letter {index + 1}"),
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
    words = list(acronym.words)
    seed = f"{element.id}\0order\0{acronym.letters}"
    right = ", ".join(words)
    if len(right) <= BUTTON_LABEL_MAX:
        orders = []
        for i in range(len(words) - 1):
            swapped = [*words]
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            orders.append(swapped)
        orders += [list(reversed(words)), [*words[1:], words[0]], [words[-1], *words[:-1]]]
        wrong = sorted({", ".join(o) for o in orders} - {right}, key=lambda o: stable_rank(seed, o))[:MAX_DISTRACTORS]
        prompt = f"Which list gives what {acronym.letters} stands for, in the right order?"
        right_option = right
    else:
        k = stable_index(seed, len(words) - 1)
        right_option = words[k + 1]
        others = [w for i, w in enumerate(words) if i not in (k, k + 1)]
        wrong = sorted(others, key=lambda w: stable_rank(seed, w))[:MAX_DISTRACTORS]
        prompt = f"In {acronym.label}, which part comes straight after {words[k]}?"
    options, answer = place_answer(right_option, [fit(w, BUTTON_LABEL_MAX) for w in wrong], seed)
    steps = ", ".join(f"{w[0].upper()} for {w}" for w in words)
    explanation = (
        f"The letters of {acronym.letters} give the order: {steps}. "
        f'The notes put it like this: "{fit(acronym.sentence, 500)}"'
    )
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
