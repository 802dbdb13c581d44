"""The flow over the shipped surveys: which question comes next, where the respondent is, and
which answers fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.flow import InvalidAnswer, Progress, check_answer, next_question, progress
from bot.survey.loader import load_catalogue
from bot.survey.model import PlacedQuestion, Survey

SURVEYS = Path(__file__).resolve().parents[2] / "bot" / "surveys"


@pytest.fixture(scope="module")
def cx() -> Survey:
    return load_catalogue(SURVEYS)["cx-maturity"]


@pytest.fixture(scope="module")
def nps() -> Survey:
    return load_catalogue(SURVEYS)["nps"]


def placed(survey: Survey, question_id: str) -> PlacedQuestion:
    question = survey.question(question_id)
    assert question is not None, question_id
    return question


def refusal(question: PlacedQuestion, raw: str | None) -> InvalidAnswer:
    with pytest.raises(InvalidAnswer) as caught:
        check_answer(question, raw)
    return caught.value


def test_next_question_walks_every_question_in_file_order(cx: Survey) -> None:
    in_file = [q.id for section in cx.sections for q in section.questions]
    answers: dict[str, str | None] = {}
    walked = []
    while (question := next_question(cx, answers)) is not None:
        walked.append(question.id)
        answers[question.id] = "no"
    assert walked == in_file
    assert (walked[0], walked[-1], len(walked)) == ("cx-director", "external-awards", 32)


def test_next_question_is_none_once_all_are_answered(cx: Survey) -> None:
    answers = {q.id: "yes" for section in cx.sections for q in section.questions}
    assert next_question(cx, answers) is None


@pytest.mark.parametrize(
    ("rating", "follow_up"),
    [("0", "why-detractor"), ("6", "why-detractor"), ("7", "why-passive"), ("10", "why-promoter")],
)
def test_nps_asks_the_follow_up_of_the_category(nps: Survey, rating: str, follow_up: str) -> None:
    question = next_question(nps, {"recommend": rating})
    assert question is not None and question.id == follow_up
    assert next_question(nps, {"recommend": rating, follow_up: None}) is None


def test_progress_counts_position_among_all_questions(cx: Survey) -> None:
    positions = [progress(cx, q) for q in cx.questions]
    assert positions == [Progress(position=n, total=32) for n in range(1, 33)]


def test_nps_progress_counts_one_follow_up(nps: Survey) -> None:
    assert progress(nps, placed(nps, "recommend")) == Progress(position=1, total=2)
    follow_up = placed(nps, "why-passive")
    assert progress(nps, follow_up, {"recommend": "8"}) == Progress(position=2, total=2)


@pytest.mark.parametrize("value", ["yes", "no", "unsure"])
def test_an_option_of_the_scale_is_accepted(cx: Survey, value: str) -> None:
    assert check_answer(placed(cx, "cx-director"), value) == value


@pytest.mark.parametrize("raw", ["maybe", "Yes", "", " yes"])
def test_a_value_that_is_not_an_option_is_refused(cx: Survey, raw: str) -> None:
    assert refusal(placed(cx, "cx-director"), raw).reason == "not-an-option"


@pytest.mark.parametrize(("raw", "stored"), [("0", "0"), ("7", "7"), ("10", "10"), ("07", "7")])
def test_a_rating_on_the_scale_is_accepted(nps: Survey, raw: str, stored: str) -> None:
    assert check_answer(placed(nps, "recommend"), raw) == stored


@pytest.mark.parametrize("raw", ["11", "-1", "\u0663", "5.0", "", " 5", "+5", "five"])
def test_a_rating_off_the_scale_is_refused(nps: Survey, raw: str) -> None:
    assert refusal(placed(nps, "recommend"), raw).reason == "off-scale"


def test_a_typed_answer_is_stored_trimmed(nps: Survey) -> None:
    assert check_answer(placed(nps, "why-passive"), "  Faster replies \n") == "Faster replies"


def test_a_typed_answer_at_the_limit_is_accepted(nps: Survey) -> None:
    assert check_answer(placed(nps, "why-passive"), "x" * 1000) == "x" * 1000


@pytest.mark.parametrize("raw", ["", "   ", "\n\t"])
def test_an_empty_typed_answer_is_refused(nps: Survey, raw: str) -> None:
    assert refusal(placed(nps, "why-passive"), raw).reason == "empty"


def test_an_over_long_typed_answer_is_refused_with_the_limit(nps: Survey) -> None:
    error = refusal(placed(nps, "why-passive"), "x" * 1001)
    assert (error.reason, error.details) == ("too-long", {"limit": 1000})


def test_an_optional_question_may_be_skipped(nps: Survey) -> None:
    assert check_answer(placed(nps, "why-promoter"), None) is None


def test_a_required_question_may_not_be_skipped(cx: Survey, nps: Survey) -> None:
    assert refusal(placed(nps, "recommend"), None).reason == "required"
    assert refusal(placed(cx, "cx-director"), None).reason == "required"
