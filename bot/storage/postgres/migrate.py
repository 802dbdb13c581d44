"""Bringing a PostgreSQL database up to this code's schema: once, however many replicas start
at the same moment.

Each step runs in its own transaction, which first takes a transaction-level advisory lock of a
fixed key and only then reads the version: a replica that arrives while another migrates waits
for that step's commit, then reads the new version (READ COMMITTED: each statement sees what was
committed before it began) and finds nothing left to do. The lock goes with the commit or
rollback, and with the connection if the process dies, so a crashed migrator blocks no one.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import asyncpg

from bot.storage.database import StorageError
from bot.storage.postgres.migrations import FIRST, LATEST, MIGRATIONS

log = logging.getLogger(__name__)

MIGRATION_LOCK = int.from_bytes(b"cxbot/mg", "big")
"""The advisory lock key of migrations (other locks of cxbot take other keys)."""

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL              -- the last step run: SQLite's user_version
);
INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
"""


def describe(url: str) -> str:
    """The database as an operator recognises it, without the password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def next_step(version: int, database: str) -> int | None:
    """The step to run on a database at `version`, None when it is up to date; a database this
    code cannot bring up to date is refused."""
    if version > LATEST:
        raise StorageError(
            f"the database {database} is at schema {version}, newer than this cxbot (schema"
            f" {LATEST}): run the cxbot version that migrated it, or a newer one"
        )
    if version == LATEST:
        return None
    if version == 0:
        return FIRST
    if version < FIRST:
        raise StorageError(
            f"the database {database} is at schema {version}, which no PostgreSQL database of"
            f" cxbot has been at (they start at {FIRST}): it was not made by cxbot"
        )
    return version + 1


async def schema_version(connection: asyncpg.Connection) -> int:
    """0 for a database cxbot has not touched yet."""
    if await connection.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    version: int = await connection.fetchval("SELECT version FROM schema_version")
    return version


async def run_steps(connection: asyncpg.Connection, database: str) -> list[int]:
    """Run the steps the database has not run yet; returns those this call ran (none when
    another process ran them first)."""
    ran: list[int] = []
    while True:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            version = await schema_version(connection)
            step = next_step(version, database)
            if step is None:
                return ran
            log.info("%s: schema step %d", database, step)
            try:
                if version == 0:
                    await connection.execute(VERSION_TABLE)
                await connection.execute(MIGRATIONS[step])
            except asyncpg.PostgresError as error:  # rolled back: the database is as it was
                raise StorageError(
                    f"cannot bring the database {database} to schema {step}: {error}"
                ) from None
            await connection.execute("UPDATE schema_version SET version = $1", step)
        ran.append(step)


async def migrate(url: str) -> list[int]:
    """Bring the database at `url` (postgresql://…) up to date; returns the steps this call ran."""
    database = describe(url)
    try:
        connection = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise StorageError(f"cannot open the database {database}: {error}") from None
    try:
        return await run_steps(connection, database)
    finally:
        await connection.close()
