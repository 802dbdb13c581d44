"""SQLite's side of opening the database: the file and its folder made owner-only, the journal
in WAL mode, the connection's settings, the numbered migrations, the checkpoint that empties
the log, and the read-only connection for reports.

What `Storage` needs of an opened database (bot/storage/engine.py `Opened`) is `SqliteFile`
here and `PgServer` in bot/storage/postgres/opening.py; everything past opening is written
once, against `Db`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sqlite3
import stat
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, cast

import aiosqlite

from bot.storage.engine import Db, Done, Step, StorageError
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


async def _wal(connection: Db) -> None:
    """The journal in WAL mode. Switching takes the file for itself, and SQLite does not wait
    for a busy file there (busy_timeout does not apply): when another process opening the
    same new file switches it at the same moment, try again shortly."""
    for attempt in itertools.count():
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt * 0.05 * 1000 >= BUSY_TIMEOUT_MS:
                raise
            await asyncio.sleep(0.05)


def statements(script: str) -> list[str]:
    """A migration script cut into its statements (SQLite's own tokenizer decides where one
    ends, so a semicolon in a comment or a string does not cut)."""
    found, start = [], 0
    for end, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : end + 1]):
            found.append(script[start : end + 1].strip())
            start = end + 1
    rest = script[start:].strip()
    if rest and not all(
        line.strip().startswith("--") for line in rest.splitlines() if line.strip()
    ):
        found.append(rest)
    return found


def owner_only(path: Path, mode: int) -> None:
    """Tighten a file's or folder's permissions to `mode` (never loosen them); a folder that
    belongs to someone else (/tmp, say) is left as it is."""
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            path.chmod(current & mode)
        except PermissionError:
            log.warning("%s: cannot make it owner-only (%o)", path, current)


def prepare(path: Path) -> Path:
    """The database file and its folder, created (owner-only) if missing, and the folder checked
    writable: SQLite writes its -wal and -shm files beside the database, so a folder that cannot
    be written stops the bot at its first answer otherwise. Cheap enough to do at every start,
    before anything else, so that the bot refuses at once rather than half-started. Returns
    the file's full path, as messages name it."""
    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        owner_only(folder, 0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists():  # made earlier, by an older version or another program
                owner_only(file, 0o600)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return path.resolve()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StorageError(
            f"cannot write the database folder {folder.resolve()} ({reason}): check DATABASE,"
            " and that the folder belongs to the user running cxbot"
        ) from None


def read_only_uri(path: Path) -> str:
    """The file's URI opened read-only: SQLite refuses every write through it."""
    return f"{path.resolve().as_uri()}?mode=ro"


class SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection with `batch`: statements run in its thread in one call.

    Every call into aiosqlite's thread costs the event loop about 50 microseconds (the queue,
    the wake-up, the future), more than a short statement itself takes: a tap's transaction
    of a few statements, each executed and fetched, paid for ten of them."""

    async def batch(self, steps: Sequence[Step], /) -> list[Done]:
        done: list[Done] = await self._execute(self._batch, steps)  # type: ignore[no-untyped-call]
        return done

    def _batch(self, steps: Sequence[Step]) -> list[Done]:
        """In the connection's thread."""
        done = []
        for step in steps:
            cursor = self._conn.execute(step.sql, step.parameters)
            rows = cursor.fetchall()
            done.append(Done(cursor.rowcount, rows))
        return done


async def connect(where: str | Path, **settings: Any) -> Db:
    """A connection to the file (`settings` as sqlite3.connect takes them), in autocommit mode
    (transactions are the storage code's own BEGIN and COMMIT), its rows read by name too. As
    aiosqlite.connect, with `batch`; the type checker sees it as the `Db` it is at run time
    (tests/storage/test_engine.py: aiosqlite's hints give `execute` no parameters)."""
    connection = SqliteConnection(
        partial(sqlite3.connect, where, isolation_level=None, **settings), iter_chunk_size=64
    )
    await connection
    connection.row_factory = aiosqlite.Row
    return cast(Db, connection)


async def open_reader(path: Path) -> Db:
    """A connection that can only read, for admin reports: a long aggregate or export runs on
    it (its own thread, its own snapshot of the WAL) while taps keep writing on the main
    connection, instead of queueing behind the report on one shared connection."""
    connection = await connect(read_only_uri(path), uri=True)
    try:
        await connection.execute("PRAGMA query_only = ON")
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        await connection.close()
        raise
    return connection


async def _user_version(db: Db) -> int:
    [row] = await db.execute_fetchall("PRAGMA user_version")
    return int(row[0])


def _existing(path: Path) -> Path:
    """The file a command-line report reads: it must exist (a report never creates one)."""
    if not path.is_file():
        raise StorageError(f"no database at {path.resolve()}: check DATABASE")
    return path.resolve()


@asynccontextmanager
async def read_only(path: Path) -> AsyncIterator[Db]:
    """Reports from the command line: the live file read-only, never created, migrated or
    written here (a bot may be running on it, and only the bot migrates it). A file at another
    schema than this code's is refused rather than misread."""
    where = _existing(path)
    try:
        connection = await open_reader(where)
    except sqlite3.Error as error:
        raise StorageError(f"cannot read the database {where}: {error}") from None
    try:
        version = await _user_version(connection)
        if version != len(MIGRATIONS):
            raise StorageError(
                f"the database {where} is at schema {version}, and this cxbot reads schema"
                f" {len(MIGRATIONS)}: start this version's bot on it once (cxbot run), which"
                " brings it up to date"
            )
        yield connection
    finally:
        await connection.close()


class SqliteFile:
    """One SQLite file opened for the bot: its write connection and its read-only one."""

    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, db: Db, reader: Db) -> None:
        self.db = self.reads = db
        self.reader = reader

    @classmethod
    async def open(cls, path: Path) -> SqliteFile:
        """Open (creating, owner-only readable) and bring the schema up to date."""
        where = prepare(path)
        try:
            db = connection = await connect(where)
        except sqlite3.Error as error:
            raise StorageError(f"cannot open the database {where}: {error}") from None
        try:
            # first: another process opening the file at the same moment holds it briefly
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _wal(connection)
            await connection.execute("PRAGMA synchronous = FULL")
            await connection.execute("PRAGMA foreign_keys = ON")
            # what is deleted (a closed wave's deliveries, scrubbed values) is overwritten on
            # disk, not left in free pages for whoever reads the file
            await connection.execute("PRAGMA secure_delete = ON")
            if await _migrate(db):
                await cls.checkpoint(db)  # the pages as they were before a scrub
            reader = await open_reader(where)
        except sqlite3.Error as error:  # not a database, a file that cannot be written
            await connection.close()
            raise StorageError(f"cannot open the database {where}: {error}") from None
        except BaseException:
            await connection.close()
            raise
        return cls(db, reader)

    async def schema_version(self) -> int:
        return await _user_version(self.db)

    @staticmethod
    async def checkpoint(db: Db) -> None:
        """Move the write-ahead log into the file and empty it: the log keeps every page as
        each transaction left it, so until then it holds what was since deleted or scrubbed,
        and which rows were written together (a participation and the response it started)."""
        # a reader in another process (a backup, the CLI) would make the checkpoint wait,
        # and every write with it: then it is left to the next call
        await db.execute("PRAGMA busy_timeout = 0")
        try:
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as error:
            log.info("checkpoint left for later: %s", error)
        finally:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def close(self) -> None:
        await self.reader.close()
        await self.db.close()


async def _migrate(db: Db) -> bool:
    """Run the steps the file has not run yet, each in its own transaction; True when a file
    made by an earlier version was brought up to date (a step may have scrubbed rows).

    The version is read inside the step's write transaction (BEGIN IMMEDIATE), so that two
    processes opening a new file at once cannot both see it empty: the second waits for
    the first's step, then sees it done. (Not with executescript: it commits whatever
    transaction is open before it runs, which would let go of the lock.)"""
    found: int | None = None
    for number, script in enumerate(MIGRATIONS, start=1):
        await db.execute("BEGIN IMMEDIATE")
        try:
            version = await _user_version(db)
            found = version if found is None else found
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"the database is at schema {version}, newer than this code ({len(MIGRATIONS)})"
                )
            if version < number:
                for statement in statements(script):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        await db.execute("COMMIT")
    return found is not None and 0 < found < len(MIGRATIONS)
