"""Which process runs the pulses: exactly one at a time, the leader.

Several processes can serve one database: the old and the new one during a deploy, or
replicas. Each would open the same due waves and send the same messages, so only the leader
runs the pulse runner's steps; the others try to become leader at every tick, and one of them
takes over within a tick of the leader stopping or dying.

On SQLite the leader holds an exclusive `flock` on a file beside the database, on a file
descriptor of its own. The kernel drops it when the process ends however it ends (SIGKILL
included), so there is no lease to wait out and no clock to trust. A PostgreSQL backend
implements the same protocol with an advisory lock held on a connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

# asyncpg is imported by PgLeadership when first used: a bot on SQLite starts without it


class Leadership(Protocol):
    """The lock that makes one process the pulse leader."""

    async def acquire(self) -> bool:
        """Become the leader unless another process is, without waiting; True if this process
        leads (also when it already did)."""
        ...

    async def held(self) -> bool:
        """Whether this process still leads (a lock held on a connection can be lost with it)."""
        ...

    async def release(self) -> None:
        """Step down: another process may lead from its next try."""
        ...


def leader_file(database: Path) -> Path:
    """The lock file of a SQLite database's pulse leader: `<database>.leader`."""
    return database.with_name(database.name + ".leader")


def leadership_for(database: Path | str) -> Leadership:
    """The leadership of the processes sharing DATABASE: a lock file beside a SQLite file; on
    a PostgreSQL database (a URL), an advisory lock on a connection of its own."""
    if isinstance(database, Path):
        return FileLeadership(leader_file(database))
    return PgLeadership(database)


class FileLeadership:
    """Leadership as an exclusive, non-blocking `flock` on one file.

    A lock belongs to the open file, not to the process: two of these in one process exclude
    each other too, as two processes do. The file holds the leader's host and process id, for
    an operator asking which process sends the pulses; only the lock counts.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process leads
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        with contextlib.suppress(OSError):  # the lock is what counts; the note is a courtesy
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{socket.gethostname()} {os.getpid()}\n".encode(), 0)
        return True

    async def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor of the open file releases the lock


LEADER_LOCK = int.from_bytes(b"cxbot/ld", "big")
"""The advisory lock key of the pulse leader (migrations take `cxbot/mg`)."""


def lost() -> tuple[type[BaseException], ...]:
    """What a lock connection that the server ended or that stopped answering raises: a backend
    terminated while the connection was idle leaves asyncpg's protocol in a state where the next
    query raises InternalClientError rather than a connection error."""
    import asyncpg

    return (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    )


CHECK_TIMEOUT = 2.0
"""Seconds a leader waits for the server to answer whether it still leads: past them, it takes
the connection for lost and stops leading (the runner's tick is a few seconds)."""


class PgLeadership:
    """Leadership as a PostgreSQL session-level advisory lock, on a connection of its own.

    The lock belongs to the server session: when the leader's process dies, however it dies,
    its socket closes, the server ends the session and the lock goes with it, and another
    replica takes it at its next try. A connection of its own, opened on `acquire` and kept
    while leading, because the storage's connections come and go and a pooled one would hand
    the lock to whoever used it next.

    A leader whose connection is lost (a restart of the server, a backend terminated, a network
    that stops answering) learns it at its next `held()`, which asks the server, with a short
    timeout, whether this session still holds the lock: then it stops leading, and tries again
    on a new connection like any other replica.
    """

    def __init__(self, url: str, *, key: int = LEADER_LOCK, timeout: float = CHECK_TIMEOUT) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        self._connection: asyncpg.Connection | None = None
        self._unreachable = False
        """The last try could not reach the server: said in the log once, not at every tick."""

    async def acquire(self) -> bool:
        import asyncpg

        from bot.storage.postgres.migrate import describe

        if self._connection is not None and await self.held():
            return True
        try:
            connection = await asyncpg.connect(self.url, timeout=self.timeout)
        except lost() as error:
            if not self._unreachable:
                log.warning(
                    "pulses: cannot reach %s for the leader's lock: %s", describe(self.url), error
                )
            self._unreachable = True
            return False
        self._unreachable = False
        try:
            locked = await asyncio.wait_for(
                connection.fetchval("SELECT pg_try_advisory_lock($1)", self.key), self.timeout
            )
        except lost() as error:  # the server went away just now: another try at the next tick
            connection.terminate()
            log.warning("pulses: could not ask for the leader's lock: %s", error)
            return False
        except BaseException:
            connection.terminate()
            raise
        if not locked:  # another replica leads: no connection kept while following
            await connection.close(timeout=self.timeout)
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            held = await asyncio.wait_for(
                connection.fetchval(HELD, *_halves(self.key)), self.timeout
            )
        except lost() as error:
            log.warning("pulses: the leader's lock connection is lost: %s", error)
            held = False
        if not held:
            self._connection = None
            connection.terminate()  # whatever is left of it: the lock is not ours any more
        return bool(held)

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await asyncio.wait_for(
                connection.execute("SELECT pg_advisory_unlock($1)", self.key), self.timeout
            )
            await connection.close(timeout=self.timeout)
        except lost():
            connection.terminate()  # the session's end releases the lock all the same


HELD = """
SELECT EXISTS (
    SELECT FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid = $1 AND objid = $2 AND objsubid = 1
)
"""
"""Whether this session holds the advisory lock of a bigint key (pg_locks shows it as its high
and low 32 bits, objsubid 1)."""


def _halves(key: int) -> tuple[int, int]:
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF
