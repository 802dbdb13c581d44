"""Forgetting people: /forget at once, RETENTION_DAYS for people gone quiet and answers left
unfinished; with a fixed clock, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import database
from bot.storage.database import Purged, Response, Storage
from tests.conftest import sql


class Clock:
    def __init__(self) -> None:
        self.now = "2026-01-10 09:30:00.000"

    def __call__(self) -> str:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(database, "utcnow", fixed)
    return fixed


@pytest.fixture
async def storage(database: Path | str, clock: Clock) -> AsyncIterator[Storage]:
    opened = await Storage.open(database)
    yield opened
    await opened.close()


async def ordinary(storage: Storage, user_id: int, *, finished: bool) -> Response:
    await storage.touch_user(user_id, "en")
    response = await storage.start_response(
        survey_id="nps", respondent=f"u:{user_id}", user_id=user_id, segment=None, language="en"
    )
    return await storage.record_answer(response, "recommend", "9", cursor=None, finished=finished)


async def anonymous(storage: Storage, *, finished: bool) -> Response:
    response = await storage.start_response(
        survey_id="enps",
        respondent="anonymous",
        user_id=None,
        segment="sales",
        language="en",
        nonce_hash="f" * 64,
    )
    return await storage.record_answer(response, "recommend", "7", cursor=None, finished=finished)


async def ids(storage: Storage, table: str, column: str = "id") -> set[int]:
    return {int(row[0]) for row in await sql(storage, f"SELECT {column} FROM {table}")}


async def test_a_user_keeps_the_month_they_were_last_seen_in_and_nothing_finer(
    storage: Storage, clock: Clock
) -> None:
    await storage.touch_user(1, "en")
    assert await sql(storage, "SELECT seen_in FROM users") == [("2026-01",)]
    clock.now = "2026-02-03 18:02:11.480"
    await storage.touch_user(1, "en")
    assert await sql(storage, "SELECT seen_in FROM users") == [("2026-02",)]
    await ordinary(storage, 1, finished=False)
    (response,) = await storage.db.execute_fetchall("SELECT * FROM responses")
    assert "seen_in" not in list(response.keys()), (
        "nothing of the kind on responses, anonymous or not"
    )


async def test_retention_forgets_people_gone_quiet_and_unfinished_answers(
    storage: Storage, clock: Clock
) -> None:
    quiet = await ordinary(storage, 1, finished=True)
    left_halfway = await ordinary(storage, 2, finished=False)
    kept_anonymous = await anonymous(storage, finished=True)
    dropped_anonymous = await anonymous(storage, finished=False)
    await storage.pulses.join("sales", 1, most=20)
    clock.now = "2026-02-25 12:00:00.000"
    late_february = await ordinary(storage, 3, finished=False)
    clock.now = "2026-03-20 08:00:00.000"
    await storage.touch_user(2, "en")  # back in March: stays, but the old unfinished one goes
    recent = await ordinary(storage, 4, finished=False)

    purged = await storage.purge("2026-02-18 08:00:00.000")  # 30 days before

    assert purged == Purged(users=1, unfinished=2)
    assert await ids(storage, "users") == {2, 3, 4}, (
        "seen in February: not certainly quiet for 30 days"
    )
    assert await ids(storage, "responses") == {kept_anonymous.id, late_february.id, recent.id}
    assert quiet.id not in await ids(storage, "answers", "response_id")
    assert {left_halfway.id, dropped_anonymous.id}.isdisjoint(
        await ids(storage, "answers", "response_id")
    )
    assert await sql(storage, "SELECT count(*) FROM members") == [(0,)]


async def test_forget_deletes_the_person_and_leaves_anonymous_answers(storage: Storage) -> None:
    mine = await ordinary(storage, 1, finished=True)
    other = await ordinary(storage, 2, finished=True)
    answer = await anonymous(storage, finished=True)
    await storage.pulses.join("sales", 1, most=20)
    wave, _ = await storage.pulses.open_wave(
        survey_id="enps", team="sales", reminder_hours=1, open_hours=2
    )

    await storage.forget(1)

    assert await ids(storage, "users") == {2}
    assert await ids(storage, "responses") == {other.id, answer.id}
    assert mine.id not in await ids(storage, "answers", "response_id")
    for table in ("members", "deliveries", "participations"):
        assert await sql(storage, f"SELECT count(*) FROM {table} WHERE user_id = 1") == [(0,)]
    assert await sql(storage, "SELECT id FROM waves") == [(wave,)]


async def test_a_retake_left_unfinished_is_purged_and_the_one_it_replaced_counts_again(
    storage: Storage, clock: Clock
) -> None:
    first = await ordinary(storage, 5, finished=True)
    retake = await storage.start_response(
        survey_id="nps", respondent="u:5", user_id=5, segment=None, language="en"
    )
    retake = await storage.record_answer(
        retake, "recommend", "3", cursor=None, finished=True, replaces_previous=True
    )
    replaced = f"SELECT replaced_by FROM responses WHERE id = {first.id}"
    assert await sql(storage, replaced) == [(retake.id,)]
    await storage.record_answer(retake, "comment", "changed my mind", cursor=None, finished=False)
    clock.now = "2026-03-01 00:00:00.000"
    await storage.touch_user(5, "en")  # still around: only the unfinished retake is stale

    purged = await storage.purge("2026-02-01 00:00:00.000")

    assert purged == Purged(users=0, unfinished=1)
    assert await ids(storage, "responses") == {first.id}
    assert await sql(storage, replaced) == [(None,)]
