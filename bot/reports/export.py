"""The CSV an admin opens in Excel: one row per response, one column per question.

UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 (Cyrillic and accents intact);
column names are the question ids, stable across versions of the survey file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from bot.reports.periods import Period
from bot.reports.summary import build_summary
from bot.storage.reports import ExportRow, ReportQueries
from bot.survey.model import Survey
from bot.survey.rounding import half_up
from bot.survey.scoring import IndexResult, NpsResult, RatingResult, YesShareResult, score

FIXED = ["response", "segment", "language", "started_at", "finished_at", "score"]


def columns(survey: Survey) -> list[str]:
    return [*FIXED, *(q.id for q in survey.questions)]


def row_score(survey: Survey, row: ExportRow) -> str:
    """The respondent's own score, as in their summary: rating, index or % yes."""
    try:
        result = score(survey, row.answers)
    except (KeyError, AssertionError, ValueError):
        return ""
    if isinstance(result, NpsResult | RatingResult):
        return str(result.rating)
    if isinstance(result, IndexResult):
        return "" if result.index is None else str(half_up(result.index, 1))
    assert isinstance(result, YesShareResult)
    return str(half_up(100 * result.share, 1))


async def write_csv(
    survey: Survey, rows: AsyncIterator[ExportRow], *, hidden_segments: frozenset[str] = frozenset()
) -> bytes:
    """The CSV; `hidden_segments` (groups under an anonymous survey's threshold) are left out,
    and anonymous rows keep only the date of their times."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns(survey))
    keep = 10 if survey.anonymous else None  # the date only, or the whole time
    async for row in rows:
        if (row.segment or "") in hidden_segments:
            continue
        writer.writerow(
            [
                row.response_id,
                _safe(row.segment or ""),
                row.language,
                row.started_at[:keep],
                (row.finished_at or "")[:keep],
                row_score(survey, row),
                *(_safe(_cell(row.answers, q.id)) for q in survey.questions),
            ]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _safe(text: str) -> str:
    """A typed answer that Excel would run as a formula (=, +, -, @) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(answers: dict[str, str | None], question_id: str) -> str:
    if question_id not in answers:
        return ""
    value = answers[question_id]
    return "(skipped)" if value is None else value


async def export_csv(queries: ReportQueries, survey: Survey, period: Period) -> bytes | None:
    """The survey's CSV for the period; None when an anonymous survey has too few responses.

    For anonymous surveys, segments under the threshold are left out, as in the summary.
    """
    hidden: frozenset[str] = frozenset()
    if survey.anonymous:
        summary = await build_summary(queries, survey, period)
        if summary.hidden:
            return None
        hidden = frozenset(name for name, group in summary.segments if group is None)
    rows = queries.export(survey.id, start=period.start, end=period.end)
    return await write_csv(survey, rows, hidden_segments=hidden)
