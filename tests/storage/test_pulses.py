"""Invites, audiences, due schedules and claimed deliveries, on both engines (two storages on
one database stand for two processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.database import Storage
from bot.storage.pulses import Delivery, PulseStore
from tests.conftest import sql


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
    assert await pulses.queued() == 3, "claimed still counts"
    assert await pulses.renew(first, lease=60)
    assert await pulses.queued() == 3, "in flight still counts"
    await pulses.set_state(first, "sent")
    await pulses.set_state(second, "failed")
    assert await pulses.queued() == 1
    assert await pulses.close_early(wave_id)
    await pulses.close_due_waves("9999-12-31")
    assert await pulses.queued() == 0, "a closed wave's deliveries are never made"


@pytest.fixture
async def other(database: Path | str, storage: Storage) -> AsyncIterator[Storage]:
    """A second storage on the same database: another process's."""
    opened = await Storage.open(database)
    yield opened
    await opened.close()


async def team_with_wave(storage: Storage, size: int) -> int:
    for user_id in range(1, size + 1):
        await storage.touch_user(user_id, "en")
        await storage.pulses.join("ops", user_id, most=3)
    wave_id, count = await storage.pulses.open_wave(
        survey_id="enps", team="ops", reminder_hours=1, open_hours=2
    )
    assert count == size
    return wave_id


async def write(storage: Storage, statement: str) -> None:
    """Change the rows as another program would (an older version, or the clock moving on)."""
    await sql(storage, statement)


def keys(deliveries: list[Delivery]) -> list[tuple[int, int, str]]:
    return [(d.wave.id, d.user_id, d.kind) for d in deliveries]


async def test_two_claimers_on_one_database_never_take_the_same_delivery(
    storage: Storage, other: Storage
) -> None:
    await team_with_wave(storage, 600)
    taken: dict[str, list[tuple[int, int, str]]] = {"a": [], "b": []}

    async def claimer(store: Storage, owner: str) -> None:
        while batch := await store.pulses.to_send(7, owner=owner, lease=60):
            taken[owner] += keys(batch)
            assert {d.claimed_by for d in batch} == {owner}
            for n, delivery in enumerate(batch):
                await store.pulses.set_state(delivery, "sent" if n % 2 else "blocked")
                await asyncio.sleep(0.001)  # sending takes a while: the other one claims meanwhile

    await asyncio.gather(claimer(storage, "a"), claimer(other, "b"))
    assert len(taken["a"]) > 50 and len(taken["b"]) > 50, "both claimed all along"
    everything = taken["a"] + taken["b"]
    assert len(everything) == len(set(everything)) == 600, "each delivery claimed exactly once"
    assert await sql(
        storage, "SELECT count(*) FROM deliveries WHERE state IN ('claimed', 'sending')"
    ) == [(0,)]


async def test_a_claim_past_its_lease_is_taken_over_and_its_owner_no_longer_sends_it(
    storage: Storage, other: Storage
) -> None:
    await team_with_wave(storage, 3)
    mine = await storage.pulses.to_send(10, owner="dead", lease=60)
    assert await other.pulses.to_send(10, owner="next", lease=60) == [], "held: not free"
    again = await storage.pulses.to_send(10, owner="dead", lease=60)
    assert sorted(keys(again)) == sorted(keys(mine)), "asking again gives back what it holds"
    await write(
        storage, "UPDATE deliveries SET lease_until = '2000-01-01 00:00:00.000'"
    )  # time passes
    taken = await other.pulses.to_send(10, owner="next", lease=60)
    assert sorted(keys(taken)) == sorted(keys(mine))
    assert [await storage.pulses.renew(d, 60) for d in mine] == [False] * 3
    await storage.pulses.set_state(mine[0], "sent", attempt=True)  # too late: changes nothing
    assert [await other.pulses.renew(d, 60) for d in taken] == [True] * 3
    assert await sql(storage, "SELECT DISTINCT state, claimed_by FROM deliveries") == [
        ("sending", "next")
    ]


async def test_a_member_who_stops_while_claimed_is_not_sent_the_pulse(storage: Storage) -> None:
    await team_with_wave(storage, 2)
    claimed = await storage.pulses.to_send(10, owner="me", lease=60)
    await storage.pulses.leave_all(claimed[0].user_id)
    assert [await storage.pulses.renew(d, 60) for d in claimed] == [False, True]


async def test_a_delivery_sending_before_claims_existed_is_free_to_take(storage: Storage) -> None:
    await team_with_wave(storage, 1)
    await write(
        storage, "UPDATE deliveries SET state = 'sending'"
    )  # in flight at a crash, no owner
    assert len(await storage.pulses.to_send(10, owner="me", lease=60)) == 1


async def test_a_schedule_due_in_two_processes_at_once_opens_one_wave(
    storage: Storage, other: Storage
) -> None:
    await team_with_wave(storage, 5)
    pulse_id = await storage.pulses.add_pulse(
        survey_id="enps",
        team="ops",
        cadence="weekly",
        local_time="09:00",
        time_zone="UTC",
        reminder_hours=1,
        open_hours=2,
        next_at="2026-01-05 09:00:00.000",
    )
    for year in range(2027, 2037):
        due_here, due_there = [
            next(p for p in await store.pulses.due_pulses("9999") if p.id == pulse_id)
            for store in (storage, other)
        ]
        assert due_here == due_there
        following = f"{year}-01-04 09:00:00.000"
        opened = await asyncio.gather(
            storage.pulses.open_due_wave(due_here, following, (0, None)),
            other.pulses.open_due_wave(due_there, following, (0, None)),
        )
        assert sum(wave is not None for wave in opened) == 1, opened
    ((waves,),) = await sql(storage, "SELECT count(*) FROM waves WHERE pulse_id = ?", pulse_id)
    assert waves == 10, "one wave per occasion"


async def test_a_schedule_paused_after_it_was_found_due_opens_nothing(storage: Storage) -> None:
    pulse_id = await storage.pulses.add_pulse(
        survey_id="enps",
        team="ops",
        cadence="weekly",
        local_time="09:00",
        time_zone="UTC",
        reminder_hours=1,
        open_hours=2,
        next_at="2026-01-05 09:00:00.000",
    )
    (due,) = await storage.pulses.due_pulses("9999")
    await storage.pulses.set_paused(pulse_id, True)
    assert await storage.pulses.open_due_wave(due, "2026-01-12 09:00:00.000", (0, None)) is None
    assert await storage.pulses.skip(due, "2026-01-12 09:00:00.000", (1, None)) is False


async def test_a_wave_closed_by_two_processes_at_once_keeps_its_counts(
    storage: Storage, other: Storage
) -> None:
    wave_id = await team_with_wave(storage, 3)
    for delivery in await storage.pulses.to_send(10, owner="me", lease=60):
        await storage.pulses.set_state(delivery, "sent", attempt=True)
    await write(storage, "UPDATE waves SET closes_at = '2000-01-01 00:00:00.000'")
    closed = await asyncio.gather(
        storage.pulses.close_due_waves("2026-01-01 00:00:00.000"),
        other.pulses.close_due_waves("2026-01-01 00:00:00.000"),
    )
    assert sorted(closed) == [[], [wave_id]]
    assert await sql(storage, "SELECT delivered FROM waves") == [(3,)]
