"""The period an admin asks about: `7d`, `30d`, `90d`, `all`, a month `2026-10`, a quarter `2026-Q4`.

Bounds are UTC timestamps in the database's own text format, start inclusive, end exclusive,
so they compare directly with `finished_at` in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.i18n import _

_DAYS = re.compile(r"(\d{1,4})d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
EARLIEST = "0000-01-01 00:00:00.000"
LATEST = "9999-12-31 23:59:59.999"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    name: str
    start: str
    end: str
    trend_by: str
    """'week' or 'month': the step of the trend across this period."""
    kind: str = field(default="all", compare=False)
    """'days', 'month', 'quarter' or 'all': anonymous surveys take every kind but 'days'."""


def _stamp(moment: datetime) -> str:
    """UTC as stored (months and quarters are given as naive UTC dates)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.000")


def parse_period(
    text: str | None, now: datetime | None = None, *, anonymous: bool = False
) -> Period:
    """The period named by `text` (None: all time), or PeriodError saying what is accepted.

    Anonymous surveys take fixed calendar periods only: two windows of days that overlap but
    for a day or an hour would show the answers given in between.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    name = (text or "all").strip()
    if name == "all":
        return Period("all", EARLIEST, LATEST, "month")
    if m := _DAYS.fullmatch(name):
        if anonymous:
            raise PeriodError(
                _(
                    "{period}: answers to this survey are anonymous, so its results come by"
                    " calendar month (2026-10), quarter (2026-Q4) or all time: windows of days"
                    " that overlap could single out one answer."
                ).format(period=name)
            )
        days = int(m[1])
        if not 1 <= days <= 3660:
            raise PeriodError(_("{period}: between 1d and 3660d").format(period=name))
        start = now - timedelta(days=days)
        return Period(name, _stamp(start), LATEST, "week" if days <= 120 else "month", "days")
    if m := _MONTH.fullmatch(name):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(_("{period}: no such month").format(period=name))
        start_dt, end_dt = _span(name, (year, month), (year + month // 12, month % 12 + 1))
        return Period(name, _stamp(start_dt), _stamp(end_dt), "week", "month")
    if m := _QUARTER.fullmatch(name):
        year, quarter = int(m[1]), int(m[2])
        start_dt, end_dt = _span(
            name, (year, 3 * quarter - 2), (year + quarter // 4, (3 * quarter) % 12 + 1)
        )
        return Period(f"{year}-Q{quarter}", _stamp(start_dt), _stamp(end_dt), "week", "quarter")
    raise PeriodError(
        _("{period}: use 7d, 30d, 90d, all, a month (2026-10) or a quarter (2026-Q4)").format(
            period=name
        )
    )


def _span(name: str, start: tuple[int, int], end: tuple[int, int]) -> tuple[datetime, datetime]:
    """The first days of two (year, month) pairs; a year Python's dates cannot hold (0000, or
    the year after 9999 that ends 9999-12) is a PeriodError, answered with the usage, rather
    than a ValueError that would leave the admin without an answer."""
    try:
        return datetime(*start, 1), datetime(*end, 1)
    except ValueError:
        raise PeriodError(_("{period}: years run from 0001 to 9998").format(period=name)) from None


def looks_like_period(text: str) -> bool:
    """Whether an argument is meant as a period (so anything else is a segment)."""
    return bool(
        text == "all" or _DAYS.fullmatch(text) or _MONTH.fullmatch(text) or _QUARTER.fullmatch(text)
    )


def previous(period: Period, now: datetime | None = None) -> Period | None:
    """The period just before this one, of the same length, for "change since" figures: the
    month or quarter before, the N days before the last N; None for all time."""
    try:
        if period.kind == "month":
            year, month = int(period.name[:4]), int(period.name[5:7])
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return parse_period(f"{year:04d}-{month:02d}")
        if period.kind == "quarter":
            year, quarter = int(period.name[:4]), int(period.name[6])
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
            return parse_period(f"{year:04d}-Q{quarter}")
    except PeriodError:  # before the year 0001
        return None
    if period.kind == "days":
        days = int(period.name[:-1])
        end = (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=days)
        start = end - timedelta(days=days)
        return Period(f"-{period.name}", _stamp(start), _stamp(end), period.trend_by, "days")
    return None
