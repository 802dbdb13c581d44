"""The aiohttp request class under python-telegram-bot, against a real local HTTP server: what
it sends, and how broken connections and slow answers come back (never with the URL, which
holds the token)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot import metrics
from bot.telegram.http import AiohttpRequest, Refused, TooLarge, Unreachable
from bot.telegram.retries import Retries
from tests.telegram.conftest import Handler, Serve

TOKEN = "123456789:AAE-secret-part"


@pytest.fixture
async def bot_at(
    serve: Serve,
) -> AsyncIterator[Callable[[Handler], Awaitable[Bot]]]:
    """A python-telegram-bot Bot on our request class, talking to a server with this handler."""
    bots: list[Bot] = []

    async def make(handler: Handler) -> Bot:
        bot = Bot(
            TOKEN,
            base_url=f"{await serve(handler)}/bot",
            request=AiohttpRequest(connections=4),
            get_updates_request=AiohttpRequest(connections=1),
        )
        await bot.initialize()
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.shutdown()


def sent(message_text: str = "ok") -> web.Response:
    return web.json_response(
        {
            "ok": True,
            "result": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "text": message_text,
            },
        }
    )


async def handshake(request: web.Request) -> web.Response | None:
    """getMe, which Bot.initialize calls first."""
    if request.path.endswith("/getMe"):
        return web.json_response({"ok": True, "result": ME})
    return None


ME = {"id": 1, "is_bot": True, "first_name": "cx", "username": "cx_bot"}


async def test_fields_go_as_a_form_and_the_answer_is_parsed_by_the_library(
    bot_at: Callable[[Handler], Awaitable[Bot]],
) -> None:
    seen: dict[str, str] = {}

    async def handler(request: web.Request) -> web.Response:
        if (hello := await handshake(request)) is not None:
            return hello
        seen.update({k: str(v) for k, v in (await request.post()).items()})
        return sent("Привет")

    bot = await bot_at(handler)
    message = await bot.send_message(7, "Привет")
    assert message.text == "Привет"
    assert seen == {"chat_id": "7", "text": "Привет"}


async def test_a_file_goes_as_multipart_with_its_name(
    bot_at: Callable[[Handler], Awaitable[Bot]],
) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        if (hello := await handshake(request)) is not None:
            return hello
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        seen.update(chat=form["chat_id"], name=upload.filename, content=upload.file.read())
        return sent()

    bot = await bot_at(handler)
    await bot.send_document(7, b"a;b\n1;2\n", filename="nps.csv")
    assert seen == {"chat": "7", "name": "nps.csv", "content": b"a;b\n1;2\n"}


async def test_a_dropped_connection_is_a_network_error_without_the_token(
    bot_at: Callable[[Handler], Awaitable[Bot]],
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if (hello := await handshake(request)) is not None:
            return hello
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    bot = await bot_at(handler)
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(7, "x")
    assert not isinstance(raised.value, TimedOut)
    assert "secret" not in str(raised.value) and raised.value.__cause__ is None


async def test_an_answer_slower_than_the_read_timeout_is_timed_out(
    bot_at: Callable[[Handler], Awaitable[Bot]],
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if (hello := await handshake(request)) is not None:
            return hello
        await asyncio.sleep(2)
        return sent()

    bot = await bot_at(handler)
    with pytest.raises(TimedOut):
        await bot.send_message(7, "x", read_timeout=0.2)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, "Unauthorized"),
        (404, {"ok": False, "error_code": 404, "description": "Not Found"}, "Not Found"),
        (404, "<html>404 Not Found</html>", "Not Found (404)"),
    ],
)
async def test_401_and_404_keep_their_status_and_stay_invalid_token(
    bot_at: Callable[[Handler], Awaitable[Bot]], status: int, body: object, message: str
) -> None:
    """python-telegram-bot raises both as InvalidToken; the status tells the token (401) from
    the address (404), and a proxy's page is not repeated in the message."""

    async def handler(request: web.Request) -> web.Response:
        if (hello := await handshake(request)) is not None:
            return hello
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status)

    bot = await bot_at(handler)
    with pytest.raises(InvalidToken) as raised:
        await bot.send_message(7, "x")
    assert isinstance(raised.value, Refused)
    assert (raised.value.status, raised.value.message) == (status, message)


async def test_a_closed_port_is_unreachable_with_the_host_and_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{port}/bot",
        request=AiohttpRequest(connections=1),
        get_updates_request=AiohttpRequest(connections=1),
    )
    try:
        with pytest.raises(Unreachable) as raised:
            await bot.initialize()
    finally:
        await bot.shutdown()
    assert (raised.value.host, raised.value.reason) == (f"127.0.0.1:{port}", "Connection refused")
    assert "secret" not in str(raised.value) and "/bot" not in str(raised.value)


async def test_a_413_is_refused_at_once_not_uploaded_again(
    serve: Serve,
) -> None:
    """An upload over the Bot API's limit fails the same way each time: one request, and an
    error that the retry layer does not retry."""
    uploads = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal uploads
        if (hello := await handshake(request)) is not None:
            return hello
        uploads += 1
        return web.Response(status=413, text="<html>413 Request Entity Too Large</html>")

    bot = ExtBot(
        TOKEN,
        base_url=f"{await serve(handler)}/bot",
        request=AiohttpRequest(connections=4),
        get_updates_request=AiohttpRequest(connections=1),
        rate_limiter=Retries(),
    )
    await bot.initialize()
    try:
        with pytest.raises(TooLarge):
            await bot.send_document(7, b"x" * 1000, filename="big.csv")
    finally:
        await bot.shutdown()
    assert uploads == 1


def calls(method: str, status: str) -> float:
    """Bot API calls counted so far for /metrics (the counter is the process's: compared before
    and after)."""
    value = metrics.registry().get_sample_value(
        "cxbot_bot_api_calls_total", {"method": method, "status": status}
    )
    return value or 0.0


async def test_every_call_is_counted_by_method_and_the_status_answered(
    bot_at: Callable[[Handler], Awaitable[Bot]],
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if (hello := await handshake(request)) is not None:
            return hello
        if request.path.endswith("/sendMessage"):
            return sent()
        if request.path.endswith("/sendChatAction"):
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                status=400,
            )
        assert request.transport is not None
        request.transport.close()  # editMessageText: the connection drops
        return web.Response()

    bot = await bot_at(handler)
    before = {
        (method, status): calls(method, status)
        for method in ("sendMessage", "sendChatAction", "editMessageText")
        for status in ("200", "400", "error")
    }
    await bot.send_message(7, "x")
    await bot.send_message(7, "y")
    with pytest.raises(TelegramError):
        await bot.send_chat_action(7, "typing")
    with pytest.raises(NetworkError):
        await bot.edit_message_text("z", 7, 1)
    counted = {key: calls(*key) - value for key, value in before.items()}
    assert {key: n for key, n in counted.items() if n} == {
        ("sendMessage", "200"): 2,
        ("sendChatAction", "400"): 1,
        ("editMessageText", "error"): 1,
    }


async def test_a_closed_port_counts_as_an_error_call() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{port}/bot",
        request=AiohttpRequest(connections=1),
        get_updates_request=AiohttpRequest(connections=1),
    )
    before = calls("getMe", "error")
    try:
        with pytest.raises(Unreachable):
            await bot.initialize()
    finally:
        await bot.shutdown()
    assert calls("getMe", "error") == before + 1
