"""When a person may answer a survey again: the repeat policy as a pure rule of dates.

Relationship NPS is asked at most once a quarter per person (seed 002 measures it quarterly);
the per-contact surveys (CSAT, CES) have no such limit. Quarters are calendar quarters in UTC,
the same ones the admin's `2026-Q4` period names, so one person counts once in each.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.survey.model import Survey


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(day: date) -> date:
    start = quarter_start(day)
    return date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1)


def again_from(survey: Survey, last_finished_at: str | None, now: datetime) -> date | None:
    """The day from which the person may answer again, or None if they may answer now.

    `last_finished_at` is their latest finished response's stored UTC time ('2026-11-29 …').
    """
    if survey.repeat != "quarterly" or last_finished_at is None:
        return None
    finished = date.fromisoformat(last_finished_at[:10])
    today = now.astimezone(UTC).date()
    if quarter_start(finished) != quarter_start(today):
        return None
    return next_quarter(today)
