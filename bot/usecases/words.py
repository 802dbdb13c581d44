"""Admins' words (chat command arguments, command-line arguments) as requests: one reading for
every adapter, so that `/summary nps 3d` and `cxbot summary nps 3d` mean the same.

`<survey> [period] [segment]`: a word that is a period is the period; a word that starts with a
digit but is no period is a malformed period (said so, rather than taken for a segment); any
other word is the segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.reports.periods import Period, looks_like_period, parse_period
from bot.survey.model import Survey
from bot.usecases.admin import SummaryRequest
from bot.usecases.outcomes import UnknownSurvey


class Malformed(ValueError):
    """Words that do not make a request: the adapter answers with its usage line."""


def period_and_segment(words: Sequence[str]) -> tuple[str | None, str | None]:
    """The period's word and the segment among up to two words after the survey."""
    rest = list(words)
    period = rest.pop(0) if rest and looks_like_period(rest[0]) else None
    if period is None and rest and rest[0][:1].isdigit():
        period = rest.pop(0)  # meant as a period but malformed: parse_period says why
    if len(rest) > 1:
        raise Malformed(f"{' '.join(words)}: expected [period] [segment]")
    return period, rest[0] if rest else None


def survey_word(surveys: Mapping[str, Survey], words: Sequence[str]) -> Survey:
    if not words:
        raise UnknownSurvey("", list(surveys))
    survey = surveys.get(words[0])
    if survey is None:
        raise UnknownSurvey(words[0], list(surveys))
    return survey


def summary_request(surveys: Mapping[str, Survey], words: Sequence[str]) -> SummaryRequest:
    """`<survey> [period] [segment]`; PeriodError for a malformed or forbidden period."""
    survey = survey_word(surveys, words)
    period, segment = period_and_segment(words[1:])
    return SummaryRequest(survey.id, parse_period(period, anonymous=survey.anonymous), segment)


def export_request(surveys: Mapping[str, Survey], words: Sequence[str]) -> tuple[str, Period]:
    """`<survey> [period]`."""
    survey = survey_word(surveys, words)
    if len(words) > 2:
        raise Malformed(f"{' '.join(words[1:])}: expected [period]")
    text = words[1] if len(words) > 1 else None
    return survey.id, parse_period(text, anonymous=survey.anonymous)
