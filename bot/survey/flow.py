"""Where a respondent is: the next question, the progress, and whether an answer fits.

Everything is derived from the survey and the answers stored so far, so the same answers give the
same screen after a restart, on any device.
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
    """1-based number of the current question."""
    total: int


def next_question(survey: Survey, answers: Answers) -> PlacedQuestion | None:
    """The first question without an answer, or None when the survey is complete."""
    return next((q for q in survey.questions if q.id not in answers), None)


def progress(survey: Survey, question: PlacedQuestion) -> Progress:
    return Progress(position=question.index + 1, total=len(survey.questions))


def is_complete(survey: Survey, answers: Answers) -> bool:
    return next_question(survey, answers) is None


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
