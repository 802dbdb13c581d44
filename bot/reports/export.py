"""The CSV an admin opens in Excel: one row per response, one column per question; for anonymous
surveys, one row per shown group and its comments, never a row per response.

UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 (Cyrillic and accents intact);
column names are the question ids, stable across versions of the survey file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import PurePath

from bot.reports.disclosure import Scope
from bot.reports.figures import figures
from bot.reports.periods import Period
from bot.reports.summary import Released, load_released, quotes
from bot.storage.reports import ExportRow, ReportQueries
from bot.survey.model import Survey
from bot.survey.rounding import half_up
from bot.survey.scoring import IndexResult, NpsResult, RatingResult, YesShareResult, score

UPLOAD_LIMIT = 50 * 1024 * 1024
"""Telegram's limit on a file a bot sends (50 MB): a bigger upload is refused with a 413."""

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


async def write_csv(survey: Survey, rows: AsyncIterator[ExportRow]) -> bytes:
    """The CSV of a survey whose answers are not anonymous."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns(survey))
    async for row in rows:
        writer.writerow(
            [
                row.response_id,
                _safe(row.segment or ""),
                row.language,
                row.started_at,
                row.finished_at or "",
                row_score(survey, row),
                *(_safe(_cell(row.answers, q.id)) for q in survey.questions),
            ]
        )
    return _excel(buffer)


ANONYMOUS_COLUMNS = [
    *("row", "level", "group", "team", "responses", "score"),
    *("promoters", "passives", "detractors", "comment"),
]


def anonymous_csv(released: Released, period: Period) -> bytes | None:
    """An anonymous survey's CSV: a row per shown group of the period with its figures, then its
    comments as in the summary (no row per response, nothing finer than a shown group); None
    when nothing can be shown."""
    survey, disclosure = released.survey, released.disclosure

    def in_period(month: str) -> bool:
        return period.start[:7] <= month < period.end[:7]

    scope = Scope(in_period)
    total = disclosure.histogram(scope)
    if not figures(survey, total).n:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ANONYMOUS_COLUMNS)
    groups = [("total", period.name, "", total)]
    for node in disclosure.shown_inside(scope):
        if node.level == "batch" and not node.name.startswith("wave"):
            continue  # a month's answers of one segment: the same as the team's row
        level = "wave" if node.level == "batch" else node.level
        name = node.month if node.level == "team" and node.month else node.name
        groups.append((level, name, node.team or "", disclosure.node_histogram(node)))
    for level, name, team, hist in groups:
        group = figures(survey, hist)
        nps = group.nps
        counts = [nps.promoters, nps.passives, nps.detractors] if nps else ["", "", ""]
        score = "" if group.headline is None else half_up(group.headline, 1)
        writer.writerow(["group", level, name, _safe(team), group.n, score, *counts, ""])
    for quote in quotes(released, scope, limit=None):
        writer.writerow(
            ["comment", "", quote.when, _safe(quote.segment or ""), *[""] * 5, _safe(quote.text)]
        )
    return _excel(buffer)


def _excel(buffer: io.StringIO) -> bytes:
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _safe(text: str) -> str:
    """A typed answer that Excel would run as a formula (=, +, -, @) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(answers: dict[str, str | None], question_id: str) -> str:
    if question_id not in answers:
        return ""
    value = answers[question_id]
    return "(skipped)" if value is None else value


async def export_csv(
    queries: ReportQueries, survey: Survey, period: Period, *, now: datetime | None = None
) -> bytes | None:
    """The survey's CSV for the period; None when an anonymous survey has nothing to show."""
    if survey.anonymous:
        return anonymous_csv(await load_released(queries, survey, now), period)
    rows = queries.export(survey.id, start=period.start, end=period.end)
    return await write_csv(survey, rows)


def fit_upload(data: bytes, filename: str, limit: int = UPLOAD_LIMIT) -> list[tuple[str, bytes]]:
    """The CSV as files Telegram accepts: as it is when it fits the upload limit, else zipped
    (CSV shrinks about tenfold), else cut between rows into zipped parts that each fit and each
    start with the header row. Sending a file over the limit fails every time, so it is never
    sent (a 413 retried would only upload it again and again)."""
    if len(data) <= limit:
        return [(filename, data)]
    stem = PurePath(filename).stem
    whole = _zipped(filename, data)
    if len(whole) <= limit:
        return [(f"{stem}.zip", whole)]
    text = data.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, rows = records[0], records[1:]
    budget = max(1, int(len(data) * limit / len(whole) * 0.9))  # bytes of CSV per part
    while True:
        parts = _cut(header, rows, budget)
        files = [(f"{stem}-{n}.csv", part) for n, part in enumerate(parts, start=1)]
        zipped = [(f"{name[:-4]}.zip", _zipped(name, part)) for name, part in files]
        if all(len(part) <= limit for _name, part in zipped):
            return zipped
        if budget == 1:
            raise ValueError(f"a single row does not fit in {limit} bytes zipped")
        budget = max(1, budget // 2)


def _cut(header: list[str], rows: list[list[str]], budget: int) -> list[bytes]:
    """The rows as CSV files of about `budget` bytes each (at least one row), each with the
    header and the byte-order mark."""
    parts: list[bytes] = []
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if buffer.tell() >= budget:
            parts.append(_excel(buffer))
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            count = 0
    if count or not parts:
        parts.append(_excel(buffer))
    return parts


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()
