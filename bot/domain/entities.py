"""The core's records: servers, schedules, posts and answers (plain data, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import IntFlag, StrEnum
from zoneinfo import ZoneInfo

from bot.domain.options import Order, shown, written_index
from bot.domain.scoring import Origin

DEFAULT_TIMEZONE = "Europe/London"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A server's own settings."""

    guild_id: int
    timezone: str = DEFAULT_TIMEZONE
    week_start: int = 0  # 0 Monday .. 6 Sunday
    tutor_role_id: int | None = None
    streak_bonus: bool = False
    course_id: str | None = None  # the course it revises; None: the bot's default course

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ScheduleKind(StrEnum):
    DAILY = "daily"
    SPOT = "spot"
    WEEKLY = "weekly"


class Weekdays(IntFlag):
    MON = 1
    TUE = 2
    WED = 4
    THU = 8
    FRI = 16
    SAT = 32
    SUN = 64
    WEEKDAYS = MON | TUE | WED | THU | FRI
    EVERY_DAY = WEEKDAYS | SAT | SUN

    def includes(self, weekday: int) -> bool:
        """Return whether a date.weekday() (0 Monday) is in the set."""
        return bool(self & (1 << weekday))


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and where a server gets a kind of post."""

    guild_id: int
    kind: ScheduleKind
    channel_id: int
    local_time: time
    weekdays: Weekdays = Weekdays.EVERY_DAY
    role_id: int | None = None
    close_after_minutes: int = 720
    enabled: bool = True
    last_error: str | None = None
    last_error_at: datetime | None = None
    course_id: str | None = None  # the course it posts from; None: the server's course


class PostKind(StrEnum):
    QUESTION = "question"
    CHALLENGE = "challenge"


class PostState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Post:
    """A question or challenge shown somewhere, open for answers until it closes."""

    post_id: int
    guild_id: int
    kind: PostKind
    origin: Origin
    item_id: str
    element_id: str
    correct_option: int
    option_count: int
    opens_at: datetime
    closes_at: datetime | None
    state: PostState
    channel_id: int | None = None
    message_id: int | None = None
    local_date: str | None = None
    class_quiz_id: int | None = None
    option_order: Order | None = None  # written index of the option at each shown place; None: as written

    def shown(self, options: Sequence[str]) -> tuple[str, ...]:
        """Return the item's options in the order this post shows them."""
        return shown(options, self.option_order)

    def written_index(self, place: int) -> int:
        """Return the written index of the option this post shows at a place."""
        return written_index(place, self.option_order)

    def is_open_at(self, when: datetime) -> bool:
        return self.state is PostState.OPEN and (self.closes_at is None or when < self.closes_at)


@dataclass(frozen=True, slots=True)
class NewPost:
    """What is needed to create a post."""

    guild_id: int
    kind: PostKind
    origin: Origin
    item_id: str
    element_id: str
    correct_option: int
    option_count: int
    opens_at: datetime
    closes_at: datetime | None
    channel_id: int | None = None
    local_date: str | None = None
    class_quiz_id: int | None = None
    option_order: Order | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One learner's answer to one post."""

    post_id: int
    user_id: int
    display_name: str
    choice: int
    correct: bool
    points: int
    answered_at: datetime
