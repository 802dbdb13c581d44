"""The pulse runner: opens scheduled waves, reminds, closes, and delivers within the limits.

A background task, woken every few seconds or at once when a wave opens. Everything it does is
read from and recorded in the database, so a restart simply carries on: schedules, open waves,
and deliveries still `pending` or in flight (`sending`) when the process died.

One process at a time does this work, the leader (bot/pulses/leader.py); in the others the
runner only tries, at every tick, to become the leader, and so takes over within a tick of the
leader's end. Even two runners on one database by mistake do not double anything: a due
schedule opens its wave only in the process that moves the schedule on from the date it found
due, and deliveries are claimed for one process at a time, each claim a lease of a few ticks
that its owner renews just before every message (past it, the owner is taken for dead and
another process takes the row over).

Delivery: a global rate below Telegram's broadcast limit (about 30 messages a second), a few
messages in flight at a time; a 429 waits out its `retry_after`; a 403 (the member blocked the
bot) marks the member inactive and is never retried; 5xx and failed connections are retried with
backoff, up to a limit, each retry through the same limiter (the HTTP layer's own retries are
off for pulses). A message that may have reached Telegram (a timeout while waiting for its
answer) is never sent again: that keeps "at most the messages in flight at a crash arrive
twice" (IN_FLIGHT, the process's own or the dead leader's the next one takes over) true when
Telegram answers slowly.

What each message says is decided in bot/usecases/delivery.py; sending it is the messenger
adapter's `Sender` (bot/telegram/sender.py), which reports what became of it as a `Sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from aiolimiter import AsyncLimiter

from bot import metrics
from bot.pulses.leader import Leadership
from bot.pulses.schedule import ScheduleError, catch_up
from bot.storage.pulses import Delivery, Pulse
from bot.storage.times import stamp, utcnow
from bot.usecases.delivery import PulseMessage, deliver, non_finishers
from bot.usecases.deps import Deps

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
IN_FLIGHT = 4
"""Messages being sent at once: also how many a crash can make someone receive twice."""
BATCH = 200
LEASE_TICKS = 3
"""How long a claim on deliveries lasts, in ticks, renewed before each message. A process that
dies holding claims delays those messages by at most this long."""


class Sent(Enum):
    """What became of one message handed to the messenger."""

    SENT = "sent"
    BLOCKED = "blocked"
    """The member blocked the bot: marked inactive, never retried."""
    REJECTED = "rejected"
    """Refused as malformed: sending it again would be refused again."""
    UNCONFIRMED = "unconfirmed"
    """It may have arrived (a timeout while the server answered): counted as sent, never sent
    again, or it could show twice."""
    FAILED = "failed"
    """It did not arrive (a 5xx, no connection): tried again later, a few times."""


@dataclass(frozen=True)
class RetryAfter:
    """The messenger asks to wait this many seconds before any further message."""

    seconds: float


class Sender(Protocol):
    """How a pulse message reaches a member: the messenger's adapter implements it."""

    async def send(self, message: PulseMessage) -> Sent | RetryAfter: ...


class PulseRunner:
    def __init__(
        self,
        deps: Callable[[], Deps],
        sender: Sender,
        *,
        rate: float,
        tick: float,
        leadership: Leadership,
    ) -> None:
        self._deps = deps
        self._sender = sender
        self._leadership = leadership
        self._leading: bool | None = None
        """None until the first try; then whether this process is the leader."""
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        """Whose claims on deliveries are this runner's: a new one at every start."""
        self._lease = LEASE_TICKS * tick
        self._limiter = AsyncLimiter(1, 1 / rate)  # one at a time, evenly: no bursts
        self._tick = tick
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._broken: set[int] = set()
        """Schedules that cannot be computed, already reported in the log."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pulses")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._leadership.release()  # the next process leads from its next tick
        if self._leading:
            log.info("pulses: stepped down as leader")
        self._leading = None
        metrics.pulse_leader.set(0)

    def kick(self) -> None:
        """Work now rather than at the next tick (a wave was just opened)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                if await self._lead():
                    await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pulse runner step failed; trying again at the next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._tick)
            self._wake.clear()

    async def _lead(self) -> bool:
        """Whether this process leads now: it still holds the lock, or has just taken it.
        Said in the log when that changes, once."""
        if self._leading and await self._leadership.held():
            return True
        if self._leading:
            log.warning("pulses: no longer the leader; trying again at every tick")
        leading = await self._leadership.acquire()
        if leading:
            log.info("pulses: this process is the leader: it opens, reminds, closes and sends")
        elif self._leading is None:
            log.info("pulses: another process is the leader; this one takes over if it stops")
        self._leading = leading
        metrics.pulse_leader.set(int(leading))
        return leading

    async def run_once(self) -> None:
        deps = self._deps()
        pulses = deps.storage.pulses
        now = utcnow()
        for pulse in await pulses.due_pulses(now):
            try:
                await self._open_due(pulse)
            except ScheduleError as error:  # a time zone gone from tzdata, say
                if pulse.id not in self._broken:  # once, not at every tick
                    log.error("pulse %d skipped, its schedule is broken: %s", pulse.id, error)
                    self._broken.add(pulse.id)
            except Exception:
                log.exception("pulse %d skipped: opening its wave failed", pulse.id)
        for wave in await pulses.waves_to_remind(now):
            await pulses.add_reminders(wave.id, await non_finishers(deps, wave))
        await pulses.close_due_waves(now)
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(delivery: Delivery) -> None:
            async with slots:
                await self._send(delivery)

        while batch := await pulses.to_send(BATCH, owner=self._owner, lease=self._lease):
            # a task group, not gather: when one send fails the others are cancelled and
            # waited for, so none is still sending when the next step (or a kick) starts
            async with asyncio.TaskGroup() as group:
                for delivery in batch:
                    group.create_task(one(delivery))
            if len(batch) < BATCH:
                break
        # the log of recent writes would tell which participation came with which anonymous
        # response, and keep a closed wave's deleted rows: emptied at every step
        await deps.storage.checkpoint()

    async def _open_due(self, pulse: Pulse) -> None:
        """At most one wave for a schedule found due: after downtime, the occasions missed are
        skipped (logged, and shown in /pulse) and only the latest one, if still open, opens."""
        pulses = self._deps().storage.pulses
        plan = catch_up(
            datetime.fromisoformat(pulse.next_at + "+00:00"),
            datetime.now(UTC),
            pulse.cadence,
            pulse.local_time,
            pulse.time_zone,
            pulse.anchor_day,
            pulse.open_hours,
        )
        skipped = (plan.skipped, stamp(plan.last_skipped) if plan.last_skipped else None)
        if plan.skipped:
            log.warning(
                "pulse %d: %d waves skipped while stopped (the latest due %s UTC), %s",
                pulse.id,
                plan.skipped,
                skipped[1],
                "the latest occasion opens now" if plan.open_wave else "none still open",
            )
        if not plan.open_wave:
            await pulses.skip(pulse, stamp(plan.following), skipped)
            return
        if await pulses.open_due_wave(pulse, stamp(plan.following), skipped) is None:
            log.warning("pulse %d: not opened here, the schedule moved on meanwhile", pulse.id)

    async def _send(self, delivery: Delivery) -> None:
        deps = self._deps()
        pulses = deps.storage.pulses
        message = await deliver(deps, delivery)
        if message is None:
            await pulses.set_state(delivery, "dropped", attempt=True)
            return
        while True:
            async with self._limiter:
                # the claim made good for the send about to go out, or the row left alone: it
                # was taken over by another process (this one was taken for dead) or dropped
                if not await pulses.renew(delivery, self._lease):
                    return
                result = await self._sender.send(message)
            if not isinstance(result, RetryAfter):
                break
            await asyncio.sleep(result.seconds)
        match result:
            case Sent.SENT | Sent.UNCONFIRMED:
                # unconfirmed: the message may be in the chat, and sending it again would show
                # it twice. Counted as sent (its buttons work; a reminder goes to whoever does
                # not finish), never sent again.
                await pulses.set_state(delivery, "sent", attempt=True)
            case Sent.BLOCKED:
                await pulses.set_state(delivery, "blocked", attempt=True)
                await pulses.mark_inactive(delivery.user_id)
            case Sent.REJECTED:
                await pulses.set_state(delivery, "failed", attempt=True)
            case Sent.FAILED:
                # 5xx, no connection: again at a later step, through the limiter, a few times
                final = delivery.attempts + 1 >= MAX_ATTEMPTS
                if final:
                    log.warning("pulse delivery failed %d times, giving up", MAX_ATTEMPTS)
                await pulses.set_state(delivery, "failed" if final else "pending", attempt=True)
                await asyncio.sleep(min(2**delivery.attempts, 30) / 10)
