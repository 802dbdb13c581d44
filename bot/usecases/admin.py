"""What an admin's action does, for every adapter (chat commands, command line, web API).

Each takes the Deps, the id of the person asking and plain values, checks admin rights
(`NotAdmin`), and returns data; an unknown survey is `UnknownSurvey`, a pulse action on a survey
that is not a pulse `NotAPulseSurvey`, a malformed period `PeriodError`, a malformed team
`LinkError`, a malformed schedule `ScheduleError` (each with a message to show).

- `overview(deps, admin_id) -> list[Activity]`: every survey and how many responses it has
  (anonymous ones: only what the summary would show).
- `summary(deps, admin_id, SummaryRequest) -> Summary`: the figures /summary shows.
- `export(deps, admin_id, survey_id, period) -> bytes | Summary`: the CSV, or (an anonymous
  survey with too few responses) the summary that says why there is none.
- `new_link(deps, admin_id, survey_id, segment, *, renew) -> Link`: a deep link and its QR
  code; for a pulse survey, the team's invite link (`renew` replaces the team's secret).
- `pulse_list(deps, admin_id) -> PulseList`: audiences and schedules.
- `open_wave(deps, admin_id, survey_id, team, reminder_hours) -> WaveOpened`: a wave now.
- `pulse_add(deps, admin_id, PulseRequest) -> PulseAdded`: a schedule.
- `pulse_pause`, `pulse_resume`, `pulse_delete(deps, admin_id, pulse_id) -> bool`: False, no
  such pulse.
- `pulse_now(deps, admin_id, pulse_id) -> (Pulse, WaveOpened) | None`: a pulse's wave now.
- `close_wave(deps, admin_id, wave_id) -> bool`: False, no such open wave.
- `report_waiting(deps) -> bool`: whether a report now would wait for another one.

The report modules (charts, CSV, QR codes) are imported by the actions that use them: the bot
starts without them, and most runs never need them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.pulses.schedule import anchor_day, first_run, next_run
from bot.reports.periods import Period, parse_period
from bot.storage.pulses import Pulse
from bot.storage.times import stamp
from bot.survey.links import Invite, Target, check_team, deep_link, invite_link, new_secret
from bot.survey.model import Survey
from bot.usecases.deps import Deps
from bot.usecases.outcomes import NotAdmin, NotAPulseSurvey, UnknownSurvey

if TYPE_CHECKING:
    from bot.reports.summary import Summary
    from bot.storage.reports import ReportQueries


@dataclass(frozen=True)
class SummaryRequest:
    survey_id: str
    period: Period
    segment: str | None = None


@dataclass(frozen=True)
class Activity:
    survey_id: str
    anonymous: bool
    finished: int
    """Anonymous surveys: the responses in the groups that can be shown."""
    unfinished: int
    """Anonymous surveys: 0, never told."""
    last_finished_at: str | None
    """UTC, as stored; None for anonymous surveys and surveys never finished."""


@dataclass(frozen=True)
class Link:
    url: str
    qr_png: bytes
    team: str | None = None
    """A pulse survey's invite link: the team it joins."""
    renewed: bool = False
    """The team's earlier links no longer let anyone join."""


@dataclass(frozen=True)
class PulseList:
    audiences: dict[str, tuple[int, int]]
    """Team -> (active members, members who left)."""
    pulses: list[Pulse]


@dataclass(frozen=True)
class WaveOpened:
    wave_id: int
    members: int


@dataclass(frozen=True)
class PulseRequest:
    survey_id: str
    team: str
    cadence: str
    local_time: str
    time_zone: str
    reminder_hours: float | None = None
    """None: PULSE_REMINDER_HOURS."""


@dataclass(frozen=True)
class PulseAdded:
    pulse_id: int
    first_at: str
    """UTC, as stored."""


def require_admin(deps: Deps, admin_id: int) -> None:
    if not deps.is_admin(admin_id):
        raise NotAdmin(admin_id)


def survey_of(deps: Deps, survey_id: str) -> Survey:
    survey = deps.surveys.get(survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id, list(deps.surveys))
    return survey


def _pulse_survey(deps: Deps, survey_id: str) -> Survey:
    survey = survey_of(deps, survey_id)
    if survey.repeat != "wave":
        raise NotAPulseSurvey(survey.id)
    return survey


def allowed(survey: Survey, period: Period) -> None:
    """Anonymous surveys take calendar periods only, whichever adapter parsed the period."""
    if survey.anonymous and period.kind == "days":
        parse_period(period.name, anonymous=True)  # raises PeriodError saying why


def report_waiting(deps: Deps) -> bool:
    return deps.storage.report_running


@asynccontextmanager
async def _report(deps: Deps) -> AsyncIterator[ReportQueries]:
    """The report queries, one report at a time."""
    async with deps.storage.report() as reports:
        yield reports


async def overview(deps: Deps, admin_id: int) -> list[Activity]:
    from bot.reports.disclosure import Scope
    from bot.reports.figures import figures
    from bot.reports.summary import load_released

    require_admin(deps, admin_id)
    async with _report(deps) as reports:
        activity = {a.survey_id: a for a in await reports.activity()}
        shown_of: dict[str, int] = {}
        for survey in deps.surveys.values():
            if survey.anonymous:  # what the summary shows, not answers arriving one by one
                released = await load_released(reports, survey)
                shown_of[survey.id] = figures(survey, released.disclosure.histogram(Scope())).n
    result = []
    for survey_id in sorted(deps.surveys):
        if deps.surveys[survey_id].anonymous:
            result.append(Activity(survey_id, True, shown_of[survey_id], 0, None))
            continue
        seen = activity.get(survey_id)
        result.append(
            Activity(
                survey_id,
                False,
                seen.finished if seen else 0,
                seen.unfinished if seen else 0,
                seen.last_finished_at if seen else None,
            )
        )
    return result


async def summary(deps: Deps, admin_id: int, request: SummaryRequest) -> Summary:
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    survey = survey_of(deps, request.survey_id)
    allowed(survey, request.period)
    async with _report(deps) as reports:
        return await build_summary(reports, survey, request.period, request.segment)


async def export(deps: Deps, admin_id: int, survey_id: str, period: Period) -> bytes | Summary:
    from bot.reports.export import export_csv
    from bot.reports.summary import build_summary

    require_admin(deps, admin_id)
    survey = survey_of(deps, survey_id)
    allowed(survey, period)
    async with _report(deps) as reports:
        document = await export_csv(reports, survey, period)
        if document is None:  # anonymous, and too few responses: the summary says why
            return await build_summary(reports, survey, period)
    return document


async def new_link(
    deps: Deps, admin_id: int, survey_id: str, segment: str | None, *, renew: bool = False
) -> Link:
    """A pulse survey's link joins one team (`segment`, required), and only with the team's
    secret: made on the first call, the same after, replaced with `renew`."""
    from bot.reports.qr import qr_png

    require_admin(deps, admin_id)
    survey = survey_of(deps, survey_id)
    username = deps.username()
    if survey.repeat != "wave":
        url = deep_link(username, Target(survey.id, segment))  # LinkError: a bad segment
        return Link(url, qr_png(url))
    if segment is None:
        raise ValueError("a pulse survey's link is a team's: name the team")
    team = check_team(survey.id, segment)
    secret = await deps.storage.pulses.set_invite_secret(
        survey.id, team, new_secret(), replace=renew
    )
    url = invite_link(username, Invite(survey.id, team, secret))
    return Link(url, qr_png(url), team=team, renewed=renew)


async def pulse_list(deps: Deps, admin_id: int) -> PulseList:
    require_admin(deps, admin_id)
    pulses = deps.storage.pulses
    return PulseList(await pulses.audience_sizes(), await pulses.pulses())


async def open_wave(
    deps: Deps, admin_id: int, survey_id: str, team: str, reminder_hours: float | None = None
) -> WaveOpened:
    require_admin(deps, admin_id)
    survey = _pulse_survey(deps, survey_id)
    wave_id, members = await deps.storage.pulses.open_wave(
        survey_id=survey.id,
        team=team,
        reminder_hours=reminder_hours or deps.config.pulse_reminder_hours,
        open_hours=deps.config.pulse_open_hours,
    )
    deps.wake_pulses()
    return WaveOpened(wave_id, members)


async def pulse_add(deps: Deps, admin_id: int, request: PulseRequest) -> PulseAdded:
    require_admin(deps, admin_id)
    survey = _pulse_survey(deps, request.survey_id)
    first = first_run(request.local_time, request.time_zone)
    next_run(first, request.cadence, request.local_time, request.time_zone)  # the cadence
    pulse_id = await deps.storage.pulses.add_pulse(
        survey_id=survey.id,
        team=request.team,
        cadence=request.cadence,
        local_time=request.local_time,
        time_zone=request.time_zone,
        reminder_hours=request.reminder_hours or deps.config.pulse_reminder_hours,
        open_hours=deps.config.pulse_open_hours,
        next_at=stamp(first),
        anchor_day=anchor_day(first, request.time_zone),
    )
    return PulseAdded(pulse_id, stamp(first))


async def pulse_pause(deps: Deps, admin_id: int, pulse_id: int) -> bool:
    require_admin(deps, admin_id)
    return await deps.storage.pulses.set_paused(pulse_id, True)


async def pulse_resume(deps: Deps, admin_id: int, pulse_id: int) -> bool:
    require_admin(deps, admin_id)
    return await deps.storage.pulses.set_paused(pulse_id, False)


async def pulse_delete(deps: Deps, admin_id: int, pulse_id: int) -> bool:
    require_admin(deps, admin_id)
    return await deps.storage.pulses.delete_pulse(pulse_id)


async def pulse_now(deps: Deps, admin_id: int, pulse_id: int) -> tuple[Pulse, WaveOpened] | None:
    """A wave of a pulse's survey to its team now, with the pulse's own reminder delay; its
    schedule is left as it is. None: no such pulse."""
    require_admin(deps, admin_id)
    pulse = next((p for p in await deps.storage.pulses.pulses() if p.id == pulse_id), None)
    if pulse is None:
        return None
    return pulse, await open_wave(deps, admin_id, pulse.survey_id, pulse.team, pulse.reminder_hours)


async def close_wave(deps: Deps, admin_id: int, wave_id: int) -> bool:
    require_admin(deps, admin_id)
    if not await deps.storage.pulses.close_early(wave_id):
        return False
    deps.wake_pulses()
    return True
