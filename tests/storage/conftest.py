"""What every storage test starts from: a real SQLite file in a temporary folder, opened through
Storage as the bot opens it, and a way to read the file as another process would."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.storage.database import Storage


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "x.sqlite3"


@pytest.fixture
async def storage(path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(path)
    yield opened
    await opened.close()


def query(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the file through a connection of its own, as another process would."""
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()
