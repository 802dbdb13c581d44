"""The admins' ways into the dashboard (the Mini App at PUBLIC_URL/app/): a menu button in each
admin's chat, set at start, and the /dashboard command.

Everyone else sees neither: the menu button is set per admin chat only, and /dashboard answers
anyone else exactly as an unknown command, like the other admin commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.config import Config
from bot.i18n import _, use_language

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


class Visitor(Protocol):
    """Who sent a command (the chat adapter's Visit)."""

    @property
    def user_id(self) -> int: ...

    @property
    def chat_id(self) -> int: ...


V = TypeVar("V", bound=Visitor)


def button_text() -> str:
    return _("Dashboard")


async def set_menu_buttons(bot: Bot, config: Config) -> None:
    """The dashboard in each admin's menu button, in the default language (the admin's own is
    not known before they write). An admin who never opened the bot cannot get one (Telegram
    answers "chat not found"): logged, and the others still get theirs; never fatal."""
    url = config.dashboard_url
    if url is None:
        return
    with use_language(config.default_language):
        button = MenuButtonWebApp(button_text(), WebAppInfo(url))
    for admin in sorted(config.admin_ids):
        try:
            await bot.set_chat_menu_button(chat_id=admin, menu_button=button)
        except TelegramError as error:
            log.warning("could not set the dashboard menu button for admin %d: %s", admin, error)


class MenuButtons:
    """The menu buttons, set while the first updates come in (one call per admin), as the
    lifecycle hooks of the Application: `post_init` starts it, `post_shutdown` ends it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._task: asyncio.Task[None] | None = None

    async def post_init(self, application: Application) -> None:  # type: ignore[type-arg]
        self._task = asyncio.create_task(set_menu_buttons(application.bot, self.config))

    async def post_shutdown(self, application: Application) -> None:  # type: ignore[type-arg]
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def dashboard_command(
    config: Config, unknown: Callable[[Update, Context, V], Awaitable[None]]
) -> Callable[[Update, Context, V], Awaitable[None]]:
    """/dashboard: a button opening the Mini App, for an admin; `unknown`'s answer for anyone
    else. Without PUBLIC_URL, an admin is told what to set."""

    async def on_dashboard(update: Update, context: Context, visit: V) -> None:
        if visit.user_id not in config.admin_ids:
            await unknown(update, context, visit)
            return
        url = config.dashboard_url
        if url is None:
            await context.bot.send_message(
                visit.chat_id,
                _(
                    "The dashboard is not set up on this server: it needs the web server"
                    " (WEB_PORT) and its https address (PUBLIC_URL)."
                ),
            )
            return
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Open the dashboard"), web_app=WebAppInfo(url))]]
        )
        await context.bot.send_message(
            visit.chat_id,
            _("Results by survey, touchpoint and period, pulses and links:"),
            reply_markup=keyboard,
        )

    return on_dashboard
