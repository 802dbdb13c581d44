"""The pulse runner against a real database, with the sender replaced by the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config
from bot.pulses.leader import FileLeadership
from bot.pulses.runner import PulseRunner, Sent
from bot.storage.database import Storage
from bot.survey.model import Survey
from bot.usecases.delivery import PulseMessage
from bot.usecases.deps import Deps


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "x.sqlite3")
    yield opened
    await opened.close()


async def team(storage: Storage, size: int) -> None:
    for user_id in range(1, size + 1):
        await storage.touch_user(user_id, "en")
        assert await storage.pulses.join("ops", user_id, most=20)


async def test_a_send_that_fails_unexpectedly_cancels_the_others_in_flight(
    storage: Storage, catalogue: dict[str, Survey], tmp_path: Path
) -> None:
    """None of a failed step's sends is left running: the next step (or a kick) would find
    their deliveries still `sending` and send them a second time."""
    await team(storage, 4)
    await storage.pulses.open_wave(survey_id="enps", team="ops", reminder_hours=1, open_hours=2)
    started, cancelled = asyncio.Event(), []
    calls = 0

    class Sender:
        async def send(self, message: PulseMessage) -> Sent:
            return await send(message)

    async def send(message: PulseMessage) -> Sent:
        nonlocal calls
        calls += 1
        if calls == 1:
            await started.wait()  # the others are in flight
            raise RuntimeError("a bug in rendering")
        if calls == 3:
            started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(message.user_id)
            raise
        return Sent.SENT

    config = Config.from_env({})
    deps = Deps(config, catalogue, storage)
    runner = PulseRunner(
        lambda: deps, Sender(), rate=1000, tick=60, leadership=FileLeadership(tmp_path / "lock")
    )
    with pytest.raises(ExceptionGroup):
        await asyncio.wait_for(runner.run_once(), 10)
    assert len(cancelled) == 2, "both sends still in flight were cancelled and waited for"
