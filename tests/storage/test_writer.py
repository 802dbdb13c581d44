"""The write gate: writes arriving together share one commit, and each caller is answered only
once its own write is on disk."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.writer import Writer


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(tmp_path / "w.sqlite3", isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("CREATE TABLE items (n INTEGER PRIMARY KEY)")
    yield db
    await db.close()


def stored(tmp_path: Path) -> list[int]:
    """What another connection (another process) sees on disk."""
    with closing(sqlite3.connect(tmp_path / "w.sqlite3")) as db:
        return [n for (n,) in db.execute("SELECT n FROM items ORDER BY n")]


def insert(n: int) -> Callable[[aiosqlite.Connection], Awaitable[int]]:
    async def work(db: aiosqlite.Connection) -> int:
        await db.execute("INSERT INTO items VALUES (?)", (n,))
        return n

    return work


async def test_writes_arriving_together_share_commits(
    connection: aiosqlite.Connection, tmp_path: Path
) -> None:
    statements: list[str] = []
    await connection.set_trace_callback(statements.append)
    writer = Writer(connection)
    results = await asyncio.gather(*(writer.together(insert(n)) for n in range(50)))
    assert results == list(range(50))
    assert stored(tmp_path) == list(range(50))
    commits = statements.count("COMMIT")
    assert 1 <= commits < 50 / 2


async def test_a_caller_returns_only_once_its_write_is_visible_to_others(
    connection: aiosqlite.Connection, tmp_path: Path
) -> None:
    writer = Writer(connection)
    missing: list[int] = []

    async def write_then_look(n: int) -> None:
        await writer.together(insert(n))
        if n not in stored(tmp_path):
            missing.append(n)

    await asyncio.gather(*(write_then_look(n) for n in range(20)))
    assert missing == []


async def test_a_failing_write_fails_only_its_caller(
    connection: aiosqlite.Connection, tmp_path: Path
) -> None:
    writer = Writer(connection)

    async def broken(db: aiosqlite.Connection) -> None:
        await db.execute("INSERT INTO missing VALUES (1)")

    outcomes = await asyncio.gather(
        writer.together(insert(1)),
        writer.together(broken),
        writer.together(insert(2)),
        return_exceptions=True,
    )
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], sqlite3.OperationalError)
    assert stored(tmp_path) == [1, 2]
    assert await writer.together(insert(3)) == 3
    assert stored(tmp_path) == [1, 2, 3]
