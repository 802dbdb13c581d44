"""Read-only aggregates for admin reports: every figure is computed in SQL over indexed columns.

The main query returns answer counts grouped by (trend bucket, segment, question, value): a few
thousand rows at most, whatever the number of answers, from which the headline figure, the
trend and the segment ranking are all derived in one pass over the data.

The counts come from the rollups (bot/storage/rollup.py) for the whole days already rolled up
and not stale, and from the raw rows for the rest: the period's first and last part days, the
days since the last roll-up, and stale days. Each figure reads the plan and the rows in one read
transaction (the caller's, or its own), so it equals the full aggregate `RawReportQueries`
gives over the same snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.storage.engine import Db, dialect_of
from bot.storage.rollup import SURVEYS, Plan, Unit, moment, next_day, plan


@dataclass(frozen=True)
class Count:
    bucket: str
    segment: str | None
    question_id: str
    value: str | None
    count: int


@dataclass(frozen=True)
class Marginals:
    """Answer counts per trend bucket (segment None) and per segment (bucket ''): what a
    summary reads, without the bucket x segment cross (a few hundred rows, not thousands)."""

    trend: list[Count]
    segments: list[Count]


@dataclass(frozen=True)
class SurveyActivity:
    survey_id: str
    finished: int
    unfinished: int
    last_finished_at: str | None


@dataclass(frozen=True)
class Comment:
    finished_at: str
    segment: str | None
    question_id: str
    text: str


@dataclass(frozen=True)
class WaveCount:
    wave_id: int
    team: str
    opened_at: str
    closed_at: str | None
    delivered: int
    finished: int


@dataclass(frozen=True)
class BatchCount:
    wave_id: int | None
    month: str
    segment: str | None
    question_id: str
    value: str | None
    count: int


@dataclass(frozen=True)
class BatchComment:
    wave_id: int | None
    month: str
    segment: str | None
    question_id: str
    text: str


@dataclass(frozen=True)
class ExportRow:
    response_id: int
    segment: str | None
    language: str
    started_at: str
    finished_at: str | None
    answers: dict[str, str | None]


_CURRENT = "r.survey_id = ? AND r.finished_at >= ? AND r.finished_at < ? AND r.replaced_by IS NULL"
"""Finished responses of a survey in a period; a retaken self-assessment counts once."""


def _bucket(db: Db, trend_by: str, column: str) -> str:
    """The trend bucket of a timestamp (`r.finished_at`) or of a rollup row's first day (`day`:
    a day, week or month row lies in one bucket): the month as a prefix ('2026-11'), the week
    as the engine says it (`Dialect.week`)."""
    return f"substr({column}, 1, 7)" if trend_by == "month" else dialect_of(db).week(column)


YES = "sum(CASE WHEN a.value = 'yes' THEN 1 ELSE 0 END)"
"""A response's "yes" answers."""


def _where(segment: str | None) -> str:
    return _CURRENT + (" AND r.segment = ?" if segment is not None else "")


def _params(
    survey_id: str, start: str, end: str, segment: str | None, *more: object
) -> list[object]:
    return [survey_id, start, end, *([segment] if segment is not None else []), *more]


ALL_TIME = ("0000-01-01 00:00:00.000", "9999-12-31 23:59:59.999")
"""The bounds of a report over all time."""


def _in(name: str, values: Sequence[object]) -> tuple[str, dict[str, object]]:
    """`:name0, :name1, ...` for an IN list, with the parameters."""
    params = {f"{name}{index}": value for index, value in enumerate(values)}
    return ", ".join(f":{key}" for key in params), params


def _layered(reading: Plan, rolled: str, raw: str) -> tuple[str, dict[str, object]]:
    """The branches of a read, joined with UNION ALL: `rolled` once per range of rollup rows
    (it ends in a WHERE clause the span and day range are added to), `raw` once per range of
    raw rows (`{range}` stands for the condition on finished_at, `{sign}` for the sign of the
    count: '-' for the rows the plan takes away); each an index range."""
    branches: list[str] = []
    params: dict[str, object] = {}
    for index, (span, start, end) in enumerate(reading.rolled):
        branches.append(
            f"{rolled} AND span = :span{index} AND day >= :from{index} AND day < :to{index}"
        )
        params |= {f"span{index}": span, f"from{index}": start, f"to{index}": end}
    for sign, ranges in (("", reading.raw), ("-", reading.less)):
        for start, end in ranges:
            index = len(params)
            condition = f"r.finished_at >= :after{index} AND r.finished_at < :before{index}"
            branches.append(raw.replace("{range}", condition).replace("{sign}", sign))
            params |= {f"after{index}": start, f"before{index}": end}
    return "\n                UNION ALL\n".join(branches), params


class ReportQueries:
    def __init__(self, connection: Db) -> None:
        self._db = connection

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[None]:
        """One read transaction for the plan and the rows it names: the caller's if one is
        open (a report), else one of its own (the connection only reads)."""
        if self._db.in_transaction:
            yield
            return
        await self._db.execute("BEGIN")
        try:
            yield
        finally:
            await self._db.execute("ROLLBACK")

    async def _plan(
        self, survey_id: str, start: str, end: str, unit: Unit, *, subtract: bool = True
    ) -> Plan:
        """Which rollup rows and raw rows hold the survey's responses finished in [start, end)."""
        async with self._db.execute(
            "SELECT until, (SELECT min(day) FROM rollup_responses"
            " WHERE survey_id = ? AND span = 'day') FROM rollup_state",
            (survey_id,),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        async with self._db.execute(
            "SELECT day FROM rollup_stale WHERE survey_id = ?", (survey_id,)
        ) as cursor:
            stale = [str(day[0]) async for day in cursor]
        return plan(
            start, end, until=str(row[0]), first=row[1], stale=stale, unit=unit, subtract=subtract
        )

    def _answer_branches(
        self, reading: Plan, marks: str, segment: str | None, trend_by: str
    ) -> tuple[str, dict[str, object]]:
        """Answer counts by (bucket, segment, question, value) over the plan's rows."""
        return _layered(
            reading,
            f"""SELECT {_bucket(self._db, trend_by, "day")}, segment, question_id, value, n
            FROM rollup_answers WHERE survey_id = :survey AND question_id IN ({marks})"""
            + (" AND segment = :segment" if segment is not None else ""),
            f"""SELECT {_bucket(self._db, trend_by, "r.finished_at")}, r.segment, a.question_id,
                   a.value, {{sign}}count(*)
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE r.survey_id = :survey AND {{range}} AND r.replaced_by IS NULL
              AND a.question_id IN ({marks})"""
            + (" AND r.segment = :segment" if segment is not None else "")
            + " GROUP BY 1, 2, 3, 4",
        )

    async def breakdown(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        trend_by: str,
    ) -> list[Count]:
        marks, questions = _in("q", question_ids)
        unit: Unit = "week" if trend_by == "week" else "month"
        async with self._snapshot():
            reading = await self._plan(survey_id, start, end, unit)
            branches, ranges = self._answer_branches(reading, marks, segment, trend_by)
            if not branches:
                return []
            sql = f"""
                WITH parts(bucket, segment, question_id, value, n) AS ({branches})
                SELECT bucket, segment, question_id, value, CAST(sum(n) AS BIGINT) FROM parts
                GROUP BY bucket, segment, question_id, value HAVING sum(n) != 0
            """
            params = {"survey": survey_id, "segment": segment, **questions, **ranges}
            async with self._db.execute(sql, params) as cursor:
                return [Count(*row) for row in await cursor.fetchall()]

    async def marginals(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        trend_by: str,
    ) -> Marginals:
        """The breakdown summed per trend bucket and per segment, in SQL."""
        marks, questions = _in("q", question_ids)
        unit: Unit = "week" if trend_by == "week" else "month"
        async with self._snapshot():
            reading = await self._plan(survey_id, start, end, unit)
            branches, ranges = self._answer_branches(reading, marks, segment, trend_by)
            if not branches:
                return Marginals([], [])
            sql = f"""
                WITH parts(bucket, segment, question_id, value, n) AS MATERIALIZED ({branches})
                SELECT 0, bucket, NULL, question_id, value, CAST(sum(n) AS BIGINT) FROM parts
                GROUP BY bucket, question_id, value HAVING sum(n) != 0
                UNION ALL
                SELECT 1, '', segment, question_id, value, CAST(sum(n) AS BIGINT) FROM parts
                GROUP BY segment, question_id, value HAVING sum(n) != 0
            """
            params = {"survey": survey_id, "segment": segment, **questions, **ranges}
            async with self._db.execute(sql, params) as cursor:
                rows = await cursor.fetchall()
        return Marginals(
            trend=[Count(*tuple(row)[1:]) for row in rows if not row[0]],
            segments=[Count(*tuple(row)[1:]) for row in rows if row[0]],
        )

    async def activity(self) -> list[SurveyActivity]:
        """Per survey: finished responses (rollup rows, then raw rows), unfinished ones still
        open, and the last finish: a few seeks on the indexes per survey."""
        found = []
        async with self._snapshot():
            async with self._db.execute(SURVEYS) as cursor:
                surveys = [str(row[0]) async for row in cursor]
            for survey_id in surveys:
                reading = await self._plan(survey_id, *ALL_TIME, "month")
                branches, ranges = _layered(
                    reading,
                    "SELECT sum(n) FROM rollup_responses WHERE survey_id = :survey",
                    "SELECT {sign}count(*) FROM responses r WHERE r.survey_id = :survey AND {range}",
                )
                sql = f"""
                    WITH parts(n) AS ({branches})
                    SELECT (SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM parts), (
                        SELECT count(*) FROM responses
                        WHERE survey_id = :survey AND finished_at IS NULL AND closed_at IS NULL
                    ), (
                        SELECT max(finished_at) FROM responses WHERE survey_id = :survey
                    )
                """
                async with self._db.execute(sql, {"survey": survey_id, **ranges}) as cursor:
                    row = await cursor.fetchone()
                assert row is not None
                found.append(SurveyActivity(survey_id, row[0], row[1], row[2]))
        return found

    async def comments(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        limit: int,
    ) -> list[Comment]:
        """The latest typed answers (newest first), found by walking back the survey's index
        over the days that have one: the rollup says which days those are, so a question
        seldom answered does not make the walk cross every response of the period."""
        marks, questions = _in("q", question_ids)
        sql = f"""
            SELECT r.finished_at, r.segment, a.question_id, a.value
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE r.survey_id = :survey AND r.finished_at >= :after AND r.finished_at < :before
              AND r.replaced_by IS NULL AND a.question_id IN ({marks}) AND a.value IS NOT NULL
              {"AND r.segment = :segment" if segment is not None else ""}
            ORDER BY r.finished_at DESC, r.id DESC LIMIT :limit
        """
        latest = (
            "SELECT max(day) FROM ("
            + " UNION ALL ".join(
                f"""SELECT (SELECT max(day) FROM rollup_answers WHERE survey_id = :survey
                AND question_id = :{key} AND span = 'day' AND day >= :first AND day < :below
                AND value IS NOT NULL) AS day"""
                for key in questions
            )
            + ") AS latest"
        )
        found: list[Comment] = []

        async def walk(after: str, before: str) -> None:
            params = {
                "survey": survey_id,
                "segment": segment,
                "after": after,
                "before": before,
                "limit": limit - len(found),
                **questions,
            }
            async with self._db.execute(sql, params) as cursor:
                found.extend([Comment(*row) async for row in cursor])

        async with self._snapshot():
            # whole days only: a comment's day is walked whole
            reading = await self._plan(survey_id, start, end, "month", subtract=False)
            parts = [(a, b, False) for a, b in reading.raw]
            parts += [(a, b, True) for _span, a, b in reading.rolled]
            for after, before, rolled in sorted(parts, reverse=True):
                while len(found) < limit and after < before:
                    if not rolled:
                        await walk(after, before)
                        break
                    # rolled-up days: the latest with a typed answer, by one seek per question
                    async with self._db.execute(
                        latest, {"survey": survey_id, "first": after, "below": before, **questions}
                    ) as cursor:
                        row = await cursor.fetchone()
                    if row is None or row[0] is None:
                        break
                    day = str(row[0])
                    await walk(day, min(moment(next_day(day)), reading.until))
                    before = day
                if len(found) >= limit:
                    break
        return found

    async def level_counts(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        starts: Sequence[int],
        *,
        start: str,
        end: str,
        segment: str | None,
    ) -> dict[int, int]:
        """How many responses fall in each maturity band (index into `starts`, the band starts
        in percent), banded in SQL from each response's share of "yes".

        The rollup counts a response's "yes" among all its answers: `question_ids` are all the
        survey's questions, as for every survey scored by its share of "yes"."""
        marks, questions = _in("q", question_ids)
        bands = " ".join(
            f"WHEN share >= {int(low)} THEN {index}"
            for index, low in sorted(enumerate(starts), key=lambda item: -item[1])
        )
        async with self._snapshot():
            reading = await self._plan(survey_id, start, end, "month")
            branches, ranges = _layered(
                reading,
                """SELECT round(100.0 * yes / :asked), n FROM rollup_responses
                WHERE survey_id = :survey AND current AND answered > 0"""
                + (" AND segment = :segment" if segment is not None else ""),
                f"""SELECT round(100.0 * {YES} / :asked), {{sign}}1
                FROM responses r JOIN answers a ON a.response_id = r.id
                WHERE r.survey_id = :survey AND {{range}} AND r.replaced_by IS NULL
                  AND a.question_id IN ({marks})"""
                + (" AND r.segment = :segment" if segment is not None else "")
                + " GROUP BY r.id",
            )
            if not branches:
                return {}
            sql = f"""
                WITH parts(share, n) AS ({branches})
                SELECT band, sum(n) FROM (
                    SELECT CASE {bands} ELSE 0 END AS band, n FROM parts
                ) AS banded GROUP BY band HAVING sum(n) != 0
            """
            params = {
                "survey": survey_id,
                "segment": segment,
                "asked": len(question_ids),
                **questions,
                **ranges,
            }
            async with self._db.execute(sql, params) as cursor:
                return {int(row[0]): int(row[1]) async for row in cursor}

    async def waves(
        self, survey_id: str, *, start: str, end: str, segment: str | None
    ) -> list[WaveCount]:
        """Pulse waves opened in the period: how many members got them (counted on the wave
        once it closed, from its deliveries before) and how many finished."""
        sql = (
            """
            SELECT w.id, w.team, w.opened_at, w.closed_at,
                   coalesce(w.delivered, (SELECT count(*) FROM deliveries d
                    WHERE d.wave_id = w.id AND d.kind = 'wave' AND d.state = 'sent')),
                   (SELECT count(*) FROM responses r
                    WHERE r.wave_id = w.id AND r.finished_at IS NOT NULL)
            FROM waves w
            WHERE w.survey_id = ? AND w.opened_at >= ? AND w.opened_at < ?
        """
            + (" AND w.team = ?" if segment is not None else "")
            + " ORDER BY w.id"
        )
        params = [survey_id, start, end, *([segment] if segment is not None else [])]
        async with self._db.execute(sql, params) as cursor:
            return [WaveCount(*row) async for row in cursor]

    async def by_wave(
        self, survey_id: str, question_id: str, wave_ids: Sequence[int]
    ) -> list[Count]:
        """Answer counts of one question per wave (the wave id in place of the trend bucket)."""
        marks = ", ".join("?" for _ in wave_ids)
        sql = f"""
            SELECT r.wave_id, r.segment, a.question_id, a.value, count(*)
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE r.survey_id = ? AND r.wave_id IN ({marks}) AND r.finished_at IS NOT NULL
              AND a.question_id = ?
            GROUP BY r.wave_id, r.segment, a.question_id, a.value
        """
        async with self._db.execute(sql, [survey_id, *wave_ids, question_id]) as cursor:
            return [Count(str(row[0]), *tuple(row)[1:]) async for row in cursor]

    async def released_counts(
        self, survey_id: str, question_ids: Sequence[str]
    ) -> list[BatchCount]:
        """Anonymous surveys: answer counts per batch: per wave, or per month and segment for
        answers given outside a wave. Every finished response is counted, released or not: the
        disclosure control decides which batches are out."""
        marks, questions = _in("q", question_ids)
        async with self._snapshot():
            reading = await self._plan(survey_id, *ALL_TIME, "month")
            branches, ranges = _layered(
                reading,
                f"""SELECT substr(day, 1, 7), segment, wave_id, question_id, value, n
                FROM rollup_answers WHERE survey_id = :survey AND question_id IN ({marks})""",
                f"""SELECT substr(r.finished_at, 1, 7), r.segment, r.wave_id, a.question_id,
                       a.value, {{sign}}count(*)
                FROM responses r JOIN answers a ON a.response_id = r.id
                WHERE r.survey_id = :survey AND {{range}} AND r.replaced_by IS NULL
                  AND a.question_id IN ({marks})
                GROUP BY 1, 2, 3, 4, 5""",
            )
            if not branches:
                return []
            sql = f"""
                WITH p(finished_in, segment, wave_id, question_id, value, n) AS ({branches})
                SELECT p.wave_id, coalesce(substr(w.opened_at, 1, 7), p.finished_in) AS month,
                       coalesce(w.team, p.segment), p.question_id, p.value,
                       CAST(sum(p.n) AS BIGINT)
                FROM p LEFT JOIN waves w ON w.id = p.wave_id
                GROUP BY p.wave_id, month, coalesce(w.team, p.segment), p.question_id, p.value
                HAVING sum(p.n) != 0
            """
            params = {"survey": survey_id, **questions, **ranges}
            async with self._db.execute(sql, params) as cursor:
                return [BatchCount(*row) for row in await cursor.fetchall()]

    async def released_comments(
        self, survey_id: str, question_ids: Sequence[str]
    ) -> list[BatchComment]:
        """Anonymous surveys: every typed answer with the batch it belongs to."""
        marks = ", ".join("?" for _ in question_ids)
        sql = f"""
            SELECT r.wave_id, substr(coalesce(w.opened_at, r.finished_at), 1, 7),
                   coalesce(w.team, r.segment), a.question_id, a.value
            FROM responses r JOIN answers a ON a.response_id = r.id
            LEFT JOIN waves w ON w.id = r.wave_id
            WHERE r.survey_id = ? AND r.finished_at IS NOT NULL AND r.replaced_by IS NULL
              AND a.question_id IN ({marks}) AND a.value IS NOT NULL
        """
        async with self._db.execute(sql, [survey_id, *question_ids]) as cursor:
            return [BatchComment(*row) async for row in cursor]

    async def export(self, survey_id: str, *, start: str, end: str) -> AsyncIterator[ExportRow]:
        """Every finished response with its answers, one at a time (the CSV streams them)."""
        sql = f"""
            SELECT r.id, r.segment, r.language, r.started_at, r.finished_at, a.question_id,
                   a.value
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE {_CURRENT} ORDER BY r.id
        """
        current: ExportRow | None = None
        async with self._db.execute(sql, (survey_id, start, end)) as cursor:
            async for rid, segment, language, started, finished, question, value in cursor:
                if current is None or current.response_id != rid:
                    if current is not None:
                        yield current
                    current = ExportRow(rid, segment, language, started, finished, {})
                current.answers[question] = value
        if current is not None:
            yield current


class RawReportQueries(ReportQueries):
    """The same figures from every raw row, without the rollups: what the rollups must equal
    (the tests compare the two), and the yardstick of the reports benchmark."""

    async def breakdown(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        trend_by: str,
    ) -> list[Count]:
        marks = ", ".join("?" for _ in question_ids)
        sql = f"""
            SELECT {_bucket(self._db, trend_by, "r.finished_at")} AS bucket, r.segment,
                   a.question_id, a.value,
                   count(*) AS n
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE {_where(segment)} AND a.question_id IN ({marks})
            GROUP BY bucket, r.segment, a.question_id, a.value
        """
        params = [*_params(survey_id, start, end, segment), *question_ids]
        async with self._db.execute(sql, params) as cursor:
            return [Count(*row) async for row in cursor]

    async def activity(self) -> list[SurveyActivity]:
        async with self._db.execute(
            """
            SELECT survey_id, count(finished_at),
                   sum(CASE WHEN finished_at IS NULL AND closed_at IS NULL THEN 1 ELSE 0 END),
                   max(finished_at)
            FROM responses GROUP BY survey_id ORDER BY survey_id
            """
        ) as cursor:
            return [SurveyActivity(row[0], row[1], row[2] or 0, row[3]) async for row in cursor]

    async def level_counts(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        starts: Sequence[int],
        *,
        start: str,
        end: str,
        segment: str | None,
    ) -> dict[int, int]:
        """How many responses fall in each maturity band (index into `starts`, the band starts
        in percent), banded in SQL from each response's share of "yes"."""
        marks = ", ".join("?" for _ in question_ids)
        bands = " ".join(
            f"WHEN share >= {int(low)} THEN {index}"
            for index, low in sorted(enumerate(starts), key=lambda item: -item[1])
        )
        sql = f"""
            SELECT band, count(*) FROM (
                SELECT CASE {bands} ELSE 0 END AS band FROM (
                    SELECT round(100.0 * {YES} / ?) AS share
                    FROM responses r JOIN answers a ON a.response_id = r.id
                    WHERE {_where(segment)} AND a.question_id IN ({marks})
                    GROUP BY r.id
                ) AS shares
            ) AS banded GROUP BY band
        """
        params = [len(question_ids), *_params(survey_id, start, end, segment), *question_ids]
        async with self._db.execute(sql, params) as cursor:
            return {int(row[0]): int(row[1]) async for row in cursor}

    async def released_counts(
        self, survey_id: str, question_ids: Sequence[str]
    ) -> list[BatchCount]:
        """Anonymous surveys: answer counts per batch: per wave, or per month and segment for
        answers given outside a wave. Every finished response is counted, released or not: the
        disclosure control decides which batches are out."""
        marks = ", ".join("?" for _ in question_ids)
        sql = f"""
            SELECT r.wave_id, substr(coalesce(w.opened_at, r.finished_at), 1, 7) AS month,
                   coalesce(w.team, r.segment), a.question_id, a.value, count(*)
            FROM responses r JOIN answers a ON a.response_id = r.id
            LEFT JOIN waves w ON w.id = r.wave_id
            WHERE r.survey_id = ? AND r.finished_at IS NOT NULL AND r.replaced_by IS NULL
              AND a.question_id IN ({marks})
            GROUP BY r.wave_id, month, coalesce(w.team, r.segment), a.question_id, a.value
        """
        async with self._db.execute(sql, [survey_id, *question_ids]) as cursor:
            return [BatchCount(*row) async for row in cursor]

    async def comments(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        limit: int,
    ) -> list[Comment]:
        """The latest typed answers (newest first), found by walking back the survey's index."""
        marks = ", ".join("?" for _ in question_ids)
        sql = f"""
            SELECT r.finished_at, r.segment, a.question_id, a.value
            FROM responses r JOIN answers a ON a.response_id = r.id
            WHERE {_where(segment)} AND a.question_id IN ({marks}) AND a.value IS NOT NULL
            ORDER BY r.finished_at DESC, r.id DESC LIMIT ?
        """
        params = [*_params(survey_id, start, end, segment), *question_ids, limit]
        async with self._db.execute(sql, params) as cursor:
            return [Comment(*row) async for row in cursor]

    async def marginals(
        self,
        survey_id: str,
        question_ids: Sequence[str],
        *,
        start: str,
        end: str,
        segment: str | None,
        trend_by: str,
    ) -> Marginals:
        counts = await self.breakdown(
            survey_id, question_ids, start=start, end=end, segment=segment, trend_by=trend_by
        )
        trend: dict[tuple[str, str, str | None], int] = {}
        segments: dict[tuple[str | None, str, str | None], int] = {}
        for c in counts:
            key = (c.bucket, c.question_id, c.value)
            trend[key] = trend.get(key, 0) + c.count
            by = (c.segment, c.question_id, c.value)
            segments[by] = segments.get(by, 0) + c.count
        return Marginals(
            trend=[Count(b, None, q, v, n) for (b, q, v), n in trend.items()],
            segments=[Count("", s, q, v, n) for (s, q, v), n in segments.items()],
        )
