"""One update at a time per person, in arrival order; different people at the same time."""

from __future__ import annotations

import asyncio

from bot.telegram.turns import Turns


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
