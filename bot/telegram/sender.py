"""Pulse messages sent through the Bot API, Telegram's answers told back to the runner as `Sent`.

The runner (bot/pulses/runner.py) paces, retries and records; this only sends and classifies.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.error import RetryAfter as TelegramRetryAfter
from telegram.ext import ExtBot

from bot.i18n import use_language
from bot.pulses.runner import RetryAfter, Sent
from bot.telegram.http import may_have_arrived
from bot.telegram.render import pulse_screen
from bot.telegram.retries import ONCE, seconds
from bot.usecases.delivery import PulseMessage

log = logging.getLogger(__name__)


class TelegramSender:
    """Set `bot` once the Application is initialised; until then nothing is sent."""

    def __init__(self) -> None:
        self.bot: ExtBot[Any] | None = None

    async def send(self, message: PulseMessage) -> Sent | RetryAfter:
        if self.bot is None:
            return Sent.FAILED
        with use_language(message.language):
            text, keyboard = pulse_screen(message)
        try:
            await self.bot.send_message(
                message.user_id,
                text,
                reply_markup=keyboard.markup() if keyboard else None,
                rate_limit_args=ONCE,
            )
        except TelegramRetryAfter as error:
            return RetryAfter(seconds(error.retry_after))
        except Forbidden:
            return Sent.BLOCKED
        except BadRequest as error:
            log.warning("pulse not delivered to a member: %s", error.message)
            return Sent.REJECTED
        except NetworkError as error:
            if may_have_arrived(error):
                log.warning("pulse delivery unconfirmed (%s): not sent again", error)
                return Sent.UNCONFIRMED
            log.warning("pulse delivery failed (%s)", error)
            return Sent.FAILED
        return Sent.SENT
