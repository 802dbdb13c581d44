"""The picture sent with every summary: the main number over time, and groups side by side.

matplotlib with its non-interactive Agg backend, imported on first use so the bot starts fast;
rendering is CPU work, so callers run it in a thread.
"""

from __future__ import annotations

import io
from typing import Any

from bot.i18n import _, current_language
from bot.reports.figures import Figures
from bot.reports.summary import Summary
from bot.survey.model import Survey

WIDTH, PANEL_HEIGHT, DPI = 9.0, 3.6, 100
MAX_BARS = 15


def _axis_label(survey: Survey) -> str:
    return {
        "nps": _("eNPS (−100…+100)") if survey.employees else _("NPS (−100…+100)"),
        "csat": _("CSAT, 4-5 ratings, %"),
        "ces": _("CES, mean of 1-7"),
        "index": _("Index, 0-100"),
        "yes-share": _("Share of “yes”, %"),
    }[survey.scoring]


def _bars(survey: Survey, summary: Summary) -> tuple[str, list[str], list[float]]:
    """The breakdown worth a bar chart for this kind of survey (none for CSAT and CES)."""
    overall, language = summary.overall, current_language()
    if overall.nps is not None and overall.nps.n:
        nps = overall.nps
        labels = [_("Detractors"), _("Passives"), _("Promoters")]
        return (
            _("Categories, %"),
            labels,
            [100 * c / nps.n for c in (nps.detractors, nps.passives, nps.promoters)],
        )
    if survey.scoring == "index":
        questions = [q for q in survey.questions if q.id in overall.criteria]
        return (
            _("By criterion, 0-100"),
            [(q.question.label or q.question.text)(language) for q in questions],
            [overall.criteria[q.id] for q in questions],
        )
    if survey.scoring == "yes-share":
        sections = [s for s in survey.sections if s.id in overall.criteria]
        return (
            _("By section, % “yes”"),
            [(s.label or s.title or survey.title)(language) for s in sections],
            [100 * overall.criteria[s.id] for s in sections],
        )
    return "", [], []


def _segments(summary: Summary) -> tuple[str, list[str], list[float]]:
    shown = [
        (name or "—", group.headline)
        for name, group in summary.segments[:MAX_BARS]
        if group is not None and group.headline is not None
    ]
    return _("By segment"), [name for name, _v in shown], [value for _n, value in shown]


def render_chart(summary: Summary) -> bytes:
    """A PNG of the summary; call it only when the summary is not hidden."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in a worker thread

    survey = summary.survey
    panels = [bars for bars in (_bars(survey, summary), _segments(summary)) if len(bars[1]) > 1]
    figure = Figure(figsize=(WIDTH, PANEL_HEIGHT * (1 + len(panels))), dpi=DPI)
    axes = figure.subplots(1 + len(panels), 1, squeeze=False)[:, 0]
    figure.suptitle(f"{survey.title(current_language())} · {summary.period.name}")
    _trend(axes[0], survey, summary.trend)
    for panel, (title, labels, values) in zip(axes[1:], panels, strict=True):
        panel.set_title(title)
        positions = list(range(len(labels)))
        panel.barh(positions, values, color="#4C78A8")
        panel.set_yticks(positions, [_short(label) for label in labels])
        panel.invert_yaxis()
        panel.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png")
    return output.getvalue()


def _trend(axes: Any, survey: Survey, trend: list[tuple[str, Figures | None]]) -> None:
    points = [
        (bucket, group.headline) for bucket, group in trend if group and group.headline is not None
    ]
    axes.set_title(_("Trend"))
    axes.set_ylabel(_axis_label(survey))
    if points:
        axes.plot([b for b, _v in points], [v for _b, v in points], marker="o", color="#F58518")
        axes.tick_params(axis="x", labelrotation=45)
    axes.grid(alpha=0.3)


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
