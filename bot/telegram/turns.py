"""One update at a time per person, different people at the same time.

Updates are handled concurrently, so that one person's slow network or a busy database does
not hold up everyone; a person's own updates keep their order, since a double tap or a tap
right after a typed answer must see the state the previous one left.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

WAITING = 4096
"""Updates fetched and not yet handled, waiting for their person's turn or for room: bounded
only so that a flood cannot grow without end (each is already an object in memory)."""


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


class TakingTurns(BaseUpdateProcessor):
    """python-telegram-bot's update processor: at most `limit` updates handled at once, each
    person's in the order they came.

    A person's later updates wait for their turn outside the limit, so one person's burst of
    taps takes one place, not all of them, and everyone else goes on being answered.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(max_concurrent_updates=WAITING)
        self._room = asyncio.Semaphore(limit)
        self.turns = Turns()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self.turns.of(person(update)), self._room:
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def person(update: object) -> int:
    """Whose turn an update takes: its sender (updates without one share turn 0)."""
    user = update.effective_user if isinstance(update, Update) else None
    return user.id if user else 0
