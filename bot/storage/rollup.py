"""Keeping the report rollups current: whole days folded in, stale days rebuilt.

Reports read the rollup tables for the days before `rollup_state.until` and the raw rows for
the rest (bot/storage/reports.py), so what is rolled up only changes how fast a report is, never
its figures. Each step here is a transaction of its own on the writer (one day, or a few stale
days), so the taps arriving meanwhile wait for one step at most, not for a whole roll-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import aiosqlite

from bot.storage.writer import Writer

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
    """The first day not rolled up."""


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


async def _fold(db: aiosqlite.Connection, survey_id: str, start: str, end: str) -> None:
    """Add the finished responses of a survey in [start, end) (days) to the rollup tables."""
    await db.execute(
        """
        INSERT INTO rollup_answers (survey_id, day, segment, wave_id, question_id, value, n)
        SELECT r.survey_id, substr(r.finished_at, 1, 10), r.segment, r.wave_id, a.question_id,
               a.value, count(*)
        FROM responses r JOIN answers a ON a.response_id = r.id
        WHERE r.survey_id = ? AND r.finished_at >= ? AND r.finished_at < ?
          AND r.replaced_by IS NULL
        GROUP BY 2, 3, 4, 5, 6
        """,
        (survey_id, start, end),
    )
    await db.execute(
        """
        INSERT INTO rollup_responses
            (survey_id, day, segment, wave_id, current, yes, answered, n)
        SELECT ?, day, segment, wave_id, current, yes, answered, count(*) FROM (
            SELECT substr(r.finished_at, 1, 10) AS day, r.segment, r.wave_id,
                   r.replaced_by IS NULL AS current,
                   coalesce(sum(a.value = 'yes'), 0) AS yes, count(a.question_id) AS answered
            FROM responses r LEFT JOIN answers a ON a.response_id = r.id
            WHERE r.survey_id = ? AND r.finished_at >= ? AND r.finished_at < ?
            GROUP BY r.id
        ) GROUP BY day, segment, wave_id, current, yes, answered
        """,
        (survey_id, survey_id, start, end),
    )


async def _rebuild(db: aiosqlite.Connection, survey_id: str, day: str) -> None:
    """A stale day of a survey counted again from its rows as they are now."""
    for table in ("rollup_answers", "rollup_responses"):
        await db.execute(f"DELETE FROM {table} WHERE survey_id = ? AND day = ?", (survey_id, day))
    await _fold(db, survey_id, day, next_day(day))
    await db.execute("DELETE FROM rollup_stale WHERE survey_id = ? AND day = ?", (survey_id, day))


async def _until(db: aiosqlite.Connection) -> str:
    async with db.execute("SELECT until FROM rollup_state") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def behind(db: aiosqlite.Connection, today: str) -> bool:
    """Whether a roll-up has anything to do: a stale day, or a whole day not folded in yet
    (a read on any connection, without the writer)."""
    async with db.execute(
        "SELECT EXISTS (SELECT 1 FROM rollup_stale), until FROM rollup_state"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return bool(row[0]) or str(row[1]) < today


async def roll_up(writer: Writer, today: str) -> RolledUp:
    """Rebuild the stale days, then fold in every whole day before `today` ('YYYY-MM-DD'),
    one day per transaction, skipping days without a finished response."""
    rebuilt = 0
    while True:
        async with writer.transaction() as db:
            async with db.execute(
                "SELECT survey_id, day FROM rollup_stale LIMIT ?", (STALE_PER_STEP,)
            ) as cursor:
                stale = [(str(row[0]), str(row[1])) async for row in cursor]
            for survey_id, day in stale:
                await _rebuild(db, survey_id, day)
        rebuilt += len(stale)
        if len(stale) < STALE_PER_STEP:
            break
    days = 0
    while True:
        async with writer.transaction() as db:
            until = await _until(db)
            if until >= today:
                break
            async with db.execute(SURVEYS) as cursor:
                surveys = [str(row[0]) async for row in cursor]
            first: str | None = None
            for survey_id in surveys:
                async with db.execute(
                    "SELECT min(finished_at) FROM responses WHERE survey_id = ?"
                    " AND finished_at >= ?",
                    (survey_id, until),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None and row[0] is not None and (first is None or row[0] < first):
                    first = str(row[0])
            day = first[:10] if first is not None else today
            if day >= today:  # nothing finished between `until` and today
                await db.execute("UPDATE rollup_state SET until = ?", (today,))
                break
            end = next_day(day)
            for survey_id in surveys:
                await _fold(db, survey_id, day, end)
            await db.execute("UPDATE rollup_state SET until = ?", (end,))
        days += 1
    async with writer.db.execute("SELECT until FROM rollup_state") as cursor:
        row = await cursor.fetchone()
    return RolledUp(days=days, rebuilt=rebuilt, until=str(row[0]) if row else today)
