"""Webhook mode as Telegram runs it: the bot sets its webhook with a secret, takes updates only
there, processes an update delivered twice once, and goes back to getUpdates without it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Config
from bot.telegram.app import WEBHOOK_CONNECTIONS
from tests.telegram.harness import TOKEN, BotProcess, Person, Respondent
from tests.telegram.standin import SECRET_HEADER, BotApiStandIn
from tests.telegram.test_crowds import QUESTIONS, SURVEY, THANKS, rate_or_skip


def answers(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT question_id, value FROM answers ORDER BY answered_at").fetchall()


async def healthy(session: aiohttp.ClientSession, url: str, within: float = 10.0) -> bool:
    """Whether /healthz answers 200 within a few seconds (503 until the database is open: the
    webhook is set, and the port taken, before that)."""
    async with asyncio.timeout(within):
        while True:
            async with session.get(url) as response:
                if response.status == 200:
                    return True
                assert response.status == 503
            await asyncio.sleep(0.05)


@pytest.fixture
async def hooked(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(api, tmp_path, mode="webhook")
    await process.start()
    yield process
    await process.stop()
    log = process.log_text()
    assert "Traceback" not in log, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log, "the token must never be logged"
    assert Config.from_env(process.env).webhook_secret_token() not in log, "nor the secret"


async def test_the_bot_sets_its_webhook_with_a_secret_and_never_polls(
    api: BotApiStandIn, hooked: BotProcess
) -> None:
    [call] = [c for c in api.calls if c.method == "setWebhook"]
    port = hooked.env["WEB_PORT"]
    assert call.params["url"] == f"https://127.0.0.1:{port}/telegram"
    assert call.params["secret_token"] == Config.from_env(hooked.env).webhook_secret_token()
    assert "callback_query" in call.params["allowed_updates"]
    assert int(call.params["max_connections"]) == WEBHOOK_CONNECTIONS, "requests held while handled"
    customer = Person(api, 2101, "en")
    await customer.send("/start nps")
    await customer.tap("10")
    assert "2/2" in customer.text
    assert api.polls == 0, "no getUpdates in webhook mode"
    taken = {update_id for update_id, status in api.webhook_posts if status == 200}
    assert taken == {update_id for update_id, _ in api.webhook_posts}, "each taken in the end"
    assert {status for _, status in api.webhook_posts} <= {200, 503}, (
        "503 only while its database was not open yet (the webhook is set before): Telegram"
        " delivers the update again"
    )


async def test_an_update_delivered_twice_is_processed_once(
    api: BotApiStandIn, hooked: BotProcess
) -> None:
    customer = Person(api, 2102, "en")
    await customer.send("/start nps")
    api.repeat = True
    before = len(api.calls)
    await customer.tap("8")
    tap = max(api.handed_out)

    def posts() -> list[int]:
        return [status for update_id, status in api.webhook_posts if update_id == tap]

    await api.wait_for(lambda: len(posts()) == 2)
    api.repeat = False
    assert posts() == [200, 200], "both deliveries acknowledged, or Telegram would try again"
    await customer._quiet()
    assert answers(hooked.database) == [("recommend", "8")], "one stored answer"
    replies = [c for c in api.calls[before:] if c.method in ("editMessageText", "sendMessage")]
    assert len(replies) == 1, "one reply: the next question"
    answered = [c for c in api.calls[before:] if c.method == "answerCallbackQuery"]
    assert len(answered) == 1


async def test_respondents_are_answered_together_each_in_their_own_order(
    api: BotApiStandIn, hooked: BotProcess
) -> None:
    """Each request is held while its update is handled: the stand-in delivers as Telegram
    does, several at once, one chat's updates one at a time."""
    crowd = [Respondent(api, 2400 + n) for n in range(20)]
    endings = await asyncio.gather(*(person.take(SURVEY, rate_or_skip) for person in crowd))
    assert all(THANKS in ending for ending in endings)
    assert [p.acknowledged for p in crowd] == [QUESTIONS] * len(crowd)
    assert len(answers(hooked.database)) == QUESTIONS * len(crowd)
    assert api.most_posting > 1, "different people's updates were handled at the same time"


async def test_a_request_without_the_secret_is_refused_by_the_running_bot(
    api: BotApiStandIn, hooked: BotProcess
) -> None:
    url = f"http://127.0.0.1:{hooked.env['WEB_PORT']}/telegram"
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 1764500000,
            "chat": {"id": 2103, "type": "private"},
            "from": {"id": 2103, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {SECRET_HEADER: "guess"}):
            async with session.post(url, json=forged, headers=headers) as response:
                assert response.status == 403
        assert await healthy(session, url.replace("/telegram", "/healthz"))
    assert 2103 not in api.messages, "the forged update reached no one"


async def test_without_webhook_the_bot_deletes_it_and_polls_again(
    api: BotApiStandIn, hooked: BotProcess, tmp_path: Path
) -> None:
    await hooked.stop()
    assert api.webhook is not None, (
        "left set at stop: Telegram keeps updates for a bot that is down"
    )
    customer = Person(api, 2104, "en")
    polling = BotProcess(api, tmp_path)
    await polling.start()
    try:
        assert api.webhook is None
        assert any(c.method == "deleteWebhook" for c in api.calls)
        await customer.send("/start nps")
        assert customer.buttons()[:2] == ["0", "1"]
    finally:
        await polling.stop()


async def test_update_ids_taken_more_than_a_day_ago_are_forgotten_and_recent_ones_kept(
    api: BotApiStandIn, hooked: BotProcess
) -> None:
    customer = Person(api, 2105, "en")
    await customer.send("/start nps")
    [taken] = hooked.query("SELECT update_id FROM processed_updates")
    await hooked.stop()
    hooked.query(
        "INSERT INTO processed_updates (update_id, seen_at) VALUES"
        " (-1, strftime('%Y-%m-%d %H:%M:%f', 'now', '-25 hours')),"
        " (-2, strftime('%Y-%m-%d %H:%M:%f', 'now', '-23 hours'))"
    )
    await hooked.start()  # the roll-up timer prunes at start, then every few minutes
    deadline = asyncio.get_running_loop().time() + 10
    while hooked.query("SELECT 1 FROM processed_updates WHERE update_id = -1"):
        assert asyncio.get_running_loop().time() < deadline, "a day-old id was kept"
        await asyncio.sleep(0.05)
    kept = {row[0] for row in hooked.query("SELECT update_id FROM processed_updates")}
    assert kept == {taken[0], -2}
