"""The one gate for writes on the shared connection.

Every write of the process runs on one connection (SQLite's or PostgreSQL's), so a statement
from another task would land inside whatever transaction is open (and be rolled back with it).
Handlers and the pulse sender run concurrently, so every write, single statement or
transaction, takes this lock. (`BEGIN IMMEDIATE` is a plain `BEGIN` on PostgreSQL, whose
transactions lock the rows they read for writing: `Dialect.for_update`.)

Answers that arrive together are committed together (`together`): while one transaction
commits, the answers arriving meanwhile queue up, and the next holder of the lock writes them
all in one transaction, one commit and one sync to disk. Each caller still returns only after
the commit that holds its own write. A write given as statements (`write`) rather than as code
needs no answer from the database between its statements: when every write of a commit is
such, the whole transaction, BEGIN to COMMIT, goes to the database in one call (`Db.batch`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.storage.engine import Db, Done, Params, Row, Step

log = logging.getLogger(__name__)
T = TypeVar("T")

Work = Callable[[Db], Awaitable[Any]]

BEGIN = Step("BEGIN IMMEDIATE")
COMMIT = Step("COMMIT")


@dataclass(frozen=True)
class Statements:
    """A write made of statements alone: as work, one `batch`."""

    steps: Sequence[Step]

    async def __call__(self, db: Db) -> list[Done]:
        return await db.batch(self.steps)


class Writer:
    def __init__(self, connection: Db) -> None:
        self.db = connection
        self._lock = asyncio.Lock()
        self._queued: list[tuple[Work, asyncio.Future[Any]]] = []

    async def together(self, work: Callable[[Db], Awaitable[T]]) -> T:
        """Run `work` in a transaction shared with the writes queued at the same moment.

        `work` must only write (its statements may run next to other callers' statements):
        if any of them fails, the shared transaction is rolled back and each queued write is
        tried again in a transaction of its own, so one bad write fails only its own caller.
        """
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((work, done))
        async with self._lock:
            batch, self._queued = self._queued, []
            if batch:  # empty: an earlier holder of the lock committed ours with its own
                await self._commit(batch)
        return await done

    async def write(self, steps: Sequence[Step]) -> list[Done]:
        """`together`, for a write made of statements alone (each one's outcome in order):
        the statements of the writes queued with it join theirs, and a commit of such writes
        only is one call to the database."""
        return await self.together(Statements(steps))

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        try:
            writes = [work for work, _ in batch if isinstance(work, Statements)]
            results: list[Any]
            if len(writes) == len(batch):
                results = await self._in_one_call(writes)
            else:
                await self.db.execute("BEGIN IMMEDIATE")
                results = [await work(self.db) for work, _ in batch]
                await self.db.execute("COMMIT")
        except BaseException as error:
            if self.db.in_transaction:
                await self.db.execute("ROLLBACK")
            if not isinstance(error, Exception):  # cancelled: none stored, unless committing
                for _, done in batch:
                    done.cancel()
                raise
            if len(batch) > 1:
                log.warning("a shared commit failed (%s); writing one at a time", error)
                for item in batch:
                    await self._commit([item])
            elif not batch[0][1].done():
                batch[0][1].set_exception(error)
            return
        for (_, done), result in zip(batch, results, strict=True):
            if not done.done():
                done.set_result(result)

    async def _in_one_call(self, writes: list[Statements]) -> list[list[Done]]:
        """BEGIN, the statements of every write, COMMIT: one batch; each write's outcomes. A
        statement alone is a transaction of its own (on PostgreSQL, two round trips fewer)."""
        steps = [step for write in writes for step in write.steps]
        alone = len(steps) == 1
        call = asyncio.ensure_future(self.db.batch(steps if alone else [BEGIN, *steps, COMMIT]))
        try:
            done = await asyncio.shield(call)
        except asyncio.CancelledError:
            # the call goes on to its end without us (in SQLite's thread it cannot be
            # stopped): wait for it, so that the caller finds the transaction as it left it,
            # committed or still open to roll back
            await asyncio.wait([call])
            if not call.cancelled():
                call.exception()  # retrieved: the cancellation is what the caller is told
            raise
        results, at = [], 0 if alone else 1
        for write in writes:
            results.append(done[at : at + len(write.steps)])
            at += len(write.steps)
        return results

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Db]:
        """All statements inside land together, or none does."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[Db]:
        """The connection with no transaction open and no other write meanwhile (for what
        cannot run inside a transaction, such as a checkpoint)."""
        async with self._lock:
            yield self.db

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement (sharing its commit with the writes queued at the same moment);
        returns the rows it changed."""
        [done] = await self.write([Step(sql, params)])
        return done.rowcount

    async def returning(self, sql: str, params: Params = ()) -> Row | None:
        """One write statement with RETURNING (its commit shared likewise): the row it gives
        back."""
        [done] = await self.write([Step(sql, params)])
        return done.rows[0] if done.rows else None
