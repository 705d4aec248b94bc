"""Measure how far test-taking cues alone get a learner, and find items that ask the same point twice.

A cue-only learner knows nothing of the subject. It answers each item by what the wording gives away:
the longest option, absolute words ("only", "never"), "both" or "all of these", hedged options, the
option that echoes the question, or simply "true". Each cue is scored as the mark such a learner
expects (ties between options are guesses), and compared with the mark of pure guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from bot.authoring.coverage import coverage
from bot.course.catalog import Catalog
from bot.course.models import OPTION_LETTERS, Challenge, Question, QuestionKind

# A cue may lift the cue-only mark this far above chance before `--strict` fails.
CUE_MARGIN = 0.10
# The right option (or the mistaken line) may be the longest in at most this share of items.
LONGEST_LIMIT = 0.35
# Each element needs this share of applied questions (a situation to judge, not a fact to recall) ...
APPLIED_MIN = 0.25
# ... and this share of its items at difficulty 2 or 3.
HARDER_MIN = 1 / 3
# Two items that test a shared point are near-duplicates when their question or point overlaps this
# much in content words, or their explanations overlap EXPLAINED_ALIKE (explanations run longer).
SIMILAR_WORDING = 0.5
EXPLAINED_ALIKE = 0.4
# Items that share no point are near-duplicates only when their wording overlaps this much.
SAME_WORDING = 0.7

ABSOLUTE_RE = re.compile(
    r"\b(only|never|always|every|everyone|everything|all|none|nothing|nobody|no one|same|enough|just|must|"
    r"solely|entirely|completely|whatever|whenever|guarantees?|guaranteed|regardless|automatically)\b",
    re.IGNORECASE,
)
INCLUSIVE_RE = re.compile(
    r"\b(both|all of (these|them|the above)|all (three|four|five)|at least (two|three|four)|each of these|"
    r"any of these)\b",
    re.IGNORECASE,
)
HEDGE_RE = re.compile(
    r"\b(may|might|can|could|usually|often|sometimes|some|where appropriate|if needed|depends|likely|"
    r"generally|typically|tends? to)\b",
    re.IGNORECASE,
)
NEGATION_RE = re.compile(r"\b(not|no need|don't|do not|doesn't|does not|without|never|instead of)\b", re.IGNORECASE)
TF_PREFIX_RE = re.compile(r"^\s*true or false\s*[:?]\s*", re.IGNORECASE)
# A sentence that ends before the text does: the question follows a situation.
SENTENCE_END_RE = re.compile(r"[.!?]['\"’”]?\s+(?=\S)")
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORD_TEXT = (
    "a an and are as at be been being but by can could do does for from had has have he her his how i if in "
    "into is it its may might more most must no not of on or our she should so than that the their them then "
    "there these they this those to true false was we were what when where which while who why will with "
    "would you your"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

KINDS = ("multiple choice", "true/false", "spot the mistake")


@dataclass(frozen=True, slots=True)
class Item:
    """One question or challenge as a cue-only learner sees it."""

    id: str
    element_id: str
    kind: str  # one of KINDS
    stem: str
    options: tuple[str, ...]
    right: int  # the right option; for spot the mistake, the mistaken line
    explanation: str
    points: frozenset[str]  # ids of the concepts, tips, marking points and misconception it tests
    difficulty: int

    @property
    def applied(self) -> bool:
        """Return whether the item sets a situation before it asks (a scenario, a customer's words)."""
        return self.kind == KINDS[2] or SENTENCE_END_RE.search(TF_PREFIX_RE.sub("", self.stem)) is not None

    @property
    def chance(self) -> float:
        return 1 / len(self.options)


def items_of(catalog: Catalog) -> list[Item]:
    """Return every question and challenge of the catalog as lint items, in content order."""
    items: list[Item] = []
    for element in catalog.elements():
        items.extend(_question_item(element.id, q.item) for q in catalog.questions(element.id))
        items.extend(_challenge_item(element.id, c.item) for c in catalog.challenges(element.id))
    return items


def _question_item(element_id: str, question: Question) -> Item:
    kind = KINDS[1] if question.kind is QuestionKind.TRUE_FALSE else KINDS[0]
    points = frozenset((*question.concepts, *question.tips, *question.marking_points))
    return Item(
        question.id,
        element_id,
        kind,
        question.prompt,
        question.choices,
        question.correct_index,
        question.explanation,
        points,
        question.difficulty,
    )


def _challenge_item(element_id: str, challenge: Challenge) -> Item:
    points = frozenset((*challenge.concepts, *challenge.helps, challenge.misconception))
    return Item(
        challenge.id,
        element_id,
        KINDS[2],
        challenge.scenario or "",
        challenge.options,
        challenge.mistake,
        challenge.explanation,
        points,
        challenge.difficulty,
    )


# --- cues: each narrows the options a cue-only learner would choose between ------------------------


def _matching(options: tuple[str, ...], pattern: re.Pattern[str]) -> set[int]:
    return {i for i, text in enumerate(options) if pattern.search(text)}


def _longest(options: tuple[str, ...]) -> set[int]:
    top = max(len(o) for o in options)
    return {i for i, o in enumerate(options) if len(o) == top}


def _words(text: str) -> set[str]:
    return {w.removesuffix("s") for w in _WORD_RE.findall(text.lower()) if w not in STOPWORDS and len(w) > 2}


def _echo(stem: str, options: tuple[str, ...]) -> set[int]:
    stem_words = _words(stem)
    overlap = [len(stem_words & _words(o)) for o in options]
    top = max(overlap)
    return {i for i, n in enumerate(overlap) if n == top} if top else set(range(len(options)))


def _grammar(stem: str, options: tuple[str, ...]) -> set[int]:
    article = re.search(r"\b(a|an)\s*(\.\.\.|_+)?\s*[?:]?\s*$", stem.strip(), re.IGNORECASE)
    if article is None:
        return set(range(len(options)))
    vowel = article.group(1).lower() == "an"
    return {i for i, o in enumerate(options) if (o[:1].lower() in "aeiou") == vowel}


def _true_false(item: Item, says_true: bool) -> set[int]:
    return {0} if says_true else {1}


# A cue for multiple choice and spot the mistake returns the options it points at.
ChoiceCue = Callable[[Item], set[int]]


def _tf_cues(medians: dict[str, int]) -> dict[str, ChoiceCue]:
    """Cues for true/false: each decides true or false from the statement's wording."""

    def length(item: Item) -> set[int]:
        # A long, careful statement reads as true: decided against the element's typical statement.
        return _true_false(item, len(item.stem) > medians.get(item.element_id, 0))

    return {
        "always true": lambda item: _true_false(item, True),
        "absolute words are false": lambda item: _true_false(item, not ABSOLUTE_RE.search(item.stem)),
        "hedged is true": lambda item: _true_false(item, bool(HEDGE_RE.search(item.stem))),
        "negation is false": lambda item: _true_false(item, not NEGATION_RE.search(item.stem)),
        "long is true": length,
    }


def _mc_cues(_medians: dict[str, int]) -> dict[str, ChoiceCue]:
    """Cues for multiple choice: each names the options a test-wise learner would pick from."""
    return {
        "longest option": lambda item: _longest(item.options),
        "avoid absolute words": lambda item: set(range(len(item.options))) - _matching(item.options, ABSOLUTE_RE),
        "pick both/all": lambda item: _matching(item.options, INCLUSIVE_RE),
        "pick the hedged option": lambda item: _matching(item.options, HEDGE_RE),
        "echo of the question": lambda item: _echo(item.stem, item.options),
        "grammar fits the question": lambda item: _grammar(item.stem, item.options),
    }


def _spot_cues(_medians: dict[str, int]) -> dict[str, ChoiceCue]:
    """Cues for spot the mistake: each names the lines a test-wise learner would suspect."""
    return {
        "longest line": lambda item: _longest(item.options),
        "absolute words": lambda item: _matching(item.options, ABSOLUTE_RE),
        "negation": lambda item: _matching(item.options, NEGATION_RE),
        "unhedged line": lambda item: set(range(len(item.options))) - _matching(item.options, HEDGE_RE),
    }


CUES: dict[str, Callable[[dict[str, int]], dict[str, ChoiceCue]]] = {
    KINDS[0]: _mc_cues,
    KINDS[1]: _tf_cues,
    KINDS[2]: _spot_cues,
}
# The combined learner applies these in order, each narrowing what is left while it leaves a choice.
COMBINED_ORDER: dict[str, tuple[str, ...]] = {
    KINDS[0]: ("pick both/all", "avoid absolute words", "grammar fits the question", "longest option"),
    KINDS[1]: ("absolute words are false",),
    KINDS[2]: ("absolute words", "negation", "longest line"),
}
COMBINED = "all cues together"


def expected_mark(item: Item, picks: set[int]) -> float:
    """Return the mark a learner expects who guesses among picks (all options when a cue picks none)."""
    candidates = picks if picks else set(range(len(item.options)))
    return 1 / len(candidates) if item.right in candidates else 0.0


def combined_picks(item: Item, cues: dict[str, ChoiceCue]) -> set[int]:
    """Narrow the options cue by cue, skipping a cue that would rule out everything that is left."""
    left = set(range(len(item.options)))
    for name in COMBINED_ORDER[item.kind]:
        narrowed = left & cues[name](item)
        if narrowed:
            left = narrowed
    return left


# --- report -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Score:
    """What cue-only learners and guessing would score on a group of items."""

    items: int = 0
    chance: float = 0.0
    cues: Counter[str] = field(default_factory=Counter)

    def add(self, item: Item, marks: dict[str, float]) -> None:
        self.items += 1
        self.chance += item.chance
        self.cues.update(marks)

    def rate(self, total: float) -> float:
        return total / self.items if self.items else 0.0

    def best(self) -> tuple[str, float]:
        """Return the cue with the highest mark and its rate."""
        name, total = max(self.cues.items(), key=lambda kv: (kv[1], kv[0] == COMBINED))
        return name, self.rate(total)


@dataclass(frozen=True, slots=True)
class Shares:
    """How many of an element's questions are applied, and how many of its items are harder."""

    questions: int
    applied: int
    items: int
    harder: int


def _shares(items: list[Item]) -> dict[str, Shares]:
    shares = {}
    for element_id in dict.fromkeys(i.element_id for i in items):
        group = [i for i in items if i.element_id == element_id]
        questions = [i for i in group if i.kind != KINDS[2]]
        applied = sum(1 for i in questions if i.applied)
        shares[element_id] = Shares(len(questions), applied, len(group), sum(1 for i in group if i.difficulty >= 2))
    return shares


@dataclass(frozen=True, slots=True)
class Finding:
    """One message about one item, located in its file."""

    where: str
    item_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.item_id}: {self.message}"


@dataclass(slots=True)
class Report:
    """Everything `revbot content lint` measures on a catalog."""

    items: list[Item]
    marks: dict[str, dict[str, float]]  # item id -> cue -> expected mark
    scores: dict[tuple[str, str], Score]  # (element id or "course", kind or "all") -> score
    longest_right: dict[str, tuple[int, int]]  # kind -> (items where the right option is longest, items)
    positions: dict[str, Counter[int]]  # element id -> right option's position (multiple choice)
    absolute: dict[str, Counter[str]]  # kind -> "right"/"wrong" -> options carrying an absolute word
    duplicates: list[tuple[Item, Item, float]]
    shares: dict[str, Shares]
    per_point: list[tuple[str, str, str, int]]  # element, kind of point, id, items testing it
    failures: list[str]
    findings: list[Finding]

    @property
    def failed(self) -> bool:
        return bool(self.failures)


def lint(catalog: Catalog, locate: Callable[[str], str], element_id: str | None = None) -> Report:
    """Measure the catalog's cues and duplicates (of one element if given); locate gives 'file:line'."""
    items = [i for i in items_of(catalog) if element_id in (None, i.element_id)]
    medians = _median_lengths(i for i in items if i.kind == KINDS[1])
    marks = {item.id: _marks(item, medians) for item in items}
    scores: dict[tuple[str, str], Score] = {}
    for item in items:
        every = {COMBINED: marks[item.id][COMBINED]}  # across kinds, only the combined learner answers all
        for scope in (item.element_id, "course"):
            scores.setdefault((scope, item.kind), Score()).add(item, marks[item.id])
            scores.setdefault((scope, "all"), Score()).add(item, every)
    report = Report(
        items=items,
        marks=marks,
        scores=scores,
        longest_right=_longest_right(items),
        positions=_positions(items),
        absolute=_absolute_counts(items),
        duplicates=near_duplicates(items),
        shares=_shares(items),
        per_point=[
            (r.element_id, r.kind, r.item_id, r.count) for r in coverage(catalog) if element_id in (None, r.element_id)
        ],
        failures=[],
        findings=[],
    )
    _judge(report, locate)
    return report


def _marks(item: Item, medians: dict[str, int]) -> dict[str, float]:
    cues = CUES[item.kind](medians)
    marks = {name: expected_mark(item, cue(item)) for name, cue in cues.items()}
    marks[COMBINED] = expected_mark(item, combined_picks(item, cues))
    return marks


def _median_lengths(items: Iterable[Item]) -> dict[str, int]:
    lengths: dict[str, list[int]] = {}
    for item in items:
        lengths.setdefault(item.element_id, []).append(len(item.stem))
    return {e: sorted(ls)[len(ls) // 2] for e, ls in lengths.items()}


def _longest_right(items: list[Item]) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for kind in (KINDS[0], KINDS[2]):
        group = [i for i in items if i.kind == kind]
        counts[kind] = (sum(1 for i in group if i.right in _longest(i.options)), len(group))
    return counts


def _positions(items: list[Item]) -> dict[str, Counter[int]]:
    positions: dict[str, Counter[int]] = {}
    for item in items:
        if item.kind == KINDS[0]:
            positions.setdefault(item.element_id, Counter())[item.right] += 1
    return positions


def _absolute_counts(items: list[Item]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    for item in items:
        if item.kind == KINDS[1]:
            if ABSOLUTE_RE.search(item.stem):
                counts[item.kind]["true" if item.right == 0 else "false"] += 1
            continue
        for index in _matching(item.options, ABSOLUTE_RE):
            counts[item.kind]["right" if index == item.right else "other"] += 1
    return counts


def similarity(a: str, b: str) -> float:
    """Return how much two texts share in content words (Jaccard, 0 to 1)."""
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def _point_text(item: Item) -> str:
    """Return the point an item makes: its stem and right option (for true/false, the statement)."""
    if item.kind == KINDS[1]:
        return item.stem
    return f"{item.stem} {item.options[item.right]}"


def near_duplicates(items: list[Item]) -> list[tuple[Item, Item, float]]:
    """Return pairs of items of one element that ask the same point in similar words."""
    pairs = []
    for a, b in combinations(items, 2):
        if a.element_id != b.element_id or (a.kind == KINDS[2]) != (b.kind == KINDS[2]):
            continue
        wording = max(similarity(a.stem, b.stem), similarity(_point_text(a), _point_text(b)))
        explained = similarity(a.explanation, b.explanation)
        if a.points & b.points:
            alike = wording >= SIMILAR_WORDING or explained >= EXPLAINED_ALIKE
        else:
            alike = max(wording, explained) >= SAME_WORDING
        if alike:
            pairs.append((a, b, max(wording, explained)))
    return pairs


def _judge(report: Report, locate: Callable[[str], str]) -> None:
    for (scope, kind), score in sorted(report.scores.items()):
        if scope != "course":
            continue
        chance = score.rate(score.chance)
        for cue, total in sorted(score.cues.items()):
            rate = score.rate(total)
            if rate > chance + CUE_MARGIN:
                what = "all items" if kind == "all" else f"{kind} items"
                report.failures.append(
                    f"cue '{cue}' scores {rate:.0%} on {what}, against {chance:.0%} by chance "
                    f"(limit {chance + CUE_MARGIN:.0%})"
                )
                if kind != "all":
                    report.findings.extend(
                        Finding(locate(i.id), i.id, f"'{cue}' gives the answer away")
                        for i in report.items
                        if i.kind == kind and report.marks[i.id][cue] == 1.0
                    )
    for kind, (longest, total) in report.longest_right.items():
        if total and longest / total > LONGEST_LIMIT:
            what = "right option" if kind == KINDS[0] else "mistaken line"
            report.failures.append(
                f"the {what} is the longest in {longest} of {total} {kind} items ({longest / total:.0%}; "
                f"limit {LONGEST_LIMIT:.0%})"
            )
            report.findings.extend(
                Finding(locate(i.id), i.id, f"the {what} is the longest")
                for i in report.items
                if i.kind == kind and i.right in _longest(i.options)
            )
    for element_id, share in report.shares.items():
        if share.questions and share.applied / share.questions < APPLIED_MIN:
            report.failures.append(
                f"{element_id}: {share.applied} of {share.questions} questions are applied (at least {APPLIED_MIN:.0%})"
            )
        if share.harder / share.items < HARDER_MIN:
            report.failures.append(
                f"{element_id}: {share.harder} of {share.items} items are difficulty 2 or 3 (at least {HARDER_MIN:.0%})"
            )
    for a, b, score in report.duplicates:
        shared = sorted(a.points & b.points)
        why = f"both test {', '.join(shared)}" if shared else "no shared point"
        report.findings.append(
            Finding(locate(a.id), a.id, f"near-duplicate of {b.id} ({locate(b.id)}): {why}, wording {score:.0%} alike")
        )
    if report.duplicates:
        report.failures.append(f"{len(report.duplicates)} pair(s) of near-duplicate items")
    report.findings.sort(key=lambda f: (f.where.rsplit(":", 1)[0], _line(f.where), f.item_id, f.message))


def _line(where: str) -> int:
    tail = where.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# --- locating items in their files -----------------------------------------------------------------------

_ID_LINE_RE = re.compile(r"^\s*-\s+id:\s*['\"]?([^'\"\s#]+)")


def item_lines(root: Path) -> dict[str, str]:
    """Map every item id in the content files under root to 'file:line'."""
    files = [root] if root.is_file() else sorted((*root.glob("*.yaml"), *root.glob("*/*.yaml")))
    where: dict[str, str] = {}
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            match = _ID_LINE_RE.match(line)
            if match:
                where.setdefault(match.group(1), f"{path}:{number}")
    return where


# --- text output ------------------------------------------------------------------------------------------


def report_lines(report: Report) -> Iterator[str]:
    """Yield the report as lines of text for the terminal."""
    yield "Cue-only learners against chance (expected mark; ties between options are guesses):"
    scopes = [*dict.fromkeys(s for s, _ in report.scores if s != "course"), "course"]
    for scope in scopes:
        for kind in (*KINDS, "all"):
            score = report.scores.get((scope, kind))
            if score is None:
                continue
            chance = score.rate(score.chance)
            best, rate = score.best()
            flag = "  <- over the limit" if scope == "course" and rate > chance + CUE_MARGIN else ""
            yield (
                f"  {scope:<12} {kind:<17} {score.items:>4} items  chance {chance:>4.0%}  "
                f"best cue {rate:>4.0%} ({best}){flag}"
            )
    yield ""
    yield "Every cue on the whole course:"
    for kind in KINDS:
        score = report.scores.get(("course", kind))
        if score is None:
            continue
        chance = score.rate(score.chance)
        yield f"  {kind} (chance {chance:.0%}):"
        for cue, total in sorted(score.cues.items(), key=lambda kv: -kv[1]):
            yield f"    {score.rate(total):>4.0%}  {cue}"
    yield ""
    for kind, (longest, total) in report.longest_right.items():
        if total:
            what = "right option" if kind == KINDS[0] else "mistaken line"
            yield f"The {what} is the longest in {longest} of {total} {kind} items ({longest / total:.0%})."
    for kind, counts in report.absolute.items():
        if kind == KINDS[1]:
            yield (f"Absolute words in true/false statements: {counts['true']} true, {counts['false']} false.")
        else:
            where = "right options" if kind == KINDS[0] else "mistaken lines"
            yield f"Absolute words in {kind}: {counts['right']} in {where}, {counts['other']} in the others."
    yield "Where the right option sits as written (multiple choice; posts shuffle all but fixed_order items):"
    for element_id, counts in report.positions.items():
        spread = "  ".join(f"{OPTION_LETTERS[i]} {counts[i]}" for i in range(max(counts) + 1))
        yield f"  {element_id:<12} {spread}"
    yield "Applied questions and harder items per element:"
    for element_id, share in report.shares.items():
        applied = f"{share.applied / share.questions:.0%}" if share.questions else "-"
        yield (
            f"  {element_id:<12} applied {share.applied} of {share.questions} questions ({applied}); "
            f"difficulty 2-3: {share.harder} of {share.items} items ({share.harder / share.items:.0%})"
        )
    yield "Items per point of the notes (fewest and most tested):"
    for element_id in dict.fromkeys(e for e, *_ in report.per_point):
        rows = [r for r in report.per_point if r[0] == element_id]
        counts = [r[3] for r in rows]
        most = max(rows, key=lambda r: r[3])
        yield f"  {element_id:<12} {min(counts)} to {max(counts)} items a point; most: {most[2]} ({most[3]})"
    yield f"Near-duplicate pairs: {len(report.duplicates)}"
    if report.findings:
        yield ""
        yield from (str(f) for f in report.findings)
    yield ""
    if report.failures:
        yield f"{len(report.failures)} check(s) over the limit:"
        yield from (f"  {f}" for f in report.failures)
    else:
        yield f"{len(report.items)} items: every cue within {CUE_MARGIN:.0%} of chance, no near-duplicates."
