"""Spot-the-mistake challenges made from an element's misconceptions, concepts, tips and marking points."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.authoring.lint import ABSOLUTE_RE, HEDGE_RE, NEGATION_RE
from bot.authoring.notes import Item
from bot.authoring.wording import (
    advice_line,
    content_words,
    fit,
    mistake_wording,
    place_answer,
    stable_index,
    stable_rank,
    trim_to,
)
from bot.course.models import EMBED_FIELD_VALUE_MAX, EMBED_TITLE_MAX, EMBED_TOTAL_BUDGET
from bot.course.models import OPTION_LETTERS as LETTERS

STATEMENT_MAX = EMBED_FIELD_VALUE_MAX - 8
MAX_CORRECT_STATEMENTS = 3


def generated_origin(source: str) -> dict[str, Any]:
    """Return the origin of a newly generated item: not yet reviewed."""
    return {"generated": True, "reviewed": False, "source": source}


@dataclass(frozen=True, slots=True)
class _Text:
    id: str
    text: str  # as the notes say it, for measuring relevance
    line: str  # as advice, the voice every spot-the-mistake line is written in
    kind: str  # "concept", "tip" or "mark"


def spot_challenges(
    data: dict[str, Any],
    notes: Sequence[Item],
    new_id: Callable[[str, str], str],
    warn: Callable[[int | None, str], None],
    untaught: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Return one statements challenge per misconception (notes: as written; untaught: ids never to teach)."""
    sources = [(c["id"], c["explanation"], "concept") for c in data["concepts"]]
    sources += [(t["id"], t["text"], "tip") for t in data["tips"]]
    sources += [(m["id"], m["text"], "mark") for m in data["marking_points"]]
    statements = []
    for item_id, text, kind in sources:
        line = advice_line(text, kind)
        if line is not None and not item_id.endswith(".missing") and item_id not in untaught:
            statements.append(_Text(item_id, text, line, kind))
    helpers = [s for s in statements if s.kind != "concept"]
    relevance = _Relevance([s.text for s in statements] + [m["belief"] for m in data["misconceptions"]])
    used: dict[str, int] = {}
    challenges = []
    for misconception, note in zip(data["misconceptions"], notes, strict=False):
        belief = misconception["belief"]
        topic = (f"{belief} {mistake_wording(note.text).advice}", note.text)
        seed = f"{data['id']}\0spot\0{note.text}"
        if not helpers:
            warn(note.line, "no exam tip or marking point to point to, so no challenge for this mistake")
            continue
        helps = relevance.rank(helpers, topic, seed, {})[:1]
        candidates = [s for s in statements if s.id not in {h.id for h in helps}]
        correct = _pick_statements(relevance.rank(candidates, topic, seed, used), belief, seed)
        if len(correct) < 2:  # short notes: let the helping tip or marking point be a statement too
            correct = _pick_statements(relevance.rank(statements, topic, seed, used), belief, seed)
        if len(correct) < 2:
            warn(note.line, "fewer than two correct statements to mix with this mistake, so no challenge")
            continue
        for statement in correct:
            used[statement.id] = used.get(statement.id, 0) + 1
        options, mistake = place_answer(belief, [s.line for s in correct], seed)
        explanation = f"Statement {LETTERS[mistake]} is the mistake. {misconception['correction']}"
        closing = " The other statements are sound advice from the notes' key concepts, exam tips and marking points."
        if len(explanation) + len(closing) <= EMBED_FIELD_VALUE_MAX:
            explanation += closing
        challenges.append(
            {
                "id": new_id("spot", note.text),
                "kind": "statements",
                "options": options,
                "mistake": mistake,
                "misconception": misconception["id"],
                "explanation": fit(explanation, EMBED_FIELD_VALUE_MAX),
                "helps": [h.id for h in helps],
                "difficulty": 2,
                "origin": generated_origin(misconception["id"]),
            }
        )
    return challenges


class _Relevance:
    """Score how much a text shares with a topic, weighting words that few of the element's texts use."""

    def __init__(self, texts: list[str]) -> None:
        self._count: dict[str, int] = {}
        for text in texts:
            for word in content_words(text):
                self._count[word] = self._count.get(word, 0) + 1

    def score(self, text: str, topic: tuple[str, str]) -> float:
        """Score words shared with the mistake itself fully, and words shared only with the wider notes by half."""
        words = content_words(text)
        main, wider = content_words(topic[0]), content_words(topic[1])
        # fsum is exact, so the score does not depend on the order a set happens to iterate in.
        return math.fsum(
            [1 / self._count.get(w, 1) for w in words & main]
            + [0.5 / self._count.get(w, 1) for w in (words & wider) - main]
        )

    def rank(self, texts: list[_Text], topic: tuple[str, str], seed: str, used: dict[str, int]) -> list[_Text]:
        """Return texts best first; each earlier use lowers a text's place, so challenges vary."""
        return sorted(
            texts, key=lambda t: (-(self.score(t.text, topic) - 0.5 * used.get(t.id, 0)), stable_rank(seed, t.id))
        )


def _pick_statements(ranked: list[_Text], mistake: str, seed: str) -> list[_Text]:
    """Pick up to three correct lines, the most relevant of about the mistake's length, cut to fit.

    The lines are chosen so that no wording cue singles out the mistake: if it carries an absolute word
    or a negation, so does a correct line; if it is unhedged, so is a correct line.
    """
    # Cut each line near the mistake's length, some a little longer and some a little shorter.
    target = len(mistake)
    sized = [
        replace(t, line=trim_to(t.line, target + (-20, -8, 6)[stable_index(f"{seed}\0{t.id}", 3)])) for t in ranked
    ]
    sized = [t for t in sized if len(t.line) <= STATEMENT_MAX and t.line.casefold() != mistake.casefold()]
    # Prefer relevant lines, but a line far longer or shorter than the mistake would point at it. In about
    # one challenge in three the mistake is to be the longest line, as it would be by chance.
    order = {t.id: i for i, t in enumerate(sized)}
    mistake_longest = stable_index(f"{seed}\0longest", 3) == 0

    def misfit(t: _Text) -> float:
        off = 6 * max(0.0, abs(len(t.line) - target) / target - 0.25)
        return off + (10 if mistake_longest and len(t.line) >= target else 0)

    sized.sort(key=lambda t: order[t.id] + misfit(t))
    chosen: list[_Text] = []
    seen = {mistake.casefold()}
    for statement in sized:
        if len(chosen) == MAX_CORRECT_STATEMENTS:
            break
        if statement.line.casefold() not in seen:
            chosen.append(statement)
            seen.add(statement.line.casefold())
    for pattern, wanted in ((ABSOLUTE_RE, True), (NEGATION_RE, True), (HEDGE_RE, False)):
        if len(chosen) < 2 or bool(pattern.search(mistake)) != wanted:
            continue
        if any(bool(pattern.search(t.line)) == wanted for t in chosen):
            continue
        swap = next((t for t in sized if t not in chosen and bool(pattern.search(t.line)) == wanted), None)
        if swap is not None:
            chosen[-1] = swap
    budget = EMBED_TOTAL_BUDGET - EMBED_TITLE_MAX - len(mistake) - 8
    kept = []
    for statement in chosen:
        if len(statement.line) + 8 <= budget:
            kept.append(statement)
            budget -= len(statement.line) + 8
    return kept
