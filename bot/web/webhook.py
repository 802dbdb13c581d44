"""Telegram's webhook: `POST /telegram` puts each update on the Application's update queue.

As python-telegram-bot's custom-webhook examples do, the route only parses the update and
queues it; the same update processor as in polling mode takes it from there (one update at a
time per person). What the examples leave out is done here: the secret Telegram sends back is
checked in constant time before the body is read, and an update Telegram delivers a second time
(it does when an answer came late) is acknowledged without being queued again.

A second delivery may reach another replica: an update is queued only once its id is claimed
in the database every replica shares (`claim`), after a cheap look at the ids this process has
seen already. A claim that cannot be made (the database not open yet, or failing) is answered
503, and Telegram delivers the update again later.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REMEMBERED = 10_000
"""Update ids kept to recognise a second delivery: Telegram redelivers within minutes, far
fewer updates than this apart even for a busy bot."""


class RecentIds:
    """The last `size` update ids seen, in a bounded set: memory stays flat however long the
    bot runs."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._order: deque[int] = deque()
        self._seen: set[int] = set()
        self._size = size

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is seen (and remembers it), False for a repeat."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return True

    def forget(self, update_id: int) -> None:
        """Take an id back (its update was not taken after all: it may come again)."""
        if update_id in self._seen:
            self._seen.discard(update_id)
            self._order.remove(update_id)


Claim = Callable[[int], Awaitable[bool]]
"""Takes an update id for this process in the shared database: False when another delivery of
it was taken first (here or by another replica); raises when the database cannot say."""


def add_webhook(
    app: web.Application,
    *,
    secret: str,
    bot: Bot,
    queue: asyncio.Queue[Any],
    claim: Claim | None = None,
    recent: RecentIds | None = None,
) -> None:
    """`POST /telegram` on `app`, feeding `queue` (the Application's `update_queue`) with the
    updates `claim` gives this process (all of them without a `claim`)."""
    expected = secret.encode()
    seen = RecentIds() if recent is None else recent

    async def receive(request: web.Request) -> web.Response:
        # compared before anything else is read, and never logged: it is a password
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            log.warning("webhook: a request whose body is not an update was refused")
            return web.Response(status=400)
        if not seen.first_time(update.update_id):
            return web.Response()
        if claim is not None:
            try:
                first = await claim(update.update_id)
            except Exception as error:  # not open yet, closed, locked: whatever it is, later
                seen.forget(update.update_id)
                log.warning("webhook: update not taken, the database cannot claim it: %s", error)
                return web.Response(status=503)
            if not first:  # another delivery of it was taken, perhaps by another replica
                return web.Response()
        await queue.put(update)
        return web.Response()

    app.router.add_post(PATH, receive)
