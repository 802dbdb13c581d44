"""The questionnaire as data: what a survey file may say, checked strictly.

The msgspec structs are both the schema of `bot/surveys/*.toml` and the engine's domain model, so
a file that loads is a survey the flow and the scoring can run without further checks. msgspec
rather than pydantic: the same strict checks with less start-up time and memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Literal

from msgspec import Meta, Struct, field
from msgspec.structs import force_setattr

LANGUAGES: tuple[str, ...] = ("ru", "en", "fr", "pt")
"""The languages every survey and the bot's own catalog must speak."""

Id = Annotated[str, Meta(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=24)]
"""Ids travel in callback data and deep links, so they stay short, ASCII and free of separators."""

OptionValue = Annotated[str, Meta(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=12)]
Text = Annotated[str, Meta(min_length=1, max_length=1000)]


class Strict(Struct, frozen=True, forbid_unknown_fields=True):
    """A part of a survey file: unknown keys are typos, and a loaded survey never changes.

    Each part says `frozen=True` again: msgspec inherits it, type checkers do not.
    """


class Localized(Strict, frozen=True):
    """One text in every language; a missing translation is a broken file, not a fallback."""

    ru: Text
    en: Text
    fr: Text
    pt: Text

    def __post_init__(self) -> None:
        # Surrounding spaces and the newlines of TOML's multi-line strings are layout, not text.
        for language in LANGUAGES:
            text = getattr(self, language).strip()
            if not text:
                raise ValueError(f"the {language} text is blank")
            force_setattr(self, language, text)

    def __call__(self, language: str) -> str:
        value: str = getattr(self, language)
        return value


class Option(Strict, frozen=True):
    value: OptionValue
    label: Localized


class ChoiceScale(Strict, frozen=True, tag_field="kind", tag="choice"):
    options: Annotated[list[Option], Meta(min_length=2, max_length=12)]

    def __post_init__(self) -> None:
        values = [option.value for option in self.options]
        if len(values) != len(set(values)):
            raise ValueError(f"option values repeat: {values}")

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


class NumericScale(Strict, frozen=True, tag_field="kind", tag="numeric"):
    min: Annotated[int, Meta(ge=0, le=10)]
    max: Annotated[int, Meta(ge=1, le=10)]
    min_label: Localized
    max_label: Localized
    point_labels: dict[str, Localized] | None = None
    """A word on every point (1-5, 1-7 scales): shown on the buttons, one per row."""

    def __post_init__(self) -> None:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        if self.point_labels is not None:
            expected = [str(v) for v in self.values]
            if sorted(self.point_labels, key=_as_number) != expected:
                raise ValueError(
                    f"point_labels must label every point {self.min}-{self.max} exactly once"
                    f" (found: {', '.join(self.point_labels) or 'none'})"
                )

    @property
    def values(self) -> range:
        return range(self.min, self.max + 1)


class TextScale(Strict, frozen=True, tag_field="kind", tag="text"):
    max_length: Annotated[int, Meta(ge=1, le=3500)] = 1000


Scale = ChoiceScale | NumericScale | TextScale
"""Told apart by the `kind` key of the file."""


class Condition(Strict, frozen=True):
    """Ask a question only after certain answers to an earlier one: a range or a set of values."""

    question: Id
    min: int | None = None
    max: int | None = None
    values: Annotated[list[OptionValue], Meta(min_length=1)] | None = None

    def __post_init__(self) -> None:
        ranged = self.min is not None or self.max is not None
        if ranged == (self.values is not None):
            raise ValueError("a condition has either min/max (a numeric range) or values")

    def holds(self, value: str | None) -> bool:
        """Whether an answer satisfies it; a skipped or missing answer satisfies nothing."""
        if value is None:
            return False
        if self.values is not None:
            return value in self.values
        number = _as_number(value)
        low = self.min if self.min is not None else -1
        high = self.max if self.max is not None else 10**6
        return low <= number <= high


class Question(Strict, frozen=True):
    id: Id
    scale: Id
    text: Localized
    label: Localized | None = None
    """A short name (a criterion, a topic) for summaries and reports; the text when absent."""
    optional: bool = False
    when: Condition | None = None


class Section(Strict, frozen=True, kw_only=True):
    id: Id
    title: Localized | None = None
    """The heading shown with the progress; it may be a whole statement."""
    label: Localized | None = None
    """A short noun title for summaries ("Target audience"); the title when absent. A statement
    read as "Weakest: You clearly know your target audience" sounds like a contradiction."""
    questions: Annotated[list[Question], Meta(min_length=1)]


class Level(Strict, frozen=True):
    """A maturity band: applies from `from_` percent up to the next band."""

    from_: Annotated[int, Meta(ge=0, lt=100)] = field(name="from")
    name: Localized


class PlacedQuestion(Struct, frozen=True):
    """A question with what the flow needs around it: its position, section and scale."""

    index: int
    question: Question
    section: Section
    scale: Scale

    @property
    def id(self) -> str:
        return self.question.id


Scoring = Literal["yes-share", "index", "nps", "csat", "ces"]
Repeat = Literal["replace", "each", "wave", "quarterly"]


class Survey(Strict, frozen=True, kw_only=True, dict=True):
    id: Id
    scoring: Scoring
    repeat: Repeat = "each"
    """replace: one current response per person (self-assessments); each: every link scan is a
    new response (contact ratings); wave: one per pulse wave; quarterly: at most one finished
    response per person per calendar quarter (relationship NPS: a frequent visitor counts once)."""
    anonymous: bool = False
    """No Telegram id is stored with responses or answers (employee surveys)."""
    anonymity_threshold: Annotated[int, Meta(ge=2, le=100)] = 5
    """Anonymous surveys: no figure, comment or export for a group smaller than this."""
    expires_after_hours: Annotated[int, Meta(ge=1)] | None = None
    """Unfinished responses untouched for longer than this are not continued."""
    public: bool = True
    suggest_start: bool = False
    """Self-assessments: name the weakest section as the place to start (a diagnostic)."""
    employees: bool = False
    """The respondents are the organisation's own staff: an NPS survey's figure is eNPS in every
    admin output, so that it is never read beside the customers' NPS as the same number."""
    segments_title: Localized | None = None
    """What a link's segment stands for in this survey, as the summary's heading of the
    segments ("By site visited (ours or a competitor's), best first:"); "By segment" when absent."""
    title: Localized
    intro: Localized | None = None
    scales: dict[Id, Scale]
    levels: list[Level] = field(default_factory=list)
    sections: Annotated[list[Section], Meta(min_length=1)]
    score_question: Id | None = None
    """For nps, csat and ces scoring: the question whose answer is the score."""

    @property
    def score_name(self) -> str:
        """The figure's name in admin outputs: eNPS for an employer survey, else the scoring's."""
        if self.scoring == "nps":
            return "eNPS" if self.employees else "NPS"
        return self.scoring.upper()

    @property
    def asks_statements(self) -> bool:
        """A yes-share survey of statements rather than questions (no item ends with "?"):
        what the respondent is told to expect and what the "don't know" count counts."""
        return self.scoring == "yes-share" and not any(
            q.text.en.endswith("?") for q in self.all_questions()
        )

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


SCORE_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
"""The scale each single-question scoring is defined on (the industry definitions)."""


def cross_check(survey: Survey) -> Iterator[tuple[str, str]]:
    """(place, reason) for what each field alone cannot tell: references, repeats, scoring needs.

    Run by the loader on every file; a Survey that passes it is safe for the flow and scoring.
    """
    seen: dict[str, tuple[str, Question]] = {}
    sections_seen: set[str] = set()
    for i, section in enumerate(survey.sections):
        if section.id in sections_seen:
            yield f"sections[{i}].id", f"section id {section.id!r} is used twice"
        sections_seen.add(section.id)
        for j, question in enumerate(section.questions):
            place = f"sections[{i}].questions[{j}]"
            if question.id in seen:
                first = seen[question.id][0]
                yield f"{place}.id", f"question id {question.id!r} is used twice (first at {first})"
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
            if question.when is not None:
                yield from _check_condition(survey, question.when, seen, f"{place}.when")
            seen.setdefault(question.id, (place, question))
    if survey.repeat == "quarterly" and survey.anonymous:
        yield "repeat", "quarterly counts responses per person, which an anonymous survey cannot"
    if survey.employees and survey.scoring != "nps":
        yield "employees", "employees names the figure eNPS, so it needs nps scoring"
    if survey.scoring == "yes-share":
        starts = [level.from_ for level in survey.levels]
        if not starts or starts[0] != 0 or starts != sorted(set(starts)):
            yield "levels", "yes-share scoring needs levels starting from 0, in increasing order"
    elif survey.scoring == "index":
        if not any(
            isinstance(survey.scales.get(q.scale), NumericScale) for q in survey.all_questions()
        ):
            yield "scoring", "index scoring needs at least one numeric (0-10) question"
    else:
        yield from _check_score_question(survey, seen)


def _check_condition(
    survey: Survey, when: Condition, earlier: dict[str, tuple[str, Question]], place: str
) -> Iterator[tuple[str, str]]:
    if when.question not in earlier:
        yield (
            f"{place}.question",
            f"{when.question!r} is not a question asked before this one",
        )
        return
    scale = survey.scales.get(earlier[when.question][1].scale)
    if when.values is not None:
        options = {o.value for o in scale.options} if isinstance(scale, ChoiceScale) else set()
        unknown = [v for v in when.values if v not in options]
        if not isinstance(scale, ChoiceScale) or unknown:
            yield f"{place}.values", f"not answers of {when.question!r}: {unknown or when.values}"
    elif not isinstance(scale, NumericScale):
        yield f"{place}", f"min/max need a numeric question; {when.question!r} is not one"


def _check_score_question(
    survey: Survey, questions: dict[str, tuple[str, Question]]
) -> Iterator[tuple[str, str]]:
    if survey.score_question not in questions:
        yield "score_question", f"{survey.score_question!r} is not a question of this survey"
        return
    place, question = questions[survey.score_question]
    scale = survey.scales.get(question.scale)
    low, high = SCORE_SCALES[survey.scoring]
    if not isinstance(scale, NumericScale) or (scale.min, scale.max) != (low, high):
        yield "score_question", f"{survey.scoring} scoring needs a {low}-{high} numeric question"
    if question.optional or question.when is not None:
        yield f"{place}.optional", f"the score question {question.id!r} must always be asked"


def _is_yes_no(scale: ChoiceScale | NumericScale | TextScale) -> bool:
    values = {o.value for o in scale.options} if isinstance(scale, ChoiceScale) else set()
    return {"yes", "no"} <= values <= {"yes", "no", "unsure"}


def _as_number(value: str) -> int:
    return int(value) if value.lstrip("-").isdigit() else -(10**6)
