from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

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
    log = process.log_text()
    assert "Traceback" not in log, log
    assert "Warning: " not in log, log  # a Python warning (deprecations, misuse of the library)
    assert TOKEN not in log and TOKEN.split(":")[1] not in log, "the token must never be logged"


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
