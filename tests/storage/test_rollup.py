"""Report rollups, on both engines: whatever happened to the rows and whenever the rollup was
brought up to date, every report query gives what the full aggregate over the raw rows gives."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.storage import database
from bot.storage.database import Storage
from bot.storage.reports import ALL_TIME, RawReportQueries, ReportQueries
from bot.storage.rollup import Plan, Unit, plan, span_of, whole_days
from tests import postgres
from tests.conftest import sql

QUESTIONS = ["q1", "q2", "q3"]
VALUES = ["yes", "no", "7", None]
SURVEYS = ["s", "t"]
SEGMENTS = [None, "a", "b"]
BASE = datetime(2026, 10, 1, 9, 30)


class Clock:
    """The database's clock, moved by the scenario (forwards mostly, sometimes back)."""

    def __init__(self) -> None:
        self.moment = BASE

    def __call__(self) -> str:
        return self.moment.strftime("%Y-%m-%d %H:%M:%S.000")


@dataclass(frozen=True)
class Start:
    person: int
    survey: str
    segment: str | None
    anonymous: bool
    wave: bool


@dataclass(frozen=True)
class Answer:
    pick: int
    question: str
    value: str | None
    finish: bool
    replace: bool


@dataclass(frozen=True)
class Move:
    hours: int


@dataclass(frozen=True)
class RollUp:
    back: int | None
    """Hours before now to roll up to; None: up to the start of this hour."""


@dataclass(frozen=True)
class Forget:
    person: int


@dataclass(frozen=True)
class Purge:
    days: int


Step = Start | Answer | Move | RollUp | Forget | Purge

starts = st.builds(
    Start,
    st.integers(1, 4),
    st.sampled_from(SURVEYS),
    st.sampled_from(SEGMENTS),
    st.booleans(),
    st.booleans(),
)
answers = st.builds(
    Answer,
    st.integers(0, 50),
    st.sampled_from(QUESTIONS),
    st.sampled_from(VALUES),
    st.booleans(),
    st.booleans(),
)
moves = st.builds(Move, st.integers(-30, 24 * 12))
roll_ups = st.builds(RollUp, st.one_of(st.none(), st.integers(0, 24 * 10)))
steps = st.one_of(  # repeated: drawn more often; deletions seldom, or nothing would be left
    *[starts] * 4,
    *[answers] * 6,
    *[moves] * 3,
    *[roll_ups] * 3,
    st.builds(Forget, st.integers(1, 4)),
    st.builds(Purge, st.integers(0, 120)),
)


Fresh = Callable[[], AbstractAsyncContextManager[Path | str]]


@asynccontextmanager
async def _fresh_file() -> AsyncIterator[Path | str]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "x.sqlite3"


@pytest.fixture
def fresh_database(engine: str, request: pytest.FixtureRequest) -> Fresh:
    """A new, empty database on the test's engine each time it is called (one per example of
    the property test): a SQLite file, or a PostgreSQL database on the session's server."""
    if engine == "sqlite":
        return _fresh_file
    server: str = request.getfixturevalue("postgres_server")
    return lambda: postgres.database(server)


async def play(storage: Storage, clock: Clock, scenario: list[Step]) -> None:
    await storage.touch_user(0, "en")
    wave = await storage._writer.returning(
        "INSERT INTO waves (survey_id, team, opened_at, remind_at, closes_at)"
        " VALUES ('t', 'w-team', '2026-09-20 08:00:00.000', '', '') RETURNING id"
    )
    assert wave is not None
    started: list[int] = []
    for step in scenario:
        if isinstance(step, Start):
            await storage.touch_user(step.person, "en")
            response = await storage.start_response(
                survey_id=step.survey,
                respondent=f"u:{step.person}",
                user_id=None if step.anonymous else step.person,
                segment="w-team" if step.wave else step.segment,
                language="en",
                wave_id=wave["id"] if step.wave else None,
            )
            started.append(response.id)
        elif isinstance(step, Answer) and started:
            found = await storage.response(started[step.pick % len(started)])
            if found is None:  # forgotten or purged
                continue
            await storage.record_answer(
                found,
                step.question,
                step.value,
                cursor=None,
                finished=step.finish,
                replaces_previous=step.replace,
            )
        elif isinstance(step, Move):
            clock.moment += timedelta(hours=step.hours)
        elif isinstance(step, RollUp):
            back = clock.moment - timedelta(hours=step.back or 0)
            await storage.roll_up(None if step.back is None else f"{back:%Y-%m-%d %H}:00:00.000")
        elif isinstance(step, Forget):
            await storage.forget(step.person)
        elif isinstance(step, Purge):
            await storage.purge(clock() if step.days == 0 else _days_ago(clock, step.days))


def _days_ago(clock: Clock, days: int) -> str:
    return (clock.moment - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.000")


def periods(clock: Clock) -> list[tuple[str, str]]:
    """All time, whole months, windows of days ending now, and odd bounds inside days."""
    now = clock()
    return [
        ALL_TIME,
        ("2026-10-01 00:00:00.000", "2026-11-01 00:00:00.000"),
        ("2026-09-01 00:00:00.000", "2026-10-01 00:00:00.000"),
        (_days_ago(clock, 3), "9999-12-31 23:59:59.999"),
        (_days_ago(clock, 12), now),
        ("2026-10-02 13:15:00.000", "2026-10-05 07:00:00.000"),
        ("2026-10-03 01:00:00.000", "2026-10-03 23:00:00.000"),
        ("2026-10-01 06:00:00.000", "2026-10-09 18:30:00.000"),
        ("2026-10-04 19:00:00.000", "2026-10-06 20:00:00.000"),
    ]


def ordered(rows: list[Any]) -> list[str]:
    return sorted(map(repr, rows))


async def assert_same(rolled: ReportQueries, raw: RawReportQueries, clock: Clock) -> None:
    assert await rolled.activity() == await raw.activity()
    for survey in SURVEYS:
        assert ordered(await rolled.released_counts(survey, QUESTIONS)) == ordered(
            await raw.released_counts(survey, QUESTIONS)
        )
        for start, end in periods(clock):
            for segment in SEGMENTS:
                for trend_by in ("week", "month"):
                    got = await rolled.breakdown(
                        survey, QUESTIONS, start=start, end=end, segment=segment, trend_by=trend_by
                    )
                    want = await raw.breakdown(
                        survey, QUESTIONS, start=start, end=end, segment=segment, trend_by=trend_by
                    )
                    assert ordered(got) == ordered(want), (survey, start, end, segment)
                    got_sums = await rolled.marginals(
                        survey, QUESTIONS, start=start, end=end, segment=segment, trend_by=trend_by
                    )
                    want_sums = await raw.marginals(
                        survey, QUESTIONS, start=start, end=end, segment=segment, trend_by=trend_by
                    )
                    assert ordered(got_sums.trend) == ordered(want_sums.trend)
                    assert ordered(got_sums.segments) == ordered(want_sums.segments)
                bands = (0, 30, 70)
                got_levels = await rolled.level_counts(
                    survey, QUESTIONS, bands, start=start, end=end, segment=segment
                )
                want_levels = await raw.level_counts(
                    survey, QUESTIONS, bands, start=start, end=end, segment=segment
                )
                assert got_levels == want_levels, (survey, start, end, segment)
                for question in QUESTIONS:
                    got_comments = await rolled.comments(
                        survey, [question], start=start, end=end, segment=segment, limit=3
                    )
                    want_comments = await raw.comments(
                        survey, [question], start=start, end=end, segment=segment, limit=3
                    )
                    assert got_comments == want_comments, (survey, start, end, segment)


async def scenario_holds(fresh_database: Fresh, scenario: list[Step]) -> None:
    clock = Clock()
    with mock.patch.object(database, "utcnow", clock):
        async with fresh_database() as where, await Storage.open(where) as storage:
            await play(storage, clock, scenario)
            connection = storage._reader
            assert connection is not None
            await assert_same(ReportQueries(connection), RawReportQueries(connection), clock)
            rows = await sql(storage, "SELECT DISTINCT span FROM rollup_answers")
            spans = {span for (span,) in rows}
            stale = (await sql(storage, "SELECT count(*) FROM rollup_stale"))[0][0]
            event(f"rolled up: {sorted(spans)}, stale: {bool(stale)}")
            until = (await sql(storage, "SELECT until FROM rollup_state"))[0][0]
            running = await sql(storage, "SELECT day FROM rollup_stale WHERE day >= ?", until[:7])
            event(f"a stale day in the running month: {bool(running)}")
            await storage.roll_up()
            await assert_same(ReportQueries(connection), RawReportQueries(connection), clock)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # a factory: each example makes its own database
    ],
)
@given(st.lists(steps, min_size=20, max_size=80))
def test_every_report_query_equals_the_full_aggregate(
    fresh_database: Fresh, scenario: list[Step]
) -> None:
    asyncio.run(scenario_holds(fresh_database, scenario))


# the pieces, one at a time


def test_whole_days_are_those_a_period_covers_from_midnight_to_midnight() -> None:
    assert whole_days("2026-10-01 00:00:00.000", "2026-11-01 00:00:00.000") == (
        "2026-10-01",
        "2026-11-01",
    )
    assert whole_days("2026-10-01 10:00:00.000", "2026-10-03 05:00:00.000") == (
        "2026-10-02",
        "2026-10-03",
    )
    assert whole_days("2026-12-31 10:00:00.000", "9999-12-31 23:59:59.999") == (
        "2027-01-01",
        "9999-12-31",
    )


def test_a_week_row_holds_the_days_of_one_trend_week() -> None:
    days = [str(date(2025, 12, 1) + timedelta(days=n)) for n in range(500)]
    with closing(sqlite3.connect(":memory:")) as db:
        buckets = {
            day: db.execute("SELECT strftime('%Y-W%W', ?)", (day,)).fetchone()[0] for day in days
        }
    for day in days:
        first, after = span_of(day, "week")
        inside = [d for d in days if first <= d < after]
        assert {buckets[d] for d in inside} == {buckets[day]}
        assert all(buckets[d] != buckets[day] for d in days if not first <= d < after)


def test_a_plan_reads_whole_months_from_month_rows_and_stale_days_from_raw_rows() -> None:
    reading = plan(
        "2026-01-15 10:00:00.000",
        "2026-05-03 08:00:00.000",
        until="2026-04-20 00:00:00.000",
        first="2025-06-01",
        stale=["2026-02-10", "2026-04-25"],
        unit="month",
    )
    assert reading.rolled == [
        ("day", "2026-01-16", "2026-02-10"),
        ("day", "2026-02-11", "2026-03-01"),
        ("month", "2026-03-01", "2026-05-01"),  # April: the running month, up to `until`
    ]
    assert reading.raw == [
        ("2026-01-15 10:00:00.000", "2026-01-16 00:00:00.000"),
        ("2026-02-10 00:00:00.000", "2026-02-11 00:00:00.000"),
        ("2026-04-20 00:00:00.000", "2026-05-03 08:00:00.000"),
    ]


def test_a_plan_reads_an_end_day_as_its_day_row_less_the_smaller_part_outside() -> None:
    reading = plan(
        "2026-03-09 18:00:00.000",
        "2026-03-20 15:00:00.000",
        until="2026-04-20 00:00:00.000",
        first="2026-01-01",
        stale=[],
        unit="month",
    )
    assert reading.rolled == [("day", "2026-03-09", "2026-03-21")]
    assert reading.raw == []
    assert reading.less == [
        ("2026-03-09 00:00:00.000", "2026-03-09 18:00:00.000"),
        ("2026-03-20 15:00:00.000", "2026-03-21 00:00:00.000"),
    ]
    morning = plan(
        "2026-03-09 08:00:00.000",
        "2026-03-20 09:00:00.000",
        until="2026-04-20 00:00:00.000",
        first="2026-01-01",
        stale=[],
        unit="month",
    )
    assert (morning.rolled, morning.less) == ([("day", "2026-03-10", "2026-03-20")], [])


def test_a_plan_reads_the_rolled_up_hours_of_today_from_its_day_rows() -> None:
    today = plan(
        "2026-04-02 00:00:00.000",
        "9999-12-31 23:59:59.999",
        until="2026-04-20 15:00:00.000",
        first="2026-04-01",
        stale=[],
        unit="month",
    )
    assert today.rolled == [("day", "2026-04-02", "2026-04-21")]
    assert today.raw == [("2026-04-20 15:00:00.000", "9999-12-31 23:59:59.999")]
    ending_before = plan(
        "2026-04-01 00:00:00.000",
        "2026-04-20 12:00:00.000",
        until="2026-04-20 15:00:00.000",
        first="2026-04-01",
        stale=[],
        unit="month",
    )
    assert ending_before.rolled == [("day", "2026-04-01", "2026-04-20")]
    assert ending_before.raw == [("2026-04-20 00:00:00.000", "2026-04-20 12:00:00.000")]


def test_a_plan_reads_the_running_month_from_its_month_rows_when_it_holds_it_whole() -> None:
    def reading(start: str, stale: list[str], unit: Unit = "month") -> Plan:
        return plan(
            start,
            "9999-12-31 23:59:59.999",
            until="2026-04-20 15:00:00.000",
            first="2025-06-01",
            stale=stale,
            unit=unit,
        )

    quarter = reading("2026-03-01 00:00:00.000", [])
    assert quarter.rolled == [("month", "2026-03-01", "2026-05-01")]
    assert quarter.raw == [("2026-04-20 15:00:00.000", "9999-12-31 23:59:59.999")]
    stale_inside = reading("2026-03-01 00:00:00.000", ["2026-04-07"])
    assert stale_inside.rolled == [
        ("month", "2026-03-01", "2026-04-01"),
        ("day", "2026-04-01", "2026-04-07"),
        ("day", "2026-04-08", "2026-04-21"),
    ]
    assert ("2026-04-07 00:00:00.000", "2026-04-08 00:00:00.000") in stale_inside.raw
    stale_before = reading("2026-03-01 00:00:00.000", ["2026-03-07"])
    assert stale_before.rolled[-1] == ("month", "2026-04-01", "2026-05-01")
    from_inside = reading("2026-04-03 00:00:00.000", [])
    assert from_inside.rolled == [("day", "2026-04-03", "2026-04-21")]
    by_week = reading("2026-03-01 00:00:00.000", [], "week")
    assert all(span != "month" for span, _start, _end in by_week.rolled)


async def finished(storage: Storage, user: int, value: str, *, replace: bool = False) -> int:
    await storage.touch_user(user, "en")
    response = await storage.start_response(
        survey_id="s", respondent=f"u:{user}", user_id=user, segment="a", language="en"
    )
    await storage.record_answer(
        response, "q1", value, cursor=None, finished=True, replaces_previous=replace
    )
    return response.id


async def counts(storage: Storage) -> dict[str | None, int]:
    found = await storage.reports.breakdown(
        "s", QUESTIONS, start=ALL_TIME[0], end=ALL_TIME[1], segment=None, trend_by="month"
    )
    return {count.value: count.count for count in found}


def test_reports_read_rolled_up_days_from_the_rollup(fresh_database: Fresh) -> None:
    async def run() -> None:
        clock = Clock()
        with mock.patch.object(database, "utcnow", clock):
            async with fresh_database() as where, await Storage.open(where) as storage:
                await finished(storage, 1, "yes")
                clock.moment += timedelta(days=2)
                await storage.roll_up()
                await sql(storage, "UPDATE rollup_answers SET n = 40")  # behind its back
                assert await counts(storage) == {"yes": 40}

    asyncio.run(run())


def test_a_retake_of_a_rolled_up_response_marks_its_day_stale_until_rebuilt(
    fresh_database: Fresh,
) -> None:
    async def run() -> None:
        clock = Clock()
        with mock.patch.object(database, "utcnow", clock):
            async with fresh_database() as where, await Storage.open(where) as storage:
                await finished(storage, 1, "yes")
                clock.moment += timedelta(days=2)
                await storage.roll_up()
                await finished(storage, 1, "no", replace=True)
                day = str(BASE.date())
                assert await sql(storage, "SELECT survey_id, day FROM rollup_stale") == [("s", day)]
                assert await counts(storage) == {"no": 1}
                rolled = await storage.roll_up()
                assert (rolled.rebuilt, await sql(storage, "SELECT * FROM rollup_stale")) == (1, [])
                assert await counts(storage) == {"no": 1}

    asyncio.run(run())


def test_forgetting_a_person_takes_their_answers_out_of_the_rollup(fresh_database: Fresh) -> None:
    async def run() -> None:
        clock = Clock()
        with mock.patch.object(database, "utcnow", clock):
            async with fresh_database() as where, await Storage.open(where) as storage:
                await finished(storage, 1, "yes")
                await finished(storage, 2, "no")
                clock.moment += timedelta(days=2)
                await storage.roll_up()
                await storage.forget(1)
                await storage.roll_up()
                assert await counts(storage) == {"no": 1}
                assert await sql(
                    storage, "SELECT value, n FROM rollup_answers WHERE span = 'day'"
                ) == [("no", 1)]

    asyncio.run(run())


def test_a_report_brings_the_rollup_up_to_date_first(fresh_database: Fresh) -> None:
    async def run() -> None:
        clock = Clock()
        with mock.patch.object(database, "utcnow", clock):
            async with fresh_database() as where, await Storage.open(where) as storage:
                await finished(storage, 1, "yes")
                clock.moment += timedelta(days=1)
                async with storage.report():
                    pass
                assert await sql(storage, "SELECT until FROM rollup_state") == [
                    (f"{clock.moment:%Y-%m-%d %H}:00:00.000",)
                ]
                assert await sql(
                    storage, "SELECT value, n FROM rollup_answers WHERE span = 'day'"
                ) == [("yes", 1)]

    asyncio.run(run())


async def month_rows(storage: Storage) -> list[tuple[Any, ...]]:
    return await sql(
        storage, "SELECT day, value, n FROM rollup_answers WHERE span = 'month' ORDER BY day, value"
    )


def test_the_running_month_row_follows_rebuilt_days_and_becomes_the_final_one(
    fresh_database: Fresh,
) -> None:
    async def run() -> None:
        clock = Clock()  # 2026-10-01
        with mock.patch.object(database, "utcnow", clock):
            async with fresh_database() as where, await Storage.open(where) as storage:
                await finished(storage, 1, "yes")
                clock.moment += timedelta(days=2)
                await finished(storage, 2, "no")
                clock.moment += timedelta(hours=2)
                await storage.roll_up()
                assert await month_rows(storage) == [
                    ("2026-10-01", "no", 1),
                    ("2026-10-01", "yes", 1),
                ]
                await finished(storage, 1, "no", replace=True)  # a day of it stale
                assert await sql(storage, "SELECT day FROM rollup_stale") == [("2026-10-01",)]
                assert await counts(storage) == {"no": 2}
                await storage.roll_up()  # the day rebuilt; the retake, after `until`, is not in
                assert await month_rows(storage) == [("2026-10-01", "no", 1)]
                clock.moment += timedelta(hours=1)
                await storage.roll_up()
                assert await month_rows(storage) == [("2026-10-01", "no", 2)]
                clock.moment = datetime(2026, 11, 2, 10)
                await storage.roll_up()
                assert await month_rows(storage) == [("2026-10-01", "no", 2)]
                assert await counts(storage) == {"no": 2}

    asyncio.run(run())
