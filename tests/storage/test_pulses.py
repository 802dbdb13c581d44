"""Invites and audiences in a real SQLite file."""

from __future__ import annotations

import pytest

from bot.storage.database import Storage
from bot.storage.pulses import PulseStore


@pytest.fixture
def pulses(storage: Storage) -> PulseStore:
    return storage.pulses


async def test_a_team_has_no_secret_until_its_first_link(pulses: PulseStore) -> None:
    assert await pulses.invite_secret("enps", "sales") is None


async def test_the_first_secret_stays_until_replaced(pulses: PulseStore) -> None:
    assert await pulses.set_invite_secret("enps", "sales", "first", replace=False) == "first"
    assert await pulses.set_invite_secret("enps", "sales", "other", replace=False) == "first"
    assert await pulses.invite_secret("enps", "sales") == "first"
    assert await pulses.set_invite_secret("enps", "sales", "second", replace=True) == "second"
    assert await pulses.invite_secret("enps", "sales") == "second"


async def test_secrets_are_per_survey_and_team(pulses: PulseStore) -> None:
    await pulses.set_invite_secret("enps", "sales", "s1", replace=False)
    await pulses.set_invite_secret("enps", "ops", "s2", replace=False)
    await pulses.set_invite_secret("other", "sales", "s3", replace=False)
    assert [
        await pulses.invite_secret(survey, team)
        for survey, team in [("enps", "sales"), ("enps", "ops"), ("other", "sales")]
    ] == ["s1", "s2", "s3"]


async def test_a_person_joins_up_to_the_most_teams_and_no_more(
    storage: Storage, pulses: PulseStore
) -> None:
    await storage.touch_user(7, "en")
    assert [await pulses.join(f"t{n}", 7, most=3) for n in range(3)] == [True] * 3
    assert await pulses.join("t3", 7, most=3) is False
    assert await pulses.audience_sizes() == {f"t{n}": (1, 0) for n in range(3)}, "no change"
    assert await pulses.join("t1", 7, most=3) is True, "a team they are in: still fine"


async def test_after_stop_the_teams_left_do_not_count(storage: Storage, pulses: PulseStore) -> None:
    await storage.touch_user(7, "en")
    for n in range(3):
        await pulses.join(f"t{n}", 7, most=3)
    assert await pulses.leave_all(7) == 3
    assert await pulses.join("t3", 7, most=3) is True
    assert (await pulses.audience_sizes())["t3"] == (1, 0)


async def test_the_queue_counts_deliveries_to_make_or_in_flight_in_open_waves(
    storage: Storage, pulses: PulseStore
) -> None:
    for user_id in (7, 8, 9):
        await storage.touch_user(user_id, "en")
        await pulses.join("sales", user_id, most=3)
    wave_id, members = await pulses.open_wave(
        survey_id="enps", team="sales", reminder_hours=72, open_hours=168
    )
    assert await pulses.queued() == members == 3
    first, second, _third = await pulses.to_send(10)
    await pulses.set_state(first, "sending")
    assert await pulses.queued() == 3, "in flight still counts"
    await pulses.set_state(first, "sent")
    await pulses.set_state(second, "failed")
    assert await pulses.queued() == 1
    assert await pulses.close_early(wave_id)
    await pulses.close_due_waves("9999-12-31")
    assert await pulses.queued() == 0, "a closed wave's deliveries are never made"
