"""Two processes on one database, on both engines: two Storage objects, each with its own
connections, as two replicas of the bot would have. A webhook update is taken by one of them only, and two taps of
one person taken at the same moment store one answer and move the cursor once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.database import (
    AlreadyStored,
    Outdated,
    Place,
    Response,
    ResponseClosed,
    Storage,
    missed,
)
from bot.storage.times import stamp
from bot.storage.updates import Claimed
from tests.conftest import sql

RACES = 40
TAKEN, HANDLED, BUSY = Claimed.TAKEN, Claimed.HANDLED, Claimed.BUSY
LEASE = 0.2
"""A claim's lease in seconds, short enough to wait out here."""


@pytest.fixture
async def other(database: Path | str, storage: Storage) -> AsyncIterator[Storage]:
    """A second process's storage on the same database (opened after the first has made it)."""
    opened = await Storage.open(database)
    yield opened
    await opened.close()


async def started(storage: Storage, user_id: int = 7, survey_id: str = "cx-maturity") -> Response:
    await storage.touch_user(user_id, "en")
    return await storage.start_response(
        survey_id=survey_id, respondent=f"u:{user_id}", user_id=user_id, segment=None, language="en"
    )


async def read(storage: Storage, response: Response) -> Response:
    found = await storage.response(response.id)
    assert found is not None
    return found


# the webhook's update ids


async def test_an_update_is_claimed_by_the_first_process_only(
    storage: Storage, other: Storage
) -> None:
    assert await storage.claim_update(5) == TAKEN
    assert await other.claim_update(5) == BUSY, "the other process's second delivery waits"
    assert await storage.claim_update(5) == BUSY, "and so does a second delivery to the first"
    assert await other.claim_update(6) == TAKEN


async def test_a_handled_update_is_dropped_by_every_process_delivered_it_again(
    storage: Storage, other: Storage
) -> None:
    assert await storage.claim_update(5) == TAKEN
    await storage.handled_updates([5])
    [(handled_at,)] = await sql(storage, "SELECT handled_at FROM processed_updates")
    assert handled_at is not None
    assert await other.claim_update(5) == HANDLED
    assert await storage.claim_update(5) == HANDLED
    assert await other.claim_update(5, lease=0) == HANDLED, "handled: no lease to run out"


async def test_a_claim_past_its_lease_is_taken_over_by_the_next_delivery(
    storage: Storage, other: Storage
) -> None:
    """The claimer died while handling it: its redelivery is not kept out for good."""
    assert await storage.claim_update(5) == TAKEN
    assert await other.claim_update(5, lease=LEASE) == BUSY
    await asyncio.sleep(2 * LEASE)
    assert await other.claim_update(5, lease=LEASE) == TAKEN
    assert await storage.claim_update(5, lease=LEASE) == BUSY, "taken over: its lease anew"
    await other.handled_updates([5])
    assert await storage.claim_update(5, lease=LEASE) == HANDLED


async def test_claims_raced_from_two_processes_give_each_update_to_exactly_one(
    storage: Storage, other: Storage
) -> None:
    ids = range(1000, 1200)
    claims = await asyncio.gather(
        *(s.claim_update(i) for i in ids for s in (storage, other)),
    )
    taken = [claims[2 * n : 2 * n + 2].count(TAKEN) for n in range(len(ids))]
    assert taken == [1] * len(ids)
    assert set(claims) == {TAKEN, BUSY}


async def test_claimed_ids_are_forgotten_once_older_than_the_cutoff(storage: Storage) -> None:
    await storage.claim_update(5)
    now = datetime.now(UTC)
    assert await storage.forget_updates(stamp(now - timedelta(days=1))) == 0
    assert await sql(storage, "SELECT update_id FROM processed_updates") == [(5,)]
    assert await storage.forget_updates(stamp(now + timedelta(seconds=1))) == 1
    assert await sql(storage, "SELECT update_id FROM processed_updates") == []


# the same tap at two processes


async def test_two_processes_racing_different_answers_store_one_and_tell_the_other(
    storage: Storage, other: Storage
) -> None:
    for n in range(RACES):
        response = await started(storage, user_id=100 + n)
        here, there = await read(storage, response), await read(other, response)
        outcomes = await asyncio.gather(
            storage.record_answer(here, "cx-director", "yes", cursor=None, finished=False),
            other.record_answer(there, "cx-director", "no", cursor=None, finished=False),
            return_exceptions=True,
        )
        [won] = [o for o in outcomes if isinstance(o, Response)]
        [lost] = [o for o in outcomes if not isinstance(o, Response)]
        assert isinstance(lost, Outdated), lost
        stored = await read(other, response)
        assert stored.answers == won.answers, "the answer stored is the winner's"
        assert stored.updated_at == won.updated_at, "moved once, by the winner"


async def test_two_processes_racing_the_same_answer_store_it_once(
    storage: Storage, other: Storage
) -> None:
    for n in range(RACES):
        response = await started(storage, user_id=100 + n)
        here, there = await read(storage, response), await read(other, response)
        outcomes = await asyncio.gather(
            storage.record_answer(here, "cx-director", "yes", cursor=None, finished=False),
            other.record_answer(there, "cx-director", "yes", cursor=None, finished=False),
            return_exceptions=True,
        )
        [won] = [o for o in outcomes if isinstance(o, Response)]
        [same] = [o for o in outcomes if not isinstance(o, Response)]
        assert isinstance(same, AlreadyStored), same
        assert won.answers == {"cx-director": "yes"}
        stored = await read(storage, response)
        assert won == same.response == stored, "the second found it as it would have left it"
    assert await sql(storage, "SELECT count(*), count(DISTINCT response_id) FROM answers") == [
        (RACES, RACES)
    ]


async def test_an_answer_after_back_raced_at_two_processes_is_changed_once(
    storage: Storage, other: Storage
) -> None:
    response = await started(storage)
    response = await storage.record_answer(
        response, "cx-director", "yes", cursor=None, finished=False
    )
    for n in range(RACES):
        back = await storage.set_cursor(
            await read(storage, response), "cx-director", leaving="cx-roles"
        )
        assert back.cursor == "cx-director"
        here, there = await read(storage, response), await read(other, response)
        values = ("no", "dont-know") if n % 2 else ("dont-know", "no")
        outcomes = await asyncio.gather(
            storage.record_answer(here, "cx-director", values[0], cursor=None, finished=False),
            other.record_answer(there, "cx-director", values[1], cursor=None, finished=False),
            return_exceptions=True,
        )
        [won] = [o for o in outcomes if isinstance(o, Response)]
        assert sum(isinstance(o, Outdated) for o in outcomes) == 1
        stored = await read(storage, response)
        assert stored.answers == won.answers and stored.cursor is None
        await storage.record_answer(stored, "cx-director", "yes", cursor=None, finished=False)


async def test_back_raced_with_an_answer_at_another_process_loses_to_it(
    storage: Storage, other: Storage
) -> None:
    for n in range(RACES):
        response = await started(storage, user_id=100 + n)
        response = await storage.record_answer(
            response, "cx-director", "yes", cursor=None, finished=False
        )
        here, there = await read(storage, response), await read(other, response)
        outcomes = await asyncio.gather(
            storage.record_answer(here, "cx-roles", "no", cursor=None, finished=False),
            other.set_cursor(there, "cx-director", leaving="cx-roles"),
            return_exceptions=True,
        )
        [won] = [o for o in outcomes if isinstance(o, Response)]
        assert sum(isinstance(o, Outdated) for o in outcomes) == 1
        stored = await read(storage, response)
        assert (stored.answers, stored.cursor) == (won.answers, won.cursor)


# the rule itself


def test_a_write_that_missed_is_fine_only_where_it_would_have_left_the_response() -> None:
    target = Place(cursor=None, finished=False, answered=True, value="yes")
    missed(target, target, 1)  # already there: the same write twice
    for moved_on in (
        Place(None, False, True, "no"),
        Place("q1", False, False, None),
        Place(None, False, False, None),
        Place(None, False, True, None),  # a skip is an answer, not its absence
    ):
        with pytest.raises(Outdated):
            missed(moved_on, target, 1)
    with pytest.raises(ResponseClosed):
        missed(None, target, 1)


# reads beside another process's writes


async def test_reads_and_writes_interleaved_beside_another_process_never_find_it_locked(
    storage: Storage, other: Storage
) -> None:
    """Each process's taps read and write on its one connection at once; the other process
    commits meanwhile. A read left open across an await would hold a snapshot the other's
    commit makes stale, and a write on the same connection then fails at once ("database is
    locked", no waiting) instead of waiting its turn."""
    for n in range(20):
        await started(storage, user_id=200 + n, survey_id="nps")

    async def taps(mine: Storage, n: int, offset: int) -> None:
        for step in range(40):
            user = 200 + (n + step) % 20
            await mine.open_response([f"u:{user}"])
            await mine.pulses.unfinished_waves(user)
            await mine.touch_user(user, f"l{step}-{offset}")  # a write: the language changed
            await mine.claim_update(100_000 * n + 2 * step + offset)

    await asyncio.gather(
        *(taps(s, n, i) for n in range(40) for i, s in enumerate((storage, other)))
    )
