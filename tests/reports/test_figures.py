"""From answer counts to the figures an admin reads: NPS with its margin, CSAT, CES, index, yes-share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest

from bot.reports.figures import (
    Figures,
    NpsFigures,
    figures,
    histogram,
    question_ids,
    ranked,
    resolution_question,
    split,
)
from bot.storage.reports import Count
from bot.survey.model import Survey

WEEK = "2026-W45"


def count(
    question: str, value: str | None, n: int, *, bucket: str = WEEK, segment: str | None = None
) -> Count:
    return Count(bucket=bucket, segment=segment, question_id=question, value=value, count=n)


def ratings(question: str, by_value: Mapping[int, int]) -> list[Count]:
    """One Count row per rating given: {10: 3} is three answers of 10."""
    return [count(question, str(value), n) for value, n in by_value.items()]


def tally(responses: list[Mapping[str, str | None]]) -> list[Count]:
    """The rows the database would return for these responses, all in one week and segment."""
    seen = Counter((q, v) for answers in responses for q, v in answers.items())
    return [count(q, v, n) for (q, v), n in seen.items()]


def nps_of(survey: Survey, counts: list[Count]) -> NpsFigures:
    result = figures(survey, histogram(counts))
    assert result.nps is not None
    return result.nps


# NPS


def test_nps_counts_9_10_as_promoters_7_8_as_passives_and_0_6_as_detractors(nps: Survey) -> None:
    counts = ratings("recommend", {0: 1, 6: 2, 7: 3, 8: 4, 9: 5, 10: 6})
    result = nps_of(nps, counts)
    # promoters 5 + 6, passives 3 + 4, detractors 1 + 2
    assert (result.promoters, result.passives, result.detractors) == (11, 7, 3)
    assert result.n == 21


def test_nps_is_percent_promoters_minus_percent_detractors(nps: Survey) -> None:
    # 6 promoters, 3 passives, 1 detractor of 10: 60 % - 10 % = +50
    result = figures(nps, histogram(ratings("recommend", {10: 6, 7: 3, 2: 1})))
    assert result.n == 10
    assert result.headline == pytest.approx(50.0)


def test_nps_margin_follows_the_nps_variance(nps: Survey) -> None:
    # 4 promoters, 2 passives, 4 detractors of 10: p = d = 0.4, score 0
    # variance = p + d - (p - d)^2 = 0.8; margin = 1.96 * sqrt(0.8 / 10) * 100
    #          = 1.96 * 0.282843 * 100 = 55.437
    result = figures(nps, histogram(ratings("recommend", {9: 4, 8: 2, 3: 4})))
    assert result.headline == pytest.approx(0.0)
    assert result.nps is not None
    assert result.nps.margin == pytest.approx(55.437, abs=0.001)


def test_nps_margin_with_unequal_promoters_and_detractors(nps: Survey) -> None:
    # 6 promoters, 3 passives, 1 detractor of 10: p = 0.6, d = 0.1
    # variance = 0.7 - 0.5^2 = 0.45; margin = 1.96 * sqrt(0.045) * 100 = 1.96 * 0.212132 * 100
    #          = 41.578
    result = nps_of(nps, ratings("recommend", {10: 6, 7: 3, 0: 1}))
    assert result.margin == pytest.approx(41.578, abs=0.001)


def test_nps_margin_narrows_with_more_responses(nps: Survey) -> None:
    # the same 40/20/40 split of 100: 1.96 * sqrt(0.8 / 100) * 100 = 1.96 * 0.089443 * 100 = 17.531
    result = nps_of(nps, ratings("recommend", {9: 40, 8: 20, 3: 40}))
    assert result.margin == pytest.approx(17.531, abs=0.001)


def test_nps_of_all_promoters_is_100_with_no_margin(nps: Survey) -> None:
    # p = 1, d = 0: variance = 1 + 0 - 1^2 = 0
    result = figures(nps, histogram(ratings("recommend", {9: 3, 10: 4})))
    assert result.headline == pytest.approx(100.0)
    assert result.nps is not None
    assert result.nps.margin == pytest.approx(0.0, abs=1e-9)


def test_nps_without_answers_has_no_headline(nps: Survey) -> None:
    result = figures(nps, histogram([]))
    assert (result.n, result.headline) == (0, None)
    assert result.nps is not None
    assert (result.nps.score, result.nps.margin) == (0.0, 0.0)


def test_nps_ignores_answers_to_other_questions(nps: Survey) -> None:
    counts = [*ratings("recommend", {10: 2}), count("why-promoter", "friendly staff", 2)]
    assert figures(nps, histogram(counts)).n == 2


# CSAT


def test_csat_is_the_percent_of_4_and_5(csat: Survey) -> None:
    # 4 fives + 3 fours = 7 of 4 + 3 + 2 + 1 = 10 -> 70 %
    result = figures(csat, histogram(ratings("satisfaction", {5: 4, 4: 3, 3: 2, 1: 1})))
    assert result.n == 10
    assert result.csat == pytest.approx(0.7)
    assert result.headline == pytest.approx(70.0)


def test_first_contact_resolution_is_the_share_of_yes_to_solved(csat: Survey) -> None:
    # 6 yes, 2 no, 2 skipped: 6 of the 8 who said = 75 %
    counts = [
        *ratings("satisfaction", {5: 10}),
        count("solved", "yes", 6),
        count("solved", "no", 2),
        count("solved", None, 2),
    ]
    assert figures(csat, histogram(counts)).resolution == pytest.approx(0.75)


def test_resolution_is_unknown_when_nobody_said(csat: Survey) -> None:
    result = figures(csat, histogram(ratings("satisfaction", {4: 3})))
    assert result.resolution is None
    assert result.headline == pytest.approx(100.0)


def test_csat_without_answers_has_no_headline(csat: Survey) -> None:
    result = figures(csat, histogram([]))
    assert (result.n, result.headline, result.csat) == (0, None, None)


# CES


def test_ces_is_the_mean_rating(ces: Survey) -> None:
    # (7 * 2 + 6 + 5 + 2) / 5 = 27 / 5 = 5.4
    result = figures(ces, histogram(ratings("effort", {7: 2, 6: 1, 5: 1, 2: 1})))
    assert result.n == 5
    assert result.ces == pytest.approx(5.4)
    assert result.headline == pytest.approx(5.4)


def test_ces_without_answers_has_no_headline(ces: Survey) -> None:
    result = figures(ces, histogram([]))
    assert (result.n, result.headline, result.ces) == (0, None, None)


# an index of criteria


PROMISES = ["relationship", "exceeding-expectations", "teamwork", "attitude", "environment"]


def test_the_index_is_the_mean_of_all_ratings_times_ten(five: Survey) -> None:
    first = dict(zip(PROMISES, ["10", "8", "6", "9", "7"], strict=True))
    second = dict(zip(PROMISES, ["8", "6", "6", "7", "3"], strict=True))
    result = figures(five, histogram(tally([first, second])))
    # (10 + 8 + 6 + 9 + 7 + 8 + 6 + 6 + 7 + 3) / 10 ratings = 70 / 10 = 7.0 -> 70
    assert result.n == 2
    assert result.headline == pytest.approx(70.0)


def test_each_criterion_is_its_own_mean_times_ten(five: Survey) -> None:
    first = dict(zip(PROMISES, ["10", "8", "6", "9", "7"], strict=True))
    second = dict(zip(PROMISES, ["8", "6", "6", "7", "3"], strict=True))
    result = figures(five, histogram(tally([first, second])))
    assert result.criteria == pytest.approx(
        {
            "relationship": 90.0,  # (10 + 8) / 2 = 9
            "exceeding-expectations": 70.0,  # (8 + 6) / 2 = 7
            "teamwork": 60.0,  # (6 + 6) / 2 = 6
            "attitude": 80.0,  # (9 + 7) / 2 = 8
            "environment": 50.0,  # (7 + 3) / 2 = 5
        }
    )


def test_the_index_weighs_every_rating_not_every_criterion(five: Survey) -> None:
    all_tens: dict[str, str | None] = dict.fromkeys(PROMISES, "10")
    one_zero: dict[str, str | None] = {"relationship": "0", **dict.fromkeys(PROMISES[1:], None)}
    result = figures(five, histogram(tally([all_tens, one_zero])))
    # six ratings: five 10s and one 0 -> 50 / 6 = 8.333 -> 83.33
    # (the mean of the criteria would be (50 + 100 * 4) / 5 = 90)
    assert result.headline == pytest.approx(83.333, abs=0.001)
    # skipped ratings are no zeros: each of the other criteria has only its 10
    assert result.criteria["environment"] == pytest.approx(100.0)
    assert result.criteria["relationship"] == pytest.approx(50.0)
    assert result.n == 2


def test_the_index_leaves_out_criteria_nobody_rated(five: Survey) -> None:
    result = figures(five, histogram(ratings("relationship", {9: 1})))
    assert result.criteria == pytest.approx({"relationship": 90.0})


def test_the_index_without_ratings_has_no_headline(five: Survey) -> None:
    result = figures(five, histogram([]))
    assert (result.n, result.headline, result.criteria) == (0, None, {})


# a self-assessment: share of yes


def diagnostic_answers(diagnostic: Survey, by_section: list[list[str]]) -> dict[str, str | None]:
    """Answers given section by section (people, processes, customers, finance), 5 each."""
    return {
        q.id: value
        for section, values in zip(diagnostic.sections, by_section, strict=True)
        for q, value in zip(section.questions, values, strict=True)
    }


@pytest.fixture
def two_diagnostics(diagnostic: Survey) -> list[Count]:
    first = [
        ["yes"] * 5,  # people
        ["yes"] * 3 + ["no", "unsure"],  # processes
        ["no"] * 5,  # customers
        ["unsure"] * 5,  # finance
    ]
    second = [
        ["yes"] * 5,
        ["yes"] + ["no"] * 4,
        ["no"] * 5,
        ["yes"] * 2 + ["unsure"] * 3,
    ]
    return tally([diagnostic_answers(diagnostic, first), diagnostic_answers(diagnostic, second)])


def test_each_section_is_its_share_of_yes_over_all_responses(
    diagnostic: Survey, two_diagnostics: list[Count]
) -> None:
    result = figures(diagnostic, histogram(two_diagnostics))
    assert result.criteria == pytest.approx(
        {
            "people": 1.0,  # 10 yes of 10
            "processes": 0.4,  # 3 + 1 = 4 of 10
            "customers": 0.0,  # 0 of 10
            "finance": 0.2,  # 0 + 2 = 2 of 10
        }
    )


def test_the_yes_share_headline_is_the_percent_of_yes_among_all_answers(
    diagnostic: Survey, two_diagnostics: list[Count]
) -> None:
    result = figures(diagnostic, histogram(two_diagnostics))
    # yes: 10 + 4 + 0 + 2 = 16 of 40 answers -> 40 %
    assert result.headline == pytest.approx(40.0)
    assert result.n == 2


def test_dont_know_is_reported_as_its_share_of_all_answers(
    diagnostic: Survey, two_diagnostics: list[Count]
) -> None:
    result = figures(diagnostic, histogram(two_diagnostics))
    # unsure: processes 1 + finance 5 + 3 = 9 of 40 = 0.225
    assert result.unsure == pytest.approx(0.225)


def test_a_section_nobody_answered_has_no_share(diagnostic: Survey) -> None:
    people = [q.id for q in diagnostic.sections[0].questions]
    result = figures(diagnostic, histogram([count(q, "yes", 1) for q in people]))
    assert result.criteria == pytest.approx({"people": 1.0})
    assert result.headline == pytest.approx(100.0)
    assert result.unsure == pytest.approx(0.0)


def test_a_yes_share_without_answers_has_no_headline(diagnostic: Survey) -> None:
    result = figures(diagnostic, histogram([]))
    assert (result.n, result.headline, result.unsure, result.criteria) == (0, None, None, {})


# histograms, groups and ranking


def test_a_histogram_adds_up_rows_of_the_same_answer_and_keeps_skips_as_empty() -> None:
    counts = [
        count("recommend", "10", 2, segment="desk-a"),
        count("recommend", "10", 3, segment="desk-b"),
        count("why-promoter", None, 4),
    ]
    assert histogram(counts) == {
        "recommend": Counter({"10": 5}),  # 2 + 3
        "why-promoter": Counter({"": 4}),
    }


def test_split_by_bucket_groups_the_rows_of_each_trend_step() -> None:
    counts = [
        count("recommend", "10", 2, bucket="2026-W44", segment="desk-a"),
        count("recommend", "10", 1, bucket="2026-W44", segment="desk-b"),
        count("recommend", "3", 4, bucket="2026-W45", segment="desk-a"),
    ]
    assert split(counts, "bucket") == {
        "2026-W44": {"recommend": Counter({"10": 3})},  # both desks: 2 + 1
        "2026-W45": {"recommend": Counter({"3": 4})},
    }


def test_split_by_segment_groups_across_weeks_and_names_no_segment_empty() -> None:
    counts = [
        count("recommend", "10", 2, bucket="2026-W44", segment="desk-a"),
        count("recommend", "10", 1, bucket="2026-W45", segment="desk-a"),
        count("recommend", "7", 4, bucket="2026-W45", segment=None),
    ]
    assert split(counts, "segment") == {
        "desk-a": {"recommend": Counter({"10": 3})},  # two weeks: 2 + 1
        "": {"recommend": Counter({"7": 4})},
    }


def test_split_groups_give_their_own_figures(nps: Survey) -> None:
    counts = [
        count("recommend", "10", 3, segment="desk-a"),
        count("recommend", "0", 1, segment="desk-a"),
        count("recommend", "8", 2, segment="desk-b"),
    ]
    groups = {name: figures(nps, hist) for name, hist in split(counts, "segment").items()}
    # desk-a: 3 promoters, 1 detractor of 4 -> 75 - 25 = +50; desk-b: 2 passives -> 0
    assert groups["desk-a"].headline == pytest.approx(50.0)
    assert groups["desk-a"].n == 4
    assert groups["desk-b"].headline == pytest.approx(0.0)
    assert groups["desk-b"].n == 2


def group(headline: float | None, n: int = 10) -> Figures:
    return Figures(n=n, headline=headline)


def test_ranked_puts_the_best_headline_first() -> None:
    groups = {"b": group(12.0), "a": group(-40.0), "c": group(55.0)}
    assert [name for name, _ in ranked(groups)] == ["c", "b", "a"]


def test_ranked_puts_groups_without_a_headline_last() -> None:
    groups = {"none": group(None, n=0), "low": group(-80.0), "high": group(30.0)}
    assert [name for name, _ in ranked(groups)] == ["high", "low", "none"]


def test_ranked_keeps_each_groups_figures() -> None:
    high, low = group(30.0, n=7), group(-10.0, n=3)
    assert ranked({"low": low, "high": high}) == [("high", high), ("low", low)]


def test_ranked_orders_ces_higher_first_as_higher_is_easier() -> None:
    groups = {"hard": group(2.5), "easy": group(6.1), "middling": group(4.0)}
    assert [name for name, _ in ranked(groups)] == ["easy", "middling", "hard"]


def test_ranked_puts_a_headline_of_zero_between_positive_and_negative() -> None:
    groups = {"zero": group(0.0), "minus": group(-30.0), "plus": group(20.0)}
    assert [name for name, _ in ranked(groups)] == ["plus", "zero", "minus"]


def test_ranked_puts_a_zero_percent_group_above_one_without_data() -> None:
    groups = {"empty": group(None, n=0), "zero": group(0.0)}
    assert [name for name, _ in ranked(groups)] == ["zero", "empty"]


# what a summary counts


def test_nps_counts_only_its_score_question(nps: Survey) -> None:
    assert question_ids(nps) == ["recommend"]


def test_csat_counts_its_score_and_the_solved_question(csat: Survey) -> None:
    assert question_ids(csat) == ["satisfaction", "solved"]
    assert resolution_question(csat) == "solved"


def test_ces_counts_only_its_score_question(ces: Survey) -> None:
    assert question_ids(ces) == ["effort"]


def test_nps_has_no_resolution_question(nps: Survey) -> None:
    assert resolution_question(nps) is None


def test_an_index_counts_its_rated_criteria_not_the_comment(five: Survey) -> None:
    assert question_ids(five) == PROMISES


def test_a_self_assessment_counts_every_statement(diagnostic: Survey) -> None:
    ids = question_ids(diagnostic)
    assert len(ids) == 20  # 4 sections of 5
    assert ids[:2] == ["experience-defined", "hiring-for-traits"]
    assert ids[-1] == "churn-price-vs-service"
    assert ids == [q.id for q in diagnostic.questions]


def test_enps_counts_its_score_question(catalogue: dict[str, Survey]) -> None:
    assert question_ids(catalogue["enps"]) == ["recommend"]
