"""An admin's summary of one survey: figures overall, per trend step and per segment, the
maturity levels, the latest comments, with the anonymity threshold applied to every group."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.reports.figures import Figures, figures, histogram, question_ids, ranked, split
from bot.reports.periods import Period
from bot.storage.reports import Comment, ReportQueries, WaveCount
from bot.survey.model import Survey, TextScale

LATEST_COMMENTS = 5


@dataclass(frozen=True)
class WaveFigures:
    wave: WaveCount
    figures: Figures | None
    """None: fewer finished responses than the anonymity threshold."""
    change: float | None
    """The headline's change since the team's previous shown wave."""

    @property
    def response_rate(self) -> float | None:
        return self.wave.finished / self.wave.delivered if self.wave.delivered else None


@dataclass(frozen=True)
class Summary:
    survey: Survey
    period: Period
    segment: str | None
    overall: Figures
    trend: list[tuple[str, Figures | None]] = field(default_factory=list)
    """Bucket -> figures, oldest first; None where the group is under the anonymity threshold."""
    segments: list[tuple[str, Figures | None]] = field(default_factory=list)
    """Best first (when not filtered to one segment); None: under the threshold, listed last."""
    levels: dict[int, int] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    waves: list[WaveFigures] = field(default_factory=list)
    """Pulse surveys: one line per wave, oldest first."""

    @property
    def threshold(self) -> int:
        return self.survey.anonymity_threshold if self.survey.anonymous else 1

    @property
    def hidden(self) -> bool:
        """Too few responses to show anything without exposing someone."""
        return self.survey.anonymous and self.overall.n < self.threshold


async def build_summary(
    queries: ReportQueries, survey: Survey, period: Period, segment: str | None = None
) -> Summary:
    counted = question_ids(survey)
    counts = await queries.breakdown(
        survey.id,
        counted,
        start=period.start,
        end=period.end,
        segment=segment,
        trend_by=period.trend_by,
    )
    overall = figures(survey, histogram(counts))
    summary = Summary(survey=survey, period=period, segment=segment, overall=overall)
    if summary.hidden:
        return summary

    def shown(group: Figures) -> Figures | None:
        return group if group.n >= summary.threshold else None

    trend = sorted(
        (bucket, shown(figures(survey, hist))) for bucket, hist in split(counts, "bucket").items()
    )
    by_segment = {name: figures(survey, hist) for name, hist in split(counts, "segment").items()}
    # groups under the threshold go last, by name: their place in the ranking would say how
    # they scored
    visible = {name: group for name, group in by_segment.items() if shown(group) is not None}
    small = sorted(name for name in by_segment if name not in visible)
    segments = [] if segment is not None else [*ranked(visible), *((name, None) for name in small)]
    levels: dict[int, int] = {}
    if survey.scoring == "yes-share" and overall.n:
        levels = await queries.level_counts(
            survey.id,
            counted,
            [level.from_ for level in survey.levels],
            start=period.start,
            end=period.end,
            segment=segment,
        )
    texts = [q.id for q in survey.questions if isinstance(q.scale, TextScale)]
    comments = (
        await queries.comments(
            survey.id,
            texts,
            start=period.start,
            end=period.end,
            segment=segment,
            limit=LATEST_COMMENTS,
        )
        if texts
        else []
    )
    return Summary(
        survey=survey,
        period=period,
        segment=segment,
        overall=overall,
        trend=trend,
        segments=segments,
        levels=levels,
        comments=comments,
        waves=await _waves(queries, survey, period, segment, summary.threshold),
    )


async def _waves(
    queries: ReportQueries, survey: Survey, period: Period, segment: str | None, threshold: int
) -> list[WaveFigures]:
    if survey.repeat != "wave" or survey.score_question is None:
        return []
    waves = await queries.waves(survey.id, start=period.start, end=period.end, segment=segment)
    if not waves:
        return []
    counts = await queries.by_wave(survey.id, survey.score_question, [w.wave_id for w in waves])
    per_wave = split(counts, "bucket")
    result: list[WaveFigures] = []
    last: dict[str, float] = {}
    for wave in waves:
        group = figures(survey, per_wave.get(str(wave.wave_id), {}))
        shown = group if group.n >= threshold and group.headline is not None else None
        change = None
        if shown is not None and shown.headline is not None:
            if wave.team in last:
                change = shown.headline - last[wave.team]
            last[wave.team] = shown.headline
        result.append(WaveFigures(wave=wave, figures=shown, change=change))
    return result
