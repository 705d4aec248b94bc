"""Pure rules: periods, ranks, scoring, streaks and question selection."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.periods import Period, local_midnight, period_window, week_start_date
from bot.domain.ranking import competition_ranks
from bot.domain.scoring import CHALLENGE_POINTS, DAILY_POINTS, Origin, class_quiz_points, score_answer
from bot.domain.selection import Candidate, choose_item
from bot.domain.streaks import compute_streaks

LONDON = ZoneInfo("Europe/London")


def test_ranks_share_places_on_ties() -> None:
    """Scores 9, 7, 7, 5 rank 1, 2, 2, 4."""
    assert competition_ranks([9, 7, 7, 5]) == [1, 2, 2, 4]
    assert competition_ranks([3, 3, 3]) == [1, 1, 1]


def test_ranks_on_a_later_page_continue() -> None:
    """A page starting at position 10 whose first score ties with the page before keeps that rank."""
    assert competition_ranks([4, 4, 2], offset=10, first_rank=9) == [9, 9, 13]


def test_month_window_in_london_summer_time() -> None:
    """July in London starts at 23:00 UTC on 30 June."""
    window = period_window(Period.MONTH, datetime(2026, 7, 15, 12, tzinfo=UTC), LONDON)
    assert window.start == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert window.end == datetime(2026, 7, 31, 23, tzinfo=UTC)


def test_today_on_the_day_the_clocks_go_back_is_25_hours() -> None:
    """25 October 2026 in London lasts 25 hours."""
    window = period_window(Period.TODAY, datetime(2026, 10, 25, 12, tzinfo=UTC), LONDON)
    assert window.start is not None and window.end is not None
    assert (window.end - window.start).total_seconds() == 25 * 3600


def test_missing_local_midnight_resolves_forward() -> None:
    """Where clocks jump at midnight (Santiago, 6 Sep 2026), the day starts at 01:00 local."""
    zone = ZoneInfo("America/Santiago")
    start = local_midnight(date(2026, 9, 6), zone)
    assert start.astimezone(zone).hour == 1


@pytest.mark.parametrize(("week_start", "expected"), [(0, date(2026, 3, 2)), (6, date(2026, 3, 1))])
def test_week_start(week_start: int, expected: date) -> None:
    """The week containing Wednesday 4 March starts on Monday 2 or Sunday 1 March."""
    assert week_start_date(date(2026, 3, 4), week_start) == expected


def test_scoring_rules() -> None:
    """Daily and challenge points, speed points in class, nothing for practice or wrong answers."""
    assert score_answer(kind="question", origin=Origin.SCHEDULED, correct=True).points == DAILY_POINTS
    assert score_answer(kind="challenge", origin=Origin.MANUAL, correct=True).points == CHALLENGE_POINTS
    assert score_answer(kind="question", origin=Origin.SCHEDULED, correct=False).points == 0
    practice = score_answer(kind="question", origin=Origin.PRACTICE, correct=True)
    assert (practice.points, practice.on_board) == (0, False)
    assert [class_quiz_points(True, t, 20) for t in (0, 5, 20, 40)] == [100, 88, 50, 50]
    assert class_quiz_points(False, 0, 20) == 0


def test_streak_bonus_is_capped_and_off_by_default() -> None:
    """The streak bonus needs the server's switch and never exceeds its cap."""
    assert score_answer(kind="question", origin=Origin.SCHEDULED, correct=True, streak_before=3).points == 10
    on = [
        score_answer(
            kind="question", origin=Origin.SCHEDULED, correct=True, streak_before=n, streak_bonus_enabled=True
        ).points
        for n in (1, 3, 50)
    ]
    assert on == [12, 16, 20]


def test_streaks_count_consecutive_days() -> None:
    """Missing a day resets the streak; a wrong answer resets only the correct streak."""
    posts = [1, 2, 3, 4, 5, 6]
    answers = {1: True, 2: True, 4: True, 5: False, 6: True}
    streaks = compute_streaks(posts, answers)
    assert (streaks.current, streaks.best, streaks.current_correct, streaks.best_correct) == (3, 3, 1, 2)


def test_todays_unanswered_open_post_does_not_break_the_streak() -> None:
    """Before answering today's question, yesterday's streak still stands."""
    assert compute_streaks([1, 2, 3], {1: True, 2: True}, open_post_id=3).current == 2
    assert compute_streaks([1, 2, 3], {1: True, 2: True}).current == 0


def test_selection_never_repeats_until_the_bank_is_used() -> None:
    """Only the least-posted items are eligible."""
    candidates = [
        Candidate("a", "e1", times_posted=1),
        Candidate("b", "e1", times_posted=0),
        Candidate("c", "e2", times_posted=1),
    ]
    for seed in range(20):
        chosen = choose_item(candidates, seed)
        assert chosen is not None and chosen.item_id == "b"


def test_selection_is_deterministic_for_a_seed() -> None:
    """The same seed picks the same item; the order candidates arrive in does not matter."""
    candidates = [Candidate(f"q{i}", f"e{i % 3}") for i in range(30)]
    assert choose_item(candidates, "guild-1-2026-03-02") == choose_item(candidates[::-1], "guild-1-2026-03-02")


def test_selection_leans_towards_what_the_server_gets_wrong() -> None:
    """An element answered wrongly far more often is chosen more often."""
    weak = [Candidate(f"w{i}", "weak", attempts=20, wrong=18) for i in range(10)]
    strong = [Candidate(f"s{i}", "strong", attempts=20, wrong=1) for i in range(10)]
    picks = Counter(choose_item(weak + strong, seed).element_id for seed in range(2000))  # type: ignore[union-attr]
    assert picks["weak"] > 1.3 * picks["strong"]


def test_selection_of_nothing() -> None:
    """An empty bank gives no item."""
    assert choose_item([], 1) is None
