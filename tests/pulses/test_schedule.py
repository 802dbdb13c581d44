"""When a schedule's waves go out: monthly anchors, and catching up after the bot was stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.pulses.schedule import anchor_day, catch_up, next_run


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_monthly_schedule_on_the_31st_comes_back_to_the_31st_after_february() -> None:
    when = utc("2027-01-31 10:00")
    anchor = anchor_day(when, "UTC")
    dates = []
    for _ in range(3):
        when = next_run(when, "monthly", "10:00", "UTC", anchor)
        dates.append(when.date().isoformat())
    assert dates == ["2027-02-28", "2027-03-31", "2027-04-30"]


def test_a_quarterly_schedule_keeps_its_day_too() -> None:
    when = utc("2026-11-30 09:00")
    when = next_run(when, "quarterly", "09:00", "UTC", 30)
    assert when.date().isoformat() == "2027-02-28"
    assert next_run(when, "quarterly", "09:00", "UTC", 30).date().isoformat() == "2027-05-30"


def test_the_anchor_is_the_local_day() -> None:
    # 23:30 UTC on the 30th is already the 31st in Tokyo
    assert anchor_day(utc("2027-01-30 23:30"), "Asia/Tokyo") == 31


def test_weekly_steps_ignore_the_anchor() -> None:
    assert next_run(utc("2027-01-31 10:00"), "weekly", "10:00", "UTC", 31) == utc(
        "2027-02-07 10:00"
    )


def test_a_schedule_due_now_opens_its_wave_and_skips_nothing() -> None:
    due = utc("2027-03-01 10:00")
    plan = catch_up(due, due + timedelta(seconds=20), "weekly", "10:00", "UTC", None, 168)
    assert (plan.open_wave, plan.skipped, plan.last_skipped) == (True, 0, None)
    assert plan.following == utc("2027-03-08 10:00")


def test_after_five_missed_weeks_only_the_latest_wave_opens_if_still_open() -> None:
    due = utc("2027-03-01 10:00")
    now = utc("2027-04-01 12:00")  # 03-01, 08, 15, 22, 29 missed; 03-29 still open (168 h)
    plan = catch_up(due, now, "weekly", "10:00", "UTC", None, 168)
    assert plan.open_wave
    assert plan.skipped == 4
    assert plan.last_skipped == utc("2027-03-22 10:00")
    assert plan.following == utc("2027-04-05 10:00"), "the next occasion after now"


def test_a_latest_occasion_past_its_open_time_opens_nothing() -> None:
    due = utc("2027-03-01 10:00")
    now = utc("2027-04-04 12:00")  # 03-29's wave would have closed 04-05 10:00 with 168 h...
    plan = catch_up(due, now, "weekly", "10:00", "UTC", None, 24)  # ...but it is open 24 h
    assert not plan.open_wave
    assert plan.skipped == 5
    assert plan.last_skipped == utc("2027-03-29 10:00")
    assert plan.following == utc("2027-04-05 10:00")


def test_a_monthly_catch_up_keeps_the_anchor() -> None:
    due = utc("2027-01-31 10:00")
    plan = catch_up(due, utc("2027-03-02 00:00"), "monthly", "10:00", "UTC", 31, 24)
    assert (plan.open_wave, plan.skipped) == (False, 2)
    assert plan.following == utc("2027-03-31 10:00")
