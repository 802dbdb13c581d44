"""Where a respondent is: the current question, the progress, and whether an answer fits.

Everything is derived from the survey, the answers stored so far and an optional cursor (the
question the respondent went Back to), so the same stored state gives the same screen after a
restart, on any device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.survey.model import ChoiceScale, NumericScale, PlacedQuestion, Survey, TextScale

Answers = Mapping[str, str | None]
"""Question id -> stored value; None marks an optional question the respondent skipped."""


class InvalidAnswer(ValueError):
    """An answer that does not fit the question: refused, nothing is stored."""

    def __init__(self, reason: str, **details: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Progress:
    position: int
    """1-based number of the current question among those this respondent is asked."""
    total: int
    """How many they will be asked; follow-ups waiting on an answer count once per answer."""


def applicable(survey: Survey, answers: Answers) -> list[PlacedQuestion]:
    """The questions this respondent is asked, given their answers so far.

    Conditions read only answers to questions that are themselves asked, so an answer left over
    from before a Back-and-change does not open a follow-up it no longer belongs to.
    """
    asked: list[PlacedQuestion] = []
    relevant: dict[str, str | None] = {}
    for question in survey.questions:
        when = question.question.when
        if when is None or when.holds(relevant.get(when.question)):
            asked.append(question)
            if question.id in answers:
                relevant[question.id] = answers[question.id]
    return asked


def relevant_answers(survey: Survey, answers: Answers) -> dict[str, str | None]:
    """The answers that count: those to questions this respondent is asked."""
    return {q.id: answers[q.id] for q in applicable(survey, answers) if q.id in answers}


def next_question(survey: Survey, answers: Answers) -> PlacedQuestion | None:
    """The first question asked and not yet answered, or None when the survey is complete."""
    return next((q for q in applicable(survey, answers) if q.id not in answers), None)


def current_question(
    survey: Survey, answers: Answers, cursor: str | None = None
) -> PlacedQuestion | None:
    """The question on screen: the one gone Back to, else the next unanswered one."""
    if cursor is not None:
        revisited = next((q for q in applicable(survey, answers) if q.id == cursor), None)
        if revisited is not None:
            return revisited
    return next_question(survey, answers)


def previous_question(
    survey: Survey, answers: Answers, current: PlacedQuestion
) -> PlacedQuestion | None:
    """Where Back leads from the current question: the asked question before it, if any."""
    before = [q for q in applicable(survey, answers) if q.index < current.index]
    return before[-1] if before else None


def cursor_after(survey: Survey, answers: Answers, answered: PlacedQuestion) -> str | None:
    """After answering a revisited question, walk on through the answered ones one at a time."""
    later = [q for q in applicable(survey, answers) if q.index > answered.index]
    if later and later[0].id in answers:
        return later[0].id
    return None


def progress(survey: Survey, question: PlacedQuestion, answers: Answers | None = None) -> Progress:
    answers = answers or {}
    asked = applicable(survey, answers)
    asked_ids = {q.id for q in asked}
    waiting: set[str] = set()
    total = 0
    for candidate in survey.questions:
        when = candidate.question.when
        if when is None or candidate.id in asked_ids:
            total += 1
        elif when.question not in answers and when.question not in waiting:
            waiting.add(when.question)
            total += 1
    position = sum(1 for q in asked if q.index < question.index) + 1
    return Progress(position=position, total=max(total, position))


def check_answer(question: PlacedQuestion, raw: str | None) -> str | None:
    """The value to store for `raw`, or InvalidAnswer; None means skip."""
    if raw is None:
        if not question.question.optional:
            raise InvalidAnswer("required")
        return None
    scale = question.scale
    if isinstance(scale, ChoiceScale):
        if scale.option(raw) is None:
            raise InvalidAnswer("not-an-option")
        return raw
    if isinstance(scale, NumericScale):
        if not raw.isascii() or not raw.isdigit() or int(raw) not in scale.values:
            raise InvalidAnswer("off-scale")
        return str(int(raw))
    assert isinstance(scale, TextScale)
    text = raw.strip()
    if not text:
        raise InvalidAnswer("empty")
    if len(text) > scale.max_length:
        raise InvalidAnswer("too-long", limit=scale.max_length)
    return text
