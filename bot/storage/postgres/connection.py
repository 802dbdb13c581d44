"""An asyncpg connection in the shape the storage code uses (bot/storage/engine.py `Db`).

The storage modules speak to SQLite through aiosqlite: `execute` with `?` or `:name`
parameters, a cursor to fetch from or to iterate, `rowcount`, and transactions as plain
statements. Here the same calls reach PostgreSQL: parameters become `$1, $2, ...` (translated
once per statement text and remembered), each statement is prepared once per connection and
kept (a tap repeats the same few statements, so it costs one round trip, not a parse each
time), and the rows come back as asyncpg records, which are read by position or by name as
sqlite3's rows are.

`BEGIN IMMEDIATE` (SQLite's "take the write lock now") is a plain `BEGIN` here: PostgreSQL
locks rows, not the database. A `BEGIN` on a connection opened for reports starts a read-only
REPEATABLE READ transaction, so a report reads one snapshot, as it does on SQLite's read
connection.

Tasks share the connection as they share aiosqlite's, whose thread runs their statements one
after the other: here each call to the server waits its turn (asyncpg refuses a second
operation while one is in progress), so a read of one task may come between two statements of
another's transaction, as on SQLite.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Generator, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg.prepared_stmt import PreparedStatement

from bot.storage.engine import POSTGRES, Dialect, Done, Step

STREAMED = 1000
"""Rows fetched at a time when a read is iterated inside a transaction."""
PREPARED = 512
"""Statements kept prepared per connection: the bot's own fixed statements are far fewer; the
rest are reports, whose text varies with their plan."""

_TOKEN = re.compile(
    r"""
      '(?:[^']|'')*'            # a string literal: left as it is
    | "(?:[^"]|"")*"            # a quoted name
    | --[^\n]*                  # a comment
    | ::                        # a cast, not a parameter
    | \?                        # a positional parameter
    | :(?P<name>[A-Za-z_]\w*)   # a named one
    """,
    re.VERBOSE,
)
_READ = re.compile(r"\s*(SELECT|WITH)\b(?![\s\S]*\b(INSERT|UPDATE|DELETE)\b)", re.IGNORECASE)
"""A statement that only reads (not a write in a CTE, not a SELECT ... FOR UPDATE)."""
_CONTROL = {
    "BEGIN": "BEGIN",
    "BEGIN IMMEDIATE": "BEGIN",
    "COMMIT": "COMMIT",
    "ROLLBACK": "ROLLBACK",
}


@lru_cache(maxsize=1024)
def _control(sql: str) -> str | None:
    """The transaction statement `sql` is, as PostgreSQL says it; None for any other (asked
    of every statement, so remembered per statement text, like `translate`)."""
    return _CONTROL.get(" ".join(sql.split()).upper())


class ParameterError(ValueError):
    """A statement mixes `?` and `:name` parameters, or a named one is not given."""


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """The statement with `$n` parameters, and what fills them: the names in order (`:name`
    parameters; a name used twice is one parameter), or how many `?` there are."""
    names: list[str] = []
    positional = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal positional
        token = match.group(0)
        if token == "?":
            positional += 1
            return f"${positional}"
        if (name := match.group("name")) is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        return token

    translated = _TOKEN.sub(replace, sql)
    if positional and names:
        raise ParameterError(f"both ? and :name parameters in: {sql}")
    return translated, tuple(names) if names else positional


def arguments(sql: str, order: tuple[str, ...] | int, parameters: Any) -> list[Any]:
    """The values for the `$n` parameters, in order."""
    if isinstance(order, int):
        values = list(parameters or ())
        if isinstance(parameters, Mapping) or len(values) != order:
            raise ParameterError(f"{order} ? parameters, given {parameters!r}: {sql}")
        return values
    if not isinstance(parameters, Mapping):
        raise ParameterError(f"named parameters {order}, given {parameters!r}: {sql}")
    missing = [name for name in order if name not in parameters]
    if missing:
        raise ParameterError(f"no value for {missing}: {sql}")
    return [parameters[name] for name in order]


def _rowcount(status: str | None) -> int:
    """'UPDATE 3', 'INSERT 0 1', 'DELETE 0' -> the rows changed; -1 when it does not say."""
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """The rows of one statement, already fetched (or streamed, when iterated inside a
    transaction: an export over millions of rows is not held in memory)."""

    def __init__(
        self,
        rows: list[asyncpg.Record] | None,
        rowcount: int,
        stream: tuple[PreparedStatement, list[Any]] | None = None,
        turn: asyncio.Lock | None = None,
    ) -> None:
        self._turn = turn or asyncio.Lock()
        self._rows = rows or []
        self._at = 0
        self._stream = stream
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[asyncpg.Record]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    async def fetchmany(self, size: int) -> list[asyncpg.Record]:
        batch = self._rows[self._at : self._at + size]
        self._at += len(batch)
        return batch

    async def __aiter__(self) -> AsyncIterator[asyncpg.Record]:
        if self._stream is not None:
            statement, values = self._stream
            async with self._turn:
                cursor = await statement.cursor(*values)
            while True:
                async with self._turn:
                    rows = await cursor.fetch(STREAMED)
                for streamed in rows:
                    yield streamed
                if len(rows) < STREAMED:
                    return
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        self._rows = []


class PgStatement:
    """`execute`'s answer: awaited, it runs the statement; `async with`, likewise, and the
    cursor is closed on the way out (as aiosqlite's is)."""

    def __init__(self, connection: PgConnection, sql: str, parameters: Any) -> None:
        self._connection = connection
        self._sql = sql
        self._parameters = parameters
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._connection._run(self._sql, self._parameters).__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._connection._run(self._sql, self._parameters, lazy=True)
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class PgConnection:
    """One asyncpg connection as a `Db`. `reading`: a connection for reports, whose
    transactions are read-only snapshots."""

    dialect: Dialect = POSTGRES

    def __init__(self, connection: asyncpg.Connection, *, reading: bool = False) -> None:
        self.raw = connection
        self._reading = reading
        self._turn = asyncio.Lock()
        """Held for each call to the server: one at a time on the connection."""
        self._prepared: OrderedDict[str, PreparedStatement] = OrderedDict()

    @classmethod
    async def connect(cls, url: str, *, reading: bool = False) -> PgConnection:
        return cls(await asyncpg.connect(url), reading=reading)

    @property
    def in_transaction(self) -> bool:
        return self.raw.is_in_transaction()

    def execute(self, sql: str, parameters: Any = (), /) -> PgStatement:
        return PgStatement(self, sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = (), /) -> list[asyncpg.Record]:
        return await (await self._run(sql, parameters)).fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        translated, order = translate(sql)
        values = [arguments(sql, order, p) for p in parameters]
        async with self._turn:
            await self.raw.executemany(translated, values)

    async def batch(self, steps: Sequence[Step], /) -> list[Done]:
        """One statement after the other (asyncpg sends one at a time): a round trip each,
        as with `execute`; what SQLite saves with it, calls into its thread, costs nothing here."""
        done = []
        for step in steps:
            cursor = await self._run(step.sql, step.parameters)
            done.append(Done(cursor.rowcount, await cursor.fetchall()))
        return done

    async def close(self) -> None:
        async with self._turn:
            await self.raw.close()

    async def _prepare(self, translated: str) -> PreparedStatement:
        statement = self._prepared.get(translated)
        if statement is None:
            statement = await self.raw.prepare(translated)
            self._prepared[translated] = statement
            if len(self._prepared) > PREPARED:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(translated)
        return statement

    async def _run(self, sql: str, parameters: Any, *, lazy: bool = False) -> PgCursor:
        control = _control(sql)
        if control is not None:
            if control == "BEGIN" and self._reading:
                control = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
            async with self._turn:
                await self.raw.execute(control)
            return PgCursor(None, -1)
        translated, order = translate(sql)
        values = arguments(sql, order, parameters)
        async with self._turn:
            statement = await self._prepare(translated)
            if lazy and self.in_transaction and _READ.match(translated):
                # rows to read: streamed if the caller iterates, fetched on the first fetch (a
                # statement that writes runs at once, as on SQLite, whether read from or not)
                return _LazyCursor(statement, values, self._turn)
            rows = await statement.fetch(*values)
            return PgCursor(rows, _rowcount(statement.get_statusmsg()))


class _LazyCursor(PgCursor):
    """Rows not read yet: iterating streams them through a server-side cursor; `fetchone`
    and `fetchall` fetch them all at once first."""

    def __init__(
        self, statement: PreparedStatement, values: Sequence[Any], turn: asyncio.Lock
    ) -> None:
        super().__init__(None, -1, (statement, list(values)), turn)
        self._fetched = False

    async def _fetch(self) -> None:
        if not self._fetched and self._stream is not None:
            statement, values = self._stream
            async with self._turn:
                self._rows = await statement.fetch(*values)
                self.rowcount = _rowcount(statement.get_statusmsg())
            self._fetched = True
            self._stream = None

    async def fetchone(self) -> asyncpg.Record | None:
        await self._fetch()
        return await super().fetchone()

    async def fetchall(self) -> list[asyncpg.Record]:
        await self._fetch()
        return await super().fetchall()

    async def fetchmany(self, size: int) -> list[asyncpg.Record]:
        await self._fetch()
        return await super().fetchmany(size)
