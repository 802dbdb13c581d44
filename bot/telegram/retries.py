"""Bot API calls that meet a 429, a 5xx or a network error are tried again, briefly.

python-telegram-bot routes every call but getUpdates through its rate-limiter hook; this one
limits nothing and only retries: a 429 is waited out when it asks for a short wait, transient
errors get a few quick retries. A long `retry_after` is not waited for inside a handler (updates
are handled one at a time): it is raised, the answer is already stored, and the next tap shows
the current screen again. The pulse runner keeps its own pacing and waits out long 429s.

A message (`send*`, copies, forwards) is never sent again after a timeout while waiting for
Telegram's answer, or a connection lost midway: Telegram may have posted it, and the person
would see it twice. Edits and answers to callback queries are harmless to repeat. Messages to
one chat keep to Telegram's pace of about one a second after a short burst (`ChatPace`).

getMe is not retried: it is the start-up's check of the token and the address, and a start that
cannot reach the Bot API says so at once, in one line, and exits for the process manager to
start it again (rather than printing a retry a second for seconds first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.http import may_have_arrived

log = logging.getLogger(__name__)

JSONValue = bool | dict[str, Any] | list[dict[str, Any]]
ATTEMPTS = 8
BACKOFF = (0.1, 0.3, 0.6, 1.0, 2.0)
"""Seconds before each retry of a 5xx or network error (then 2 s): about 8 s in all."""
LONGEST_WAIT = 5.0
"""Seconds of `retry_after` worth waiting inside a handler."""


ONCE = 1
"""`rate_limit_args` for a call whose caller does its own retrying (the pulse runner, under
its own rate): one attempt, and every error goes back to the caller."""
NOT_IDEMPOTENT = ("send", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages")
"""Methods that post something new: made twice, they post it twice."""


class Retries(BaseRateLimiter[int]):
    def __init__(self, pace: ChatPace | None = None) -> None:
        self._pace = pace or ChatPace()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONValue]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONValue:
        if endpoint == "getMe":
            return await callback(*args, **kwargs)
        posts = endpoint.startswith(NOT_IDEMPOTENT)
        if posts and (chat := data.get("chat_id")) is not None:
            await self._pace.wait(chat)
        if rate_limit_args == ONCE:
            return await callback(*args, **kwargs)
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = seconds(error.retry_after)
                if last or wait > LONGEST_WAIT:
                    raise
                log.info("%s: 429, waiting %.1f s", endpoint, wait)
                await asyncio.sleep(wait)
            except BadRequest:
                raise  # our request is wrong: trying again changes nothing
            except NetworkError as error:  # 5xx, timeouts, connection errors
                if last or (posts and may_have_arrived(error)):
                    # a message that may have been posted is not posted again: a person would
                    # see it twice (and an unanswered update is tapped again, which is safe)
                    raise
                log.info("%s: %s, trying again", endpoint, error)
                await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
        raise AssertionError("unreachable: the last attempt returns or raises")


BURST = 5
"""Messages to one chat sent at once before the pace applies (Telegram allows short bursts)."""
INTERVAL = 1.0
"""Seconds between messages to one chat beyond the burst: Telegram's ~1 a second per chat."""


class ChatPace:
    """Messages to each chat kept to Telegram's per-chat pace, so that a person flooding the
    bot gets their replies slowly instead of 429s that hold up everyone's replies.

    A reservation per message (generic cell rate algorithm): the caller learns at once when
    its message may go, so concurrent senders to one chat queue up in order, and a chat that
    has been quiet for a few seconds sends its next burst at once. Chats leave the table once
    their pace no longer holds anything back."""

    def __init__(
        self,
        burst: int = BURST,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._interval = interval
        self._clock = clock
        self._due: dict[object, float] = {}
        """chat -> when its pace is back to nothing held (the theoretical arrival time)."""

    def delay(self, chat: object) -> float:
        """Reserve the next message to `chat`: the seconds to wait before sending it."""
        now = self._clock()
        if len(self._due) > 10_000:  # forget chats whose pace holds nothing back any more
            self._due = {c: due for c, due in self._due.items() if due > now}
        due = max(self._due.get(chat, now), now)
        self._due[chat] = due + self._interval
        return max(0.0, due - now - (self._burst - 1) * self._interval)

    async def wait(self, chat: object) -> None:
        wait = self.delay(str(chat))
        if wait > 0:
            await asyncio.sleep(wait)


def seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
