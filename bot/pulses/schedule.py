"""When a pulse's next wave goes out: a local time in a time zone, on a cadence.

The cadences the established pulse tools offer. Dates step in the team's own time zone, so a
weekly pulse at 10:00 stays at 10:00 local across daylight-saving changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
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


def next_run(previous: datetime, cadence: str, at: str, time_zone: str) -> datetime:
    """One cadence step after `previous`, at the same local time."""
    if cadence not in CADENCES:
        raise ScheduleError(f"{cadence}: one of {', '.join(CADENCES)}")
    tz = zone(time_zone)
    local_date = previous.astimezone(tz).date() + CADENCES[cadence]
    return datetime.combine(local_date, local_time(at), tzinfo=tz).astimezone(UTC)
