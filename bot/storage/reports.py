"""Read-only aggregates for admin reports: every figure is computed in SQL over indexed columns.

The main query returns answer counts grouped by (trend bucket, segment, question, value): a few
thousand rows at most, whatever the number of answers, from which the headline figure, the
trend and the segment ranking are all derived in one pass over the data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class Count:
    bucket: str
    segment: str | None
    question_id: str
    value: str | None
    count: int


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


_BUCKETS = {
    "month": "substr(r.finished_at, 1, 7)",  # '2026-11': a prefix, cheaper than strftime
    "week": "strftime('%Y-W%W', r.finished_at)",
}


def _where(segment: str | None) -> str:
    return _CURRENT + (" AND r.segment = ?" if segment is not None else "")


def _params(
    survey_id: str, start: str, end: str, segment: str | None, *more: object
) -> list[object]:
    return [survey_id, start, end, *([segment] if segment is not None else []), *more]


class ReportQueries:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

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
            SELECT {_BUCKETS[trend_by]} AS bucket, r.segment, a.question_id, a.value,
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
            SELECT survey_id, count(finished_at), sum(finished_at IS NULL AND closed_at IS NULL),
                   max(finished_at)
            FROM responses GROUP BY survey_id ORDER BY survey_id
            """
        ) as cursor:
            return [SurveyActivity(row[0], row[1], row[2] or 0, row[3]) async for row in cursor]

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
                    SELECT round(100.0 * sum(a.value = 'yes') / ?) AS share
                    FROM responses r JOIN answers a ON a.response_id = r.id
                    WHERE {_where(segment)} AND a.question_id IN ({marks})
                    GROUP BY r.id
                )
            ) GROUP BY band
        """
        params = [len(question_ids), *_params(survey_id, start, end, segment), *question_ids]
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
            return [Count(str(row[0]), *row[1:]) async for row in cursor]

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
