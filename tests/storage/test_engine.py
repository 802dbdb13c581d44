"""The connection contract the storage code relies on, on both engines: aiosqlite's connection
with `batch` (bot/storage/sqlite.py), and an asyncpg one through `PgConnection`. The same
statements, the same answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.storage import sqlite
from bot.storage.engine import POSTGRES, SQLITE, Db, Step, dialect_of
from bot.storage.postgres.connection import ParameterError, PgConnection, translate
from tests import postgres

TABLE = "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, day TEXT)"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    connection: Any
    if request.param == "sqlite":
        connection = await sqlite.connect(tmp_path / "t.sqlite3")
    else:
        async with postgres.database(request.getfixturevalue("postgres_server")) as url:
            connection = await PgConnection.connect(url)
            await connection.execute(TABLE)
            try:
                yield connection
            finally:
                await connection.close()
        return
    await connection.execute(TABLE)
    try:
        yield connection
    finally:
        await connection.close()


def test_positional_parameters_are_numbered_in_order() -> None:
    assert translate("SELECT ? + ?, ?") == ("SELECT $1 + $2, $3", 3)


def test_a_named_parameter_used_twice_is_one_parameter() -> None:
    sql, names = translate("SELECT :a, :b WHERE x = :a")
    assert (sql, names) == ("SELECT $1, $2 WHERE x = $1", ("a", "b"))


def test_literals_casts_and_comments_are_not_parameters() -> None:
    sql = "SELECT '?:x', \"a?\", x::text, ' 00:00:00.000' -- why? :y\nFROM t WHERE y = ?"
    translated, order = translate(sql)
    assert order == 1
    assert translated.endswith("WHERE y = $1")
    assert "'?:x'" in translated and "x::text" in translated and "-- why? :y" in translated


def test_mixed_parameters_are_refused() -> None:
    with pytest.raises(ParameterError):
        translate("SELECT ?, :a")


async def test_rows_read_by_position_and_by_name(db: Db) -> None:
    await db.execute("INSERT INTO t (id, name, day) VALUES (?, ?, ?)", (1, "a", "2026-11-30"))
    async with db.execute("SELECT id, name FROM t WHERE id = :id", {"id": 1}) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    assert (row[0], row["name"], dict(row)) == (1, "a", {"id": 1, "name": "a"})


async def test_rows_fetched_in_one_call(db: Db) -> None:
    await db.executemany("INSERT INTO t (id, name) VALUES (?, ?)", [(n, "x") for n in range(3)])
    rows = await db.execute_fetchall("SELECT id FROM t WHERE id > ? ORDER BY id", (0,))
    assert [row[0] for row in rows] == [1, 2]


async def test_rowcount_says_how_many_rows_a_write_changed(db: Db) -> None:
    await db.executemany("INSERT INTO t (id, name) VALUES (?, ?)", [(n, "x") for n in range(5)])
    cursor = await db.execute("UPDATE t SET name = 'y' WHERE id < ?", (3,))
    assert cursor.rowcount == 3
    cursor = await db.execute("DELETE FROM t WHERE id = ?", (99,))
    assert cursor.rowcount == 0


async def test_returning_gives_the_written_row(db: Db) -> None:
    async with db.execute(
        "INSERT INTO t (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id", (7, "a")
    ) as cursor:
        first = await cursor.fetchone()
    async with db.execute(
        "INSERT INTO t (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id", (7, "b")
    ) as cursor:
        second = await cursor.fetchone()
    assert first is not None and first[0] == 7
    assert second is None


async def test_a_write_runs_even_when_its_rows_are_not_read(db: Db) -> None:
    await db.execute("BEGIN IMMEDIATE")
    async with db.execute("INSERT INTO t (id, name) VALUES (1, 'a') RETURNING id"):
        pass
    await db.execute("COMMIT")
    async with db.execute("SELECT count(*) FROM t") as cursor:
        assert (await cursor.fetchone())[0] == 1


async def test_a_rolled_back_transaction_leaves_nothing(db: Db) -> None:
    await db.execute("BEGIN IMMEDIATE")
    assert db.in_transaction
    await db.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    await db.execute("ROLLBACK")
    assert not db.in_transaction
    async with db.execute("SELECT count(*) FROM t") as cursor:
        assert (await cursor.fetchone())[0] == 0


async def test_a_batch_gives_each_statements_rowcount_and_rows_in_order(db: Db) -> None:
    done = await db.batch(
        [
            Step("BEGIN IMMEDIATE"),
            Step("INSERT INTO t (id, name) VALUES (?, ?)", (1, "a")),
            Step("INSERT INTO t (id, name) VALUES (:id, :name)", {"id": 2, "name": "b"}),
            Step("UPDATE t SET day = ? WHERE id <= ?", ("2026-11-30", 2)),
            Step("SELECT id, name FROM t ORDER BY id"),
            Step("COMMIT"),
        ]
    )
    assert [d.rowcount for d in done[1:4]] == [1, 1, 2]
    assert [(row[0], row["name"]) for row in done[4].rows] == [(1, "a"), (2, "b")]
    assert not db.in_transaction


async def test_a_batch_stops_at_the_statement_that_fails_leaving_its_transaction_open(
    db: Db,
) -> None:
    with pytest.raises(Exception, match="missing"):
        await db.batch(
            [
                Step("BEGIN IMMEDIATE"),
                Step("INSERT INTO t (id, name) VALUES (1, 'a')"),
                Step("INSERT INTO missing VALUES (1)"),
                Step("INSERT INTO t (id, name) VALUES (2, 'b')"),
                Step("COMMIT"),
            ]
        )
    assert db.in_transaction, "the caller rolls it back"
    await db.execute("ROLLBACK")
    assert await db.execute_fetchall("SELECT id FROM t") == []


async def test_rows_are_iterated_inside_and_outside_a_transaction(db: Db) -> None:
    await db.executemany("INSERT INTO t (id, name) VALUES (?, ?)", [(n, "x") for n in range(2500)])
    async with db.execute("SELECT id FROM t ORDER BY id") as cursor:
        outside = [row[0] async for row in cursor]
    await db.execute("BEGIN")
    async with db.execute("SELECT id FROM t WHERE id >= ? ORDER BY id", (0,)) as cursor:
        inside = [row[0] async for row in cursor]
    async with db.execute("SELECT id FROM t WHERE id < ? ORDER BY id", (3,)) as cursor:
        fetched = [row[0] for row in await cursor.fetchall()]
    await db.execute("ROLLBACK")
    await db.execute("BEGIN")
    async with db.execute("SELECT id FROM t WHERE id < ? ORDER BY id", (5,)) as cursor:
        batches = [list(await cursor.fetchmany(2)) for _ in range(4)]
    await db.execute("ROLLBACK")
    assert outside == inside == list(range(2500))
    assert fetched == [0, 1, 2]
    assert [[row[0] for row in batch] for batch in batches] == [[0, 1], [2, 3], [4], []]


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-01",  # a Thursday: week 00 until the first Monday
        "2026-01-04",
        "2026-01-05",  # the first Monday: week 01
        "2026-11-30",
        "2026-12-31",
        "2024-12-30",  # a Monday in ISO week 1 of 2025: here week 53 of 2024
        "2023-01-01",  # a Sunday
        "2023-01-02",
        "2028-02-29",
    ],
)
async def test_the_week_of_a_day_is_the_same_on_both_engines(db: Db, day: str) -> None:
    dialect = dialect_of(db)
    async with db.execute(f"SELECT {dialect.week(':at')}", {"at": day + " 12:00:00.000"}) as cursor:
        week = (await cursor.fetchone())[0]
    async with (
        aiosqlite.connect(":memory:") as reference,
        reference.execute("SELECT strftime('%Y-W%W', ?)", (day,)) as cursor,
    ):
        expected = (await cursor.fetchone())[0]  # type: ignore[index]
    assert week == expected


async def test_each_connection_says_its_dialect(db: Db) -> None:
    assert dialect_of(db) is (POSTGRES if isinstance(db, PgConnection) else SQLITE)
