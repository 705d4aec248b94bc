"""The weekly summary: top five, most improved, the hardest question and the most common mistake."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.course.catalog import Catalog
from bot.domain.clock import Clock
from bot.domain.entities import GuildSettings, PostKind, Schedule, ScheduleKind
from bot.domain.periods import Window, local_midnight, week_start_date
from bot.domain.ranking import competition_ranks
from bot.domain.slots import last_slot
from bot.storage.boards import BoardRepository, BoardScope
from bot.storage.guilds import GuildRepository
from bot.storage.summaries import SummaryRepository, WindowAnswer

TOP = 5
MIN_ANSWERS_FOR_HARDEST = 2
EVERYONE = 1_000_000


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    display_name: str
    points: int


@dataclass(frozen=True, slots=True)
class Improved:
    display_name: str
    points: int
    gain: int


@dataclass(frozen=True, slots=True)
class Hardest:
    item_id: str
    prompt: str
    facility: float
    attempts: int


@dataclass(frozen=True, slots=True)
class CommonMistake:
    misconception_id: str
    belief: str
    rate: float
    attempts: int


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    guild_id: int
    first_day: date
    last_day: date
    top: tuple[Ranked, ...]
    most_improved: Improved | None
    hardest: Hardest | None
    common_mistake: CommonMistake | None
    learners: int


def summary_week(now: datetime, zone: ZoneInfo, week_start: int) -> tuple[date, Window, Window]:
    """Return the week a summary posted now covers, its window, and the week before's window.

    A summary posted on the first day of the week looks back at the week that has just ended;
    on any other day it covers the week so far.
    """
    today = now.astimezone(zone).date()
    first = week_start_date(today, week_start)
    if first == today:
        first -= timedelta(days=7)
    this_week = Window(local_midnight(first, zone), min(now, local_midnight(first + timedelta(days=7), zone)))
    before = Window(local_midnight(first - timedelta(days=7), zone), local_midnight(first, zone))
    return first, this_week, before


class WeeklySummaryService:
    """Builds a server's weekly summary from recorded answers."""

    def __init__(
        self,
        boards: BoardRepository,
        summaries: SummaryRepository,
        guilds: GuildRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        self._boards = boards
        self._summaries = summaries
        self._guilds = guilds
        self._catalog = catalog
        self._clock = clock

    async def week_for(self, guild_id: int) -> date:
        settings = await self._guilds.get(guild_id)
        return summary_week(self._clock.now(), settings.zone, settings.week_start)[0]

    async def due_now(self, schedules: list[tuple[Schedule, GuildSettings]]) -> list[Schedule]:
        """Return the weekly schedules whose last slot passed without a summary while its week is still current.

        This catches up a summary missed while the bot was down, once: the claim a post writes marks the
        week done. The slot must fall in the current week and a summary posted now must cover the week
        the slot would have: a Monday summary of the week before is not posted on the Tuesday, and a
        Friday one is not posted once the next week has begun.
        """
        now = self._clock.now()
        due = []
        for schedule, settings in schedules:
            if schedule.kind is not ScheduleKind.WEEKLY or not schedule.enabled:
                continue
            zone = settings.zone
            missed = last_slot(schedule.local_time, schedule.weekdays, zone, now)
            if missed is None:
                continue
            if week_start_date(missed.astimezone(zone).date(), settings.week_start) != week_start_date(
                now.astimezone(zone).date(), settings.week_start
            ):
                continue
            week = summary_week(now, zone, settings.week_start)[0]
            if summary_week(missed, zone, settings.week_start)[0] != week:
                continue
            if not await self._summaries.is_claimed(schedule.guild_id, week.isoformat()):
                due.append(schedule)
        return due

    async def build(self, guild_id: int) -> WeeklySummary:
        """Return the summary of the week a post made now would cover."""
        settings = await self._guilds.get(guild_id)
        first, window, before = summary_week(self._clock.now(), settings.zone, settings.week_start)
        this_rows = await self._boards.page(BoardScope(guild_id, window), EVERYONE)
        before_rows = await self._boards.page(BoardScope(guild_id, before), EVERYONE)
        top_rows = this_rows[:TOP]
        ranks = competition_ranks([r.points for r in top_rows])
        top = tuple(Ranked(rank, r.display_name, r.points) for rank, r in zip(ranks, top_rows, strict=True))
        previous = {r.user_id: r.points for r in before_rows}
        # Only learners who scored the week before can have improved: a newcomer's gain is all of their points.
        gains = [(r.points - previous[r.user_id], r) for r in this_rows if r.user_id in previous]
        improved = None
        if gains:
            gain, row = max(gains, key=lambda pair: (pair[0], -pair[1].user_id))
            if gain > 0:
                improved = Improved(row.display_name, row.points, gain)
        end = window.end or self._clock.now()
        start = window.start or end
        questions = await self._summaries.answers_between(guild_id, PostKind.QUESTION, start, end)
        challenges = await self._summaries.answers_between(guild_id, PostKind.CHALLENGE, start, end)
        return WeeklySummary(
            guild_id,
            first,
            first + timedelta(days=6),
            top,
            improved,
            self._hardest(questions),
            self._common_mistake(challenges),
            len(this_rows),
        )

    def _hardest(self, answers: list[WindowAnswer]) -> Hardest | None:
        by_item: dict[str, list[bool]] = defaultdict(list)
        for a in answers:
            by_item[a.item_id].append(a.correct)
        candidates = []
        for item_id, results in by_item.items():
            if len(results) >= MIN_ANSWERS_FOR_HARDEST:
                try:
                    prompt = self._catalog.question(item_id).item.prompt
                except KeyError:
                    continue  # removed from the course since
                candidates.append(Hardest(item_id, prompt, sum(results) / len(results), len(results)))
        return min(candidates, key=lambda h: (h.facility, -h.attempts, h.item_id), default=None)

    def _common_mistake(self, answers: list[WindowAnswer]) -> CommonMistake | None:
        results: dict[str, list[bool]] = defaultdict(list)
        beliefs: dict[str, str] = {}
        for a in answers:
            try:
                located = self._catalog.challenge(a.item_id)
            except KeyError:
                continue  # removed from the course since
            misconception_id = located.item.misconception
            results[misconception_id].append(a.correct)
            beliefs[misconception_id] = next(
                m.belief for m in located.element.misconceptions if m.id == misconception_id
            )
        candidates = [
            CommonMistake(m, beliefs[m], r.count(False) / len(r), len(r)) for m, r in results.items() if False in r
        ]
        return max(candidates, key=lambda m: (m.rate, m.attempts, m.misconception_id), default=None)
