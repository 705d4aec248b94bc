"""Spot-the-mistake challenges made from an element's misconceptions, concepts, tips and marking points."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.authoring.notes import Item
from bot.authoring.wording import (
    content_words,
    examiner_statement,
    fit,
    mistake_wording,
    place_answer,
    stable_rank,
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
    text: str
    kind: str  # "concept", "tip" or "mark"


def spot_challenges(
    data: dict[str, Any],
    notes: Sequence[Item],
    new_id: Callable[[str, str], str],
    warn: Callable[[int | None, str], None],
) -> list[dict[str, Any]]:
    """Return one statements challenge per misconception in data (notes: the misconceptions as written)."""
    statements = [
        _Text(c["id"], f"{c['name']}: {c['explanation']}", "concept")
        for c in data["concepts"]
        if not c["id"].endswith(".missing")
    ]
    statements += [_Text(t["id"], t["text"], "tip") for t in data["tips"] if not t["id"].endswith(".missing")]
    statements += [
        _Text(m["id"], examiner_statement(m["text"]), "mark")
        for m in data["marking_points"]
        if not m["id"].endswith(".missing")
    ]
    helpers = [_Text(t["id"], t["text"], "tip") for t in data["tips"] if not t["id"].endswith(".missing")]
    helpers += [_Text(m["id"], m["text"], "mark") for m in data["marking_points"] if not m["id"].endswith(".missing")]
    relevance = _Relevance([s.text for s in statements] + [m["belief"] for m in data["misconceptions"]])
    used: dict[str, int] = {}
    challenges = []
    for misconception, note in zip(data["misconceptions"], notes, strict=False):
        topic = (f"{misconception['belief']} {mistake_wording(note.text).advice}", note.text)
        seed = f"{data['id']}\0spot\0{note.text}"
        if not helpers:
            warn(note.line, "no exam tip or marking point to point to, so no challenge for this mistake")
            continue
        helps = relevance.rank(helpers, topic, seed, {})[:1]
        candidates = [s for s in statements if s.id not in {h.id for h in helps}]
        correct = _pick_statements(relevance.rank(candidates, topic, seed, used), misconception["belief"])
        if len(correct) < 2:  # short notes: let the helping tip or marking point be a statement too
            correct = _pick_statements(relevance.rank(statements, topic, seed, used), misconception["belief"])
        if len(correct) < 2:
            warn(note.line, "fewer than two correct statements to mix with this mistake, so no challenge")
            continue
        for statement in correct:
            used[statement.id] = used.get(statement.id, 0) + 1
        options, mistake = place_answer(misconception["belief"], [s.text for s in correct], seed)
        explanation = f"Statement {LETTERS[mistake]} is the mistake. {misconception['correction']}"
        closing = (
            " The other statements are right: they come from the notes' key concepts, exam tips and marking points."
        )
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


def _pick_statements(ranked: list[_Text], mistake: str) -> list[_Text]:
    """Pick up to three correct statements, one of each kind first, that fit in one embed with the mistake."""
    ranked = [t for t in ranked if len(t.text) <= STATEMENT_MAX]
    firsts = []
    for kind in ("concept", "tip", "mark"):
        best = next((t for t in ranked if t.kind == kind), None)
        if best is not None:
            firsts.append(best)
    firsts.sort(key=lambda t: ranked.index(t))
    chosen: list[_Text] = []
    budget = EMBED_TOTAL_BUDGET - EMBED_TITLE_MAX - len(mistake) - 8
    seen = {mistake.casefold()}
    for statement in (*firsts, *ranked):
        if len(chosen) == MAX_CORRECT_STATEMENTS:
            break
        if statement in chosen or statement.text.casefold() in seen or len(statement.text) + 8 > budget:
            continue
        chosen.append(statement)
        seen.add(statement.text.casefold())
        budget -= len(statement.text) + 8
    return chosen
