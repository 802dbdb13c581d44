"""An admin's summary built from a real SQLite file: overall, trend, segments, levels, comments,
and the text the admin reads in their language (anonymous surveys: test_disclosure.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.i18n import use_language
from bot.reports.figures import Figures
from bot.reports.periods import parse_period
from bot.reports.summary import Quote, Summary, build_summary
from bot.reports.text import summary_text
from bot.storage.database import Response, Storage
from bot.survey.model import Survey
from tests.reports.conftest import Clock


@dataclass
class People:
    """Respondents who answer through Storage's public methods, each a new person by default."""

    storage: Storage
    clock: Clock
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    async def start(
        self, survey: Survey, *, at: str, segment: str | None, user: int | None
    ) -> Response:
        self.clock.now = at
        person = next(self.ids) if user is None else user
        if survey.anonymous:
            return await self.storage.start_response(
                survey_id=survey.id,
                respondent=f"a:{person}",
                user_id=None,
                segment=segment,
                language="en",
            )
        await self.storage.touch_user(person, "en")
        return await self.storage.start_response(
            survey_id=survey.id,
            respondent=f"u:{person}",
            user_id=person,
            segment=segment,
            language="en",
        )

    async def finish(
        self,
        survey: Survey,
        answers: Mapping[str, str | None],
        *,
        at: str,
        segment: str | None = None,
        user: int | None = None,
    ) -> Response:
        """A response finished at `at` (anonymous ones keep the day only)."""
        response = await self.start(survey, at=at, segment=segment, user=user)
        last = len(answers) - 1
        for index, (question, value) in enumerate(answers.items()):
            response = await self.storage.record_answer(
                response,
                question,
                value,
                cursor=None,
                finished=index == last,
                replaces_previous=survey.repeat == "replace",
            )
        return response

    async def leave_unfinished(
        self, survey: Survey, answers: Mapping[str, str], *, at: str
    ) -> None:
        response = await self.start(survey, at=at, segment=None, user=None)
        for question, value in answers.items():
            response = await self.storage.record_answer(
                response, question, value, cursor=None, finished=False
            )


@pytest.fixture
def people(storage: Storage, clock: Clock) -> People:
    return People(storage, clock)


async def summarise(
    storage: Storage, survey: Survey, period: str, segment: str | None = None
) -> Summary:
    return await build_summary(storage.reports, survey, parse_period(period), segment)


def rating(value: int, comment: str | None = None) -> dict[str, str | None]:
    """An NPS / eNPS answer, with the follow-up of its category when a comment is given."""
    answers: dict[str, str | None] = {"recommend": str(value)}
    if comment is not None:
        follow = "why-detractor" if value <= 6 else "why-passive" if value <= 8 else "why-promoter"
        answers[follow] = comment
    return answers


def headlines(groups: list[tuple[str, Figures | None]]) -> list[tuple[str, object, int]]:
    """(name, headline, n) per group, -1 as n for a hidden group (object: compared with approx)."""
    return [
        (name, None, -1) if group is None else (name, group.headline, group.n)
        for name, group in groups
    ]


# overall, trend and segments


async def test_overall_counts_finished_responses_and_gives_the_nps(
    storage: Storage, people: People, nps: Survey
) -> None:
    for value in (10, 10, 9, 7, 3):
        await people.finish(nps, rating(value), at="2026-11-03 10:00:00.000")
    await people.leave_unfinished(nps, {"recommend": "0"}, at="2026-11-03 11:00:00.000")
    summary = await summarise(storage, nps, "2026-11")
    # 3 promoters, 1 passive, 1 detractor of 5 finished: 60 % - 20 % = +40
    assert summary.overall.n == 5
    assert summary.overall.headline == pytest.approx(40.0)
    assert not summary.hidden


async def test_the_trend_has_one_bucket_per_week_oldest_first(
    storage: Storage, people: People, nps: Survey
) -> None:
    # 2026-11-02 and 11-09 are Mondays: Nov 2-8 is week 44, Nov 9-15 week 45, Nov 16-22 week 46
    await people.finish(nps, rating(10), at="2026-11-16 09:00:00.000")
    await people.finish(nps, rating(10), at="2026-11-03 09:00:00.000")
    await people.finish(nps, rating(0), at="2026-11-08 23:00:00.000")
    await people.finish(nps, rating(5), at="2026-11-09 01:00:00.000")
    summary = await summarise(storage, nps, "2026-11")
    assert summary.period.trend_by == "week"
    assert headlines(summary.trend) == [
        ("2026-W44", pytest.approx(0.0), 2),  # one 10, one 0: 50 % - 50 %
        ("2026-W45", pytest.approx(-100.0), 1),  # one 5
        ("2026-W46", pytest.approx(100.0), 1),  # one 10
    ]


async def test_all_time_trends_by_month(storage: Storage, people: People, nps: Survey) -> None:
    await people.finish(nps, rating(10), at="2026-11-20 09:00:00.000")
    await people.finish(nps, rating(0), at="2026-09-01 09:00:00.000")
    await people.finish(nps, rating(8), at="2026-10-31 23:59:59.999")
    summary = await summarise(storage, nps, "all")
    assert headlines(summary.trend) == [
        ("2026-09", pytest.approx(-100.0), 1),
        ("2026-10", pytest.approx(0.0), 1),
        ("2026-11", pytest.approx(100.0), 1),
    ]


async def test_segments_are_ranked_best_first_with_their_own_figures(
    storage: Storage, people: People, nps: Survey
) -> None:
    at = "2026-11-03 10:00:00.000"
    for value in (0, 8):
        await people.finish(nps, rating(value), at=at, segment="desk-b")
    for value in (10, 10):
        await people.finish(nps, rating(value), at=at, segment="desk-a")
    for value in (9, 9, 3):
        await people.finish(nps, rating(value), at=at)
    summary = await summarise(storage, nps, "2026-11")
    assert headlines(summary.segments) == [
        ("desk-a", pytest.approx(100.0), 2),  # 2 promoters of 2
        ("", pytest.approx(100 / 3), 3),  # 2 promoters, 1 detractor of 3: 66.7 - 33.3 = 33.3
        ("desk-b", pytest.approx(-50.0), 2),  # 1 detractor, 1 passive of 2
    ]
    assert summary.overall.n == 7


async def test_a_segment_filter_keeps_only_that_segment(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(10), at="2026-11-03 10:00:00.000", segment="desk-a")
    await people.finish(nps, rating(7), at="2026-11-10 10:00:00.000", segment="desk-a")
    await people.finish(nps, rating(0), at="2026-11-17 10:00:00.000", segment="desk-b")
    await people.finish(nps, rating(0), at="2026-11-17 10:00:00.000")
    summary = await summarise(storage, nps, "2026-11", "desk-a")
    # desk-a: one promoter, one passive of 2 -> +50
    assert summary.overall.n == 2
    assert summary.overall.headline == pytest.approx(50.0)
    assert summary.segments == [], "no ranking within one segment"
    assert [bucket for bucket, _ in summary.trend] == ["2026-W44", "2026-W45"]


async def test_a_month_counts_from_its_first_millisecond_up_to_the_next_month(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(0), at="2026-10-31 23:59:59.999")
    await people.finish(nps, rating(10), at="2026-11-01 00:00:00.000")
    await people.finish(nps, rating(10), at="2026-11-30 23:59:59.999")
    await people.finish(nps, rating(0), at="2026-12-01 00:00:00.000")
    summary = await summarise(storage, nps, "2026-11")
    # only the two 10s inside November: +100
    assert summary.overall.n == 2
    assert summary.overall.headline == pytest.approx(100.0)


async def test_the_last_days_leave_out_older_responses(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(0), at="2026-11-01 12:00:00.000")  # 14 days before
    await people.finish(nps, rating(9), at="2026-11-13 12:00:00.000")  # 2 days before
    period = parse_period("7d", now=datetime(2026, 11, 15, 12, 0, tzinfo=UTC))
    summary = await build_summary(storage.reports, nps, period)
    assert summary.overall.n == 1
    assert summary.overall.headline == pytest.approx(100.0)


async def test_nothing_in_the_period_gives_an_empty_summary(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(10), at="2026-10-15 12:00:00.000")
    summary = await summarise(storage, nps, "2026-11")
    assert (summary.overall.n, summary.overall.headline) == (0, None)
    assert (summary.trend, summary.segments, summary.comments) == ([], [], [])


# self-assessments: retakes and maturity levels


def diagnostic_answers(survey: Survey, yes: int, unsure: int = 0) -> dict[str, str | None]:
    """The first `yes` statements yes, the next `unsure` don't-know, the rest no."""
    values = ["yes"] * yes + ["unsure"] * unsure + ["no"] * (20 - yes - unsure)
    return {q.id: value for q, value in zip(survey.questions, values, strict=True)}


async def test_a_retaken_self_assessment_counts_once_with_its_latest_answers(
    storage: Storage, people: People, diagnostic: Survey
) -> None:
    await people.finish(
        diagnostic, diagnostic_answers(diagnostic, 0), at="2026-11-03 10:00:00.000", user=7
    )
    await people.finish(
        diagnostic, diagnostic_answers(diagnostic, 20), at="2026-11-05 10:00:00.000", user=7
    )
    summary = await summarise(storage, diagnostic, "2026-11")
    assert summary.overall.n == 1
    assert summary.overall.headline == pytest.approx(100.0)  # the retake: 20 yes of 20
    assert summary.levels == {3: 1}  # Leader, once


async def test_a_retake_does_not_replace_someone_elses_response(
    storage: Storage, people: People, diagnostic: Survey
) -> None:
    await people.finish(
        diagnostic, diagnostic_answers(diagnostic, 0), at="2026-11-03 10:00:00.000", user=7
    )
    await people.finish(
        diagnostic, diagnostic_answers(diagnostic, 10), at="2026-11-04 10:00:00.000", user=8
    )
    await people.finish(
        diagnostic, diagnostic_answers(diagnostic, 20), at="2026-11-05 10:00:00.000", user=7
    )
    summary = await summarise(storage, diagnostic, "2026-11")
    # user 8's 10 yes and user 7's retake with 20: 30 of 40 -> 75 %
    assert summary.overall.n == 2
    assert summary.overall.headline == pytest.approx(75.0)


async def test_levels_count_responses_per_band_of_their_share_of_yes(
    storage: Storage, people: People, diagnostic: Survey
) -> None:
    # bands from 0, 25, 50, 75 %; of 20 statements:
    for yes, unsure in (
        (20, 0),  # 100 % -> Leader (3)
        (10, 5),  # 50 %, don't-know is not yes -> Advanced (2)
        (5, 0),  # 25 % -> Developing (1)
        (4, 0),  # 20 % -> Beginner (0)
        (0, 0),  # 0 % -> Beginner (0)
    ):
        await people.finish(
            diagnostic, diagnostic_answers(diagnostic, yes, unsure), at="2026-11-03 10:00:00.000"
        )
    summary = await summarise(storage, diagnostic, "2026-11")
    assert summary.levels == {3: 1, 2: 1, 1: 1, 0: 2}


async def test_surveys_without_levels_count_none(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(10), at="2026-11-03 10:00:00.000")
    assert (await summarise(storage, nps, "2026-11")).levels == {}


# comments


async def test_the_latest_five_comments_are_shown_newest_first(
    storage: Storage, people: People, nps: Survey
) -> None:
    for day in range(1, 8):  # November 1st to 7th, one comment a day
        await people.finish(
            nps, rating(10, f"comment {day}"), at=f"2026-11-0{day} 09:00:00.000", segment="desk-a"
        )
    # a skipped follow-up is no comment
    await people.finish(
        nps, {"recommend": "2", "why-detractor": None}, at="2026-11-08 09:00:00.000"
    )
    summary = await summarise(storage, nps, "2026-11")
    assert summary.comments == [
        Quote(f"comment {day}", "desk-a", f"2026-11-0{day}") for day in (7, 6, 5, 4, 3)
    ]


async def test_comments_follow_the_segment_filter(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(3, "slow"), at="2026-11-03 09:00:00.000", segment="desk-a")
    await people.finish(nps, rating(9, "kind"), at="2026-11-04 09:00:00.000", segment="desk-b")
    summary = await summarise(storage, nps, "2026-11", "desk-a")
    assert [c.text for c in summary.comments] == ["slow"]


# the text the admin reads


async def ten_nps_responses(people: People, nps: Survey) -> None:
    """4 promoters, 2 passives, 4 detractors over two weeks and two desks, three comments."""
    for at, segment, value, comment in [
        ("2026-11-03 10:00:00.000", "desk-a", 10, None),
        ("2026-11-03 11:00:00.000", "desk-a", 10, None),
        ("2026-11-03 12:00:00.000", "desk-a", 9, None),
        ("2026-11-03 13:00:00.000", "desk-b", 3, "Too slow"),
        ("2026-11-10 10:00:00.000", "desk-a", 8, None),
        ("2026-11-10 11:00:00.000", "desk-b", 7, None),
        ("2026-11-10 12:00:00.000", "desk-b", 0, "Nobody answered"),
        ("2026-11-10 13:00:00.000", "desk-b", 5, None),
        ("2026-11-10 14:00:00.000", "desk-b", 6, None),
        ("2026-11-10 15:00:00.000", "desk-b", 9, "Great help"),
    ]:
        await people.finish(nps, rating(value, comment), at=at, segment=segment)


# Worked by hand for ten_nps_responses:
#   overall: promoters 10, 10, 9, 9; passives 8, 7; detractors 3, 0, 5, 6 -> 40 % - 40 % = 0
#            margin 1.96 * sqrt((0.4 + 0.4 - 0) / 10) * 100 = 55.4 -> 55
#   week 44: 10, 10, 9, 3 -> 3 promoters, 1 detractor of 4 -> 75 - 25 = +50
#   week 45: 8, 7, 0, 5, 6, 9 -> 1 promoter, 3 detractors of 6 -> (1 - 3) / 6 = -33.3 -> -33
#   desk-a: 10, 10, 9, 8 -> 3 promoters of 4 -> +75
#   desk-b: 3, 7, 0, 5, 6, 9 -> 1 promoter, 4 detractors of 6 -> (1 - 4) / 6 = -50


async def test_the_summary_reads_in_english(storage: Storage, people: People, nps: Survey) -> None:
    await ten_nps_responses(people, nps)
    summary = await summarise(storage, nps, "2026-11")
    with use_language("en"):
        text = summary_text(summary)
    assert text == (
        "Would you recommend us?\n"
        "nps · 2026-11\n"
        "\n"
        "10 responses\n"
        "\n"
        "NPS: 0 ± 55 (95% margin of error)\n"
        "Promoters: 4 (40%) · Passives: 2 (20%) · Detractors: 4 (40%)\n"
        "\n"
        "Trend by week:\n"
        "2026-W44: +50 (n=4)\n"
        "2026-W45: -33 (n=6)\n"
        "\n"
        "By segment, best first:\n"
        "1. desk-a: +75 (n=4)\n"
        "2. desk-b: -50 (n=6)\n"
        "\n"
        "Latest comments:\n"
        "«Great help» — desk-b, 2026-11-10\n"
        "«Nobody answered» — desk-b, 2026-11-10\n"
        "«Too slow» — desk-b, 2026-11-03"
    )


async def test_the_summary_reads_in_french_with_no_break_spaces(
    storage: Storage, people: People, nps: Survey
) -> None:
    await ten_nps_responses(people, nps)
    summary = await summarise(storage, nps, "2026-11")
    with use_language("fr"):
        text = summary_text(summary)
    nbsp = "\u00a0"  # before ":", "?" and "%", as French typography has it
    assert text == (
        f"Nous recommanderiez-vous{nbsp}?\n"
        "nps · 2026-11\n"
        "\n"
        "10 réponses\n"
        "\n"
        f"NPS{nbsp}: 0 ± 55 (marge d’erreur à 95{nbsp}%)\n"
        f"Promoteurs{nbsp}: 4 (40{nbsp}%) · Passifs{nbsp}: 2 (20{nbsp}%)"
        f" · Détracteurs{nbsp}: 4 (40{nbsp}%)\n"
        "\n"
        f"Évolution par semaine{nbsp}:\n"
        f"2026-W44{nbsp}: +50 (n=4)\n"
        f"2026-W45{nbsp}: -33 (n=6)\n"
        "\n"
        f"Par segment, du meilleur au moins bon{nbsp}:\n"
        f"1. desk-a{nbsp}: +75 (n=4)\n"
        f"2. desk-b{nbsp}: -50 (n=6)\n"
        "\n"
        f"Derniers commentaires{nbsp}:\n"
        "«Great help» — desk-b, 2026-11-10\n"
        "«Nobody answered» — desk-b, 2026-11-10\n"
        "«Too slow» — desk-b, 2026-11-03"
    )


async def test_responses_without_a_segment_are_named_in_french(
    storage: Storage, people: People, nps: Survey
) -> None:
    await people.finish(nps, rating(10), at="2026-11-03 10:00:00.000", segment="desk-a")
    await people.finish(nps, rating(2, "Trop lent"), at="2026-11-03 11:00:00.000")
    summary = await summarise(storage, nps, "2026-11")
    with use_language("fr"):
        text = summary_text(summary)
    assert "(no segment)" not in text


async def test_a_self_assessment_summary_gives_sections_levels_and_dont_know(
    storage: Storage, people: People, diagnostic: Survey
) -> None:
    for yes, unsure in ((20, 0), (10, 5), (5, 0), (4, 0), (0, 0)):
        await people.finish(
            diagnostic, diagnostic_answers(diagnostic, yes, unsure), at="2026-11-03 10:00:00.000"
        )
    summary = await summarise(storage, diagnostic, "2026-11")
    with use_language("en"):
        text = summary_text(summary)
    # statements 1-5 people, 6-10 processes, 11-15 customers, 16-20 finance:
    #   people 5 + 5 + 5 + 4 + 0 = 19 of 25 = 76 %; processes 5 + 5 = 10 of 25 = 40 %
    #   customers 5 of 25 = 20 %; finance 5 of 25 = 20 %
    #   all: 20 + 10 + 5 + 4 = 39 of 100 = 39 %; don't know 5 of 100 = 5 %
    assert text == (
        "CX diagnostic: 20 questions\n"
        "cx-diagnostic · 2026-11\n"
        "\n"
        "5 responses\n"
        "\n"
        "Mean share of “yes”: 39%\n"
        "People: 76%\n"
        "Processes and technology: 40%\n"
        "Customers: 20%\n"
        "Finance: 20%\n"
        "Levels: Beginner: 2 · Developing: 1 · Advanced: 1 · Leader: 1\n"
        "“Don't know”: 5% of all answers"
    )


async def test_the_ces_line_says_which_way_is_easier(
    storage: Storage, people: People, ces: Survey
) -> None:
    await people.finish(ces, {"effort": "6", "why": None}, at="2026-11-03 10:00:00.000")
    summary = await summarise(storage, ces, "2026-11")
    with use_language("en"):
        text = summary_text(summary)
    assert "CES: 6.0 out of 7 (agreement that it was easy: higher = easier)" in text


async def test_cei_names_its_segments_as_the_sites_visited(
    storage: Storage, people: People, catalogue: dict[str, Survey]
) -> None:
    cei = catalogue["cei"]
    ratings = {q.id: "7" for q in cei.questions if q.id != "comment"}
    await people.finish(cei, ratings, at="2026-11-03 10:00:00.000", segment="ours")
    await people.finish(cei, ratings, at="2026-11-03 10:00:00.000", segment="rival-a")
    summary = await summarise(storage, cei, "2026-11")
    with use_language("en"):
        text = summary_text(summary)
    assert "By site visited (ours or a competitor's), best first:\n1. ours: 70" in text
    assert "By segment" not in text


async def test_the_checklist_summary_names_sections_by_their_short_label(
    storage: Storage, people: People, catalogue: dict[str, Survey]
) -> None:
    checklist = catalogue["cx-checklist"]
    await people.finish(
        checklist, {q.id: "yes" for q in checklist.questions}, at="2026-11-03 10:00:00.000"
    )
    summary = await summarise(storage, checklist, "2026-11")
    with use_language("en"):
        text = summary_text(summary)
    assert "\nTarget audience: 100%\n" in text
    assert "You clearly know" not in text
