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

import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import Protocol


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
    raise NotImplementedError("pulse leadership on a PostgreSQL database (PgLeadership)")


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
