"""The questionnaire as data: what a survey file may say, checked strictly.

The pydantic models are both the schema of `surveys/*.toml` and the engine's domain model, so a
file that loads is a survey the flow and the scoring can run without further checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

LANGUAGES: tuple[str, ...] = ("ru", "en", "fr", "pt")
"""The languages every survey and the bot's own catalog must speak."""

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=24)]
"""Ids travel in callback data and deep links, so they stay short, ASCII and free of separators."""

OptionValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=12)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """One text in every language; a missing translation is a broken file, not a fallback."""

    ru: Text
    en: Text
    fr: Text
    pt: Text

    def __call__(self, language: str) -> str:
        value: str = getattr(self, language)
        return value


class Option(Strict):
    value: OptionValue
    label: Localized


class ChoiceScale(Strict):
    kind: Literal["choice"]
    options: list[Option] = Field(min_length=2, max_length=12)

    @model_validator(mode="after")
    def _unique_values(self) -> ChoiceScale:
        values = [option.value for option in self.options]
        if len(values) != len(set(values)):
            raise ValueError(f"option values repeat: {values}")
        return self

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


class NumericScale(Strict):
    kind: Literal["numeric"]
    min: int = Field(ge=0, le=10)
    max: int = Field(ge=1, le=10)
    min_label: Localized
    max_label: Localized

    @model_validator(mode="after")
    def _ordered(self) -> NumericScale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    @property
    def values(self) -> range:
        return range(self.min, self.max + 1)


class TextScale(Strict):
    kind: Literal["text"]
    max_length: int = Field(default=1000, ge=1, le=3500)


Scale = Annotated[ChoiceScale | NumericScale | TextScale, Field(discriminator="kind")]


class Question(Strict):
    id: Id
    scale: Id
    text: Localized
    optional: bool = False


class Section(Strict):
    id: Id
    title: Localized | None = None
    questions: list[Question] = Field(min_length=1)


class Level(Strict):
    """A maturity band: applies from `from_` percent up to the next band."""

    from_: int = Field(alias="from", ge=0, lt=100)
    name: Localized


class PlacedQuestion(BaseModel):
    """A question with what the flow needs around it: its position, section and scale."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    index: int
    question: Question
    section: Section
    scale: ChoiceScale | NumericScale | TextScale

    @property
    def id(self) -> str:
        return self.question.id


class Survey(Strict):
    id: Id
    scoring: Literal["yes-share", "nps"]
    public: bool = True
    title: Localized
    intro: Localized | None = None
    scales: dict[Id, Scale]
    levels: list[Level] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)
    score_question: Id | None = None
    """For NPS-style scoring: the 0-10 question that gives the category."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    def all_questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @cached_property
    def questions(self) -> tuple[PlacedQuestion, ...]:
        """Every question in order, placed: computed once, the flow reads it on every tap."""
        placed: list[PlacedQuestion] = []
        for section in self.sections:
            for question in section.questions:
                placed.append(
                    PlacedQuestion(
                        index=len(placed),
                        question=question,
                        section=section,
                        scale=self.scales[question.scale],
                    )
                )
        return tuple(placed)

    def question(self, question_id: str) -> PlacedQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)


def cross_check(survey: Survey) -> Iterator[tuple[str, str]]:
    """(place, reason) for what each field alone cannot tell: references, repeats, scoring needs.

    Run by the loader on every file; a Survey that passes it is safe for the flow and scoring.
    """
    first_seen: dict[str, str] = {}
    section_seen: dict[str, str] = {}
    score: tuple[str, Question] | None = None
    for i, section in enumerate(survey.sections):
        if section.id in section_seen:
            yield f"sections[{i}].id", f"section id {section.id!r} is used twice"
        section_seen.setdefault(section.id, f"sections[{i}]")
        for j, question in enumerate(section.questions):
            place = f"sections[{i}].questions[{j}]"
            if question.id in first_seen:
                yield (
                    f"{place}.id",
                    f"question id {question.id!r} is used twice (first at {first_seen[question.id]})",
                )
            first_seen.setdefault(question.id, place)
            if question.id == survey.score_question:
                score = (place, question)
            scale = survey.scales.get(question.scale)
            if scale is None:
                declared = ", ".join(sorted(survey.scales)) or "none"
                yield f"{place}.scale", f"unknown scale {question.scale!r} (declared: {declared})"
            elif survey.scoring == "yes-share" and not _is_yes_no(scale):
                yield (
                    f"{place}.scale",
                    "yes-share scoring needs a choice scale with the values yes, no"
                    " and optionally unsure",
                )
    if survey.scoring == "yes-share":
        starts = [level.from_ for level in survey.levels]
        if not starts or starts[0] != 0 or starts != sorted(set(starts)):
            yield "levels", "yes-share scoring needs levels starting from 0, in increasing order"
    elif score is None:
        yield "score_question", f"{survey.score_question!r} is not a question of this survey"
    else:
        score_place, question = score
        scale = survey.scales.get(question.scale)
        if not isinstance(scale, NumericScale) or (scale.min, scale.max) != (0, 10):
            yield "score_question", f"{question.id!r} must use a 0-10 numeric scale"
        if question.optional:
            yield (
                f"{score_place}.optional",
                f"the score question {question.id!r} cannot be optional",
            )


def _is_yes_no(scale: ChoiceScale | NumericScale | TextScale) -> bool:
    values = {o.value for o in scale.options} if isinstance(scale, ChoiceScale) else set()
    return {"yes", "no"} <= values <= {"yes", "no", "unsure"}
