"""The period an admin names: its bounds in the database's time format, its trend step, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.reports.periods import (
    Period,
    PeriodError,
    looks_like_period,
    parse_period,
    previous,
)

NOW = datetime(2026, 11, 15, 12, 30, 45, tzinfo=UTC)
"""A Sunday afternoon, UTC."""

EARLIEST = "0000-01-01 00:00:00.000"
LATEST = "9999-12-31 23:59:59.999"


# the last n days


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # 2026-11-15 12:30:45 minus 7 days: 2026-11-08, same time of day
        ("7d", "2026-11-08 12:30:45.000"),
        # minus 30 days: 15 days back is 2026-10-31, 15 more is 2026-10-16
        ("30d", "2026-10-16 12:30:45.000"),
        # minus 90 days: 15 (to 10-31) + 31 (to 09-30) + 30 (to 08-31) + 14 = 90 -> 2026-08-17
        ("90d", "2026-08-17 12:30:45.000"),
    ],
)
def test_the_last_n_days_start_n_days_before_now_and_have_no_end(text: str, start: str) -> None:
    assert parse_period(text, now=NOW) == Period(text, start, LATEST, "week")


def test_a_day_count_starts_to_the_second_of_now() -> None:
    now = datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC)
    # 1 second past midnight on March 1st, one day back: February 28th (2026 is no leap year)
    assert parse_period("1d", now=now).start == "2026-02-28 00:00:01.000"


def test_all_time_spans_every_stored_timestamp() -> None:
    assert parse_period("all", now=NOW) == Period("all", EARLIEST, LATEST, "month")


def test_no_period_at_all_means_all_time() -> None:
    assert parse_period(None, now=NOW) == Period("all", EARLIEST, LATEST, "month")


def test_surrounding_spaces_are_ignored() -> None:
    assert parse_period("  7d ", now=NOW).name == "7d"


# months and quarters


def test_a_month_runs_from_its_first_midnight_to_the_next_months() -> None:
    assert parse_period("2026-10", now=NOW) == Period(
        "2026-10", "2026-10-01 00:00:00.000", "2026-11-01 00:00:00.000", "week"
    )


def test_november_ends_where_december_begins_in_the_same_year() -> None:
    period = parse_period("2026-11", now=NOW)
    assert (period.start, period.end) == ("2026-11-01 00:00:00.000", "2026-12-01 00:00:00.000")


def test_december_ends_on_the_first_of_january_of_the_next_year() -> None:
    period = parse_period("2026-12", now=NOW)
    assert (period.start, period.end) == ("2026-12-01 00:00:00.000", "2027-01-01 00:00:00.000")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q1", "2026-01-01 00:00:00.000", "2026-04-01 00:00:00.000"),
        ("2026-Q2", "2026-04-01 00:00:00.000", "2026-07-01 00:00:00.000"),
        ("2026-Q3", "2026-07-01 00:00:00.000", "2026-10-01 00:00:00.000"),
        # Q4 = October to December: it ends on January 1st of the next year
        ("2026-Q4", "2026-10-01 00:00:00.000", "2027-01-01 00:00:00.000"),
    ],
)
def test_a_quarter_runs_over_its_three_months(text: str, start: str, end: str) -> None:
    assert parse_period(text, now=NOW) == Period(text, start, end, "week")


def test_a_lowercase_quarter_is_named_in_capitals() -> None:
    assert parse_period("2026-q4", now=NOW).name == "2026-Q4"


def test_a_month_does_not_depend_on_now() -> None:
    later = NOW + timedelta(days=400)
    assert parse_period("2026-10", now=later) == parse_period("2026-10", now=NOW)


def test_bounds_compare_as_text_in_time_order() -> None:
    """Start inclusive, end exclusive, in the stored format: plain string comparison decides."""
    period = parse_period("2026-10", now=NOW)
    assert period.start <= "2026-10-01 00:00:00.000" < period.end
    assert period.start <= "2026-10-31 23:59:59.999" < period.end
    assert period.end <= "2026-11-01 00:00:00.000"
    assert period.start > "2026-09-30 23:59:59.999"


def test_a_now_in_another_time_zone_still_gives_utc_bounds() -> None:
    moscow = timezone(timedelta(hours=3))
    # 15:30:45 at +03:00 is 12:30:45 UTC; 7 days back: 2026-11-08 12:30:45 UTC
    now = datetime(2026, 11, 15, 15, 30, 45, tzinfo=moscow)
    assert parse_period("7d", now=now).start == "2026-11-08 12:30:45.000"


# the trend step


@pytest.mark.parametrize(
    "text", ["1d", "7d", "30d", "90d", "120d", "2026-10", "2026-12", "2026-Q4"]
)
def test_short_periods_trend_by_week(text: str) -> None:
    assert parse_period(text, now=NOW).trend_by == "week"


@pytest.mark.parametrize("text", ["121d", "365d", "3660d", "all"])
def test_long_periods_trend_by_month(text: str) -> None:
    assert parse_period(text, now=NOW).trend_by == "month"


# refusals


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",  # no 13th month
        "2026-00",  # nor a 0th
        "0d",  # an empty span
        "3661d",  # just over ten years
        "99999d",  # five digits: not a day count at all
        "yesterday",
        "2026-Q5",  # four quarters only
        "2026-Q0",
        "2026",
        "-7d",
        "0000-01",  # before the first year a date can hold
        "9999-12",  # ends in a year a date cannot hold
        "9999-Q4",
        "0000-Q1",
    ],
)
def test_what_is_not_a_period_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, now=NOW)


def test_a_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_period("yesterday", now=NOW)


def test_a_refused_day_count_says_what_range_is_accepted() -> None:
    with pytest.raises(PeriodError, match="between 1d and 3660d"):
        parse_period("0d", now=NOW)


def test_a_refused_month_says_there_is_no_such_month() -> None:
    with pytest.raises(PeriodError, match="no such month"):
        parse_period("2026-13", now=NOW)


def test_an_unknown_word_lists_every_accepted_form() -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period("yesterday", now=NOW)
    message = str(refused.value)
    for form in ("7d", "30d", "90d", "all", "2026-10", "2026-Q4"):
        assert form in message


# telling a period from a segment


@pytest.mark.parametrize(
    "text", ["7d", "30d", "90d", "3660d", "all", "2026-10", "2026-Q4", "2026-q1"]
)
def test_period_forms_are_recognised(text: str) -> None:
    assert looks_like_period(text)


@pytest.mark.parametrize("text", ["2026-13", "0d"])
def test_a_malformed_month_or_day_count_is_still_taken_as_a_period(text: str) -> None:
    """So the admin is told it is wrong, instead of getting an empty summary for a 'segment'."""
    assert looks_like_period(text)


@pytest.mark.parametrize("text", ["desk-3", "yesterday", "cafe", "All", "2026", "d7", ""])
def test_other_words_are_taken_as_segments(text: str) -> None:
    assert not looks_like_period(text)


@pytest.mark.parametrize(
    ("name", "before"),
    [
        ("2026-11", "2026-10"),
        ("2026-01", "2025-12"),
        ("2026-Q3", "2026-Q2"),
        ("2026-Q1", "2025-Q4"),
    ],
)
def test_the_previous_month_or_quarter_is_the_one_just_before(name: str, before: str) -> None:
    earlier = previous(parse_period(name))
    assert earlier == parse_period(before)
    assert earlier is not None and earlier.end == parse_period(name).start


def test_the_previous_window_of_days_ends_where_the_window_starts() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    window = parse_period("30d", now)
    earlier = previous(window, now)
    assert earlier is not None
    assert earlier.end == window.start
    assert earlier.start == parse_period("60d", now).start


def test_all_time_and_the_first_month_there_is_have_nothing_before() -> None:
    assert previous(parse_period("all")) is None
    assert previous(parse_period("0001-01")) is None
