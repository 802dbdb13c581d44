"""The bot's first call to the Bot API, and what an operator reads when it fails.

python-telegram-bot checks the token with getMe when the Application is initialized, and a
failure there came out as a hundred lines: its retry loop's tracebacks, the exception (an
InvalidToken message holds the token itself) and aiohttp's "Unclosed client session" for the
sessions nobody closed. Here that first call is made before the Application starts, on the event
loop it then runs on (bot/telegram/app.py `serve`); a failure closes the sessions and becomes one
line that says what to check, and the Application finds the bot initialized and does not call
again.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import Application

from bot.telegram.http import DEFAULT_TIMEOUT, Refused, Unreachable


class StartupError(Exception):
    """The bot cannot start; the message is one line for the operator, without the token."""


def host_of(api_base_url: str) -> str:
    """'api.telegram.org', '127.0.0.1:8081': where the Bot API is, without a path or a password."""
    parts = urlsplit(api_base_url)
    host = parts.hostname or api_base_url
    return f"{host}:{parts.port}" if parts.port else host


def explain(error: TelegramError, api_base_url: str) -> str:
    """The line an operator reads for a failed first call: what happened, and what to check."""
    host = host_of(api_base_url)
    if isinstance(error, InvalidToken) and isinstance(error.__cause__, Refused):
        error = error.__cause__  # python-telegram-bot's own message quotes the token
    if isinstance(error, Refused) and error.status == 401:
        return (
            f"the Bot API at {host} rejected the token (401 Unauthorized): check BOT_TOKEN"
            " (a revoked token is replaced in @BotFather)"
        )
    if isinstance(error, Refused) and error.status == 404:
        return (
            f"the Bot API at {host} answered 404 Not Found: check BOT_API_BASE_URL"
            " (the server's root URL, without /bot<token>)"
        )
    if isinstance(error, InvalidToken):
        return f"the Bot API at {host} rejected the token: check BOT_TOKEN"
    if isinstance(error, Unreachable):
        return (
            f"cannot reach the Bot API at {host} ({error.reason}): check the network, DNS,"
            " proxy or firewall, and BOT_API_BASE_URL"
        )
    if isinstance(error, TimedOut):
        return (
            f"cannot reach the Bot API at {host} (no answer within {DEFAULT_TIMEOUT:g} s):"
            " check the network, DNS, proxy or firewall, and BOT_API_BASE_URL"
        )
    if isinstance(error, NetworkError):
        return f"the Bot API at {host} failed the bot's first call ({error}): try again later"
    return f"the Bot API at {host} refused the bot's first call ({error}): check BOT_API_BASE_URL"


def connect(application: Application, api_base_url: str) -> None:  # type: ignore[type-arg]
    """getMe on a new event loop, left current for `serve`; StartupError if it fails."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(application.bot.initialize())
    except TelegramError as error:
        loop.run_until_complete(application.bot.shutdown())
        loop.close()
        asyncio.set_event_loop(None)
        raise StartupError(explain(error, api_base_url)) from None
