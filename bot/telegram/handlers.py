"""The bot's lifecycle and its routes: what runs when the Application starts and stops, and
which update goes to which handler.

Each handler finds who is speaking and in which language (`_wrap`), then hands the update to
the respondent's side (respondent.py) or the admins' (admin.py), which call the use cases
(bot/usecases/) and render what they answer. Nothing about a respondent's progress is kept in
memory, so a restart or a second device continues from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import Bot, BotCommand, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
    filters,
)
from telegram.ext import MessageHandler as TextHandler

from bot import metrics
from bot.config import Config
from bot.i18n import _, use_language
from bot.pulses.leader import leadership_for
from bot.pulses.runner import PulseRunner
from bot.storage.database import Storage
from bot.storage.times import stamp
from bot.survey.model import LANGUAGES, Survey
from bot.telegram.dashboard import dashboard_command
from bot.telegram.respondent import Respondents, Visit
from bot.telegram.sender import TelegramSender
from bot.usecases.deps import Deps

if TYPE_CHECKING:
    from bot.telegram.admin import AdminCommands

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

RETENTION_EVERY = 24 * 3600.0
"""Seconds between two retention passes."""

ROLL_UP_EVERY = 300.0
"""Seconds between two looks at the report rollups (and at the webhook's claimed update ids)."""

UPDATES_KEPT = timedelta(days=1)
"""How long a webhook update's id stays claimed: Telegram stops redelivering long before."""

Handler = Callable[[Update, Context, Visit], Awaitable[None]]

ADMIN_COMMANDS = ("surveys", "summary", "export", "link", "pulse")
"""The commands of bot/telegram/admin.py, registered before it is imported (the same names:
tests/telegram/test_imports.py)."""


class SurveyBot:
    def __init__(self, config: Config, surveys: Mapping[str, Survey]) -> None:
        self.config = config
        self.surveys = dict(surveys)
        self._storage: Storage | None = None
        self._deps: Deps | None = None
        self._menus: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self._rollups: asyncio.Task[None] | None = None
        self.sender = TelegramSender()
        self.pulses = PulseRunner(
            lambda: self.deps,
            self.sender,
            rate=config.pulse_rate,
            tick=config.pulse_tick,
            # one process runs the pulses: the one holding the database's leader lock
            leadership=leadership_for(config.database),
        )
        self.respondents = Respondents(lambda: self.deps)
        self._admin: AdminCommands | None = None

    @property
    def admin(self) -> AdminCommands:
        """The admin commands, imported at the first one (with the admin use cases and the
        report queries behind them): a bot most of whose updates are taps never holds them."""
        if self._admin is None:
            from bot.telegram.admin import AdminCommands

            self._admin = AdminCommands(lambda: self.deps)
        return self._admin

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("storage is opened in post_init")
        return self._storage

    @property
    def ready(self) -> bool:
        """Whether storage is open and the use cases' Deps built: between post_init and
        post_shutdown."""
        return self._deps is not None

    @property
    def deps(self) -> Deps:
        """What every use case is given: built in post_init, once storage is open."""
        if self._deps is None:
            raise RuntimeError("storage is opened in post_init")
        return self._deps

    # lifecycle

    async def post_init(self, application: Application) -> None:  # type: ignore[type-arg]
        self._storage = await Storage.open(self.config.database)
        self._deps = Deps(
            self.config,
            self.surveys,
            self._storage,
            wake_pulses=self.pulses.kick,
            bot_username=application.bot.username,
        )
        self.sender.bot = application.bot
        self.pulses.start()
        # the menus need five calls to the Bot API: made while the first updates come in
        self._menus = asyncio.create_task(self._register_menus(application.bot))
        if self.config.retention_days is not None:
            self._retention = asyncio.create_task(self._retain(self.config.retention_days))
        self._rollups = asyncio.create_task(self._roll_up())

    async def _roll_up(self) -> None:
        """Every report brings the rollups up to date itself; doing it here, at start and every
        few minutes, keeps the first report of an hour from waiting for it, and the first on a
        database from an earlier version (about 50 s at 10 M answers, a day per transaction).
        The webhook's claimed update ids older than UPDATES_KEPT go at the same pace."""
        while True:
            try:
                await self.storage.roll_up(if_behind=True)
            except Exception:
                log.exception("roll-up failed; reports read the raw rows until the next one")
            try:  # a few minutes' worth each time, rather than a day's at once
                await self.storage.forget_updates(stamp(datetime.now(UTC) - UPDATES_KEPT))
            except Exception:
                log.exception("claimed update ids not pruned; trying again at the next roll-up")
            await asyncio.sleep(ROLL_UP_EVERY)

    async def _retain(self, days: int) -> None:
        """RETENTION_DAYS: at start, then once a day, forget people not seen for that long and
        delete answers left unfinished as long."""
        while True:
            before = stamp(datetime.now(UTC) - timedelta(days=days))
            try:
                purged = await self.storage.purge(before)
            except Exception:
                log.exception("retention pass failed; trying again in a day")
            else:
                log.info(
                    "retention: %d people and %d unfinished responses deleted",
                    purged.users,
                    purged.unfinished,
                )
            await asyncio.sleep(RETENTION_EVERY)

    async def _register_menus(self, bot: Bot) -> None:
        try:
            for language in LANGUAGES:
                with use_language(language):
                    await bot.set_my_commands(_commands(), language_code=language)
            with use_language(self.config.default_language):
                await bot.set_my_commands(_commands())
        except TelegramError as error:
            # the command menu is a convenience; a server without it must not stop the surveys
            log.warning("could not register the command menu: %s", error)

    async def post_shutdown(self, application: Application) -> None:  # type: ignore[type-arg]
        if self._menus is not None:
            self._menus.cancel()
        for task in (self._retention, self._rollups):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.pulses.stop()
        if self._storage is not None:
            await self._storage.close()
            self._storage = None
            self._deps = None

    # routes

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        people = self.respondents
        # counted before any handler looks at it (group -1 runs first, and lets it go on)
        application.add_handler(TypeHandler(Update, _count), group=-1)
        # Only a new message is something said to the bot now. Edits of old messages, and
        # messages to a business account or a guest bot, carry a message too, and every handler
        # would otherwise take them (an edited old answer would answer the current question).
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        group = ~filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        commands: dict[str, Handler] = {
            "start": people.on_start,
            "language": people.on_language,
            "help": people.on_help,
            "stop": people.on_stop,
            "forget": people.on_forget,
        }
        commands |= {name: self._admin_command(name) for name in ADMIN_COMMANDS}
        commands["dashboard"] = dashboard_command(self.config, people.on_unknown)
        # A forwarded command is someone else's words, not a command from the one forwarding
        # (an admin forwarding "/pulse delete 1" must not run it): ignored, before anything
        typed_command = filters.COMMAND | filters.Regex(r"^\s*/\w")
        application.add_handler(TextHandler(filters.FORWARDED & typed_command, _ignore))
        for name, handler in commands.items():
            application.add_handler(CommandHandler(name, self._wrap(handler), private))

        # The same commands typed without Telegram's command entity (some clients and Bot API
        # servers omit it): a respondent typing "/start" must still get the menu. Not with
        # PrefixHandler: it fails on a text of spaces only (it takes the first word of any text).
        for name, handler in commands.items():
            command = filters.Regex(rf"(?i)^\s*/{name}(?:\s|$)")
            application.add_handler(
                TextHandler(private & command, self._wrap(_with_typed_args(handler)))
            )
        # In a group, only /start and /help for this bot (not another bot's, /help@other_bot)
        # get a word: the other commands, the admins' above all, get what an unknown command
        # gets there (nothing), so that a group learns nothing of what the bot can do
        application.add_handler(
            CommandHandler(["start", "help"], self._wrap(people.on_group_command), group)
        )
        application.add_handler(CallbackQueryHandler(people.on_callback))
        unknown_command = filters.COMMAND | filters.Regex(r"^/\w")
        application.add_handler(
            TextHandler(private & unknown_command, self._wrap(people.on_unknown))
        )
        application.add_handler(TextHandler(private & filters.TEXT, self._wrap(people.on_text)))
        unread = filters.UpdateType.EDITED_MESSAGE | (
            filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL
        )
        application.add_handler(
            TextHandler(filters.ChatType.PRIVATE & unread, self._wrap(people.on_unread))
        )
        application.add_error_handler(self.on_error)

    def _wrap(self, handler: Handler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def wrapped(update: Update, context: Context) -> None:
            visit = await self.respondents.visit(update)
            if visit is None:
                return
            with use_language(visit.language):
                await handler(update, context, visit)

        return wrapped

    def _admin_command(self, name: str) -> Handler:
        async def handler(update: Update, context: Context, visit: Visit) -> None:
            if not self.deps.is_admin(visit.user_id):  # as if there were no such command
                await self.respondents.on_unknown(update, context, visit)
                return
            args = list(context.args or [])
            await self.admin.run(name, context, visit.chat_id, visit.user_id, args)

        return handler

    async def on_error(self, update: object, context: Context) -> None:
        error = context.error
        if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest):
            # the Bot API stayed unreachable or busy beyond our retries: not a bug to trace
            log.warning("update not fully answered, the Bot API kept failing: %s", error)
            return
        log.error("update failed: %s", context.error, exc_info=context.error)


async def _count(update: Update, context: Context) -> None:
    """One more update taken in, by kind (what an operator compares with the answers stored)."""
    if update.message is not None or update.edited_message is not None:
        kind = "message"
    elif update.callback_query is not None:
        kind = "callback"
    else:
        kind = "other"
    metrics.updates.labels(kind).inc()


async def _ignore(update: Update, context: Context) -> None:
    """An update that gets no answer and changes nothing."""


def _with_typed_args(handler: Handler) -> Handler:
    """A command matched in plain text: its words after the command become `context.args`."""

    async def with_args(update: Update, context: Context, visit: Visit) -> None:
        message = update.effective_message
        context.args = (message.text or "").split()[1:] if message else []
        await handler(update, context, visit)

    return with_args


def _commands() -> list[BotCommand]:
    return [
        BotCommand("start", _("Choose a questionnaire")),
        BotCommand("language", _("Change the language")),
        BotCommand("help", _("What this bot does")),
        BotCommand("stop", _("Stop receiving pulses")),
        BotCommand("forget", _("Delete what I know about you")),
    ]
