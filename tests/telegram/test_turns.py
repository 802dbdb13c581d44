"""One update at a time per person, in arrival order; different people at the same time; a
person's queued updates take no room from anyone else."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.telegram.turns import PER_PERSON, TakingTurns, Turns


async def test_one_persons_updates_run_one_after_another_in_order() -> None:
    turns, log = Turns(), []

    async def update(user: int, name: str) -> None:
        async with turns.of(user):
            log.append(f"{name} in")
            await asyncio.sleep(0.01)
            log.append(f"{name} out")

    await asyncio.gather(update(1, "a"), update(1, "b"), update(1, "c"))
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert len(turns) == 0, "nobody is remembered once their updates are done"


async def test_different_people_do_not_wait_for_each_other() -> None:
    turns = Turns()
    inside = asyncio.Event()

    async def slow() -> None:
        async with turns.of(1):
            await inside.wait()

    async def quick() -> None:
        async with turns.of(2):
            inside.set()

    await asyncio.wait_for(asyncio.gather(slow(), quick()), 1)


def update_from(user_id: int) -> Update:
    chat = Chat(user_id, Chat.PRIVATE)
    user = User(user_id, "Alex", is_bot=False)
    return Update(user_id, message=Message(1, datetime.now(UTC), chat, from_user=user))


async def test_a_persons_waiting_updates_take_no_room_from_others() -> None:
    processor = TakingTurns(limit=2)
    release, done = asyncio.Event(), []

    async def busy() -> None:
        await release.wait()

    async def other() -> None:
        done.append("other")

    burst = [
        asyncio.create_task(processor.process_update(update_from(1), busy())) for _ in range(5)
    ]
    await asyncio.sleep(0.01)
    await asyncio.wait_for(processor.process_update(update_from(2), other()), 1)
    assert done == ["other"], "person 2 got room while person 1's burst waited"
    release.set()
    await asyncio.wait_for(asyncio.gather(*burst), 1)
    assert len(processor.turns) == 0


async def test_a_persons_updates_beyond_the_cap_are_dropped_at_once() -> None:
    processor = TakingTurns(limit=4)
    release, ran = asyncio.Event(), []

    async def held(n: int) -> None:
        ran.append(n)
        await release.wait()

    kept = [
        asyncio.create_task(processor.process_update(update_from(1), held(n)))
        for n in range(PER_PERSON)
    ]
    await asyncio.sleep(0.01)
    extra = held(-1)
    await asyncio.wait_for(processor.process_update(update_from(1), extra), 1)
    assert processor.dropped == 1 and inspect.getcoroutinestate(extra) == "CORO_CLOSED"
    assert -1 not in ran, "dropped: never run"
    release.set()
    await asyncio.wait_for(asyncio.gather(*kept), 1)
    assert ran == list(range(PER_PERSON)), "the kept ones all ran, in order"
