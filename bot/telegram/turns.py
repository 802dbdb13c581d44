"""One update at a time per person, different people at the same time.

Updates are handled concurrently, so that one person's slow network or a busy database does
not hold up everyone; a person's own updates keep their order, since a double tap or a tap
right after a typed answer must see the state the previous one left.

A person's updates waiting for their turn hold no processing slot, and at most `PER_PERSON` of
them are kept: a flood from one account (a script, a stuck client) is dropped beyond that, so
it can neither fill the bot's memory nor make everyone else wait behind it. The taps dropped
are still answered, so that no button keeps spinning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

WAITING = 4096
"""Updates fetched and not yet handled, waiting for their person's turn or for room: bounded
only so that a flood cannot grow without end (each is already an object in memory)."""
PER_PERSON = 16
"""A person's updates kept at once (the one being handled and those waiting for their turn):
far more than a person tapping and typing fast sends, far less than a flood."""
ANSWERING = 2
"""Dropped taps answered at once: a flood's answers take few of the connections everyone's
replies need."""
UNANSWERED = 10_000
"""Dropped taps waiting for their answer, at most (beyond, Telegram's own timeout ends their
spinner)."""


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

    def waiting(self, user_id: int) -> int:
        """This person's updates inside `of`: the one going on and those in line."""
        return self._locks[user_id][1] if user_id in self._locks else 0


class TakingTurns(BaseUpdateProcessor):
    """python-telegram-bot's update processor: at most `limit` updates handled at once, each
    person's in the order they came, at most `PER_PERSON` of a person's kept.

    A person's later updates wait for their turn outside the limit, so one person's burst of
    taps takes one place, not all of them, and everyone else goes on being answered.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(max_concurrent_updates=WAITING)
        self._room = asyncio.Semaphore(limit)
        self.turns = Turns()
        self.dropped = 0
        self._unanswered: asyncio.Queue[CallbackQuery] | None = None
        self._answerers: list[asyncio.Task[None]] = []

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        who = person(update)
        if self.turns.waiting(who) >= PER_PERSON:
            self._drop(update, coroutine)
            return
        async with self.turns.of(who), self._room:
            await coroutine

    def _drop(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Not handled at all (the person is far ahead of the bot); a tap is still answered."""
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: closed, so that no warning says it was not awaited
        if self.dropped % 1000 == 0:
            log.warning(
                "updates from one person come faster than they can be handled: beyond %d"
                " waiting, they are dropped (%d so far)",
                PER_PERSON,
                self.dropped + 1,
            )
        self.dropped += 1
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None and self._unanswered is not None:
            with contextlib.suppress(asyncio.QueueFull):
                self._unanswered.put_nowait(query)

    async def _answer_dropped(self) -> None:
        assert self._unanswered is not None
        while True:
            query = await self._unanswered.get()
            try:
                await query.answer()
            except Exception as error:  # expired meanwhile, the Bot API unreachable: moot
                log.debug("a dropped tap was not answered: %s", error)

    async def initialize(self) -> None:
        self._unanswered = asyncio.Queue(UNANSWERED)
        self._answerers = [asyncio.create_task(self._answer_dropped()) for _ in range(ANSWERING)]

    async def shutdown(self) -> None:
        for task in self._answerers:
            task.cancel()
        for task in self._answerers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._answerers = []


def person(update: object) -> int:
    """Whose turn an update takes: its sender (updates without one share turn 0)."""
    user = update.effective_user if isinstance(update, Update) else None
    return user.id if user else 0
