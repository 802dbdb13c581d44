"""Copying a SQLite database into PostgreSQL (`cxbot migrate --to postgresql://...`).

Both engines number their schemas alike (bot/storage/postgres/migrations.py), so a file at this
code's step and a PostgreSQL database brought to the same step have the same tables and columns:
the copy takes each table's columns from PostgreSQL's catalog (information_schema), reads the
same columns from the file, and turns SQLite's 0/1 flags into booleans where PostgreSQL's
column is BOOLEAN. Nothing here lists a table or a column by hand, so a new step needs nothing
new here.

All of it is one transaction on PostgreSQL: a copy that fails half-way leaves the target as it
was. The file is read in one read transaction, its own snapshot, so a bot still running on it
cannot make the counts compared at the end disagree.
"""

from __future__ import annotations

import graphlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage.database import StorageError
from bot.storage.engine import Db
from bot.storage.postgres.migrate import MIGRATION_LOCK, describe, migrate
from bot.storage.sqlite import read_only

BATCH = 10_000
"""Rows read from the file at a time: a database of millions of answers is not held in memory."""
SEEDED = ("rollup_state",)
"""Tables the schema itself fills (one row each): replaced by the file's rows, and copied last,
so that while the responses and answers go in the rollup triggers find no rolled-up day to mark
stale (the file's own rollup_stale is copied as it is)."""
NOT_COPIED = ("schema_version",)
"""PostgreSQL's own record of its step (SQLite's is `PRAGMA user_version`)."""


@dataclass(frozen=True)
class Table:
    """A table as PostgreSQL's catalog describes it."""

    name: str
    columns: tuple[str, ...]
    booleans: frozenset[str]
    """Columns that are BOOLEAN here and 0/1 in SQLite."""
    identity: str | None
    """The column whose values a sequence generates, if any."""


@dataclass(frozen=True)
class Count:
    """A table's rows on each side, once copied."""

    table: str
    sqlite: int
    postgresql: int

    @property
    def equal(self) -> bool:
        return self.sqlite == self.postgresql


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_order(tables: Iterable[str], references: Iterable[tuple[str, str]]) -> list[str]:
    """The tables in an order their foreign keys accept: each after the tables it references
    (a table referencing itself needs nothing: PostgreSQL checks a COPY's foreign keys at the
    end of the statement), ties by name; the seeded tables last."""
    names = sorted(tables)
    graph: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in names:
        if name not in SEEDED:
            graph.add(name)
    for table, referenced in references:
        if table != referenced and table not in SEEDED:
            graph.add(table, referenced)
    try:
        graph.prepare()
    except graphlib.CycleError as error:
        raise StorageError(f"tables reference each other in a cycle: {error.args[1]}") from None
    ordered: list[str] = []
    while graph.is_active():
        ready = sorted(graph.get_ready())
        ordered += ready
        graph.done(*ready)
    return ordered + [name for name in names if name in SEEDED]


def converter(table: Table) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row of the file, in the table's column order, as PostgreSQL takes it."""
    flags = [index for index, column in enumerate(table.columns) if column in table.booleans]
    if not flags:
        return tuple

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index in flags:
            if values[index] is not None:
                values[index] = bool(values[index])
        return tuple(values)

    return convert


def differences(tables: Sequence[Table], sqlite_columns: Mapping[str, Sequence[str]]) -> list[str]:
    """What keeps the file from being copied column for column: tables or columns on one side
    only (none, when both are at the same step)."""
    found: list[str] = []
    ours = {table.name: table for table in tables}
    for name in sorted(ours.keys() - sqlite_columns.keys()):
        found.append(f"table {name} is not in the file")
    for name in sorted(sqlite_columns.keys() - ours.keys()):
        found.append(f"table {name} is not in PostgreSQL")
    for name in sorted(ours.keys() & sqlite_columns.keys()):
        only_pg = set(ours[name].columns) - set(sqlite_columns[name])
        only_file = set(sqlite_columns[name]) - set(ours[name].columns)
        found += [f"{name}.{column} is not in the file" for column in sorted(only_pg)]
        found += [f"{name}.{column} is not in PostgreSQL" for column in sorted(only_file)]
    return found


async def catalog(pg: asyncpg.Connection) -> tuple[list[Table], list[tuple[str, str]]]:
    """The tables of the current schema with their columns, and which table references which."""
    columns = await pg.fetch(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_identity"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        " USING (table_schema, table_name)"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    )
    by_table: dict[str, list[asyncpg.Record]] = {}
    for column in columns:
        if column["table_name"] not in NOT_COPIED:
            by_table.setdefault(column["table_name"], []).append(column)
    tables = [
        Table(
            name,
            tuple(c["column_name"] for c in found),
            frozenset(c["column_name"] for c in found if c["data_type"] == "boolean"),
            next((c["column_name"] for c in found if c["is_identity"] == "YES"), None),
        )
        for name, found in by_table.items()
    ]
    references = await pg.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
        " FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    )
    return tables, [(r["child"], r["parent"]) for r in references]


async def file_columns(db: Db) -> dict[str, list[str]]:
    """The file's tables (not SQLite's own) and their columns."""
    names = await db.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )
    found: dict[str, list[str]] = {}
    for (name,) in names:
        info = await db.execute_fetchall(f"PRAGMA table_info({quoted(name)})")
        found[name] = [column[1] for column in info]
    return found


async def file_rows(db: Db, table: Table) -> AsyncIterator[tuple[Any, ...]]:
    convert = converter(table)
    columns = ", ".join(quoted(column) for column in table.columns)
    async with db.execute(f"SELECT {columns} FROM {quoted(table.name)}") as cursor:
        while batch := await cursor.fetchmany(BATCH):
            for row in batch:
                yield convert(row)


async def file_count(db: Db, table: str) -> int:
    [(count,)] = await db.execute_fetchall(f"SELECT count(*) FROM {quoted(table)}")
    return int(count)


async def file_sequences(db: Db) -> dict[str, int]:
    """SQLite's AUTOINCREMENT high-water marks: ids it has given out, rows deleted since
    included (it never gives one out twice, and neither should PostgreSQL after the copy)."""
    if not await db.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ):
        return {}
    return {
        name: int(seq)
        for name, seq in await db.execute_fetchall("SELECT name, seq FROM sqlite_sequence")
    }


async def move_sequence(pg: asyncpg.Connection, table: Table, given: int | None) -> None:
    """The identity's next value past every id copied and every id SQLite gave out; never
    moved back (responses count up from above 2**52, whatever the file's anonymous ids)."""
    assert table.identity is not None
    sequence = await pg.fetchval(
        "SELECT pg_get_serial_sequence($1, $2)", quoted(table.name), table.identity
    )
    largest = await pg.fetchval(f"SELECT max({quoted(table.identity)}) FROM {quoted(table.name)}")
    highest = max(value for value in (largest, given, 0) if value is not None)
    last, called = await pg.fetchrow(f"SELECT last_value, is_called FROM {sequence}") or (0, 0)
    following = last + 1 if called else last
    if highest >= following:
        await pg.execute("SELECT setval($1, $2)", sequence, highest)


async def copy(path: Path, url: str) -> list[Count]:
    """Copy the SQLite file at `path` into the empty PostgreSQL database at `url`; returns each
    table's rows on both sides, counted in the copy's own transaction (it is rolled back when
    one differs: the target is left as it was). The file is opened as the command line's
    reports open it: read-only, never created, and refused at another step than this code's
    (before anything is written to PostgreSQL)."""
    target = describe(url)
    async with read_only(path) as db:
        await migrate(url)  # the schema of the same step, as the bot would make it
        try:
            pg = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise StorageError(f"cannot open the database {target}: {error}") from None
        try:
            await db.execute("BEGIN")  # one snapshot of the file for the copy and the counts
            try:
                return await _copy(db, pg, target)
            finally:
                await db.execute("ROLLBACK")
        finally:
            await pg.close()


async def _copy(db: Db, pg: asyncpg.Connection, target: str) -> list[Count]:
    async with pg.transaction():
        # replicas starting now wait for the copy (they migrate under this lock first)
        await pg.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        tables, references = await catalog(pg)
        mismatched = differences(tables, await file_columns(db))
        if mismatched:
            raise StorageError(
                f"the file and {target} differ at the same schema step: {'; '.join(mismatched)}"
            )
        holding = [
            table.name
            for table in tables
            if table.name not in SEEDED
            and await pg.fetchval(f"SELECT EXISTS (SELECT FROM {quoted(table.name)})")
        ]
        if holding:
            raise StorageError(
                f"the database {target} already holds rows ({', '.join(sorted(holding))}):"
                " copy into a new, empty database"
            )
        by_name = {table.name: table for table in tables}
        given = await file_sequences(db)
        for name in SEEDED:
            await pg.execute(f"DELETE FROM {quoted(name)}")
        for name in copy_order(by_name, references):
            table = by_name[name]
            try:
                await pg.copy_records_to_table(
                    name, records=file_rows(db, table), columns=list(table.columns)
                )
            except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                raise StorageError(f"cannot copy the table {name} into {target}: {error}") from None
            if table.identity is not None:
                await move_sequence(pg, table, given.get(name))
        counts = [
            Count(
                name,
                await file_count(db, name),
                int(await pg.fetchval(f"SELECT count(*) FROM {quoted(name)}")),
            )
            for name in sorted(by_name)
        ]
        if not all(count.equal for count in counts):
            raise CountsDiffer(counts)
    return counts


class CountsDiffer(StorageError):
    """A table's rows differ between the file and the copy: the copy was rolled back."""

    def __init__(self, counts: list[Count]) -> None:
        self.counts = counts
        differing = ", ".join(count.table for count in counts if not count.equal)
        super().__init__(f"the row counts differ in {differing}: nothing was copied")
