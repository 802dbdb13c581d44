"""The admins' actions as the chat and the web API call them: rights checked here, data out."""

from __future__ import annotations

import pytest

from bot.reports.periods import PeriodError, parse_period
from bot.survey.links import Target, encode_payload
from bot.usecases import admin, respondent
from bot.usecases.admin import PulseRequest, SummaryRequest
from bot.usecases.deps import Deps
from bot.usecases.outcomes import NotAdmin, NotAPulseSurvey, Shown, UnknownSurvey

from .conftest import ADMIN


async def answer_nps(deps: Deps, user_id: int, score: str) -> None:
    person = await respondent.visit(deps, user_id, "en")
    shown = await respondent.start(deps, person, encode_payload(Target("nps", "desk-3")))
    assert isinstance(shown, Shown)
    await respondent.tap(deps, person, shown.response.id, 0, score)
    await respondent.type_text(deps, person, "fine")


async def test_someone_not_in_admin_ids_is_refused_every_action(deps: Deps) -> None:
    stranger = ADMIN + 1
    with pytest.raises(NotAdmin):
        await admin.summary(deps, stranger, SummaryRequest("nps", parse_period(None)))
    with pytest.raises(NotAdmin):
        await admin.new_link(deps, stranger, "nps", None)
    with pytest.raises(NotAdmin):
        await admin.pulse_pause(deps, stranger, 1)
    with pytest.raises(NotAdmin):
        await admin.overview(deps, stranger)


async def test_summary_counts_the_finished_answers_of_the_segment(deps: Deps) -> None:
    for user_id, score in [(1, "10"), (2, "9"), (3, "3")]:
        await answer_nps(deps, user_id, score)
    result = await admin.summary(deps, ADMIN, SummaryRequest("nps", parse_period("30d"), "desk-3"))
    assert result.overall.n == 3
    other = await admin.summary(deps, ADMIN, SummaryRequest("nps", parse_period(None), "desk-9"))
    assert other.overall.n == 0


async def test_overview_lists_every_survey_with_its_finished_count(deps: Deps) -> None:
    await answer_nps(deps, 1, "8")
    seen = {a.survey_id: a for a in await admin.overview(deps, ADMIN)}
    assert set(seen) == set(deps.surveys)
    assert seen["nps"].finished == 1 and seen["nps"].last_finished_at is not None


async def test_an_unknown_survey_is_named_with_the_known_ones(deps: Deps) -> None:
    with pytest.raises(UnknownSurvey) as raised:
        await admin.summary(deps, ADMIN, SummaryRequest("nope", parse_period(None)))
    assert raised.value.known == sorted(deps.surveys)


async def test_an_anonymous_survey_refuses_windows_of_days_whoever_parsed_them(
    deps: Deps,
) -> None:
    with pytest.raises(PeriodError):
        await admin.summary(deps, ADMIN, SummaryRequest("enps", parse_period("30d")))


async def test_a_link_carries_the_segment_and_its_qr_code(deps: Deps) -> None:
    link = await admin.new_link(deps, ADMIN, "csat", "desk-3")
    assert link.url.startswith("https://t.me/cx_test_bot?start=")
    assert link.url.endswith(encode_payload(Target("csat", "desk-3")))
    assert link.qr_png.startswith(b"\x89PNG") and link.team is None


async def test_a_team_invite_stays_the_same_until_renewed(deps: Deps) -> None:
    first = await admin.new_link(deps, ADMIN, "enps", "ops")
    again = await admin.new_link(deps, ADMIN, "enps", "ops")
    renewed = await admin.new_link(deps, ADMIN, "enps", "ops", renew=True)
    assert first.team == "ops" and first.url == again.url
    assert renewed.renewed and renewed.url != first.url


async def test_pulses_are_added_paused_resumed_and_deleted(deps: Deps) -> None:
    added = await admin.pulse_add(
        deps, ADMIN, PulseRequest("enps", "ops", "weekly", "10:00", "Europe/Paris")
    )
    assert await admin.pulse_pause(deps, ADMIN, added.pulse_id)
    listed = await admin.pulse_list(deps, ADMIN)
    assert [(p.id, p.paused) for p in listed.pulses] == [(added.pulse_id, True)]
    assert await admin.pulse_resume(deps, ADMIN, added.pulse_id)
    assert await admin.pulse_delete(deps, ADMIN, added.pulse_id)
    assert not await admin.pulse_pause(deps, ADMIN, added.pulse_id)


async def test_a_wave_now_wakes_the_runner_and_only_for_a_pulse_survey(
    deps: Deps, wakes: list[str]
) -> None:
    with pytest.raises(NotAPulseSurvey):
        await admin.open_wave(deps, ADMIN, "nps", "ops")
    assert wakes == []
    opened = await admin.open_wave(deps, ADMIN, "enps", "ops")
    assert wakes == ["wake"]
    assert await admin.close_wave(deps, ADMIN, opened.wave_id)
    assert not await admin.close_wave(deps, ADMIN, opened.wave_id + 1)
