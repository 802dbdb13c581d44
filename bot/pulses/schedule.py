"""When a pulse's next wave goes out: a local time in a time zone, on a cadence.

The cadences the established pulse tools offer. Dates step in the team's own time zone, so a
weekly pulse at 10:00 stays at 10:00 local across daylight-saving changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

CADENCES: dict[str, relativedelta] = {
    "weekly": relativedelta(weeks=1),
    "2weeks": relativedelta(weeks=2),
    "4weeks": relativedelta(weeks=4),
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
}
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class ScheduleError(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name}: not a time zone (e.g. Europe/Paris, UTC)") from None


def local_time(text: str) -> time:
    if not (m := _TIME.fullmatch(text)):
        raise ScheduleError(f"{text}: a time is HH:MM, e.g. 10:00")
    return time(int(m[1]), int(m[2]))


def first_run(at: str, time_zone: str, now: datetime | None = None) -> datetime:
    """The next moment the local clock shows `at` (today if still ahead, else tomorrow)."""
    tz, clock = zone(time_zone), local_time(at)
    here = (now or datetime.now(UTC)).astimezone(tz)
    candidate = datetime.combine(here.date(), clock, tzinfo=tz)
    if candidate <= here:
        candidate = datetime.combine(here.date() + relativedelta(days=1), clock, tzinfo=tz)
    return candidate.astimezone(UTC)


def anchor_day(moment: datetime, time_zone: str) -> int:
    """The day of the month a schedule keeps: the local day of its first wave."""
    return moment.astimezone(zone(time_zone)).day


def next_run(
    previous: datetime, cadence: str, at: str, time_zone: str, anchor: int | None = None
) -> datetime:
    """One cadence step after `previous`, at the same local time.

    Monthly and quarterly steps land on the `anchor` day (the schedule's own day of the
    month), or the month's last day when it is shorter: the 31st goes to February 28th and
    back to March 31st, rather than staying on the 28th for good. Without an anchor (a schedule
    stored before anchors were), the previous wave's day is taken."""
    if cadence not in CADENCES:
        raise ScheduleError(f"{cadence}: one of {', '.join(CADENCES)}")
    tz = zone(time_zone)
    step = CADENCES[cadence]
    if anchor is not None and step.months:
        step = step + relativedelta(day=anchor)  # clamped to the month's last day
    local_date = previous.astimezone(tz).date() + step
    return datetime.combine(local_date, local_time(at), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class CatchUp:
    """What a schedule found due does: at most one wave, then its next date from now."""

    open_wave: bool
    """Whether to open a wave now: for the latest occasion due, if it is still open."""
    skipped: int
    """Occasions that get no wave (missed while the bot was stopped)."""
    last_skipped: datetime | None
    """The latest of them."""
    following: datetime
    """The schedule's next occasion after now."""


def catch_up(
    due: datetime,
    now: datetime,
    cadence: str,
    at: str,
    time_zone: str,
    anchor: int | None,
    open_hours: float,
) -> CatchUp:
    """A schedule due at `due` looked at `now` (perhaps long after: the bot was stopped).

    Only the latest occasion due can get a wave, and only if it would still be open now: a
    member gets one message, not one per week the bot was down. The others are skipped, and
    the next occasion is the first one after now."""
    occasions = [due]
    following = next_run(due, cadence, at, time_zone, anchor)
    while following <= now:
        occasions.append(following)
        following = next_run(following, cadence, at, time_zone, anchor)
    latest = occasions[-1]
    opens = now < latest + timedelta(hours=open_hours)
    skipped = occasions[:-1] if opens else occasions
    return CatchUp(opens, len(skipped), skipped[-1] if skipped else None, following)
