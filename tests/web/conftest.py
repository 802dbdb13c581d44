"""The dashboard served as the bot serves it: add_routes on an aiohttp application, over a real
SQLite file the tests fill through Storage's own methods, with launch data signed as Telegram
signs it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config
from bot.storage.database import Storage
from bot.survey.model import Survey
from bot.usecases.deps import Deps
from bot.web.api import add_routes
from bot.web.initdata import signature
from tests.reports import conftest as reports
from tests.reports.conftest import Clock

clock = reports.clock
"""The database's clock: the report tests' own fixture."""


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """The dashboard's tests on a SQLite file (the storage itself is tested on both engines)."""
    opened = await Storage.open(tmp_path / "x.sqlite3")
    yield opened
    await opened.close()


TOKEN = "123456:TEST-dashboard-token"
ADMIN = 42
STRANGER = 7


def launch(
    user_id: int = ADMIN,
    *,
    language: str | None = "en",
    age: timedelta = timedelta(minutes=1),
    token: str = TOKEN,
) -> str:
    """initData as Telegram builds it for this user: query string, `hash` over the rest."""
    user: dict[str, object] = {"id": user_id, "first_name": "Ana"}
    if language is not None:
        user["language_code"] = language
    fields = {
        "auth_date": str(int((datetime.now(UTC) - age).timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
    }
    fields["hash"] = signature(fields, token)
    return urlencode(fields)


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"tma {raw}"}


@pytest.fixture
def deps(storage: Storage, catalogue: Mapping[str, Survey], tmp_path: Path) -> Deps:
    config = Config.from_env(
        {
            "BOT_TOKEN": TOKEN,
            "ADMIN_IDS": str(ADMIN),
            "DATABASE": str(tmp_path / "x.sqlite3"),
            "BOT_USERNAME": "cxbot_test_bot",
            "DEFAULT_LANGUAGE": "fr",
        }
    )
    return Deps(config=config, surveys=catalogue, storage=storage)


def dashboard(deps: Deps) -> web.Application:
    app = web.Application()
    add_routes(app, lambda: deps)
    return app


@pytest.fixture
async def client(deps: Deps) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(dashboard(deps))) as opened:
        yield opened


async def reported(storage: Storage, build: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """What a report function gives, read the way the bot reads it: in `storage.report()`, one
    at a time (a read beside a dashboard request on the same reading connection would collide
    with it)."""
    async with storage.report() as queries:
        return await build(queries, *args)


Client = TestClient[web.Request, web.Application]
Serve = Callable[[web.Application], Awaitable[Client]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """A test server around any application (the health route, the webhook), closed after."""
    clients: list[Client] = []

    async def start(app: web.Application) -> Client:
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


__all__ = ["ADMIN", "STRANGER", "TOKEN", "Clock", "auth", "dashboard", "launch", "reported"]
