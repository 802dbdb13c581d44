"""One reading of admins' words for the chat and the command line."""

from __future__ import annotations

import pytest

from bot.reports.periods import PeriodError
from bot.survey.model import Survey
from bot.usecases.outcomes import UnknownSurvey
from bot.usecases.words import Malformed, period_and_segment, summary_request


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], (None, None)),
        (["30d"], ("30d", None)),
        (["desk-3"], (None, "desk-3")),
        (["2026-Q4", "desk-3"], ("2026-Q4", "desk-3")),
        (["3desk"], ("3desk", None)),  # digit-led: a malformed period, said so
    ],
)
def test_period_and_segment(words: list[str], expected: tuple[str | None, str | None]) -> None:
    assert period_and_segment(words) == expected


def test_a_third_word_is_malformed() -> None:
    with pytest.raises(Malformed):
        period_and_segment(["desk-3", "30d"])


def test_a_digit_led_word_is_a_malformed_period_not_a_segment(
    catalogue: dict[str, Survey],
) -> None:
    with pytest.raises(PeriodError):
        summary_request(catalogue, ["nps", "3desk"])


def test_a_summary_request_names_survey_period_and_segment(catalogue: dict[str, Survey]) -> None:
    request = summary_request(catalogue, ["nps", "90d", "desk-3"])
    assert (request.survey_id, request.period.name, request.segment) == ("nps", "90d", "desk-3")
    with pytest.raises(UnknownSurvey):
        summary_request(catalogue, ["nope"])
