"""One update at a time per person, different people at the same time.

Updates are handled concurrently (python-telegram-bot's `concurrent_updates`), so that one
person's slow network or a busy database does not hold up everyone; a person's own updates
keep their order, since a double tap or a tap right after a typed answer must see the state
the previous one left.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Turns:
    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def of(self, user_id: int) -> AsyncIterator[None]:
        """Wait for this person's earlier updates (first come, first served), then go."""
        lock, waiting = self._locks.get(user_id, (asyncio.Lock(), 0))
        self._locks[user_id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[user_id]
            if waiting == 1:
                del self._locks[user_id]  # nobody else queued: forget the person
            else:
                self._locks[user_id] = (lock, waiting - 1)

    def __len__(self) -> int:
        return len(self._locks)
