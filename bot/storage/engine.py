"""What the storage code needs of a database connection, whichever engine is behind it.

The storage modules (database, pulses, reports, rollup) are written once, against `Db`: the part
of aiosqlite's connection they use. An aiosqlite connection is one as it is, so SQLite pays
nothing for the second engine; `bot/storage/postgres/connection.py` gives an asyncpg
connection the same shape. SQL is written once where the engines agree (most of it: both
take `?` and `:name` parameters here, RETURNING, ON CONFLICT, CTEs, `substr` on the TEXT
timestamps), and where they do not, the statement takes its fragment from the connection's
`Dialect`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Params = Sequence[Any] | Mapping[str, Any]
"""`?` parameters in order, or `:name` parameters by name."""


class Row(Protocol):
    """A row, read by position or by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


class Cursor(Protocol):
    """The rows of one statement, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...


class Statement(Protocol):
    """What `execute` returns: awaited, the cursor; or used as `async with ... as cursor`."""

    def __await__(self) -> Generator[Any, None, Any]: ...

    async def __aenter__(self) -> Any: ...

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

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Dialect:
    """The few things the two engines say differently."""

    name: str
    week_format: str
    """SQL giving the trend's week ('2026-W47', weeks from Monday, week 00 before the year's
    first Monday: SQLite's strftime('%Y-W%W')) of the timestamp or day `{}`."""

    def week(self, expression: str) -> str:
        return self.week_format.replace("{}", expression)


SQLITE = Dialect("sqlite", week_format="strftime('%Y-W%W', {})")
POSTGRES = Dialect(
    "postgresql",
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
