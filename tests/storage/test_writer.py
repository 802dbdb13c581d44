"""The write gate, on both engines: writes arriving together share one commit, and each caller
is answered only once its own write is visible to other connections (other processes). Writes
made of statements alone are sent as one call per commit."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage import sqlite
from bot.storage.engine import Db, Done, Step
from bot.storage.postgres.connection import PgConnection
from bot.storage.writer import Writer
from tests import postgres


class Recording:
    """A connection that notes every statement it is given, and each call, then runs it."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.statements: list[str] = []
        self.calls = 0

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.statements.append(sql)
        self.calls += 1
        return self.db.execute(sql, parameters)

    async def batch(self, steps: Sequence[Step], /) -> list[Done]:
        self.statements += [step.sql for step in steps]
        self.calls += 1
        return await self.db.batch(steps)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.db.executemany(sql, parameters)

    def execute_fetchall(self, sql: str, parameters: Any = (), /) -> Any:
        return self.db.execute_fetchall(sql, parameters)

    async def close(self) -> None:
        await self.db.close()


async def connect(engine: str, where: str) -> Db:
    if engine == "sqlite":
        return await sqlite.connect(where)
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


def inserted(n: int) -> list[Step]:
    return [Step("INSERT INTO items VALUES (?)", (n,))]


async def test_writes_of_statements_alone_are_one_call_per_commit(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    pairs = [inserted(n) + inserted(100 + n) for n in range(50)]
    outcomes = await asyncio.gather(*(writer.write(pair) for pair in pairs))
    assert [[done.rowcount for done in outcome] for outcome in outcomes] == [[1, 1]] * 50
    assert await stored(other) == [*range(50), *range(100, 150)]
    commits = connection.statements.count("COMMIT")
    assert 1 <= commits < 50 / 2
    assert connection.calls == commits, "BEGIN, the statements and COMMIT: one call"


async def test_a_statement_alone_is_a_transaction_of_its_own(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    [done] = await writer.write(inserted(1))
    assert done.rowcount == 1
    assert (connection.statements, connection.calls) == (["INSERT INTO items VALUES (?)"], 1)
    assert await stored(other) == [1], "committed"


async def test_a_statement_write_queued_beside_code_shares_its_commit(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    statements = [writer.write(inserted(n)) for n in range(1, 20, 2)]
    code = [writer.together(insert(n)) for n in range(0, 20, 2)]
    done, results = await asyncio.gather(asyncio.gather(*statements), asyncio.gather(*code))
    assert [outcome[0].rowcount for outcome in done] == [1] * 10
    assert results == list(range(0, 20, 2))
    assert await stored(other) == list(range(20))
    assert connection.statements.count("COMMIT") < 20


async def test_a_failing_statement_write_fails_only_its_caller(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    outcomes = await asyncio.gather(
        writer.write(inserted(1)),
        writer.write(
            [Step("INSERT INTO items VALUES (?)", (3,)), Step("INSERT INTO missing VALUES (1)")]
        ),
        writer.write(inserted(2)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], sqlite3.OperationalError | asyncpg.UndefinedTableError)
    assert await stored(other) == [1, 2], "none of the failing write's statements stays"
    assert not connection.in_transaction
    await writer.write(inserted(4))
    assert await stored(other) == [1, 2, 4]


async def test_a_statement_write_cancelled_midway_leaves_no_transaction_open(
    connections: tuple[Recording, Db],
) -> None:
    connection, other = connections
    writer = Writer(connection)
    for n in range(20):
        writing = asyncio.ensure_future(writer.write(inserted(n)))
        await asyncio.sleep(0)
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)
        assert not connection.in_transaction
    await writer.write(inserted(100))
    assert (await stored(other))[-1] == 100
