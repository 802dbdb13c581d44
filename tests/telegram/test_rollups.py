"""The running bot keeps the report rollups current by itself, so no admin's report waits for
the fold of the answers it has not rolled up yet."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.storage.times import to_the_hour, utcnow
from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


def rolled_up_until(bot: BotProcess) -> str:
    with sqlite3.connect(bot.database) as db:
        (until,) = db.execute("SELECT until FROM rollup_state").fetchone()
    return str(until)


async def test_answers_are_rolled_up_to_the_hour_without_anyone_asking_for_a_report(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    before = to_the_hour(utcnow())
    customer = Person(api, 6101, "en")
    await customer.send("/start nps")
    await customer.tap("8")
    for _ in range(100):
        if rolled_up_until(bot) >= before:
            break
        await asyncio.sleep(0.1)
    assert before <= rolled_up_until(bot) <= to_the_hour(utcnow())
    assert not any(c.method == "sendDocument" for c in api.calls), "no report was asked for"
