"""What the storage code needs of a database connection, whichever engine is behind it.

The storage modules (database, pulses, reports, rollup) are written once, against `Db`: the part
of aiosqlite's connection they use, and `batch`, which sends several statements at once.
SQLite's connection is aiosqlite's with `batch` added (bot/storage/sqlite.py);
`bot/storage/postgres/connection.py` gives an asyncpg connection the same shape. SQL is
written once where the engines agree (most of it: both take `?` and `:name` parameters here,
RETURNING, ON CONFLICT, CTEs, `substr` on the TEXT timestamps), and where they do not, the
statement takes its fragment from the connection's `Dialect`.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

Params = Sequence[Any] | Mapping[str, Any]
"""`?` parameters in order, or `:name` parameters by name."""


class Row(Protocol):
    """A row, read by position or by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> Iterable[str]: ...


class Cursor(Protocol):
    """The rows of one statement, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    async def fetchmany(self, size: int) -> Iterable[Any]: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...


@dataclass(frozen=True)
class Step:
    """One statement of a `batch`, with its parameters."""

    sql: str
    parameters: Params = ()


@dataclass(frozen=True)
class Done:
    """What one statement of a `batch` gave: the rows it changed and the rows it returned."""

    rowcount: int
    rows: list[Any]


class Statement(Protocol):
    """What `execute` returns: awaited, the cursor; or used as `async with ... as cursor`."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: object) -> Any: ...


@runtime_checkable
class Db(Protocol):
    """A connection as the storage code uses it. `BEGIN IMMEDIATE`, `BEGIN`, `COMMIT` and
    `ROLLBACK` are statements like any other."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Statement: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Awaitable[Any]: ...

    def execute_fetchall(self, sql: str, parameters: Any = ..., /) -> Awaitable[Iterable[Any]]:
        """The statement run and its rows read in one call: no read is left open between two
        awaits (on SQLite, an open read holds a snapshot that makes a later write fail once
        another process has committed)."""
        ...

    async def batch(self, steps: Sequence[Step], /) -> list[Done]:
        """The statements run one after the other, each one's rows read, in one call: on
        SQLite one trip to the connection's thread instead of one per statement and per
        fetch (each costs the event loop as much as a short statement itself). The first
        that fails stops the rest and is raised; a transaction it was in stays open for the
        caller to roll back."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Dialect:
    """The few things the two engines say differently."""

    name: str
    week_format: str
    """SQL giving the trend's week ('2026-W47', weeks from Monday, week 00 before the year's
    first Monday: SQLite's strftime('%Y-W%W')) of the timestamp or day `{}`."""
    answers_object: str = "json_group_object(question_id, value)"
    """SQL aggregating a response's answer rows into one JSON object, question id to value (no
    rows: '{}' on SQLite, NULL on PostgreSQL)."""
    locks_rows: bool = False
    """Whether a transaction that reads a row and then writes it must lock the row as it reads
    it. SQLite: no, `BEGIN IMMEDIATE` holds the database's one write lock from the start, so
    nothing changes between the read and the write. PostgreSQL: yes, writers run side by side
    and only a row lock (`SELECT ... FOR UPDATE`) keeps another from changing what was read."""

    def week(self, expression: str) -> str:
        return self.week_format.replace("{}", expression)

    def for_update(self, of: str = "", *, skip_locked: bool = False) -> str:
        """The clause ending a SELECT whose rows the transaction will write (of the table
        `of` only, when the SELECT joins others); '' where the engine needs none."""
        if not self.locks_rows:
            return ""
        return " FOR UPDATE" + (f" OF {of}" if of else "") + (" SKIP LOCKED" if skip_locked else "")


SQLITE = Dialect("sqlite", week_format="strftime('%Y-W%W', {})")
POSTGRES = Dialect(
    "postgresql",
    answers_object="json_object_agg(question_id, value)",
    locks_rows=True,
    # %W of C's strftime: (day of the year + 7 - ISO weekday) / 7, the day of the year from 1
    week_format=(
        "(substr({}, 1, 4) || '-W' || lpad(((extract(doy FROM substr({}, 1, 10)::date)::int"
        " + 7 - extract(isodow FROM substr({}, 1, 10)::date)::int) / 7)::text, 2, '0'))"
    ),
)


def dialect_of(db: object) -> Dialect:
    """The dialect of a connection: PostgreSQL's wrapper says so, anything else is SQLite."""
    dialect = getattr(db, "dialect", None)
    return dialect if isinstance(dialect, Dialect) else SQLITE


class StorageError(Exception):
    """The database cannot be created, written, opened or reached; the message names it (a
    path, or a server's URL without its password)."""


SERVER_SCHEMES = ("postgresql://", "postgres://")


def on_server(database: Path | str) -> bool:
    """Whether DATABASE names a PostgreSQL database (a URL) rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(SERVER_SCHEMES)


class Opened(Protocol):
    """A database as its engine's module opened it: what `Storage` needs and cannot do the same
    way on both engines."""

    db: Db
    """The process's one connection for writes."""
    reads: Db
    """The connection for short reads outside a write transaction (a tap's): SQLite's write
    connection itself (a call into its thread is all a read costs), PostgreSQL's one of its
    own, so that a tap's read does not wait behind the round trips of a commit."""
    reader: Db
    """A connection for reports only: a long read there holds up no write."""
    errors: tuple[type[Exception], ...]
    """What a statement fails with on this engine."""

    async def schema_version(self) -> int: ...

    async def checkpoint(self, db: Db) -> None:
        """Leave nothing deleted in a log beside the data; `db` is the write connection, with
        no transaction open and no other write meanwhile."""
        ...

    async def close(self) -> None: ...
