"""A summary as the admin reads it in the chat, in their language, numbers formatted by Babel."""

from __future__ import annotations

from bot.i18n import _, current_language, format_decimal, format_number, format_percent, ngettext
from bot.reports.figures import Figures
from bot.reports.summary import Summary, WaveFigures
from bot.survey.model import Survey
from bot.survey.rounding import whole
from bot.survey.screens import labelled

MAX_COMMENT = 300
MAX_SEGMENTS = 15
MAX_MESSAGE = 4096
"""Telegram's limit for one message."""


def headline(survey: Survey, group: Figures) -> str:
    """The survey's main number for one group: '+32', '82%', '5.4', '78', '47%'."""
    value = group.headline
    if value is None:
        return "—"
    if survey.scoring == "nps":
        return f"{'+' if whole(value) > 0 else ''}{format_number(value)}"
    if survey.scoring in ("csat", "yes-share"):
        return format_percent(value / 100)
    if survey.scoring == "ces":
        return format_decimal(value, 1)
    return format_number(value)


def summary_text(summary: Summary) -> str:
    survey, language = summary.survey, current_language()
    scope = " · ".join(
        part for part in (survey.id, summary.period.name, summary.segment) if part is not None
    )
    lines = [f"{survey.title(language)}\n{scope}"]
    n = summary.overall.n
    if not summary.hidden:  # a hidden group shows no count
        lines.append(
            ngettext("{count} response", "{count} responses", n).format(count=format_number(n))
        )
    if survey.anonymous:
        lines.append(
            _(
                "Answers are anonymous: results appear from {threshold} responses on,"
                " so that no one can be recognised."
            ).format(threshold=summary.threshold)
            + " "
            + _(
                "Figures count closed waves and past months only, and leave out groups too"
                " small to show on their own."
            )
        )
    if summary.hidden:
        if summary.waves:
            lines.append("\n".join([_("By wave:"), *(_wave(survey, w) for w in summary.waves)]))
        return "\n\n".join(lines)
    if n == 0:
        lines.append(_("No responses in this period."))
        return "\n\n".join(lines)
    lines.append(_figures(survey, summary))
    if len(summary.trend) > 1:
        step = _("Trend by week:") if summary.period.trend_by == "week" else _("Trend by month:")
        lines.append("\n".join([step, *(_group(survey, b, f) for b, f in summary.trend)]))
    no_segment = _("(no segment)")
    if len(summary.segments) > 1:
        ranked = [
            _group(survey, f"{place}. {name or no_segment}", group)
            for place, (name, group) in enumerate(summary.segments, start=1)
        ]
        if len(ranked) > MAX_SEGMENTS:  # the best and the worst; the CSV has them all
            more = len(ranked) - MAX_SEGMENTS
            ranked = [
                *ranked[: MAX_SEGMENTS - 3],
                _("… {count} more …").format(count=more),
                *ranked[-3:],
            ]
        heading = (
            survey.segments_title(language)
            if survey.segments_title is not None
            else _("By segment, best first:")
        )
        lines.append("\n".join([heading, *ranked]))
    if summary.waves:
        lines.append("\n".join([_("By wave:"), *(_wave(survey, w) for w in summary.waves)]))
    if summary.comments:
        quoted = [
            f"«{c.text[:MAX_COMMENT]}» — "
            + ", ".join(
                [c.segment or no_segment, c.when]
                if not survey.anonymous
                else [part for part in (c.segment, c.when) if part]
            )
            for c in summary.comments
        ]
        lines.append("\n".join([_("Latest comments:"), *quoted]))
    return "\n\n".join(lines)[:MAX_MESSAGE]


def _wave(survey: Survey, wave: WaveFigures) -> str:
    rate = "—" if wave.response_rate is None else format_percent(wave.response_rate)
    names = {"wave": wave.wave.wave_id, "date": wave.wave.opened_at[:10], "team": wave.wave.team}
    if survey.anonymous and wave.open:
        return _(
            "#{wave} {date} · {team}: open, response rate about {rate}; the score comes when"
            " it closes"
        ).format(rate=rate, **names)
    if survey.anonymous and wave.figures is None:  # no count for a hidden group
        return _("#{wave} {date} · {team}: score hidden (too few responses)").format(**names)
    head = _("#{wave} {date} · {team}: response rate {rate} ({finished}/{delivered})").format(
        rate=rate,
        finished=format_number(wave.wave.finished),
        delivered=format_number(wave.wave.delivered),
        **names,
    )
    if wave.figures is None:
        return head + " · " + _("score hidden (too few responses)")
    score = f"{survey.score_name} {headline(survey, wave.figures)}"
    if wave.change is not None:
        score += f" ({'+' if wave.change >= 0 else '−'}{format_number(abs(wave.change))})"
    return f"{head} · {score}"


def _group(survey: Survey, name: str, group: Figures | None) -> str:
    if group is None:
        return _("{name}: hidden (too few responses)").format(name=name)
    return _("{name}: {figure} (n={count})").format(
        name=name, figure=headline(survey, group), count=format_number(group.n)
    )


def _figures(survey: Survey, summary: Summary) -> str:
    overall, language = summary.overall, current_language()
    if overall.nps is not None:
        nps = overall.nps
        return "\n".join(
            [
                (
                    _("eNPS: {score} ± {margin} (95% margin of error)")
                    if survey.employees
                    else _("NPS: {score} ± {margin} (95% margin of error)")
                ).format(score=headline(survey, overall), margin=format_number(nps.margin)),
                _("Promoters: {p} ({pp}) · Passives: {a} ({ap}) · Detractors: {d} ({dp})").format(
                    p=format_number(nps.promoters),
                    pp=format_percent(nps.promoters / nps.n),
                    a=format_number(nps.passives),
                    ap=format_percent(nps.passives / nps.n),
                    d=format_number(nps.detractors),
                    dp=format_percent(nps.detractors / nps.n),
                ),
            ]
        )
    if survey.scoring == "csat":
        parts = [_("CSAT: {value}").format(value=headline(survey, overall))]
        if overall.resolution is not None:
            parts.append(
                _("Solved in one contact: {value}").format(value=format_percent(overall.resolution))
            )
        return "\n".join(parts)
    if survey.scoring == "ces":
        return _("CES: {value} out of 7 (agreement that it was easy: higher = easier)").format(
            value=headline(survey, overall)
        )
    if survey.scoring == "index":
        criteria = [
            labelled(
                (q.question.label or q.question.text)(language),
                format_number(overall.criteria[q.id]),
            )
            for q in survey.questions
            if q.id in overall.criteria
        ]
        index = _("Index: {value} out of 100").format(value=headline(survey, overall))
        return "\n".join([index, *criteria])
    sections = [
        labelled(
            (s.label or s.title or survey.title)(language), format_percent(overall.criteria[s.id])
        )
        for s in survey.sections
        if s.id in overall.criteria
    ]
    levels = " · ".join(
        f"{level.name(language)}: {summary.levels.get(index, 0)}"
        for index, level in enumerate(survey.levels)
    )
    lines = [
        _("Mean share of “yes”: {value}").format(value=headline(survey, overall)),
        *sections,
        _("Levels: {levels}").format(levels=levels),
    ]
    if overall.unsure:
        lines.append(
            _("“Don't know”: {value} of all answers").format(value=format_percent(overall.unsure))
        )
    return "\n".join(lines)
