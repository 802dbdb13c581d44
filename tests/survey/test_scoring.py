"""The respondent's result: yes-share per section and overall, maturity level, NPS category."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.loader import load_catalogue
from bot.survey.model import Survey
from bot.survey.scoring import (
    NpsResult,
    YesShareResult,
    level_for,
    nps_category,
    score,
)

SURVEYS = Path(__file__).resolve().parents[2] / "bot" / "surveys"

# Sections of cx-maturity: strategy 7, design 6, data 9, implementation 5, results 5.
PATTERN = [
    ["yes"] * 5 + ["unsure", "no"],  # 5/7
    ["yes"] * 6,  # 6/6
    ["yes"] * 3 + ["unsure"] * 2 + ["no"] * 4,  # 3/9
    ["no"] * 5,  # 0/5
    ["yes"] * 5,  # 5/5
]


@pytest.fixture(scope="module")
def cx() -> Survey:
    return load_catalogue(SURVEYS)["cx-maturity"]


def by_section(survey: Survey, pattern: list[list[str]]) -> dict[str, str | None]:
    assert [len(p) for p in pattern] == [len(s.questions) for s in survey.sections]
    return {
        q.id: value
        for section, values in zip(survey.sections, pattern, strict=True)
        for q, value in zip(section.questions, values, strict=True)
    }


def yes_share(survey: Survey, pattern: list[list[str]]) -> YesShareResult:
    result = score(survey, by_section(survey, pattern))
    assert isinstance(result, YesShareResult)
    return result


def test_each_section_scores_its_share_of_yes(cx: Survey) -> None:
    result = yes_share(cx, PATTERN)
    shares = [(s.section.id, s.yes, s.total, s.share) for s in result.sections]
    assert shares == [
        ("strategy", 5, 7, 5 / 7),
        ("design", 6, 6, 1.0),
        ("data", 3, 9, 3 / 9),
        ("implementation", 0, 5, 0.0),
        ("results", 5, 5, 1.0),
    ]


def test_the_overall_share_counts_every_statement(cx: Survey) -> None:
    result = yes_share(cx, PATTERN)
    assert (result.yes, result.total, result.share) == (19, 32, 19 / 32)
    assert result.level.name("en") == "Advanced"  # 59 %


def test_unsure_counts_as_not_yes_and_is_reported_apart(cx: Survey) -> None:
    result = yes_share(cx, PATTERN)
    assert [s.unsure for s in result.sections] == [1, 0, 2, 0, 0]
    assert result.unsure == 3
    all_unsure = yes_share(cx, [["unsure"] * len(s.questions) for s in cx.sections])
    assert (all_unsure.yes, all_unsure.unsure, all_unsure.share) == (0, 32, 0.0)


def test_the_strongest_and_weakest_sections_are_named(cx: Survey) -> None:
    result = yes_share(cx, PATTERN)
    assert result.strongest.section.id == "design", "the first of the two at 100 %"
    assert result.weakest.section.id == "implementation"
    assert not result.is_flat


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_a_result_with_all_sections_equal_is_flat(cx: Survey, answer: str) -> None:
    assert yes_share(cx, [[answer] * len(s.questions) for s in cx.sections]).is_flat


@pytest.mark.parametrize(
    ("share", "level"),
    [
        (0.0, "Beginner"),
        (0.2449, "Beginner"),
        # Bands compare whole percents, as shown to the respondent: 24.9 % shows and counts as 25 %.
        (0.249, "Developing"),
        (0.25, "Developing"),
        # Halves round up, as on any report: 24.5 -> 25, 49.5 -> 50, 74.5 -> 75.
        (0.245, "Developing"),
        (0.2449, "Beginner"),
        (0.495, "Advanced"),
        (0.745, "Leader"),
        (0.75, "Leader"),
        (1.0, "Leader"),
    ],
)
def test_the_level_is_the_highest_band_the_rounded_share_reaches(
    cx: Survey, share: float, level: str
) -> None:
    assert level_for(cx.levels, share).name("en") == level


@pytest.mark.parametrize(
    ("rating", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_category_edges(rating: int, category: str) -> None:
    assert nps_category(rating) == category


def test_an_nps_survey_scores_the_rating_and_its_category() -> None:
    nps = load_catalogue(SURVEYS)["nps"]
    assert score(nps, {"recommend": "6", "why-detractor": "slow"}) == NpsResult(6, "detractor")
    assert score(nps, {"recommend": "10", "why-promoter": None}) == NpsResult(10, "promoter")
