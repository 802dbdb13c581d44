"""PostgreSQL's side of opening the database: the schema brought up to date under the
migrations' advisory lock, then the process's write connection and its report connection
(whose transactions are read-only snapshots), as bot/storage/engine.py `Opened` asks.

There is no file here to create or to make owner-only: who may read the data is the server's
roles' business, set up by its operator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.storage.engine import Db, StorageError
from bot.storage.postgres.connection import PgConnection
from bot.storage.postgres.migrate import describe, migrate, schema_version
from bot.storage.postgres.migrations import LATEST

UNREACHABLE = (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""What connecting fails with: a server down or unknown, a URL asyncpg cannot read, a
refused login, a database that does not exist."""


def _named(url: str) -> str:
    """The database as messages name it: without its password, even when the URL is
    malformed."""
    try:
        return describe(url)
    except ValueError:  # a port that is not a number
        return "of the DATABASE URL (malformed)"


async def _connect(url: str, *, reading: bool = False) -> PgConnection:
    try:
        return await PgConnection.connect(url, reading=reading)
    except UNREACHABLE as error:
        raise StorageError(f"cannot open the database {_named(url)}: {error}") from None


class PgServer:
    """One PostgreSQL database opened for the bot: its write connection, its taps' read one and
    its report one."""

    errors: tuple[type[Exception], ...] = (asyncpg.PostgresError,)

    def __init__(self, db: PgConnection, reads: PgConnection, reader: PgConnection) -> None:
        self._db = db
        self.db: Db = db
        self.reads: Db = reads
        self.reader: Db = reader

    @classmethod
    async def open(cls, url: str) -> PgServer:
        try:
            await migrate(url)
        except ValueError as error:  # a URL asyncpg cannot read
            raise StorageError(f"cannot open the database {_named(url)}: {error}") from None
        opened: list[PgConnection] = []
        try:
            for reading in (False, False, True):
                opened.append(await _connect(url, reading=reading))
        except BaseException:
            for connection in opened:
                await connection.close()
            raise
        return cls(*opened)

    async def schema_version(self) -> int:
        return await schema_version(self._db.raw)

    async def checkpoint(self, db: Db) -> None:
        """Nothing to do: SQLite's checkpoint empties a log kept beside the file, which would
        still hold deleted rows for whoever copies the file; PostgreSQL's write-ahead log is
        the server's own, out of the bot's reach, recycled by the server's checkpoints, and
        deleted rows leave the tables' pages with (auto)vacuum."""

    async def close(self) -> None:
        await self.reader.close()
        await self.reads.close()
        await self.db.close()


@asynccontextmanager
async def read_only(url: str) -> AsyncIterator[Db]:
    """Reports from the command line: a report connection (read-only snapshots), never
    migrating (only the bot does); a database at another schema than this code's is refused
    rather than misread."""
    connection = await _connect(url, reading=True)
    try:
        version = await schema_version(connection.raw)
        if version != LATEST:
            raise StorageError(
                f"the database {_named(url)} is at schema {version}, and this cxbot reads"
                f" schema {LATEST}: start this version's bot on it once (cxbot run), which"
                " brings it up to date"
            )
        yield connection
    finally:
        await connection.close()
