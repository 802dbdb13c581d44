"""Telegram's webhook: `POST /telegram` hands each update to the Application and answers 200
once it is handled.

Telegram counts an update as delivered when the request is answered 200, so the answer waits
until the update is handled (`handle`: the same update processor as in polling mode, one update
at a time per person): a process killed meanwhile has acknowledged nothing, and Telegram
delivers the update again, to this replica or another. The secret Telegram sends back is
checked in constant time before the body is read.

An update Telegram delivers a second time (it does when an answer came late) is handled once.
A second delivery may reach another replica: an update is handled only once its id is claimed
in the database every replica shares (`claim`), after a cheap look at the ids this process has
handled already. The claim is a lease: while another process handles the update, a second
delivery is answered 503 and comes again later; once it is handled (`handled`), 200; and a
claim whose process died is taken over once its lease ran out. A claim that cannot be made
(the database not open yet, or failing) is answered 503 too.

The mark that an update is handled is written after the 200, not before: Telegram delivers an
update again only when it got no 200, and a second delivery arriving before the mark is
answered 503 (the claim is this process's, and not past its lease) and comes again once the
mark is there. Waiting for the mark held every answer for one more commit; the marks are also
written together (`Marks`), a commit for a burst of updates rather than one each.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from telegram import Bot, Update

from bot.storage.updates import Claimed

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

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._seen

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is seen (and remembers it), False for a repeat."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return True


Claim = Callable[[int], Awaitable[Claimed]]
"""Takes an update id for this process in the shared database (`Claimed.TAKEN`), unless it is
handled already (`HANDLED`) or another process is handling it (`BUSY`); raises when the
database cannot say."""
Handled = Callable[[Sequence[int]], Awaitable[None]]
"""Records that the updates claimed by this process are handled."""

MARK_EVERY = 0.05
"""Seconds the marks of updates handled wait to be written together."""


class Marks:
    """Updates handled here, recorded as such in the shared database together: once the first
    is given, the marks given within `MARK_EVERY` are written with it, in one commit."""

    def __init__(self, handled: Handled) -> None:
        self._handled = handled
        self._waiting: list[int] = []
        self._writing: asyncio.Task[None] | None = None

    def add(self, update_id: int) -> None:
        self._waiting.append(update_id)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._waiting:
            await asyncio.sleep(MARK_EVERY)
            marks, self._waiting = self._waiting, []
            try:
                await self._handled(marks)
            except Exception as error:  # handled all the same: past the lease, at worst a
                # redelivery is handled again, and the conditional writes absorb it
                log.warning("webhook: %d updates handled, not recorded so: %s", len(marks), error)

    async def close(self) -> None:
        """The marks given so far, written."""
        if self._writing is not None:
            await self._writing


Handle = Callable[[Update], Awaitable[object]]
"""Handles one update, returning once it is handled (dropped counts as handled)."""


def add_webhook(
    app: web.Application,
    *,
    secret: str,
    bot: Bot,
    handle: Handle,
    claim: Claim | None = None,
    handled: Handled | None = None,
    recent: RecentIds | None = None,
) -> None:
    """`POST /telegram` on `app`: each update `claim` gives this process (all of them without
    a `claim`) is passed to `handle`, recorded by `handled` after, and answered 200 then."""
    expected = secret.encode()
    done = RecentIds() if recent is None else recent
    handling: set[int] = set()
    marks = None if handled is None else Marks(handled)

    async def marked(app: web.Application) -> None:
        """On the way out: the marks still waiting, written."""
        if marks is not None:
            await marks.close()

    app.on_shutdown.append(marked)

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
        update_id = update.update_id
        if update_id in done:
            return web.Response()
        if update_id in handling:  # handled here right now: acknowledged once it is done
            return web.Response(status=503)
        handling.add(update_id)
        try:
            return await take(update)
        finally:
            handling.discard(update_id)

    async def take(update: Update) -> web.Response:
        update_id = update.update_id
        if claim is not None:
            try:
                claimed = await claim(update_id)
            except Exception as error:  # not open yet, closed, locked: whatever it is, later
                log.warning("webhook: update not taken, the database cannot claim it: %s", error)
                return web.Response(status=503)
            if claimed is Claimed.HANDLED:  # perhaps by another replica
                done.first_time(update_id)
                return web.Response()
            if claimed is Claimed.BUSY:  # another process handles it: Telegram comes again
                return web.Response(status=503)
        await handle(update)
        done.first_time(update_id)
        if marks is not None:
            marks.add(update_id)
        return web.Response()

    app.router.add_post(PATH, receive)
