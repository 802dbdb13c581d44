"""A Summary as the dashboard's JSON: the same figures the chat's text shows, formatted the same
way (bot/reports/text.py's `headline`, Babel in the admin's language), and nothing the Summary
does not hold. Deciding what an anonymous survey may show is build_summary's job alone; these
functions only serialize, so the dashboard can never show more than the chat.

Each figure goes out twice: `value`, the number for charts, and `text`, the formatted string the
page displays as it is."""

from __future__ import annotations

from typing import Any

from bot.i18n import _, current_language, format_number, format_percent
from bot.reports.figures import Figures
from bot.reports.summary import Summary, WaveFigures
from bot.reports.text import headline
from bot.survey.model import Survey

Json = dict[str, Any]


def survey_info(survey: Survey) -> Json:
    return {
        "id": survey.id,
        "title": survey.title(current_language()),
        "score_name": survey.score_name,
        "scoring": survey.scoring,
        "anonymous": survey.anonymous,
        "pulse": survey.repeat == "wave",
    }


def figure(survey: Survey, group: Figures | None) -> Json | None:
    """One group's headline; None for a group the summary hides (no count either)."""
    if group is None:
        return None
    return {
        "value": group.headline,
        "text": headline(survey, group),
        "n": group.n,
        "n_text": format_number(group.n),
    }


def signed(change: float) -> str:
    """A change as the chat writes it: '+4', '−3', '0'."""
    rounded = format_number(abs(change))
    if rounded == format_number(0):
        return rounded
    return ("+" if change > 0 else "−") + rounded


def change(survey: Survey, now: Figures, before: Figures | None) -> Json | None:
    """Since the previous period, when both have a headline."""
    if before is None or now.headline is None or before.headline is None:
        return None
    delta = now.headline - before.headline
    return {"value": delta, "text": signed(delta)}


def trend(summary: Summary) -> list[Json]:
    return [
        {"bucket": bucket, "figure": figure(summary.survey, group)}
        for bucket, group in summary.trend
    ]


def breakdown(summary: Summary) -> list[Json]:
    """The rows under the headline, as the chat lists them: promoters / passives / detractors,
    the resolution share, each criterion or each section, the maturity levels."""
    survey, overall, language = summary.survey, summary.overall, current_language()
    rows: list[Json] = []
    if overall.nps is not None and overall.nps.n:
        nps = overall.nps
        for label, count in (
            (_("Promoters"), nps.promoters),
            (_("Passives"), nps.passives),
            (_("Detractors"), nps.detractors),
        ):
            rows.append(
                {
                    "label": label,
                    "value": count / nps.n,
                    "text": f"{format_percent(count / nps.n)} ({format_number(count)})",
                }
            )
    if overall.resolution is not None:
        rows.append(
            {
                "label": _("Solved in one contact"),
                "value": overall.resolution,
                "text": format_percent(overall.resolution),
            }
        )
    if survey.scoring == "index":
        for q in survey.questions:
            if q.id in overall.criteria:
                value = overall.criteria[q.id]
                rows.append(
                    {
                        "label": (q.question.label or q.question.text)(language),
                        "value": value / 100,
                        "text": format_number(value),
                    }
                )
    if survey.scoring == "yes-share":
        for section in survey.sections:
            if section.id in overall.criteria:
                share = overall.criteria[section.id]
                rows.append(
                    {
                        "label": (section.label or section.title or survey.title)(language),
                        "value": share,
                        "text": format_percent(share),
                    }
                )
        for index, level in enumerate(survey.levels):
            count = summary.levels.get(index, 0)
            rows.append(
                {"label": level.name(language), "value": None, "text": format_number(count)}
            )
        if overall.unsure:
            rows.append(
                {
                    "label": _("“Don't know”"),
                    "value": overall.unsure,
                    "text": format_percent(overall.unsure),
                }
            )
    return rows


def wave(survey: Survey, line: WaveFigures) -> Json:
    """A wave as the chat's "By wave" line tells it: an anonymous survey's open wave has only
    its rounded rate, a hidden one no count."""
    rate = line.response_rate
    shown: Json = {
        "id": line.wave.wave_id,
        "team": line.wave.team,
        "date": line.wave.opened_at[:10],
        "open": line.open,
        "rate": None if rate is None else {"value": rate, "text": format_percent(rate)},
        "figure": figure(survey, line.figures),
        "change": None if line.change is None else {"text": signed(line.change)},
    }
    if not (survey.anonymous and (line.open or line.figures is None)):
        shown["finished"] = line.wave.finished
        shown["delivered"] = line.wave.delivered
    return shown


def summary_view(summary: Summary) -> Json:
    survey, overall = summary.survey, summary.overall
    view: Json = {
        "survey": survey_info(survey),
        "period": summary.period.name,
        "segment": summary.segment,
        "hidden": summary.hidden,
        "threshold": summary.threshold,
        "waves": [wave(survey, line) for line in summary.waves],
    }
    if summary.hidden:  # as in the chat: no count, no figure
        return view
    margin = overall.nps.margin if overall.nps is not None and overall.nps.n else None
    view.update(
        n=overall.n,
        n_text=format_number(overall.n),
        headline=figure(survey, overall) if overall.n else None,
        margin=None if margin is None else {"value": margin, "text": format_number(margin)},
        breakdown=breakdown(summary),
        trend_by=summary.period.trend_by,
        trend=trend(summary) if len(summary.trend) > 1 else [],
        segments=[
            {"name": name, "figure": figure(survey, group)} for name, group in summary.segments
        ],
        segments_title=(
            survey.segments_title(current_language()) if survey.segments_title is not None else None
        ),
        comments=[
            {"text": quote.text, "segment": quote.segment, "when": quote.when}
            for quote in summary.comments
        ],
    )
    return view


def overview_entry(summary: Summary, before: Summary | None) -> Json:
    """A survey's card: headline, change since the previous period, sparkline points."""
    survey = summary.survey
    return {
        "survey": survey_info(survey),
        "headline": figure(survey, summary.overall),
        "change": change(
            survey, summary.overall, None if before is None or before.hidden else before.overall
        ),
        "spark": [None if group is None else group.headline for _bucket, group in summary.trend],
    }


def compare_entry(summary: Summary) -> Json:
    """One column of the compare view: a segment's or a period's headline, margin and
    breakdown."""
    view = summary_view(summary)
    keys = ("segment", "period", "hidden", "n", "n_text", "headline", "margin", "breakdown")
    return {key: view.get(key) for key in keys}
