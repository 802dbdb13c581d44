"""Telegram's webhook: only requests carrying the secret are taken, each update handled once,
by one process only among those sharing the database, and acknowledged once it is handled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, Update

from bot.config import Config
from bot.storage.database import Storage
from bot.storage.updates import Claimed
from bot.survey.model import Survey
from bot.telegram.app import build, web_app
from bot.web.server import build_web_app
from bot.web.webhook import PATH, SECRET_HEADER, RecentIds, add_webhook
from tests.web.conftest import Client, Serve

SECRET = "the-webhook-secret_0"
HEADERS = {SECRET_HEADER: SECRET}
LEASE = 0.3
"""A claim's lease in seconds, short enough to wait out here."""


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
        add_webhook(app, secret=SECRET, bot=bot, handle=queue.put)

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


# more than one process on one database


@pytest.fixture
async def storages(tmp_path: Path) -> AsyncIterator[list[Storage]]:
    """Two processes' storages on one database file."""
    opened = [await Storage.open(tmp_path / "x.sqlite3") for _ in range(2)]
    yield opened
    for storage in opened:
        await storage.close()


async def test_an_update_taken_by_one_process_is_acknowledged_but_not_queued_by_another(
    serve: Serve, storages: list[Storage]
) -> None:
    bot = Bot("123456:TEST-token")
    queues: list[asyncio.Queue[Any]] = [asyncio.Queue(), asyncio.Queue()]
    clients = []
    for storage, queue in zip(storages, queues, strict=True):

        def webhook(app: web.Application, storage: Storage = storage, queue: Any = queue) -> None:
            add_webhook(
                app,
                secret=SECRET,
                bot=bot,
                handle=queue.put,
                claim=storage.claim_update,
                handled=storage.handled_updates,
            )

        clients.append(await serve(build_web_app(database, extra=[webhook])))
    first, second = clients
    headers = {SECRET_HEADER: SECRET}
    assert (await first.post(PATH, json=update(11), headers=headers)).status == 200
    assert await delivered_again(second, 11) == 200, "acknowledged, or Telegram delivers it again"
    assert (await second.post(PATH, json=update(12), headers=headers)).status == 200
    assert [u.update_id for u in queued(queues[0])] == [11]
    assert [u.update_id for u in queued(queues[1])] == [12], "11 was the other process's"


async def test_an_update_the_database_cannot_claim_is_answered_503_and_taken_when_sent_again(
    serve: Serve, queue: asyncio.Queue[Any], tmp_path: Path
) -> None:
    closed = await Storage.open(tmp_path / "x.sqlite3")
    await closed.close()
    current = [closed]

    def webhook(app: web.Application) -> None:
        add_webhook(
            app,
            secret=SECRET,
            bot=Bot("123456:TEST-token"),
            handle=queue.put,
            claim=lambda update_id: current[0].claim_update(update_id),
        )

    client = await serve(build_web_app(database, extra=[webhook]))
    headers = {SECRET_HEADER: SECRET}
    response = await client.post(PATH, json=update(13), headers=headers)
    assert response.status == 503, "not acknowledged: Telegram delivers it again later"
    assert queued(queue) == []
    current[0] = await Storage.open(tmp_path / "x.sqlite3")
    try:
        assert (await client.post(PATH, json=update(13), headers=headers)).status == 200
    finally:
        await current[0].close()
    assert [u.update_id for u in queued(queue)] == [13], "the delivery again is taken"


async def test_the_bots_webhook_answers_503_until_its_database_is_open(
    serve: Serve, tmp_path: Path, catalogue: dict[str, Survey]
) -> None:
    config = Config.from_env(
        {
            "BOT_TOKEN": "123456:TEST-token",
            "DATABASE": str(tmp_path / "x.sqlite3"),
            "WEB_PORT": "8443",
            "PUBLIC_URL": "https://bot.example.org",
            "WEBHOOK": "1",
        }
    )
    application, survey_bot = build(config, catalogue)  # post_init, which opens it, not run
    client = await serve(web_app(config, application, survey_bot))
    response = await client.post(
        PATH, json=update(14), headers={SECRET_HEADER: config.webhook_secret_token()}
    )
    assert response.status == 503
    assert application.update_queue.empty()


# acknowledged once handled


class Handler:
    """The Application's side, held until `finish` is set: the updates it was given, in order."""

    def __init__(self) -> None:
        self.given: list[int] = []
        self.finish = asyncio.Event()

    async def __call__(self, update: Update) -> None:
        self.given.append(update.update_id)
        await self.finish.wait()


async def hooked(
    serve: Serve,
    handler: Handler,
    storage: Storage | None = None,
    handled: Callable[[Sequence[int]], Awaitable[None]] | None = None,
) -> Client:
    def webhook(app: web.Application) -> None:
        add_webhook(
            app,
            secret=SECRET,
            bot=Bot("123456:TEST-token"),
            handle=handler,
            claim=None if storage is None else partial(storage.claim_update, lease=LEASE),
            handled=handled or (None if storage is None else storage.handled_updates),
        )

    return await serve(build_web_app(database, extra=[webhook]))


async def marked(storage: Storage, update_id: int) -> bool:
    """Whether the update is soon recorded as handled (marks are written shortly after)."""
    for _ in range(50):
        if await storage.claim_update(update_id, lease=LEASE) == Claimed.HANDLED:
            return True
        await asyncio.sleep(0.02)
    return False


async def delivered_again(client: Client, update_id: int) -> int:
    """A second delivery, sent again while answered 503 (as Telegram does, sooner)."""
    for _ in range(50):
        response = await client.post(PATH, json=update(update_id), headers=HEADERS)
        if response.status != 503:
            return response.status
        await asyncio.sleep(0.02)
    return 503


async def held(client: Client, update_id: int) -> asyncio.Task[int]:
    """A delivery sent, still waiting for its answer once the handler has it."""

    async def post() -> int:
        response = await client.post(PATH, json=update(update_id), headers=HEADERS)
        return response.status

    posting = asyncio.create_task(post())
    await asyncio.sleep(0.2)
    return posting


async def test_an_update_is_acknowledged_only_once_it_is_handled(serve: Serve) -> None:
    handler = Handler()
    client = await hooked(serve, handler)
    posting = await held(client, 21)
    assert handler.given == [21]
    assert not posting.done(), "not acknowledged while it is being handled"
    handler.finish.set()
    assert await posting == 200


async def test_a_second_delivery_to_the_process_handling_it_is_answered_503_then_200(
    serve: Serve,
) -> None:
    handler = Handler()
    client = await hooked(serve, handler)
    posting = await held(client, 22)
    response = await client.post(PATH, json=update(22), headers=HEADERS)
    assert response.status == 503, "not handled yet: Telegram is to come again"
    handler.finish.set()
    assert await posting == 200
    assert (await client.post(PATH, json=update(22), headers=HEADERS)).status == 200
    assert handler.given == [22], "handled once"


async def test_a_delivery_to_another_process_while_the_first_handles_it_waits_for_it(
    serve: Serve, storages: list[Storage]
) -> None:
    handlers = [Handler(), Handler()]
    first, second = [
        await hooked(serve, handler, storage)
        for handler, storage in zip(handlers, storages, strict=True)
    ]
    handlers[1].finish.set()
    posting = await held(first, 23)
    response = await second.post(PATH, json=update(23), headers=HEADERS)
    assert response.status == 503, "the first process has not finished it: come again"
    handlers[0].finish.set()
    assert await posting == 200
    assert await delivered_again(second, 23) == 200, "handled by the first: acknowledged"
    assert [h.given for h in handlers] == [[23], []], "and not handled a second time"


async def test_the_acknowledgement_does_not_wait_for_the_mark_that_the_update_is_handled(
    serve: Serve, storages: list[Storage]
) -> None:
    first, other = storages
    marking = asyncio.Event()

    async def slow_mark(update_ids: Sequence[int]) -> None:
        await marking.wait()
        await first.handled_updates(update_ids)

    handler = Handler()
    handler.finish.set()
    client = await hooked(serve, handler, first, handled=slow_mark)
    response = await client.post(PATH, json=update(25), headers=HEADERS)
    assert response.status == 200, "acknowledged once handled, before the mark is written"
    assert await other.claim_update(25, lease=LEASE) == Claimed.BUSY, "another waits meanwhile"
    marking.set()
    assert await marked(other, 25)
    assert handler.given == [25]


async def test_a_mark_still_being_written_is_written_before_the_server_stops(
    serve: Serve, storages: list[Storage]
) -> None:
    storage = storages[0]
    handler = Handler()
    handler.finish.set()
    app = build_web_app(database, extra=[])

    async def late_mark(update_ids: Sequence[int]) -> None:
        await asyncio.sleep(0.3)
        await storage.handled_updates(update_ids)

    add_webhook(
        app,
        secret=SECRET,
        bot=Bot("123456:TEST-token"),
        handle=handler,
        claim=partial(storage.claim_update, lease=LEASE),
        handled=late_mark,
    )
    client = await serve(app)
    assert (await client.post(PATH, json=update(26), headers=HEADERS)).status == 200
    await client.close()  # the server's shutdown waits for the mark
    assert await storage.claim_update(26, lease=LEASE) == Claimed.HANDLED


async def test_an_update_claimed_by_a_process_that_died_is_taken_once_its_lease_ran_out(
    serve: Serve, storages: list[Storage]
) -> None:
    dead, alive = storages
    assert await dead.claim_update(24) == Claimed.TAKEN  # and never handled_updates
    handler = Handler()
    handler.finish.set()
    client = await hooked(serve, handler, alive)
    assert (await client.post(PATH, json=update(24), headers=HEADERS)).status == 503
    assert handler.given == []
    await asyncio.sleep(2 * LEASE)
    assert (await client.post(PATH, json=update(24), headers=HEADERS)).status == 200
    assert handler.given == [24]
    assert await marked(alive, 24)


async def test_updates_handled_together_are_marked_in_one_write(
    serve: Serve, storages: list[Storage]
) -> None:
    storage = storages[0]
    writes: list[list[int]] = []

    async def recorded(update_ids: Sequence[int]) -> None:
        writes.append(list(update_ids))
        await storage.handled_updates(update_ids)

    handler = Handler()
    handler.finish.set()
    client = await hooked(serve, handler, storage, handled=recorded)
    statuses = await asyncio.gather(
        *(client.post(PATH, json=update(n), headers=HEADERS) for n in range(30, 40))
    )
    assert [s.status for s in statuses] == [200] * 10
    assert all([await marked(storage, n) for n in range(30, 40)])
    assert sorted(n for write in writes for n in write) == list(range(30, 40))
    assert len(writes) < 10, "a write for the marks given together"
