"""Bot API calls that meet a 429, a 5xx or a network error are tried again, briefly.

python-telegram-bot routes every call but getUpdates through its rate-limiter hook; this one
limits nothing and only retries: a 429 is waited out when it asks for a short wait, transient
errors get a few quick retries. A long `retry_after` is not waited for inside a handler (updates
are handled one at a time): it is raised, the answer is already stored, and the next tap shows
the current screen again. The pulse runner keeps its own pacing and waits out long 429s.

getMe is not retried: it is the start-up's check of the token and the address, and a start that
cannot reach the Bot API says so at once, in one line, and exits for the process manager to
start it again (rather than printing a retry a second for seconds first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONValue = bool | dict[str, Any] | list[dict[str, Any]]
ATTEMPTS = 8
BACKOFF = (0.1, 0.3, 0.6, 1.0, 2.0)
"""Seconds before each retry of a 5xx or network error (then 2 s): about 8 s in all."""
LONGEST_WAIT = 5.0
"""Seconds of `retry_after` worth waiting inside a handler."""


class Retries(BaseRateLimiter[int]):
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
                if last:
                    raise
                log.info("%s: %s, trying again", endpoint, error)
                await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
        raise AssertionError("unreachable: the last attempt returns or raises")


def seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
