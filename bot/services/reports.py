"""Reports for tutors: how hard each question was, and which misconceptions learners fall for."""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.course.catalog import Catalog
from bot.course.models import OPTION_LETTERS as LETTERS
from bot.domain.entities import PostKind
from bot.domain.itemstats import ItemResponse, ItemStats, item_stats
from bot.domain.spreadsheet import spreadsheet_text
from bot.storage.reports import ReportRepository

log = logging.getLogger(__name__)

# Option letters count by the order written in the content file; posts show options shuffled.
CSV_HEADER = (
    "item_id",
    "element_id",
    "attempts",
    "facility",
    "discrimination",
    "most_chosen_wrong",
    "most_chosen_wrong_text",
    *LETTERS,
)


@dataclass(frozen=True, slots=True)
class MisconceptionStat:
    """How often learners missed the mistake in the challenges built on one misconception."""

    misconception_id: str
    element_id: str
    belief: str
    attempts: int
    fell_for: int  # wrong picks: the learner did not spot the mistake
    rate: float


class ReportService:
    """Builds tutors' reports from the server's leaderboard answers (practice is never counted)."""

    def __init__(self, repo: ReportRepository, catalog: Catalog) -> None:
        self._repo = repo
        self._catalog = catalog

    async def question_report(self, guild_id: int, element_id: str | None = None) -> list[ItemStats]:
        """Return statistics for every answered question, hardest (lowest facility) first."""
        answers = await self._repo.item_answers(guild_id, PostKind.QUESTION, element_id)
        if not answers:
            return []
        items = await self._repo.posted_items(guild_id, PostKind.QUESTION, element_id)
        scores = await self._repo.learner_scores(guild_id)
        responses: dict[str, list[ItemResponse]] = defaultdict(list)
        for a in answers:
            responses[a.item_id].append(ItemResponse(a.user_id, a.choice, a.correct))
        stats = [
            self._with_wrong_text(
                item_stats(item_id, items[item_id].option_count, items[item_id].correct_option, given, scores)
            )
            for item_id, given in responses.items()
        ]
        stats.sort(key=lambda s: (s.facility if s.facility is not None else 1.0, -s.attempts, s.item_id))
        return stats

    async def misconception_report(self, guild_id: int, element_id: str | None = None) -> list[MisconceptionStat]:
        """Return, per misconception behind answered challenges, how often learners fell for it, worst first."""
        answers = await self._repo.item_answers(guild_id, PostKind.CHALLENGE, element_id)
        tally: dict[str, list[int]] = {}
        details: dict[str, tuple[str, str]] = {}
        unknown: set[str] = set()
        for a in answers:
            try:
                located = self._catalog.challenge(a.item_id)
            except KeyError:
                unknown.add(a.item_id)
                continue
            mid = located.item.misconception
            if mid not in details:
                belief = next((m.belief for m in located.element.misconceptions if m.id == mid), "")
                details[mid] = (located.element.id, belief)
            counts = tally.setdefault(mid, [0, 0])
            counts[0] += 1
            counts[1] += not a.correct
        if unknown:
            # Answers to challenges since removed from the content cannot be traced to a misconception.
            log.info(
                "misconception report skipped challenges no longer in the content: guild=%s items=%s",
                guild_id,
                sorted(unknown),
            )
        stats = [
            MisconceptionStat(mid, details[mid][0], details[mid][1], attempts, fell, fell / attempts)
            for mid, (attempts, fell) in tally.items()
        ]
        stats.sort(key=lambda s: (-s.rate, -s.fell_for, s.misconception_id))
        return stats

    def question_report_csv(self, stats: Sequence[ItemStats]) -> str:
        """Return a question report as CSV text, one row per question and a count column per option."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for s in stats:
            counts = [str(n) for n in s.choice_counts] + [""] * (len(LETTERS) - len(s.choice_counts))
            writer.writerow(
                (
                    s.item_id,
                    self._element_of(s.item_id),
                    s.attempts,
                    _decimal(s.facility),
                    _decimal(s.discrimination),
                    LETTERS[s.most_chosen_wrong] if s.most_chosen_wrong is not None else "",
                    spreadsheet_text(s.most_chosen_wrong_text or ""),
                    *counts,
                )
            )
        return out.getvalue()

    def _with_wrong_text(self, stats: ItemStats) -> ItemStats:
        """Add the text of the most chosen wrong option: letters change from post to post, the text does not."""
        try:
            choices = self._catalog.question(stats.item_id).item.choices
        except KeyError:
            return stats  # a question since removed from the content
        if stats.most_chosen_wrong is None or stats.most_chosen_wrong >= len(choices):
            return stats
        return replace(stats, most_chosen_wrong_text=choices[stats.most_chosen_wrong])

    def _element_of(self, question_id: str) -> str:
        try:
            return self._catalog.question(question_id).element.id
        except KeyError:
            return ""  # a question since removed from the content


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
