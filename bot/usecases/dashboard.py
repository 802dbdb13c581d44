"""What the admins' dashboard reads: several summaries at once, each from the chat's report code.

Every figure here is a `Summary` from `build_summary`, so the dashboard and `/summary` cannot
disagree and an anonymous survey's disclosure rules hold unchanged. The views read one snapshot
(`storage.report()`), so the figures of one screen agree with each other while answers arrive.

- `overview(deps, admin_id, period) -> Overview`: each survey with shown responses in the period,
  with the period before it for the change.
- `compare(deps, admin_id, survey_id, columns) -> list[Summary]`: (period, segment) columns side
  by side.
- `touchpoints(deps, admin_id) -> list[Touchpoint]`: each survey with the segments or teams its
  all-time summary shows.
- `pulse_board(deps, admin_id) -> PulseBoard`: schedules, teams, the latest waves with their rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.reports.periods import Period, parse_period, previous
from bot.storage.pulses import Pulse
from bot.survey.model import Survey
from bot.usecases.admin import allowed, require_admin, survey_of
from bot.usecases.deps import Deps

if TYPE_CHECKING:
    from bot.reports.summary import Summary, WaveFigures

MAX_COMPARED = 8
"""Columns in one compare view: each is a summary of its own."""
WAVES_SHOWN = 20
"""The latest waves per pulse survey on the pulses view."""


@dataclass(frozen=True)
class Card:
    summary: Summary
    earlier: Summary | None
    """The same survey over the period before (None: all time has none)."""


@dataclass(frozen=True)
class Overview:
    period: Period
    before: Period | None
    cards: list[Card]
    calendar_only: list[Survey]
    """Anonymous surveys a window of days leaves out (they take months and quarters only)."""


@dataclass(frozen=True)
class Touchpoint:
    survey: Survey
    segments: list[str]
    """The segments (pulse surveys: teams) the all-time summary shows; "" for no segment."""
    teams: dict[str, int]
    """Pulse surveys: each team with a schedule or shown answers -> its active members."""


@dataclass(frozen=True)
class PulseBoard:
    pulses: list[Pulse]
    audiences: dict[str, tuple[int, int]]
    """Team -> (active members, members who left)."""
    waves: list[tuple[Survey, WaveFigures]]


async def overview(deps: Deps, admin_id: int, period: Period) -> Overview:
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    before = previous(period)
    cards: list[Card] = []
    calendar_only: list[Survey] = []
    async with deps.storage.report() as queries:
        for _id, survey in sorted(deps.surveys.items()):
            if survey.anonymous and period.kind == "days":
                calendar_only.append(survey)
                continue
            summary = await build_summary(queries, survey, period)
            if summary.hidden or not summary.overall.n:
                continue
            earlier = None if before is None else await build_summary(queries, survey, before)
            cards.append(Card(summary, earlier))
    return Overview(period, before, cards, calendar_only)


async def compare(
    deps: Deps, admin_id: int, survey_id: str, columns: Sequence[tuple[Period, str | None]]
) -> list[Summary]:
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    survey = survey_of(deps, survey_id)
    for period, _segment in columns:
        allowed(survey, period)
    async with deps.storage.report() as queries:
        return [
            await build_summary(queries, survey, period, segment)
            for period, segment in columns[:MAX_COMPARED]
        ]


async def touchpoints(deps: Deps, admin_id: int) -> list[Touchpoint]:
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    audiences = await deps.storage.pulses.audience_sizes()
    scheduled = {(p.survey_id, p.team) for p in await deps.storage.pulses.pulses()}
    everything = parse_period(None)
    found = []
    async with deps.storage.report() as queries:
        for _id, survey in sorted(deps.surveys.items()):
            summary = await build_summary(queries, survey, everything)
            names = [name for name, _group in summary.segments]
            teams: dict[str, int] = {}
            if survey.repeat == "wave":
                for team in sorted({t for s, t in scheduled if s == survey.id} | set(names)):
                    teams[team] = audiences.get(team, (0, 0))[0]
            found.append(Touchpoint(survey, names, teams))
    return found


async def pulse_board(deps: Deps, admin_id: int) -> PulseBoard:
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    pulses = await deps.storage.pulses.pulses()
    audiences = await deps.storage.pulses.audience_sizes()
    waves: list[tuple[Survey, WaveFigures]] = []
    everything = parse_period(None)
    async with deps.storage.report() as queries:
        for _id, survey in sorted(deps.surveys.items()):
            if survey.repeat != "wave":
                continue
            summary = await build_summary(queries, survey, everything)
            waves.extend((survey, line) for line in summary.waves[-WAVES_SHOWN:])
    return PulseBoard(pulses, audiences, waves)
