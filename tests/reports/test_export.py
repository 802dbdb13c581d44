"""The CSV an admin opens in Excel: BOM, fixed columns then questions, skips marked, scores."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping

from bot.reports.export import write_csv
from bot.storage.reports import ExportRow
from bot.survey.model import Survey

BOM = b"\xef\xbb\xbf"
FIXED = ["response", "segment", "language", "started_at", "finished_at", "score"]
STARTED = "2026-11-03 10:00:00.000"
FINISHED = "2026-11-03 10:01:30.250"


def row(
    answers: Mapping[str, str | None],
    *,
    response_id: int = 1,
    segment: str | None = "desk-a",
    language: str = "en",
    finished_at: str | None = FINISHED,
) -> ExportRow:
    return ExportRow(response_id, segment, language, STARTED, finished_at, dict(answers))


async def stream(*rows: ExportRow) -> AsyncIterator[ExportRow]:
    """The rows one at a time, as ReportQueries.export yields them."""
    for each in rows:
        yield each


async def exported(survey: Survey, *rows: ExportRow) -> list[dict[str, str]]:
    """The file as Excel or a script would read it back."""
    data = await write_csv(survey, stream(*rows))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def header(survey: Survey) -> list[str]:
    data = await write_csv(survey, stream())
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# the layout


async def test_the_header_is_the_fixed_columns_then_the_questions_in_order(
    catalogue: dict[str, Survey],
) -> None:
    assert await header(catalogue["nps"]) == [
        *FIXED,
        "recommend",
        "why-detractor",
        "why-passive",
        "why-promoter",
    ]


async def test_an_index_has_a_column_for_every_criterion_and_the_comment(
    catalogue: dict[str, Survey],
) -> None:
    assert await header(catalogue["five-promises"]) == [
        *FIXED,
        "relationship",
        "exceeding-expectations",
        "teamwork",
        "attitude",
        "environment",
        "comment",
    ]


async def test_a_self_assessment_has_a_column_per_statement(
    catalogue: dict[str, Survey],
) -> None:
    columns = await header(catalogue["cx-diagnostic"])
    assert len(columns) == 6 + 20  # fixed, then 4 sections of 5 statements
    assert columns[6] == "experience-defined"
    assert columns[-1] == "churn-price-vs-service"


async def test_the_file_starts_with_a_byte_order_mark_for_excel(
    catalogue: dict[str, Survey],
) -> None:
    data = await write_csv(catalogue["nps"], stream(row({"recommend": "10"})))
    assert data.startswith(BOM + b"response,segment,")
    assert data.count(BOM) == 1


async def test_no_rows_give_the_header_alone(catalogue: dict[str, Survey]) -> None:
    data = await write_csv(catalogue["csat"], stream())
    assert (
        data
        == BOM + b"response,segment,language,started_at,finished_at,score,satisfaction,solved\r\n"
    )


async def test_a_row_carries_the_response_and_its_answers(catalogue: dict[str, Survey]) -> None:
    rows = await exported(
        catalogue["csat"],
        row({"satisfaction": "4", "solved": "yes"}, response_id=42, language="pt"),
    )
    assert rows == [
        {
            "response": "42",
            "segment": "desk-a",
            "language": "pt",
            "started_at": STARTED,
            "finished_at": FINISHED,
            "score": "4",
            "satisfaction": "4",
            "solved": "yes",
        }
    ]


async def test_rows_keep_the_order_they_come_in(catalogue: dict[str, Survey]) -> None:
    rows = await exported(
        catalogue["nps"],
        *(row({"recommend": str(n)}, response_id=n) for n in (3, 1, 2)),
    )
    assert [r["response"] for r in rows] == ["3", "1", "2"]


async def test_no_segment_and_no_finish_time_are_empty_cells(
    catalogue: dict[str, Survey],
) -> None:
    [only] = await exported(
        catalogue["nps"], row({"recommend": "8"}, segment=None, finished_at=None)
    )
    assert (only["segment"], only["finished_at"]) == ("", "")


async def test_a_skipped_question_says_so_and_an_unasked_one_is_empty(
    catalogue: dict[str, Survey],
) -> None:
    [only] = await exported(catalogue["nps"], row({"recommend": "3", "why-detractor": None}))
    assert only["why-detractor"] == "(skipped)"
    assert (only["why-passive"], only["why-promoter"]) == ("", "")


# the score column


async def test_nps_scores_the_rating_given(catalogue: dict[str, Survey]) -> None:
    [only] = await exported(catalogue["nps"], row({"recommend": "3", "why-detractor": "late"}))
    assert only["score"] == "3"


async def test_ces_scores_the_rating_given(catalogue: dict[str, Survey]) -> None:
    [only] = await exported(catalogue["ces"], row({"effort": "6", "why": None}))
    assert only["score"] == "6"


async def test_an_index_scores_the_mean_rating_times_ten_to_one_decimal(
    catalogue: dict[str, Survey],
) -> None:
    five = catalogue["five-promises"]
    all_rated = dict(
        zip([q.id for q in five.questions][:5], ["10", "8", "6", "9", "7"], strict=True)
    )
    one_skipped: dict[str, str | None] = {**all_rated, "environment": None}
    rows = await exported(five, row(all_rated, response_id=1), row(one_skipped, response_id=2))
    # (10 + 8 + 6 + 9 + 7) / 5 * 10 = 80; without the 7: 33 / 4 * 10 = 82.5
    assert [r["score"] for r in rows] == ["80.0", "82.5"]


async def test_an_index_with_nothing_rated_has_an_empty_score(
    catalogue: dict[str, Survey],
) -> None:
    five = catalogue["five-promises"]
    nothing: dict[str, str | None] = {q.id: None for q in five.questions}
    [only] = await exported(five, row(nothing))
    assert only["score"] == ""


async def test_a_self_assessment_scores_its_percent_of_yes_to_one_decimal(
    catalogue: dict[str, Survey],
) -> None:
    diagnostic = catalogue["cx-diagnostic"]
    values = ["yes"] * 7 + ["unsure"] * 3 + ["no"] * 10
    answers = {q.id: v for q, v in zip(diagnostic.questions, values, strict=True)}
    [only] = await exported(diagnostic, row(answers))
    assert only["score"] == "35.0"  # 7 of 20, don't-know is not yes


async def test_a_score_exactly_between_two_decimals_rounds_half_up(
    catalogue: dict[str, Survey],
) -> None:
    maturity = catalogue["cx-maturity"]  # 32 statements
    values = ["yes"] * 2 + ["no"] * 30
    answers = {q.id: v for q, v in zip(maturity.questions, values, strict=True)}
    [only] = await exported(maturity, row(answers))
    assert only["score"] == "6.3"  # 2 / 32 = 6.25 %, half up


async def test_a_row_without_its_score_question_has_an_empty_score(
    catalogue: dict[str, Survey],
) -> None:
    [only] = await exported(catalogue["nps"], row({"why-promoter": "nice"}))
    assert only["score"] == ""
    assert only["why-promoter"] == "nice"


# text survives the round trip


async def test_cyrillic_and_accents_survive(catalogue: dict[str, Survey]) -> None:
    comment = "Всё отлично, спасибо! Très bien, à bientôt."
    [only] = await exported(
        catalogue["nps"], row({"recommend": "10", "why-promoter": comment}, language="ru")
    )
    assert only["why-promoter"] == comment


async def test_cyrillic_is_written_as_utf8_after_the_bom(catalogue: dict[str, Survey]) -> None:
    data = await write_csv(
        catalogue["nps"], stream(row({"recommend": "10", "why-promoter": "Спасибо"}))
    )
    assert "Спасибо".encode() in data
    assert data[len(BOM) :].decode("utf-8").count("\ufeff") == 0


async def test_commas_quotes_and_line_breaks_in_a_comment_stay_in_one_cell(
    catalogue: dict[str, Survey],
) -> None:
    comment = 'Slow, "very" slow;\nthen fine'
    rows = await exported(
        catalogue["nps"],
        row({"recommend": "4", "why-detractor": comment}, response_id=1),
        row({"recommend": "9"}, response_id=2),
    )
    assert [r["why-detractor"] for r in rows] == [comment, ""]
    assert [r["response"] for r in rows] == ["1", "2"]


# what the file must not do


async def test_a_comment_excel_would_run_as_a_formula_is_kept_as_text(
    catalogue: dict[str, Survey],
) -> None:
    nps = catalogue["nps"]
    (line,) = await exported(nps, row({"recommend": "3", "why-detractor": "=HYPERLINK(1)"}))
    assert line["why-detractor"] == "'=HYPERLINK(1)"
    assert line["recommend"] == "3"
