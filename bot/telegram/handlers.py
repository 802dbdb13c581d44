"""Updates in, engine decisions, storage commits, messages out.

Each handler: find who is speaking and in which language, ask the engine what the update means
for their stored state, commit, then render. Nothing about a respondent's progress is kept in
memory, so a restart or a second device continues from the database. One exception: which
anonymous response typed text answers, since nothing stored may lead from a person to their
anonymous response; after a restart a tap in its message (carrying its nonce) leads there again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, BotCommand, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    filters,
)
from telegram.ext import MessageHandler as TextHandler

from bot.config import Config
from bot.i18n import (
    _,
    format_day,
    format_number,
    language_name,
    ngettext,
    resolve_language,
    use_language,
)
from bot.pulses import MAX_TEAMS
from bot.storage.database import Response, ResponseClosed, Storage
from bot.storage.pulses import Delivery, Wave
from bot.storage.times import stamp
from bot.survey.flow import (
    InvalidAnswer,
    check_answer,
    current_question,
    cursor_after,
    next_question,
    previous_question,
    progress,
)
from bot.survey.links import Invite, decode_payload, invite_accepted, invite_of
from bot.survey.model import LANGUAGES, PlacedQuestion, Survey, TextScale
from bot.survey.repeats import again_from
from bot.survey.respondents import respondent
from bot.survey.scoring import score
from bot.survey.screens import question_screen, summary_screen
from bot.telegram import callback_data
from bot.telegram.admin import AdminCommands
from bot.telegram.dashboard import dashboard_command
from bot.telegram.keyboards import (
    forget_keyboard,
    language_keyboard,
    menu_keyboard,
    question_keyboard,
    resume_keyboard,
    wave_keyboard,
)
from bot.telegram.pulses import PulseRunner
from bot.telegram.retries import ONCE

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

RETENTION_EVERY = 24 * 3600.0
"""Seconds between two retention passes."""


@dataclass(frozen=True)
class Visit:
    """Who sent the update, where, and the language to answer in."""

    user_id: int
    chat_id: int
    language: str


Handler = Callable[[Update, Context, Visit], Awaitable[None]]
Screen = tuple[str, InlineKeyboardMarkup | None]


@dataclass(frozen=True)
class Typing:
    """An anonymous response whose text question is on screen: where typed text goes.

    Kept in memory only (nothing stored may tie a person to an anonymous response): after a
    restart the person taps in the survey's message again, which proves with its nonce whose
    response it is."""

    response_id: int
    nonce: str
    message_id: int | None


def new_nonce() -> tuple[str, str]:
    """A nonce for an anonymous response's buttons, and the hash of it that is stored."""
    nonce = secrets.token_urlsafe(9)
    return nonce, nonce_hash(nonce)


def nonce_hash(nonce: str) -> str:
    # 72 random bits: no key is needed for the hash to give nothing back
    return hashlib.sha256(nonce.encode()).hexdigest()


class Refused(Exception):
    """An update that does not fit the respondent's state: say why, change nothing."""

    def __init__(self, notice: str, *, reshow: bool = False) -> None:
        super().__init__(notice)
        self.notice = notice
        self.reshow = reshow


class Finished(Refused):
    """A tap on a response already finished: perhaps the result was never shown (the bot was
    stopped between storing the last answer and showing it), so the tapped message shows it."""

    def __init__(self, survey: Survey, response: Response) -> None:
        super().__init__(_("This survey is already finished. Send /start to take another one."))
        self.survey = survey
        self.response = response


class SurveyBot:
    def __init__(self, config: Config, surveys: Mapping[str, Survey]) -> None:
        self.config = config
        self.surveys = dict(surveys)
        self._storage: Storage | None = None
        self._bot: ExtBot[Any] | None = None
        self._menus: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self._typing: dict[int, Typing] = {}
        self.pulses = PulseRunner(
            lambda: self.storage,
            self.deliver,
            self.non_finishers,
            rate=config.pulse_rate,
            tick=config.pulse_tick,
        )
        self.admin = AdminCommands(
            config, self.surveys, lambda: self.storage, wake=self.pulses.kick
        )

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("storage is opened in post_init")
        return self._storage

    # lifecycle

    async def post_init(self, application: Application) -> None:  # type: ignore[type-arg]
        self._storage = await Storage.open(self.config.database)
        self._bot = application.bot
        self.pulses.start()
        # the menus need five calls to the Bot API: made while the first updates come in
        self._menus = asyncio.create_task(self._register_menus(application.bot))
        if self.config.retention_days is not None:
            self._retention = asyncio.create_task(self._retain(self.config.retention_days))

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
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        await self.pulses.stop()
        if self._storage is not None:
            await self._storage.close()
            self._storage = None

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        # Only a new message is something said to the bot now. Edits of old messages, and
        # messages to a business account or a guest bot, carry a message too, and every handler
        # would otherwise take them (an edited old answer would answer the current question).
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        group = ~filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        commands: dict[str, Handler] = {
            "start": self.on_start,
            "language": self.on_language,
            "help": self.on_help,
            "stop": self.on_stop,
            "forget": self.on_forget,
        }
        commands |= {name: self._admin_command(name) for name in self.admin.commands}
        commands["dashboard"] = dashboard_command(self.config, self.on_unknown)
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
            CommandHandler(["start", "help"], self._wrap(self.on_group_command), group)
        )
        application.add_handler(CallbackQueryHandler(self.on_callback))
        unknown_command = filters.COMMAND | filters.Regex(r"^/\w")
        application.add_handler(TextHandler(private & unknown_command, self._wrap(self.on_unknown)))
        application.add_handler(TextHandler(private & filters.TEXT, self._wrap(self.on_text)))
        unread = filters.UpdateType.EDITED_MESSAGE | (
            filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL
        )
        application.add_handler(
            TextHandler(filters.ChatType.PRIVATE & unread, self._wrap(self.on_unread))
        )
        application.add_error_handler(self.on_error)

    def _wrap(self, handler: Handler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def wrapped(update: Update, context: Context) -> None:
            visit = await self._visit(update)
            if visit is None:
                return
            with use_language(visit.language):
                await handler(update, context, visit)

        return wrapped

    def _admin_command(self, name: str) -> Handler:
        async def handler(update: Update, context: Context, visit: Visit) -> None:
            if not self.admin.is_admin(visit.user_id):
                await self.on_unknown(update, context, visit)
                return
            await self.admin.run(name, context, visit.chat_id, list(context.args or []))

        return handler

    async def _visit(self, update: Update) -> Visit | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return None
        stored = await self.storage.touch_user(user.id, user.language_code)
        language = stored.language or resolve_language(
            user.language_code, self.config.default_language
        )
        return Visit(user_id=user.id, chat_id=chat.id, language=language)

    # who owns what

    async def _owned(
        self, visit: Visit, response_id: int, nonce: str | None = None
    ) -> tuple[Survey, Response]:
        """The person's own response still open, with its survey; else Refused.

        An anonymous response is theirs only if the tap carries the nonce of its buttons:
        nothing stored says whose it is."""
        response = await self.storage.response(response_id)
        if response is None:
            raise Refused(_("This button is not valid any more."))
        if response.anonymous:
            proof = nonce_hash(nonce) if nonce is not None else ""
            if not response.nonce_hash or not hmac.compare_digest(proof, response.nonce_hash):
                raise Refused(_("This button is not valid any more."))
        elif response.respondent != respondent(visit.user_id):  # someone else's response
            raise Refused(_("This button is not valid any more."))
        survey = self.surveys.get(response.survey_id)
        if survey is None:
            raise Refused(_("This survey is closed."))
        if response.finished:
            raise Finished(survey, response)
        if response.closed_at is not None or await self._expire(survey, response):
            raise Refused(_("This questionnaire has expired. Send /start to begin again."))
        return survey, response

    async def _expire(self, survey: Survey, response: Response) -> bool:
        """Close an unfinished response left alone longer than the survey allows (a wave's
        responses end with the wave)."""
        if survey.expires_after_hours is None or response.wave_id is not None:
            return False
        last = datetime.fromisoformat(response.updated_at).replace(tzinfo=UTC)
        if response.anonymous:  # only the day is kept: the latest it can have been
            last += timedelta(days=1)
        if datetime.now(UTC) - last <= timedelta(hours=survey.expires_after_hours):
            return False
        await self.storage.close_response(response.id, "expired")
        return True

    async def _open_response(self, visit: Visit, survey: Survey | None = None) -> Response | None:
        """The person's unfinished response (of one survey, if given) that has not expired.
        Never an anonymous one: nothing stored leads from the person to it."""
        if survey is not None and survey.anonymous:
            return None
        while True:
            response = await self.storage.open_response(
                [respondent(visit.user_id)], survey.id if survey else None
            )
            if response is None:
                return None
            owner = self.surveys.get(response.survey_id)
            if owner is not None and not await self._expire(owner, response):
                return response
            if owner is None:
                await self.storage.close_response(response.id, "survey removed")

    # commands

    async def on_start(self, update: Update, context: Context, visit: Visit) -> None:
        if context.args:
            target = decode_payload(context.args[0])
            survey = self.surveys.get(target.survey_id) if target else None
            if target is not None and survey is not None and survey.repeat == "wave":
                await self._join(context, visit, survey, invite_of(target))
                return
            if target is not None and survey is not None:
                await self._begin(context, visit, survey, target.segment, by_link=True)
                return
            text = _("This link does not lead to a survey we know. Here are the ones you can take:")
            await context.bot.send_message(visit.chat_id, text, reply_markup=self._menu())
            return
        pulse = await self._pulse_note(visit)
        unfinished = await self._open_response(visit)
        if unfinished is None:
            text = _("Hello! Choose a questionnaire:")
            if pulse is not None:
                text = f"{pulse}\n\n{text}"
            await context.bot.send_message(visit.chat_id, text, reply_markup=self._menu())
            return
        survey = self.surveys[unfinished.survey_id]
        question = current_question(survey, unfinished.answers, unfinished.cursor)
        assert question is not None, "an open response always has a question to show"
        step = progress(survey, question, unfinished.answers)
        text = _(
            "You have an unfinished questionnaire: {title} ({position}/{total})."
            " Continue, start over, or choose another one:"
        ).format(title=survey.title(visit.language), position=step.position, total=step.total)
        if pulse is not None:
            text = f"{pulse}\n\n{text}"
        markup = InlineKeyboardMarkup(
            [*resume_keyboard(unfinished.id).inline_keyboard, *self._menu().inline_keyboard]
        )
        await context.bot.send_message(visit.chat_id, text, reply_markup=markup)

    async def _pulse_note(self, visit: Visit) -> str | None:
        """A pulse the person started and has not finished: it goes on in its own message
        (which holds the proof that the response is theirs), so it is only pointed at."""
        if not await self.storage.pulses.unfinished_waves(visit.user_id):
            return None
        return _("Your team's pulse is still open: continue in its message above.")

    async def _join(
        self, context: Context, visit: Visit, survey: Survey, invite: Invite | None
    ) -> None:
        """An invite link: the employee joins the team's audience; an open wave reaches them.

        Only a link with the team's current secret joins. A wrong secret, a replaced one and a
        team that has no link get the same words, so that no one can find out which teams exist.
        """
        pulses = self.storage.pulses
        stored = await pulses.invite_secret(survey.id, invite.team) if invite else None
        if invite is None or not invite_accepted(invite, stored):
            await context.bot.send_message(
                visit.chat_id,
                _(
                    "This invite link is not valid, perhaps because it has been replaced by a"
                    " new one. Ask for your team's current link."
                ),
            )
            return
        team = invite.team
        if not await pulses.join(team, visit.user_id, most=MAX_TEAMS):
            await context.bot.send_message(
                visit.chat_id,
                ngettext(
                    "You are already in the pulse surveys of {count} team, the most one person"
                    " can join, so this link changed nothing.",
                    "You are already in the pulse surveys of {count} teams, the most one person"
                    " can join, so this link changed nothing.",
                    MAX_TEAMS,
                ).format(count=MAX_TEAMS),
            )
            return
        await context.bot.send_message(visit.chat_id, _joined(survey, team))
        for wave in await pulses.open_waves(team):
            if wave.survey_id == survey.id and await pulses.add_delivery(wave.id, visit.user_id):
                self.pulses.kick()

    async def on_stop(self, update: Update, context: Context, visit: Visit) -> None:
        left = await self.storage.pulses.leave_all(visit.user_id)
        text = (
            _("Done: you will not receive pulses any more. Your team's link lets you rejoin.")
            if left
            else _("You are not in any pulse, so there is nothing to stop.")
        )
        await context.bot.send_message(visit.chat_id, text)

    async def on_forget(self, update: Update, context: Context, visit: Visit) -> None:
        """Ask first: forgetting cannot be undone. The buttons name the person and the time
        asked, so only they can confirm, and only for a few minutes."""
        text = "\n\n".join(
            [
                _(
                    "Do you want me to forget you? I will delete, for good, your Telegram id and"
                    " language, the pulse teams you joined, and your answers to surveys that are"
                    " not anonymous."
                ),
                _(
                    "Your answers to anonymous surveys (such as your team's pulse) are stored"
                    " without your account: nothing in them leads to you, so there is nothing of"
                    " yours to delete there, and they stay in the results."
                ),
            ]
        )
        markup = forget_keyboard(visit.user_id, int(time.time()))
        await context.bot.send_message(visit.chat_id, text, reply_markup=markup)

    async def _on_forget_tap(
        self, context: Context, visit: Visit, tap: callback_data.Forget, tapped: int | None
    ) -> None:
        if not tap.valid_for(visit.user_id, time.time()):  # forged by another, or stale
            raise Refused(_("This button is not valid any more."))
        if tap.confirm:
            await self.storage.forget(visit.user_id)
            self._typing.pop(visit.user_id, None)
            text = _(
                "Done: I have forgotten you. If you write to me again, I will know only what"
                " you tell me from then on."
            )
        else:
            text = _("Nothing was deleted.")
        if tapped is not None:
            await self._edit(context, visit.chat_id, tapped, (text, None))
        else:
            await context.bot.send_message(visit.chat_id, text)

    # pulses

    async def deliver(self, delivery: Delivery) -> bool:
        """A wave's first question, or a reminder, to one member; False: nothing to send.

        No response exists before the member's first tap: the first question's buttons name
        the wave, and the tap creates the response (see `_on_wave_answer`)."""
        wave, bot = delivery.wave, self._bot
        survey = self.surveys.get(wave.survey_id)
        user = await self.storage.user(delivery.user_id)
        if survey is None or user is None or bot is None:
            return False
        finished = await self.storage.pulses.participation(wave.id, user.id)
        language = user.language or resolve_language(
            user.telegram_language, self.config.default_language
        )
        with use_language(language):
            if finished or (finished is not None and delivery.kind == "wave"):
                return False
            if finished is not None:  # started: their message holds the rest
                text = _(
                    "A reminder: your team's pulse is still open: you can finish it in its"
                    " message above."
                )
                await bot.send_message(user.id, text, rate_limit_args=ONCE)
                return True
            if delivery.kind == "reminder":
                note = _("A reminder: your team's pulse is still open, and it takes a minute.")
            else:
                note = _("Time for your team's pulse.")
            text, markup = self._wave_screen(survey, wave.id)
            await bot.send_message(
                user.id, f"{note}\n\n{text}", reply_markup=markup, rate_limit_args=ONCE
            )
        return True

    async def non_finishers(self, wave: Wave) -> list[int]:
        """Members the wave reached who have not finished it: the ones a reminder is for."""
        return await self.storage.pulses.not_finished(wave.id)

    async def on_language(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(
            visit.chat_id, _("Choose your language:"), reply_markup=language_keyboard()
        )

    async def on_help(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(visit.chat_id, _help())

    async def on_group_command(self, update: Update, context: Context, visit: Visit) -> None:
        """Surveys are personal (and some anonymous): never in a group, but say where."""
        await context.bot.send_message(
            visit.chat_id,
            _("I work in private chat: open a chat with me to answer a questionnaire."),
        )

    async def on_unknown(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(
            visit.chat_id, _("Sorry, I do not know this command. /help lists what I can do.")
        )

    # typed text

    async def on_text(self, update: Update, context: Context, visit: Visit) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        typing = self._typing.get(visit.user_id)
        if typing is not None:
            try:
                survey, anonymous = await self._owned(visit, typing.response_id, typing.nonce)
            except Refused:
                self._typing.pop(visit.user_id, None)
            else:
                await self._take_text(context, visit, survey, anonymous, message.text, typing)
                return
        response = await self._open_response(visit)
        if response is None:
            pulse = await self._pulse_note(visit)
            await context.bot.send_message(
                visit.chat_id, pulse or _("To take a survey, send /start.")
            )
            return
        survey = self.surveys[response.survey_id]
        await self._take_text(context, visit, survey, response, message.text, None)

    async def _take_text(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        response: Response,
        text: str,
        typing: Typing | None,
    ) -> None:
        """Typed text as the answer to the current question, if it asks for text."""
        nonce = typing.nonce if typing else None
        question = current_question(survey, response.answers, response.cursor)
        assert question is not None, "an open response always has a question to show"
        if not isinstance(question.scale, TextScale):
            await context.bot.send_message(
                visit.chat_id, _("Please answer with the buttons under the question.")
            )
        else:
            try:
                response = await self._store_answer(survey, response, question, text, visit)
            except Refused as refusal:
                await context.bot.send_message(visit.chat_id, refusal.notice)
                return
            except sqlite3.Error as error:  # disk full, locked past the timeout
                log.error("a typed answer could not be saved: %s", error)
                await context.bot.send_message(
                    visit.chat_id, _("Your answer was not saved. Please send it again.")
                )
                return
        if typing is not None:  # an anonymous response's message is not stored: dropped here
            await self._drop_keyboard(context, visit.chat_id, typing.message_id)
        await self._send_current(context, visit, survey, response, nonce=nonce)

    # buttons

    async def on_callback(self, update: Update, context: Context) -> None:
        """Every callback query gets its answer, whatever happens while handling it."""
        query = update.callback_query
        assert query is not None
        notice: str | None = None
        try:
            chat = update.effective_chat
            if chat is None or chat.type != chat.PRIVATE:
                return  # surveys are answered in private only: answered, nothing done
            visit = await self._visit(update)
            if visit is None:
                return
            with use_language(visit.language):
                try:
                    await self._on_action(update, context, visit)
                except Refused as refusal:
                    notice = refusal.notice
                except sqlite3.Error as error:  # disk full, locked past the timeout
                    log.error("a tap could not be saved: %s", error)
                    notice = _("Your answer was not saved. Please tap again.")
        finally:
            try:
                await query.answer(notice)
            except TelegramError as error:
                log.warning("callback query not answered: %s", error)

    async def _on_action(self, update: Update, context: Context, visit: Visit) -> None:
        query = update.callback_query
        assert query is not None
        action = callback_data.decode(query.data)
        tapped = query.message.message_id if query.message else None
        match action:
            case callback_data.StartSurvey(survey_id=survey_id) if self._listed(survey_id):
                await self._begin(context, visit, self.surveys[survey_id], None, by_link=False)
            case callback_data.ChooseLanguage(language=language) if language in LANGUAGES:
                await self.storage.set_language(visit.user_id, language)
                with use_language(language):
                    text = _("Language: {name}. Send /start to choose a questionnaire.").format(
                        name=language_name(language)
                    )
                    if tapped is not None:
                        await self._edit(context, visit.chat_id, tapped, (text, None))
            case callback_data.Resume(response_id=response_id, restart=restart):
                survey, response = await self._owned(visit, response_id)  # never anonymous
                if restart:
                    await self.storage.close_response(response.id, "restarted")
                    response = await self.storage.start_response(
                        survey_id=survey.id,
                        respondent=response.respondent,
                        user_id=response.user_id,
                        segment=response.segment,
                        language=visit.language,
                        wave_id=response.wave_id,
                    )
                    await self._send_current(context, visit, survey, response)
                else:
                    note = _("Welcome back! You continue where you stopped.")
                    await self._send_current(context, visit, survey, response, note)
            case callback_data.Answer() | callback_data.Back() as tap:
                await self._on_tap(context, visit, tap, tapped)
            case callback_data.WaveAnswer() as tap:
                await self._on_wave_answer(context, visit, tap, tapped)
            case callback_data.Forget() as tap:
                await self._on_forget_tap(context, visit, tap, tapped)
            case _:
                raise Refused(_("This button is not valid any more."))

    def _listed(self, survey_id: str) -> bool:
        """A survey the menu offers: public, and not a pulse (answered only from a wave)."""
        survey = self.surveys.get(survey_id)
        return survey is not None and survey.public and survey.repeat != "wave"

    async def _on_wave_answer(
        self, context: Context, visit: Visit, tap: callback_data.WaveAnswer, tapped: int | None
    ) -> None:
        """The first answer to a wave: creates the response, if the wave was delivered to this
        person, is open, and they have not started it yet (all checked in one transaction)."""
        wave = await self.storage.pulses.wave(tap.wave_id)
        survey = self.surveys.get(wave.survey_id) if wave else None
        if wave is None or survey is None or survey.repeat != "wave":
            raise Refused(_("This button is not valid any more."))
        question = current_question(survey, {}, None)
        if question is None or question.index != tap.question_index:
            raise Refused(_("This button is not valid any more."))
        value = _checked(question, tap.value)
        answers = {question.id: value}
        cursor = cursor_after(survey, answers, question)
        nonce, digest = new_nonce() if survey.anonymous else (None, None)
        outcome = await self.storage.start_in_wave(
            wave_id=wave.id,
            user_id=visit.user_id,
            survey_id=survey.id,
            anonymous=survey.anonymous,
            language=visit.language,
            question_id=question.id,
            value=value,
            cursor=cursor,
            finished=cursor is None and next_question(survey, answers) is None,
            nonce_hash=digest,
        )
        if outcome == "finished":
            raise Refused(_("This survey is already finished. Send /start to take another one."))
        if outcome == "closed":
            raise Refused(_("This survey is closed."))
        if isinstance(outcome, str):  # not sent to them, or already started elsewhere
            raise Refused(_("This button is not valid any more."))
        if tapped is None:
            await self._send_current(context, visit, survey, outcome, nonce=nonce)
            return
        await self._edit(context, visit.chat_id, tapped, await self._screen(survey, outcome, nonce))
        if not outcome.anonymous:
            await self.storage.set_message(outcome.id, tapped)
        self._note_typing(visit, survey, outcome, nonce, tapped)

    def _note_typing(
        self,
        visit: Visit,
        survey: Survey,
        response: Response,
        nonce: str | None,
        message_id: int | None,
    ) -> None:
        """Remember (in memory) the anonymous response whose text question is now on screen;
        anything else on screen ends that."""
        question = (
            current_question(survey, response.answers, response.cursor) if response.open else None
        )
        if nonce is not None and question is not None and isinstance(question.scale, TextScale):
            self._typing[visit.user_id] = Typing(response.id, nonce, message_id)
        else:
            self._typing.pop(visit.user_id, None)

    async def _on_tap(
        self,
        context: Context,
        visit: Visit,
        tap: callback_data.Answer | callback_data.Back,
        tapped: int | None,
    ) -> None:
        try:
            survey, response = await self._owned(visit, tap.response_id, tap.nonce)
        except Finished as done:
            if tapped is not None:
                result = await self._screen(done.survey, done.response)
                await self._edit(context, visit.chat_id, tapped, result)
            raise
        question = current_question(survey, response.answers, response.cursor)
        assert question is not None, "an open response always has a question to show"
        try:
            if question.index != tap.question_index:
                raise Refused(
                    _("This question is already answered. Here is the current one."), reshow=True
                )
            if isinstance(tap, callback_data.Back):
                response = await self._go_back(survey, response, question)
            else:
                response = await self._store_answer(survey, response, question, tap.value, visit)
        except Refused as refusal:
            if refusal.reshow:
                await self._reshow(context, visit, survey, response, tapped, tap.nonce)
            raise
        if tapped is None:
            await self._send_current(context, visit, survey, response, nonce=tap.nonce)
            return
        screen = await self._screen(survey, response, tap.nonce)
        await self._edit(context, visit.chat_id, tapped, screen)
        self._note_typing(visit, survey, response, tap.nonce, tapped)
        if not response.anonymous and tapped != response.message_id:
            await self._drop_keyboard(context, visit.chat_id, response.message_id)
            await self.storage.set_message(response.id, tapped)

    # the engine's decisions, committed

    async def _store_answer(
        self,
        survey: Survey,
        response: Response,
        question: PlacedQuestion,
        raw: str | None,
        visit: Visit,
    ) -> Response:
        value = _checked(question, raw)
        answers = {**response.answers, question.id: value}
        cursor = cursor_after(survey, answers, question)
        finished = cursor is None and next_question(survey, answers) is None
        try:
            return await self.storage.record_answer(
                response,
                question.id,
                value,
                cursor=cursor,
                finished=finished,
                replaces_previous=survey.repeat == "replace",
                participant=visit.user_id,
            )
        except ResponseClosed:  # its wave closed, or it expired, while the tap was on its way
            raise Refused(
                _("This questionnaire has expired. Send /start to begin again.")
            ) from None

    async def _go_back(
        self, survey: Survey, response: Response, question: PlacedQuestion
    ) -> Response:
        previous = previous_question(survey, response.answers, question)
        if previous is None:
            raise Refused(_("This is the first question."))
        await self.storage.set_cursor(response.id, previous.id)
        return replace(response, cursor=previous.id)

    async def _begin(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        segment: str | None,
        *,
        by_link: bool,
    ) -> None:
        """Open a survey: continue the unfinished response, or start one as the survey's repeat
        policy says (every scan of a contact-rating link is a new response; a quarterly survey
        answered this quarter starts nothing and says when it can be answered again)."""
        response = await self._open_response(visit, survey)
        note, nonce = None, None
        if response is not None and by_link and survey.repeat == "each":
            await self.storage.close_response(response.id, "new scan")
            response = None
        if response is None and survey.repeat == "quarterly":
            last = await self.storage.last_finished(respondent(visit.user_id), survey.id)
            again = again_from(survey, last.finished_at if last else None, datetime.now(UTC))
            if again is not None:  # counted once this quarter already: nothing is stored
                text = _(
                    "Thank you, you have already answered this survey this quarter."
                    " You can answer it again from {date}."
                ).format(date=format_day(again))
                await context.bot.send_message(visit.chat_id, text)
                return
        if response is None:
            nonce, digest = new_nonce() if survey.anonymous else (None, None)
            response = await self.storage.start_response(
                survey_id=survey.id,
                respondent=respondent(visit.user_id),
                user_id=None if survey.anonymous else visit.user_id,
                segment=segment,
                language=visit.language,
                nonce_hash=digest,
            )
        elif response.answers:
            note = _("Welcome back! You continue where you stopped.")
        await self._send_current(context, visit, survey, response, note, nonce=nonce)

    # rendering

    def _menu(self) -> InlineKeyboardMarkup:
        return menu_keyboard(s for s in self.surveys.values() if s.public)

    def _wave_screen(self, survey: Survey, wave_id: int) -> Screen:
        """A wave's first question, before any response exists."""
        question = current_question(survey, {}, None)
        assert question is not None, "a survey has at least one question"
        return question_screen(survey, question, {}), wave_keyboard(wave_id, question)

    async def _screen(self, survey: Survey, response: Response, nonce: str | None = None) -> Screen:
        question = current_question(survey, response.answers, response.cursor)
        if question is None:
            previous = None
            if survey.repeat == "replace":
                before = await self.storage.last_finished(
                    response.respondent, survey.id, before=response.id
                )
                previous = score(survey, before.answers) if before else None
            return summary_screen(survey, score(survey, response.answers), previous), None
        return question_screen(survey, question, response.answers), question_keyboard(
            response.id,
            question,
            can_go_back=previous_question(survey, response.answers, question) is not None,
            selected=response.answers.get(question.id),
            nonce=nonce,
        )

    async def _send_current(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        response: Response,
        note: str | None = None,
        *,
        nonce: str | None = None,
    ) -> None:
        """The current screen as a new message at the bottom of the chat: the live one from now."""
        await self._drop_keyboard(context, visit.chat_id, response.message_id)
        text, markup = await self._screen(survey, response, nonce)
        if note:
            text = f"{note}\n\n{text}"
        sent = await context.bot.send_message(visit.chat_id, text, reply_markup=markup)
        self._note_typing(visit, survey, response, nonce, sent.message_id)
        if not response.anonymous:
            await self.storage.set_message(response.id, sent.message_id)

    async def _reshow(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        response: Response,
        tapped: int | None,
        nonce: str | None,
    ) -> None:
        """After a refused tap: the live message shows the current question again (an
        anonymous response's live message is the one tapped: it holds the nonce)."""
        live = tapped is not None and (response.anonymous or tapped == response.message_id)
        if tapped is not None and live:
            screen = await self._screen(survey, response, nonce)
            await self._edit(context, visit.chat_id, tapped, screen)
        else:
            await self._send_current(context, visit, survey, response, nonce=nonce)

    async def _drop_keyboard(self, context: Context, chat_id: int, message_id: int | None) -> None:
        """The previous live message keeps its text but loses its buttons."""
        if message_id is None:
            return
        try:
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as error:
            # cosmetic: an old message may be gone or already bare; its taps are refused anyway
            log.debug("previous survey message not changed: %s", error.message)

    async def _edit(self, context: Context, chat_id: int, message_id: int, screen: Screen) -> None:
        text, markup = screen
        fields = {"chat_id": chat_id, "message_id": message_id, "text": text}
        try:
            # raw: the edited message that comes back is not needed, and parsing it (its
            # keyboard into a dozen objects) cost a third of every tap's edit
            await context.bot.do_api_request(
                "editMessageText", fields | ({"reply_markup": markup} if markup else {})
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise

    async def on_error(self, update: object, context: Context) -> None:
        error = context.error
        if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest):
            # the Bot API stayed unreachable or busy beyond our retries: not a bug to trace
            log.warning("update not fully answered, the Bot API kept failing: %s", error)
            return
        log.error("update failed: %s", context.error, exc_info=context.error)

    async def on_unread(self, update: Update, context: Context, visit: Visit) -> None:
        """An edited message, or one without text (a sticker, a photo, a voice message): not
        taken as an answer, so nothing changes; the person is told why nothing happened."""
        if update.edited_message is not None:
            text = _(
                "Edits are not taken into account: send a new message to answer,"
                " or go back to change an earlier answer."
            )
        else:
            text = _("I can only read text messages and taps on buttons.")
        await context.bot.send_message(visit.chat_id, text)


def _joined(survey: Survey, team: str) -> str:
    """The answer to a valid invite. What it says of anonymity is true only of an anonymous
    survey, so a pulse survey that keeps names says nothing about it."""
    if not survey.anonymous:
        return _(
            "You have joined the pulse surveys of {team}. From time to time I will ask you a short"
            " question. /stop ends it at any time."
        ).format(team=team)
    threshold = survey.anonymity_threshold
    return ngettext(
        "You have joined the pulse surveys of {team}. From time to time I will ask you a short"
        " question. Your answers are stored without your Telegram account, and results are shown"
        " only for groups of at least {threshold} response. /stop ends it at any time.",
        "You have joined the pulse surveys of {team}. From time to time I will ask you a short"
        " question. Your answers are stored without your Telegram account, and results are shown"
        " only for groups of at least {threshold} responses. /stop ends it at any time.",
        threshold,
    ).format(team=team, threshold=format_number(threshold))


def _checked(question: PlacedQuestion, raw: str | None) -> str | None:
    """The answer as stored, or Refused saying what is wrong with it."""
    try:
        return check_answer(question, raw)
    except InvalidAnswer as error:
        if error.reason == "too-long":
            raise Refused(
                _("That is too long: {limit} characters at most. Please shorten it.").format(
                    limit=format_number(error.details["limit"])
                )
            ) from None
        if error.reason == "empty":
            raise Refused(_("Please type a few words.")) from None
        raise Refused(
            _("This answer does not fit the question. Please use the buttons."), reshow=True
        ) from None


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


def _help() -> str:
    return "\n".join(
        [
            _(
                "I ask short questionnaires, one question at a time, and show your result at the end."
            ),
            "",
            _("/start: choose a questionnaire"),
            _("/language: change the language"),
            _("/help: this message"),
            _("/stop: stop receiving pulses"),
            _("/forget: delete what I know about you"),
            "",
            _("You can stop at any time and come back later: your answers are kept."),
        ]
    )
