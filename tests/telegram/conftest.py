from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.storage.database import Storage
from tests.conftest import sql
from tests.telegram.harness import TOKEN, BotProcess
from tests.telegram.standin import BotApiStandIn


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    server = BotApiStandIn(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def mode() -> str:
    """How the `bot` fixture receives updates: long polling, unless a test is parametrized
    over `MODES` (`@pytest.mark.parametrize("mode", MODES)`) to run in webhook mode too."""
    return "polling"


@pytest.fixture
async def bot(api: BotApiStandIn, tmp_path: Path, mode: str) -> AsyncIterator[BotProcess]:
    process = BotProcess(api, tmp_path, mode=mode)
    await process.start()
    yield process
    await process.stop()
    clean(process)


def clean(bot: BotProcess) -> None:
    """What every test asks of a bot's whole output (a killed one's up to its kill)."""
    log = bot.log_text()
    assert "Traceback" not in log, log
    assert "Warning: " not in log, log  # a Python warning (deprecations, misuse of the library)
    assert TOKEN not in log and TOKEN.split(":")[1] not in log, "the token must never be logged"


@pytest.fixture
def replica_settings() -> dict[str, str]:
    """Settings of every replica the `replicas` fixture starts, beyond the harness's own: a
    test module overrides this fixture to give them others (a pulse tick, a sending rate)."""
    return {}


@pytest.fixture
async def replicas(
    api: BotApiStandIn, tmp_path: Path, database: Path | str, replica_settings: dict[str, str]
) -> AsyncIterator[list[BotProcess]]:
    """Two `cxbot run` in webhook mode on one database, each its own folder, log and REPLICA
    name (a, b), with the stand-in in front of both as their load balancer (`backends`). The
    database is the `database` fixture's: every test using the replicas runs once on a SQLite
    file and once on a PostgreSQL database."""
    bots = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        env = {"DATABASE": str(database), "REPLICA": name, **replica_settings}
        bot = BotProcess(api, tmp_path / name, mode="webhook", **env)
        await bot.start()
        bots.append(bot)
    api.backends = [bot.webhook_url for bot in bots]
    yield bots
    for bot in bots:
        await bot.stop()
    for bot in bots:
        clean(bot)


async def on_database(
    database: Path | str, statement: str, *params: object
) -> list[tuple[Any, ...]]:
    """Raw SQL on the database the replicas share, as another program would run it: through a
    storage of its own, so `?` parameters on either engine."""
    async with await Storage.open(database) as storage:
        return await sql(storage, statement, *params)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Serve = Callable[[Handler], Awaitable[str]]
"""Starts a local HTTP server answering every request with the handler; returns its root URL."""


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Local HTTP servers on 127.0.0.1 (a free port each), stopped after the test."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()
