"""Pydantic models of a course: what a content file may hold, and what Discord can show."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# Limits Discord imposes on what we show (https://discord.com/developers/docs/resources/message).
BUTTON_LABEL_MAX = 80
EMBED_TITLE_MAX = 256
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_DESCRIPTION_MAX = 4096
SELECT_OPTION_LABEL_MAX = 100
# Discord allows 6000 characters in all of a message's embeds; keep room for the footer and buttons.
EMBED_TOTAL_BUDGET = 5500
# A question prompt is shown as the embed description, next to the options; keep it readable.
PROMPT_MAX = 1000

# Options are shown to learners lettered A to E (a question or challenge has at most five).
OPTION_LETTERS = "ABCDE"

ID_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
ID_RE = re.compile(ID_PATTERN)
ID_MAX_LENGTH = 64

Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=ID_MAX_LENGTH),
    Field(description="Stable id: lower-case letters, digits, and - _ . between them (at most 64)."),
]


def _text(max_length: int, description: str) -> object:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        Field(description=description),
    ]


Title = _text(EMBED_TITLE_MAX, "A title, shown as an embed title (at most 256 characters).")
FieldText = _text(EMBED_FIELD_VALUE_MAX, "Text shown in one embed field (at most 1024 characters).")
LongText = _text(EMBED_DESCRIPTION_MAX, "Text shown as an embed description (at most 4096 characters).")
Prompt = _text(PROMPT_MAX, "The question as learners read it (at most 1000 characters).")
OptionText = _text(BUTTON_LABEL_MAX, "An answer option, shown on a button (at most 80 characters).")
Statement = _text(
    EMBED_FIELD_VALUE_MAX - 8,
    "One statement or line of a scenario, shown lettered in an embed (at most 1016 characters).",
)


class Strict(BaseModel):
    """Base for content models: unknown keys are errors and loaded content cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _no_duplicates(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    if len({v.casefold() for v in values}) == len(values):
        return values
    seen: set[str] = set()
    for value in values:
        if value.casefold() in seen:
            raise ValueError(f"{what} {value!r} appears more than once")
        seen.add(value.casefold())
    return values


class Concept(Strict):
    """A key concept or core principle of an element."""

    id: Id
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EMBED_FIELD_NAME_MAX)]
    explanation: FieldText  # type: ignore[valid-type]


class Tip(Strict):
    """An exam tip or revision strategy."""

    id: Id
    text: FieldText  # type: ignore[valid-type]


class Misconception(Strict):
    """A common mistake learners make, and what is right instead."""

    id: Id
    belief: FieldText = Field(description="The mistaken belief, stated as learners hold it.")  # type: ignore[valid-type]
    correction: FieldText = Field(description="Why it is wrong and what is right.")  # type: ignore[valid-type]


class MarkingPoint(Strict):
    """What an examiner awards credit for."""

    id: Id
    text: FieldText  # type: ignore[valid-type]


class Provenance(Strict):
    """Where a generated item came from, and whether a tutor has reviewed it (hand-written items have none)."""

    generated: bool = Field(description="True for an item made by `revbot content import`.")
    reviewed: bool = Field(default=False, description="True once a tutor has checked it (`revbot content review`).")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EMBED_FIELD_NAME_MAX)] = (
        Field(description="Id of the concept, tip, misconception or marking point it came from, or a description.")
    )

    @property
    def unreviewed_generated(self) -> bool:
        return self.generated and not self.reviewed


class QuestionKind(StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"


TRUE_FALSE_OPTIONS = ("True", "False")


class Question(Strict):
    """A quiz question with one right answer."""

    id: Id
    kind: QuestionKind = QuestionKind.MULTIPLE_CHOICE
    prompt: Prompt  # type: ignore[valid-type]
    options: tuple[OptionText, ...] | None = Field(  # type: ignore[valid-type]
        default=None,
        validate_default=True,
        description="2 to 5 options for multiple choice (button labels); leave out for true/false.",
    )
    answer: int | bool = Field(
        description="Multiple choice: the index of the right option, from 0. True/false: true or false.",
    )
    explanation: FieldText = Field(  # type: ignore[valid-type]
        description="Shown after answering: why the right answer is right and the tempting one wrong.",
    )
    concepts: tuple[Id, ...] = Field(default=(), description="Ids of the key concepts it tests.")
    marking_points: tuple[Id, ...] = Field(default=(), description="Ids of the marking points it tests.")
    tips: tuple[Id, ...] = Field(default=(), description="Ids of the exam tips it tests.")
    difficulty: Literal[1, 2, 3] = Field(description="1 easy, 2 medium, 3 hard.")
    fixed_order: bool = Field(
        default=False,
        description="Show the options in the order written (e.g. a scale); otherwise each post shuffles them.",
    )
    origin: Provenance | None = Field(default=None, description="Only for generated items: where it came from.")

    @field_validator("options")
    @classmethod
    def _options_fit_kind(cls, options: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        kind = info.data.get("kind")
        if kind is QuestionKind.TRUE_FALSE:
            if options is not None:
                raise ValueError("a true_false question takes no options (they are always True and False)")
            return None
        if kind is QuestionKind.MULTIPLE_CHOICE:
            if options is None:
                raise ValueError("a multiple_choice question needs options")
            if not 2 <= len(options) <= 5:
                raise ValueError(f"a multiple_choice question needs 2 to 5 options, not {len(options)}")
            _no_duplicates(options, "option")
        return options

    @field_validator("answer")
    @classmethod
    def _answer_fits_kind(cls, answer: int | bool, info: ValidationInfo) -> int | bool:
        kind = info.data.get("kind")
        if kind is QuestionKind.TRUE_FALSE and not isinstance(answer, bool):
            raise ValueError("a true_false answer must be true or false")
        if kind is QuestionKind.MULTIPLE_CHOICE:
            if isinstance(answer, bool):
                raise ValueError("a multiple_choice answer is the index of the right option, not true/false")
            options = info.data.get("options")
            if options is not None and not 0 <= answer < len(options):
                raise ValueError(f"answer {answer} is out of range: options are numbered 0 to {len(options) - 1}")
        return answer

    @property
    def choices(self) -> tuple[str, ...]:
        """Return the options as learners see them."""
        return TRUE_FALSE_OPTIONS if self.options is None else self.options

    @property
    def correct_index(self) -> int:
        """Return the index of the right option."""
        if isinstance(self.answer, bool):
            return 0 if self.answer else 1
        return self.answer


class ChallengeKind(StrEnum):
    SCENARIO = "scenario"
    STATEMENTS = "statements"


class Challenge(Strict):
    """A spot-the-mistake challenge: exactly one option holds a mistake from a misconception."""

    id: Id
    kind: ChallengeKind
    scenario: LongText | None = Field(  # type: ignore[valid-type]
        default=None,
        description="For kind scenario: the situation, e.g. a customer's complaint; the options are the reply.",
    )
    options: tuple[Statement, ...] = Field(  # type: ignore[valid-type]
        description="3 to 5 statements (or lines of the reply); exactly one holds the mistake.",
    )
    mistake: int = Field(description="The index of the option that holds the mistake, from 0.")
    misconception: Id = Field(description="Id of the misconception the mistake comes from.")
    explanation: FieldText = Field(  # type: ignore[valid-type]
        description="The reveal: why it is a mistake and what is right.",
    )
    helps: tuple[Id, ...] = Field(
        min_length=1,
        description="Ids of the exam tips or marking points that help avoid the mistake.",
    )
    concepts: tuple[Id, ...] = Field(default=(), description="Ids of key concepts it also touches.")
    difficulty: Literal[1, 2, 3] = Field(default=2, description="1 easy, 2 medium, 3 hard.")
    origin: Provenance | None = Field(default=None, description="Only for generated items: where it came from.")

    @field_validator("options")
    @classmethod
    def _three_to_five_options(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        if not 3 <= len(options) <= 5:
            raise ValueError(f"a challenge needs 3 to 5 options, not {len(options)}")
        return _no_duplicates(options, "option")

    @field_validator("mistake")
    @classmethod
    def _mistake_in_range(cls, mistake: int, info: ValidationInfo) -> int:
        options = info.data.get("options")
        if options is not None and not 0 <= mistake < len(options):
            raise ValueError(f"mistake {mistake} is out of range: options are numbered 0 to {len(options) - 1}")
        return mistake

    @model_validator(mode="after")
    def _shape(self) -> Challenge:
        if self.kind is ChallengeKind.SCENARIO and self.scenario is None:
            raise ValueError("a scenario challenge needs a scenario")
        if self.kind is ChallengeKind.STATEMENTS and self.scenario is not None:
            raise ValueError("a statements challenge has no scenario; use kind: scenario")
        shown = len(self.scenario or "") + sum(len(o) + 8 for o in self.options) + EMBED_TITLE_MAX
        if shown > EMBED_TOTAL_BUDGET:
            raise ValueError(
                f"scenario and options come to about {shown} characters; one embed shows at most "
                f"{EMBED_TOTAL_BUDGET} with its title"
            )
        return self


class ElementNotes(Strict):
    """What an element teaches: synopsis, concepts, tips, misconceptions and marking points."""

    id: Id
    title: Title  # type: ignore[valid-type]
    synopsis: LongText  # type: ignore[valid-type]
    concepts: tuple[Concept, ...] = Field(min_length=1)
    tips: tuple[Tip, ...] = Field(min_length=1)
    misconceptions: tuple[Misconception, ...] = Field(min_length=1)
    marking_points: tuple[MarkingPoint, ...] = Field(min_length=1)

    def helping_text(self, ref: str) -> str:
        """Return the text of the exam tip or marking point with this id."""
        for item in (*self.tips, *self.marking_points):
            if item.id == ref:
                return item.text
        raise KeyError(ref)


class Element(ElementNotes):
    """One element (unit) of a course, as written in its content file."""

    questions: tuple[Question, ...] = ()
    challenges: tuple[Challenge, ...] = ()

    @field_validator("questions", "challenges")
    @classmethod
    def _origins_point_into_element(
        cls, items: tuple[Question, ...] | tuple[Challenge, ...], info: ValidationInfo
    ) -> tuple[Question, ...] | tuple[Challenge, ...]:
        # A source that looks like an id must name an item of this element; other text is a description.
        fields = ("concepts", "tips", "misconceptions", "marking_points")
        if any(field not in info.data for field in fields):
            return items  # those fields have errors of their own; checking against them would only add noise
        known = {item.id for field in fields for item in info.data[field]}
        bad = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "origin_source",
                    "'{source}' is not a concept, tip, misconception or marking point of this element",
                    {"source": item.origin.source},
                ),
                loc=(index, "origin", "source"),
                input=item.origin.source,
            )
            for index, item in enumerate(items)
            if item.origin is not None and ID_RE.match(item.origin.source) and item.origin.source not in known
        ]
        if bad:
            raise ValidationError.from_exception_data(cls.__name__, bad)
        return items


class CourseFile(Strict):
    """The course file: id, title and the order of its elements."""

    id: Id
    title: Title  # type: ignore[valid-type]
    elements: tuple[Id, ...] = Field(min_length=1, description="Element ids in teaching order.")

    @field_validator("elements")
    @classmethod
    def _distinct_elements(cls, elements: tuple[str, ...]) -> tuple[str, ...]:
        return _no_duplicates(elements, "element")
