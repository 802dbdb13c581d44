"""The CSV an admin opens in Excel: one row per response, one column per question.

UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 (Cyrillic and accents intact);
column names are the question ids, stable across versions of the survey file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from bot.storage.reports import ExportRow
from bot.survey.model import Survey
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
        return "" if result.index is None else f"{result.index:.1f}"
    assert isinstance(result, YesShareResult)
    return f"{100 * result.share:.1f}"


async def write_csv(survey: Survey, rows: AsyncIterator[ExportRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns(survey))
    async for row in rows:
        writer.writerow(
            [
                row.response_id,
                row.segment or "",
                row.language,
                row.started_at,
                row.finished_at or "",
                row_score(survey, row),
                *(_cell(row.answers, q.id) for q in survey.questions),
            ]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _cell(answers: dict[str, str | None], question_id: str) -> str:
    if question_id not in answers:
        return ""
    value = answers[question_id]
    return "(skipped)" if value is None else value
