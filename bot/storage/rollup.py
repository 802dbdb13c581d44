"""Keeping the report rollups current (days folded in, stale days rebuilt), and which rollup
rows and raw rows a report reads for a period.

Reports read the rollup tables for the days before `rollup_state.until` and the raw rows for
the rest (bot/storage/reports.py), so what is rolled up only changes how fast a report is, never
its figures. Each step here is a transaction of its own on the writer (one day, or a few stale
days), so the taps arriving meanwhile wait for one step at most, not for a whole roll-up.

Day rows are summed into week and month rows once the week or month is over: a report over a
year reads 12 month rows per group and the days at its ends, not 365 days. The running month
(the month of `until`) has month rows too, summed again from its day rows whenever `until`
moves or one of its days is rebuilt, so they hold its responses finished before `until`, as
today's day rows do: a report over all time or a quarter reads months only, not the days of
the running month (whose number grows with the answers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.storage.engine import Db
from bot.storage.writer import Writer

Unit = Literal["week", "month"]
Span = Literal["day", "week", "month"]

MIDNIGHT = " 00:00:00.000"

STALE_PER_STEP = 20
"""Stale days rebuilt per transaction: a day of one survey is a small aggregate."""

SURVEYS = """
    WITH RECURSIVE surveys(id) AS (
        SELECT min(survey_id) FROM responses
        UNION ALL
        SELECT (SELECT min(survey_id) FROM responses WHERE survey_id > surveys.id)
        FROM surveys WHERE surveys.id IS NOT NULL
    )
    SELECT id FROM surveys WHERE id IS NOT NULL
"""
"""Every survey with a response, found by skipping along the report index (a seek per survey,
not a scan of the responses)."""


@dataclass(frozen=True)
class RolledUp:
    """What a roll-up did."""

    days: int
    """Days newly folded in (across all surveys)."""
    rebuilt: int
    """Stale days of a survey rebuilt."""
    until: str
    """Responses finished before this time are rolled up."""


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def span_of(day: str, unit: Unit) -> tuple[str, str]:
    """The week or month holding `day`: its first day and the day after its last. Weeks are
    cut as strftime('%Y-W%W') cuts them (from Monday, and at the new year), so a week row
    falls in one trend bucket."""
    when = date.fromisoformat(day)
    if unit == "month":
        first = when.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return first.isoformat(), after.isoformat()
    monday = when - timedelta(days=when.weekday())
    first = max(monday, when.replace(month=1, day=1))
    after = min(monday + timedelta(days=7), date(when.year + 1, 1, 1))
    return first.isoformat(), after.isoformat()


@dataclass
class Plan:
    """What a report reads for a period: rollup rows by span and first day ([from, to) ranges),
    and raw rows by finished_at ([from, to) ranges; a bare day as a bound means its start)."""

    rolled: list[tuple[Span, str, str]] = field(default_factory=list)
    raw: list[tuple[str, str]] = field(default_factory=list)
    until: str = ""
    """Rolled up before this time (a day row of its day holds the hours before it only)."""
    less: list[tuple[str, str]] = field(default_factory=list)
    """Raw rows to take away: the part of an end day outside the period, when a day row holds
    the whole day and that part is the smaller one."""

    def add(self, span: Span, start: str, end: str) -> None:
        """A range of rollup rows, joined to the previous one when it continues it."""
        if start >= end:
            return
        if self.rolled and self.rolled[-1][0] == span and self.rolled[-1][2] == start:
            self.rolled[-1] = (span, self.rolled[-1][1], end)
        else:
            self.rolled.append((span, start, end))


def whole_days(start: str, end: str) -> tuple[str, str]:
    """The whole UTC days inside [start, end): from `lo` (inclusive) to `hi` (exclusive), as
    'YYYY-MM-DD'; lo >= hi when there is none."""
    lo = start[:10]
    if start[10:] not in ("", " 00:00:00.000"):
        try:
            lo = next_day(lo)
        except ValueError:  # no day after it: no whole day either
            lo = "9999-12-31~"
    return lo, end[:10]


def moment(day_or_time: str) -> str:
    """A bound as a full timestamp ('2026-11-30' is its midnight)."""
    return day_or_time if len(day_or_time) > 10 else day_or_time + MIDNIGHT


def plan(
    start: str,
    end: str,
    *,
    until: str,
    first: str | None,
    stale: Iterable[str],
    unit: Unit,
    subtract: bool = True,
) -> Plan:
    """Rollup rows for what of [start, end) is rolled up (before `until`) and not stale: whole
    `unit`s where they fit, else days, and the day of `until` if the period holds its rolled-up
    part whole; raw rows for the rest. `first`: the first rolled-up day of the survey (None:
    none), so that a period over all time starts there, not in year 0. `subtract`: a day at
    either end of the period may be read as its day row less the raw rows outside the period
    (when those are fewer: at most half a day is read raw at each end)."""
    today, dirty_days = until[:10], set(stale)
    lo, hi = whole_days(start, end)
    hi = min(hi, today)
    month = _running_month(start, end, until=until, first=first, stale=dirty_days, unit=unit)
    result = Plan(until=until)
    first_day, last_day = start[:10], end[:10]
    if (  # from the day row of the first day, less its hours before `start`
        subtract
        and start[11:] > "12:00"
        and lo <= hi
        and lo == _day_after(first_day)
        and first_day not in dirty_days
    ):
        result.less.append((moment(first_day), start))
        start, lo = moment(first_day), first_day
    if (  # from the day row of the last day, less its hours from `end` on
        subtract
        and end[11:] >= "12:00"
        and hi == last_day
        and _day_after(last_day) <= today
        and last_day not in dirty_days
        and lo <= last_day
    ):
        after = _day_after(last_day)
        result.less.append((end, moment(after)))
        end, hi = moment(after), after
    covered: list[tuple[str, str]] = []
    if month is not None:  # its month rows, up to `until`; the days before it as usual
        hi = month[0]
    if lo < hi:
        dirty = sorted(day for day in dirty_days if lo <= day < hi)
        covered += [(moment(a), moment(b)) for a, b in _around(lo, hi, dirty)]
        day = max(lo, first) if first is not None else hi
        while day < hi:
            span_start, span_end = span_of(day, unit)
            piece_end = min(span_end, hi)
            whole = span_start == day and span_end <= hi
            if whole and not any(day <= bad < span_end for bad in dirty):
                result.add(unit, day, span_end)
            else:
                for clean_start, clean_end in _around(day, piece_end, dirty):
                    result.add("day", clean_start, clean_end)
            day = piece_end
    if month is not None:
        covered.append((moment(month[0]), until))
        result.add("month", *month)
    elif (
        moment(until) > moment(today)
        and today not in dirty_days
        and start <= moment(today)
        and until <= end
    ):
        covered.append((moment(today), until))
        if first is not None:
            result.add("day", today, next_day(today))
    at = start
    for covered_start, covered_end in sorted(covered):
        if at < covered_start:
            result.raw.append((at, covered_start))
        at = max(at, covered_end)
    if at < end:
        result.raw.append((at, end))
    return result


def _running_month(
    start: str, end: str, *, until: str, first: str | None, stale: set[str], unit: Unit
) -> tuple[str, str] | None:
    """The running month ([first day, day after its last)) when the period holds its
    rolled-up part whole and none of its days is stale: then its month rows are read in
    place of its day rows. Only when months are the unit (weeks are read by their own rows)."""
    running = running_month(until) if unit == "month" and first is not None else None
    if running is None or start > moment(running) or until > end:
        return None
    if any(running <= day <= until[:10] for day in stale):
        return None
    return running, span_of(running, "month")[1]


def running_month(until: str) -> str | None:
    """The first day of the running month, when something of it is rolled up (`until` is
    past its first midnight)."""
    if until[:4] == "0000":
        return None
    first = span_of(until[:10], "month")[0]
    return first if moment(first) < until else None


def _day_after(day: str) -> str:
    try:
        return next_day(day)
    except ValueError:  # 9999-12-31: no day after it
        return "9999-12-31~"


def _around(start: str, end: str, dirty: Sequence[str]) -> list[tuple[str, str]]:
    """[start, end) cut around the dirty days in it."""
    pieces, at = [], start
    for bad in dirty:
        if start <= bad < end:
            pieces.append((at, bad))
            at = next_day(bad)
    pieces.append((at, end))
    return [(a, b) for a, b in pieces if a < b]


async def _fold(db: Db, survey_id: str, start: str, end: str) -> None:
    """Add day rows for the finished responses of a survey in [start, end) (days)."""
    await db.execute(
        """
        INSERT INTO rollup_answers
            (survey_id, span, day, segment, wave_id, question_id, value, n)
        SELECT r.survey_id, 'day', substr(r.finished_at, 1, 10), r.segment, r.wave_id,
               a.question_id, a.value, count(*)
        FROM responses r JOIN answers a ON a.response_id = r.id
        WHERE r.survey_id = ? AND r.finished_at >= ? AND r.finished_at < ?
          AND r.replaced_by IS NULL
        GROUP BY 1, 3, 4, 5, 6, 7
        """,
        (survey_id, start, end),
    )
    await db.execute(
        """
        INSERT INTO rollup_responses
            (survey_id, span, day, segment, wave_id, current, yes, answered, n)
        SELECT CAST(? AS TEXT), 'day', day, segment, wave_id, current, yes, answered, count(*)
        FROM (
            SELECT substr(r.finished_at, 1, 10) AS day, r.segment, r.wave_id,
                   r.replaced_by IS NULL AS current,
                   coalesce(sum(CASE WHEN a.value = 'yes' THEN 1 ELSE 0 END), 0) AS yes,
                   count(a.question_id) AS answered
            FROM responses r LEFT JOIN answers a ON a.response_id = r.id
            WHERE r.survey_id = ? AND r.finished_at >= ? AND r.finished_at < ?
            GROUP BY r.id
        ) AS per_response GROUP BY day, segment, wave_id, current, yes, answered
        """,
        (survey_id, survey_id, start, end),
    )


async def _sum_span(db: Db, survey_id: str, unit: Unit, start: str) -> None:
    """(Re)write a week's or month's rows of a survey as the sum of its day rows."""
    end = span_of(start, unit)[1]
    for table in ("rollup_answers", "rollup_responses"):
        await db.execute(
            f"DELETE FROM {table} WHERE survey_id = ? AND span = ? AND day = ?",
            (survey_id, unit, start),
        )
    await db.execute(
        """
        INSERT INTO rollup_answers
            (survey_id, span, day, segment, wave_id, question_id, value, n)
        SELECT survey_id, CAST(? AS TEXT), CAST(? AS TEXT), segment, wave_id, question_id,
               value, sum(n)
        FROM rollup_answers WHERE survey_id = ? AND span = 'day' AND day >= ? AND day < ?
        GROUP BY survey_id, segment, wave_id, question_id, value
        """,
        (unit, start, survey_id, start, end),
    )
    await db.execute(
        """
        INSERT INTO rollup_responses
            (survey_id, span, day, segment, wave_id, current, yes, answered, n)
        SELECT survey_id, CAST(? AS TEXT), CAST(? AS TEXT), segment, wave_id, current, yes,
               answered, sum(n)
        FROM rollup_responses WHERE survey_id = ? AND span = 'day' AND day >= ? AND day < ?
        GROUP BY survey_id, segment, wave_id, current, yes, answered
        """,
        (unit, start, survey_id, start, end),
    )


async def _clear_day(db: Db, survey_id: str, day: str) -> None:
    for table in ("rollup_answers", "rollup_responses"):
        await db.execute(
            f"DELETE FROM {table} WHERE survey_id = ? AND span = 'day' AND day = ?",
            (survey_id, day),
        )


async def _rebuild(db: Db, survey_id: str, day: str, until: str) -> None:
    """A stale day of a survey counted again from its rows as they are now (up to `until`
    if that falls in it), and its week and month if they are over, or its month if it is the
    running one."""
    await _clear_day(db, survey_id, day)
    await _fold(db, survey_id, day, min(moment(next_day(day)), until))
    for unit in ("week", "month"):
        start, end = span_of(day, unit)
        if end <= until[:10] or (unit == "month" and start == running_month(until)):
            await _sum_span(db, survey_id, unit, start)
    await db.execute("DELETE FROM rollup_stale WHERE survey_id = ? AND day = ?", (survey_id, day))


async def _until(db: Db) -> str:
    async with db.execute("SELECT until FROM rollup_state") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def behind(db: Db, target: str) -> bool:
    """Whether a roll-up has anything to do: a stale day, or rows finished before `target`
    not folded in yet (a read on any connection, without the writer)."""
    [row] = await db.execute_fetchall(
        "SELECT EXISTS (SELECT 1 FROM rollup_stale), until FROM rollup_state"
    )
    return bool(row[0]) or str(row[1]) < target


def _ended(before: str, after: str, unit: Unit) -> list[str]:
    """The first days of the weeks or months that end in (before, after]: over once `until`
    moves from `before` to `after`."""
    found = []
    start = span_of((date.fromisoformat(before) - timedelta(days=1)).isoformat(), unit)[0]
    while start < after:
        end = span_of(start, unit)[1]
        if before < end <= after:
            found.append(start)
        start = end
    return found


async def _surveys(db: Db) -> list[str]:
    async with db.execute(SURVEYS) as cursor:
        return [str(row[0]) async for row in cursor]


async def _first_day_from(db: Db, surveys: Sequence[str], since: str) -> str | None:
    """The first day a response of any survey finished on, from `since` on."""
    first: str | None = None
    for survey_id in surveys:
        async with db.execute(
            "SELECT min(finished_at) FROM responses WHERE survey_id = ? AND finished_at >= ?",
            (survey_id, since),
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] is not None and (first is None or row[0] < first):
            first = str(row[0])
    return first[:10] if first is not None else None


async def roll_up(writer: Writer, target: str) -> RolledUp:
    """Rebuild the stale days, then fold in what finished before `target` (a timestamp): each
    whole day in a transaction of its own, skipping days without a finished response, then
    the part of `target`'s day before it (counted again from its start each time); sum the
    weeks and months that are over."""
    rebuilt = 0
    while True:
        async with writer.transaction() as db:
            until = await _until(db)
            async with db.execute(
                "SELECT survey_id, day FROM rollup_stale LIMIT ?", (STALE_PER_STEP,)
            ) as cursor:
                stale = [(str(row[0]), str(row[1])) async for row in cursor]
            for survey_id, day in stale:
                await _rebuild(db, survey_id, day, until)
        rebuilt += len(stale)
        if len(stale) < STALE_PER_STEP:
            break
    days = 0
    while True:
        async with writer.transaction() as db:
            until = await _until(db)
            if until >= target:
                break
            surveys = await _surveys(db)
            if until[:10] < target[:10]:  # a day to finish: the day of `until`, or the next
                partial = until[10:] != MIDNIGHT
                folding: str | None = (
                    until[:10] if partial else await _first_day_from(db, surveys, until)
                )
                if folding is not None and folding >= target[:10]:
                    folding = None
                end = moment(next_day(folding)) if folding is not None else moment(target[:10])
            else:  # the part of `target`'s day before it
                folding, end = until[:10], target
            if folding is not None:
                for survey_id in surveys:
                    await _clear_day(db, survey_id, folding)
                    await _fold(db, survey_id, folding, end)
            # spans over between the two days; from the day folded first if nothing was before
            since = until[:10] if until[:10] > "0001-01-01" else folding
            if since is not None:
                for unit in ("week", "month"):
                    for start in _ended(since, end[:10], unit):
                        for survey_id in surveys:
                            await _sum_span(db, survey_id, unit, start)
            running = running_month(end)
            if running is not None and (folding is not None or running != running_month(until)):
                for survey_id in surveys:  # the running month, up to the new `until`
                    await _sum_span(db, survey_id, "month", running)
            await db.execute("UPDATE rollup_state SET until = ?", (end,))
        days += folding is not None
    rows = await writer.db.execute_fetchall("SELECT until FROM rollup_state")
    row = next(iter(rows), None)
    return RolledUp(days=days, rebuilt=rebuilt, until=str(row[0]) if row else target)
