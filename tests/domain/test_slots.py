"""Next-post-time maths across timezones and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.date import DateTrigger

from bot.domain.entities import Weekdays
from bot.domain.slots import describe_weekdays, next_slot, parse_local_time, parse_weekdays, slot_on

LONDON = ZoneInfo("Europe/London")


def test_nine_oclock_london_is_utc_in_winter_and_8_utc_in_summer() -> None:
    """09:00 London is 09:00 UTC in January and 08:00 UTC in July."""
    assert slot_on(date(2026, 1, 5), time(9), LONDON) == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert slot_on(date(2026, 7, 6), time(9), LONDON) == datetime(2026, 7, 6, 8, tzinfo=UTC)


def test_next_slot_crosses_the_spring_change() -> None:
    """After Saturday's 09:00 GMT post, Sunday's comes 23 hours later at 09:00 BST."""
    after = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert next_slot(time(9), Weekdays.EVERY_DAY, LONDON, after) == datetime(2026, 3, 29, 8, tzinfo=UTC)


def test_next_slot_crosses_the_autumn_change() -> None:
    """After Saturday's 09:00 BST post, Sunday's comes 25 hours later at 09:00 GMT."""
    after = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert next_slot(time(9), Weekdays.EVERY_DAY, LONDON, after) == datetime(2026, 10, 25, 9, tzinfo=UTC)


def test_a_time_skipped_by_the_clocks_moves_forward() -> None:
    """01:30 does not exist in London on 29 March 2026; the post goes at 02:30 BST instead."""
    slot = slot_on(date(2026, 3, 29), time(1, 30), LONDON)
    assert slot.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"


def test_a_time_that_happens_twice_is_taken_the_first_time() -> None:
    """01:30 happens twice in London on 25 October 2026; the post goes at the first (BST)."""
    slot = slot_on(date(2026, 10, 25), time(1, 30), LONDON)
    assert slot == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_weekdays_skip_the_weekend() -> None:
    """After Friday's post, a weekdays schedule next posts on Monday."""
    friday_after = datetime(2026, 3, 6, 10, tzinfo=UTC)
    assert next_slot(time(9), Weekdays.WEEKDAYS, LONDON, friday_after) == datetime(2026, 3, 9, 9, tzinfo=UTC)


def test_server_ahead_of_utc_posts_the_evening_before_in_utc() -> None:
    """09:00 in Auckland (UTC+13 in March) is 20:00 UTC the previous day."""
    zone = ZoneInfo("Pacific/Auckland")
    after = datetime(2026, 3, 2, 12, tzinfo=UTC)  # 01:00 on 3 March in Auckland
    assert next_slot(time(9), Weekdays.EVERY_DAY, zone, after) == datetime(2026, 3, 2, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "zone_name"),
    [
        (datetime(2026, 3, 28, 9, 30, tzinfo=UTC), "Europe/London"),
        (datetime(2026, 10, 24, 23, tzinfo=UTC), "America/New_York"),
        (datetime(2026, 9, 5, 12, tzinfo=UTC), "Pacific/Auckland"),
    ],
)
def test_apscheduler_fires_at_the_slot_we_compute(after: datetime, zone_name: str) -> None:
    """The date trigger the scheduler gets fires exactly at the computed local time."""
    zone = ZoneInfo(zone_name)
    slot = next_slot(time(9), Weekdays.EVERY_DAY, zone, after)
    assert slot is not None
    trigger = DateTrigger(run_date=slot.astimezone(zone), timezone=zone)
    fire = trigger.get_next_fire_time(None, after)
    assert fire == slot
    assert fire.astimezone(zone).hour == 9


def test_parse_days_and_describe_them() -> None:
    """Days can be given by name or as a list, and read back the same way."""
    assert parse_weekdays("Weekdays") == Weekdays.WEEKDAYS
    assert describe_weekdays(parse_weekdays("mon, wednesday, fri")) == "Mon, Wed, Fri"
    assert describe_weekdays(parse_weekdays("every day")) == "every day"
    with pytest.raises(ValueError, match="'someday' is not a day"):
        parse_weekdays("someday")


def test_parse_time() -> None:
    """Times use the 24-hour clock; anything else is explained."""
    assert parse_local_time("9:05") == time(9, 5)
    with pytest.raises(ValueError, match="24-hour clock"):
        parse_local_time("9am")
    with pytest.raises(ValueError, match="24-hour clock"):
        parse_local_time("25:00")
