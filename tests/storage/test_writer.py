"""The write gate, on both engines: writes arriving together share one commit, and each caller
is answered only once its own write is visible to other connections (other processes)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.storage.engine import Db
from bot.storage.postgres.connection import PgConnection
from bot.storage.sqlite import as_db
from bot.storage.writer import Writer
from tests import postgres


class Recording:
    """A connection that notes every statement it is given, then runs it."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.statements: list[str] = []

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.statements.append(sql)
        return self.db.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.db.executemany(sql, parameters)

    def execute_fetchall(self, sql: str, parameters: Any = (), /) -> Any:
        return self.db.execute_fetchall(sql, parameters)

    async def close(self) -> None:
        await self.db.close()


async def connect(engine: str, where: str) -> Db:
    if engine == "sqlite":
        return as_db(await aiosqlite.connect(where, isolation_level=None))
    return await PgConnection.connect(where)


@pytest.fixture
async def connections(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Recording, Db]]:
    """The writer's connection (its statements noted) and another one to the same database,
    as another process would look at it."""
    async with _database(engine, tmp_path, request) as where:
        db = await connect(engine, where)
        if engine == "sqlite":
            await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("CREATE TABLE items (n INTEGER PRIMARY KEY)")
        other = await connect(engine, where)
        yield Recording(db), other
        await other.close()
        await db.close()


def _database(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """The database's file name or URL, as an async context manager (a PostgreSQL database
    is dropped on the way out)."""
    if engine == "sqlite":
        return nullcontext(str(tmp_path / "w.sqlite3"))
    return postgres.database(request.getfixturevalue("postgres_server"))


async def stored(other: Db) -> list[int]:
    """What another connection (another process) sees committed."""
    return [int(row[0]) for row in await other.execute_fetchall("SELECT n FROM items ORDER BY n")]


def insert(n: int) -> Callable[[Db], Awaitable[int]]:
    async def work(db: Db) -> int:
        await db.execute("INSERT INTO items VALUES (?)", (n,))
        return n

    return work


async def test_writes_arriving_together_share_commits(connections: tuple[Recording, Db]) -> None:
    connection, other = connections
    writer = Writer(connection)
    results = await asyncio.gather(*(writer.together(insert(n)) for n in range(50)))
    assert results == list(range(50))
    assert await stored(other) == list(range(50))
    commits = connection.statements.count("COMMIT")
    assert 1 <= commits < 50 / 2


async def test_a_caller_returns_only_once_its_write_is_visible_to_others(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    missing: list[int] = []

    async def write_then_look(n: int) -> None:
        await writer.together(insert(n))
        if n not in await stored(other):
            missing.append(n)

    await asyncio.gather(*(write_then_look(n) for n in range(20)))
    assert missing == []


async def test_a_failing_write_fails_only_its_caller(connections: tuple[Recording, Db]) -> None:
    connection, other = connections
    writer = Writer(connection)

    async def broken(db: Db) -> None:
        await db.execute("INSERT INTO missing VALUES (1)")

    outcomes = await asyncio.gather(
        writer.together(insert(1)),
        writer.together(broken),
        writer.together(insert(2)),
        return_exceptions=True,
    )
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], sqlite3.OperationalError | asyncpg.UndefinedTableError)
    assert await stored(other) == [1, 2]
    assert await writer.together(insert(3)) == 3
    assert await stored(other) == [1, 2, 3]
