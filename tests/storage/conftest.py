"""The SQLite file of the tests about the file itself, and a way to read it as another process
would. (The storage every contract test runs on, on both engines, is in tests/conftest.py.)"""

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
async def sqlite_storage(path: Path) -> AsyncIterator[Storage]:
    """A storage on the SQLite file `path`: for the tests about the file."""
    opened = await Storage.open(path)
    yield opened
    await opened.close()


def query(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the file through a connection of its own, as another process would."""
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()
