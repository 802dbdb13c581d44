"""Telegram's webhook: only requests carrying the secret are taken, each update queued once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, Update

from bot.web.server import build_web_app
from bot.web.webhook import PATH, SECRET_HEADER, RecentIds, add_webhook
from tests.web.conftest import Client, Serve

SECRET = "the-webhook-secret_0"


def update(update_id: int, text: str = "/start") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764500000,
            "chat": {"id": 2001, "type": "private"},
            "from": {"id": 2001, "is_bot": False, "first_name": "Ana"},
            "text": text,
        },
    }


async def database() -> None:
    return None


@pytest.fixture
def queue() -> asyncio.Queue[Any]:
    return asyncio.Queue()


@pytest.fixture
async def client(serve: Serve, queue: asyncio.Queue[Any]) -> Client:
    bot = Bot("123456:TEST-token")

    def webhook(app: web.Application) -> None:
        add_webhook(app, secret=SECRET, bot=bot, queue=queue)

    return await serve(build_web_app(database, extra=[webhook]))


def queued(queue: asyncio.Queue[Any]) -> list[Any]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_an_update_with_the_secret_is_acknowledged_and_queued(
    client: Client, queue: asyncio.Queue[Any]
) -> None:
    response = await client.post(PATH, json=update(7, "hello"), headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    [got] = queued(queue)
    assert isinstance(got, Update)
    assert got.update_id == 7
    assert got.message is not None and got.message.text == "hello"


@pytest.mark.parametrize(
    "headers",
    [{SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: ""}, {}],
    ids=["wrong", "a prefix", "empty", "missing"],
)
async def test_a_request_without_the_secret_is_forbidden_and_nothing_is_queued(
    client: Client, queue: asyncio.Queue[Any], headers: dict[str, str]
) -> None:
    response = await client.post(PATH, json=update(8), headers=headers)
    assert response.status == 403
    assert queued(queue) == []


async def test_the_secret_is_checked_before_the_body_is_read(client: Client) -> None:
    response = await client.post(PATH, data=b"{not json", headers={SECRET_HEADER: "wrong"})
    assert response.status == 403, "a stranger learns nothing about what the body should be"


async def test_an_update_delivered_twice_is_queued_once_and_acknowledged_both_times(
    client: Client, queue: asyncio.Queue[Any]
) -> None:
    for _ in range(2):
        response = await client.post(PATH, json=update(9), headers={SECRET_HEADER: SECRET})
        assert response.status == 200, "acknowledged, or Telegram would deliver it yet again"
    await client.post(PATH, json=update(10), headers={SECRET_HEADER: SECRET})
    assert [u.update_id for u in queued(queue)] == [9, 10]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', json.dumps({"message": {}}).encode(), b""],
    ids=["not json", "a list", "a string", "no update_id", "empty"],
)
async def test_a_body_that_is_not_an_update_is_a_bad_request(
    client: Client, queue: asyncio.Queue[Any], body: bytes
) -> None:
    response = await client.post(
        PATH,
        data=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert queued(queue) == []


def test_recent_ids_forget_the_oldest_beyond_their_size() -> None:
    recent = RecentIds(size=3)
    assert [recent.first_time(i) for i in (1, 2, 3, 1)] == [True, True, True, False]
    assert recent.first_time(4), "a new id"
    assert recent.first_time(1), "1 was the oldest of four: forgotten"
    assert not recent.first_time(4)
