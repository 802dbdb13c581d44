from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.telegram.harness import TOKEN, BotProcess
from tests.telegram.standin import BotApiStandIn


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    server = BotApiStandIn(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(api, tmp_path)
    await process.start()
    yield process
    await process.stop()
    log = process.log_text()
    assert "Traceback" not in log, log
    assert "Warning: " not in log, log  # a Python warning (deprecations, misuse of the library)
    assert TOKEN not in log and TOKEN.split(":")[1] not in log, "the token must never be logged"
