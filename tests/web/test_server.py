"""The web server's health check: 200 while the database answers, 503 once it does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.storage.database import Storage
from bot.web import server
from bot.web.server import build_web_app
from tests.web.conftest import Serve


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "cxbot.sqlite3")
    yield opened
    await opened.close()


async def test_health_is_200_while_the_database_answers(serve: Serve, storage: Storage) -> None:
    client = await serve(build_web_app(storage.schema_version))
    response = await client.get("/healthz")
    assert response.status == 200


async def test_health_is_503_once_the_database_is_closed(serve: Serve, tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "cxbot.sqlite3")
    client = await serve(build_web_app(storage.schema_version))
    assert (await client.get("/healthz")).status == 200
    await storage.close()
    assert (await client.get("/healthz")).status == 503


async def test_health_is_503_when_the_database_is_not_open_yet(serve: Serve) -> None:
    def not_open() -> asyncio.Future[object]:
        raise RuntimeError("storage is opened in post_init")

    client = await serve(build_web_app(not_open))
    assert (await client.get("/healthz")).status == 503


async def test_health_is_503_when_the_database_takes_too_long(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "HEALTH_TIMEOUT", 0.05)
    client = await serve(build_web_app(lambda: asyncio.sleep(1)))
    assert (await client.get("/healthz")).status == 503


async def test_other_adapters_add_their_routes(serve: Serve, storage: Storage) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    def routes(app: web.Application) -> None:
        app.router.add_get("/api/hello", hello)

    client = await serve(build_web_app(storage.schema_version, extra=[routes]))
    response = await client.get("/api/hello")
    assert (response.status, await response.text()) == (200, "hello")
    assert (await client.get("/telegram")).status == 404, "no webhook unless asked"


async def test_a_port_in_use_is_an_error_when_listening(storage: Storage) -> None:
    first = await server.listen(build_web_app(storage.schema_version), "127.0.0.1", 0)
    try:
        port = first.addresses[0][1]
        with pytest.raises(OSError):
            await server.listen(build_web_app(storage.schema_version), "127.0.0.1", port)
    finally:
        await first.cleanup()
