"""An admin's summary of one survey: figures overall, per trend step and per segment, the
maturity levels, the latest comments; for anonymous surveys, only what the disclosure control
lets through."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.reports.disclosure import (
    Batch,
    Disclosure,
    Node,
    Scope,
    month_end,
    months_of_quarter,
    quarter_of,
)
from bot.reports.figures import Figures, Histogram, figures, histogram, question_ids, ranked, split
from bot.reports.periods import EARLIEST, LATEST, Period
from bot.storage.reports import ReportQueries, WaveCount
from bot.storage.times import stamp
from bot.survey.model import Survey, TextScale

LATEST_COMMENTS = 5
RATE_STEP = 0.05
"""An open anonymous wave's response rate is shown rounded to 5 %: enough to chase answers,
too coarse to follow them one by one."""


@dataclass(frozen=True)
class Quote:
    """A comment as the admin reads it: where it comes from, no finer than a shown group."""

    text: str
    segment: str | None
    when: str
    """A date; for anonymous surveys the shown group's period ('2026-10', '2026-Q4')."""


@dataclass(frozen=True)
class WaveFigures:
    wave: WaveCount
    figures: Figures | None
    """None: not shown (too few responses, or, anonymous, the wave is still open)."""
    change: float | None
    """The headline's change since the team's previous shown wave."""
    response_rate: float | None
    """Finished / delivered; rounded to 5 % for anonymous surveys."""

    @property
    def open(self) -> bool:
        return self.wave.closed_at is None


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
    comments: list[Quote] = field(default_factory=list)
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
    queries: ReportQueries,
    survey: Survey,
    period: Period,
    segment: str | None = None,
    *,
    now: datetime | None = None,
) -> Summary:
    if survey.anonymous:
        released = await load_released(queries, survey, now)
        return _anonymous_summary(released, period, segment)
    counted = question_ids(survey)
    counts = await queries.marginals(
        survey.id,
        counted,
        start=period.start,
        end=period.end,
        segment=segment,
        trend_by=period.trend_by,
    )
    overall = figures(survey, histogram(counts.trend))
    summary = Summary(survey=survey, period=period, segment=segment, overall=overall)
    if summary.hidden:
        return summary

    def shown(group: Figures) -> Figures | None:
        return group if group.n >= summary.threshold else None

    trend = sorted(
        (bucket, shown(figures(survey, hist)))
        for bucket, hist in split(counts.trend, "bucket").items()
    )
    by_segment = {
        name: figures(survey, hist) for name, hist in split(counts.segments, "segment").items()
    }
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
    texts = _text_questions(survey)
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
        comments=[Quote(c.text, c.segment, c.finished_at[:10]) for c in comments],
        waves=await _waves(queries, survey, period, segment, summary.threshold),
    )


def _text_questions(survey: Survey) -> list[str]:
    return [q.id for q in survey.questions if isinstance(q.scale, TextScale)]


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

    def shown(wave: WaveCount) -> Figures | None:
        group = figures(survey, per_wave.get(str(wave.wave_id), {}))
        return group if group.n >= threshold and group.headline is not None else None

    return _wave_lines(waves, shown, round_open=False)


def _wave_lines(
    waves: Sequence[WaveCount],
    shown: Callable[[WaveCount], Figures | None],
    *,
    round_open: bool,
) -> list[WaveFigures]:
    """A line per wave: its figures where shown, the change since the team's previous shown
    wave, and its response rate (rounded while the wave is open, for anonymous surveys)."""
    result: list[WaveFigures] = []
    last: dict[str, float] = {}
    for wave in waves:
        group = shown(wave)
        change = None
        if group is not None and group.headline is not None:
            if wave.team in last:
                change = group.headline - last[wave.team]
            last[wave.team] = group.headline
        rate = wave.finished / wave.delivered if wave.delivered else None
        if round_open and rate is not None and wave.closed_at is None:
            rate = round(rate / RATE_STEP) * RATE_STEP
        result.append(WaveFigures(wave=wave, figures=group, change=change, response_rate=rate))
    return result


# anonymous surveys: only what the disclosure control lets through


@dataclass(frozen=True)
class Released:
    """An anonymous survey's answers as the disclosure control sees them."""

    survey: Survey
    disclosure: Disclosure
    waves: list[WaveCount]
    comments: list[tuple[Batch, str]]
    """Typed answers of released batches, with their batch."""


async def load_released(
    queries: ReportQueries, survey: Survey, now: datetime | None = None
) -> Released:
    """Every released batch of the survey and the shown groups decided over them."""
    moment = stamp(now or datetime.now(UTC))
    waves = await queries.waves(survey.id, start=EARLIEST, end=LATEST, segment=None)
    closed = {w.wave_id: w for w in waves if w.closed_at is not None and w.closed_at <= moment}

    def batch_of(wave_id: int | None, month: str, segment: str | None) -> tuple[str, str, str]:
        """(key, team, released at); key '' while the batch is not released."""
        if wave_id is not None:
            wave = closed.get(wave_id)
            if wave is None or wave.closed_at is None:
                return "", "", ""
            return f"wave {wave_id}", wave.team, wave.closed_at
        team, end = segment or "", month_end(month)
        return (f"month {month} {team}", team, end) if end <= moment else ("", "", "")

    hists: dict[str, tuple[str, str, str, Histogram]] = {}
    for count in await queries.released_counts(survey.id, question_ids(survey)):
        key, team, released_at = batch_of(count.wave_id, count.month, count.segment)
        if key:
            hist = hists.setdefault(key, (count.month, team, released_at, {}))[3]
            hist.setdefault(count.question_id, Counter())[count.value or ""] += count.count
    batches = {
        key: Batch(key, month, team, released_at, figures(survey, hist).n, hist)
        for key, (month, team, released_at, hist) in hists.items()
    }
    texts = _text_questions(survey)
    comments = []
    for comment in await queries.released_comments(survey.id, texts) if texts else []:
        key = batch_of(comment.wave_id, comment.month, comment.segment)[0]
        if key in batches:
            comments.append((batches[key], comment.text))
    disclosure = Disclosure(
        batches.values(),
        threshold=survey.anonymity_threshold,
        open_months={w.opened_at[:7] for w in waves if w.wave_id not in closed},
        now=moment,
    )
    return Released(survey, disclosure, waves, comments)


def _steps(period: Period, released: Released) -> list[tuple[str, Scope]]:
    """The trend inside a period: months of a quarter, quarters of longer periods."""
    if period.kind == "month":
        return []
    if period.kind == "quarter":
        return [(m, _within([m])) for m in months_of_quarter(period.name)]
    months = {b.month for b in released.disclosure.batches} | {
        w.opened_at[:7] for w in released.waves
    }
    quarters = sorted({quarter_of(m) for m in months})
    return [(q, _within(months_of_quarter(q))) for q in quarters]


def _within(months: Sequence[str]) -> Scope:
    chosen = frozenset(months)
    return Scope(lambda month: month in chosen)


def _anonymous_summary(released: Released, period: Period, segment: str | None) -> Summary:
    survey, disclosure = released.survey, released.disclosure

    def in_period(month: str) -> bool:
        return period.start[:7] <= month < period.end[:7]

    def group(months: Scope, team: str | None) -> Figures | None:
        def both(month: str) -> bool:
            return in_period(month) and months.has_month(month)

        shown = figures(survey, disclosure.histogram(Scope(both, team)))
        return shown if shown.n else None

    everything = Scope()
    overall = group(everything, segment) or figures(survey, {})
    trend = [(name, group(step, segment)) for name, step in _steps(period, released)]
    segments: list[tuple[str, Figures | None]] = []
    if segment is None:
        teams = sorted({b.team for b in disclosure.batches if in_period(b.month)})
        visible = {team: shown for team in teams if (shown := group(everything, team))}
        segments = [*ranked(visible)]
    scope = Scope(in_period, segment)
    return Summary(
        survey=survey,
        period=period,
        segment=segment,
        overall=overall,
        trend=trend if len(trend) > 1 else [],
        segments=segments,
        comments=quotes(released, scope),
        waves=_anonymous_waves(released, in_period, segment),
    )


def quotes(released: Released, scope: Scope, limit: int | None = LATEST_COMMENTS) -> list[Quote]:
    """Comments of the shown groups only, each told as the smallest shown group holding it,
    newest group first; inside a group in an order that has nothing to do with time."""
    disclosure = released.disclosure
    inside = {b.key for b in disclosure.batches_in(scope)}
    quoted: list[tuple[str, str, Quote]] = []
    for batch, text in released.comments:
        node = disclosure.finest_shown(batch) if batch.key in inside else None
        if node is None:
            continue
        team = batch.team or None if node.level in ("team", "batch") else None
        when = batch.month if node.level in ("team", "batch", "month") else node.name
        shuffle = hashlib.sha256(text.encode()).hexdigest()
        quoted.append((batch.month, shuffle, Quote(text, team, when)))
    quoted.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [quote for _m, _s, quote in quoted[:limit]]


def _anonymous_waves(
    released: Released, in_period: Callable[[str], bool], segment: str | None
) -> list[WaveFigures]:
    """Every wave of the period: a closed one with its figures if its batch is shown; an open
    one with its response rate only, so that nobody follows answers arriving one by one."""
    disclosure, survey = released.disclosure, released.survey
    batches = {b.key: b for b in disclosure.batches}

    def shown(wave: WaveCount) -> Figures | None:
        key = f"wave {wave.wave_id}"
        if Node("batch", key) not in disclosure.shown:
            return None
        return figures(survey, batches[key].hist)

    waves = [
        wave
        for wave in released.waves
        if in_period(wave.opened_at[:7]) and segment in (None, wave.team)
    ]
    return _wave_lines(waves, shown, round_open=True)
