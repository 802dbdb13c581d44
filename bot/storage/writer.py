"""The one gate for writes on the shared connection.

aiosqlite runs every statement on one connection, so a statement from another task would land
inside whatever transaction is open (and be rolled back with it). Handlers and the pulse sender
run concurrently, so every write, single statement or transaction, takes this lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiosqlite


class Writer:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.db = connection
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All statements inside land together, or none does."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """One write statement on its own; returns the rows it changed."""
        async with self._lock:
            cursor = await self.db.execute(sql, params)
            return cursor.rowcount

    async def returning(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Row | None:
        """One write statement with RETURNING: the row it gives back."""
        async with self._lock, self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()
