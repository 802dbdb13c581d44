"""Updates in, engine decisions, storage commits, messages out.

Each handler: find who is speaking and in which language, ask the engine what the update means
for their stored state, commit, then render. Nothing about a respondent's progress is kept in
memory, so a restart or a second device continues from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    PrefixHandler,
    filters,
)
from telegram.ext import MessageHandler as TextHandler

from bot.config import Config
from bot.i18n import _, format_number, language_name, resolve_language, use_language
from bot.storage.database import Response, Storage
from bot.survey.flow import InvalidAnswer, check_answer, next_question
from bot.survey.links import decode_payload
from bot.survey.model import LANGUAGES, Survey, TextScale
from bot.survey.scoring import score
from bot.survey.screens import question_screen, summary_screen
from bot.telegram import callback_data
from bot.telegram.keyboards import language_keyboard, menu_keyboard, question_keyboard

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class Visit:
    """Who sent the update, where, and the language to answer in."""

    user_id: int
    chat_id: int
    language: str


Handler = Callable[[Update, Context, Visit], Awaitable[None]]


class SurveyBot:
    def __init__(self, config: Config, surveys: Mapping[str, Survey]) -> None:
        self.config = config
        self.surveys = dict(surveys)
        self._storage: Storage | None = None

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("storage is opened in post_init")
        return self._storage

    # lifecycle

    async def post_init(self, application: Application) -> None:  # type: ignore[type-arg]
        self._storage = await Storage.open(self.config.database)
        try:
            for language in LANGUAGES:
                with use_language(language):
                    await application.bot.set_my_commands(_commands(), language_code=language)
            with use_language(self.config.default_language):
                await application.bot.set_my_commands(_commands())
        except TelegramError as error:
            # the command menu is a convenience; a server without it must not stop the surveys
            log.warning("could not register the command menu: %s", error)

    async def post_shutdown(self, application: Application) -> None:  # type: ignore[type-arg]
        if self._storage is not None:
            await self._storage.close()
            self._storage = None

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        commands = {"start": self.on_start, "language": self.on_language, "help": self.on_help}
        for name, handler in commands.items():
            application.add_handler(CommandHandler(name, self._wrap(handler), private))
        # The same commands typed without Telegram's command entity (some clients and Bot API
        # servers omit it): a respondent typing "/start" must still get the menu.
        for name, handler in commands.items():
            application.add_handler(PrefixHandler("/", name, self._wrap(handler), private))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        unknown_command = filters.COMMAND | filters.Regex(r"^/\w")
        application.add_handler(TextHandler(private & unknown_command, self._wrap(self.on_unknown)))
        application.add_handler(TextHandler(private & filters.TEXT, self._wrap(self.on_text)))
        application.add_error_handler(self.on_error)

    def _wrap(self, handler: Handler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def wrapped(update: Update, context: Context) -> None:
            visit = await self._visit(update)
            if visit is None:
                return
            with use_language(visit.language):
                await handler(update, context, visit)

        return wrapped

    async def _visit(self, update: Update) -> Visit | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return None
        stored = await self.storage.touch_user(user.id, user.language_code)
        language = stored.language or resolve_language(
            user.language_code, self.config.default_language
        )
        return Visit(user_id=user.id, chat_id=chat.id, language=language)

    # commands

    async def on_start(self, update: Update, context: Context, visit: Visit) -> None:
        text = _("Hello! Choose a questionnaire:")
        if context.args:
            target = decode_payload(context.args[0])
            survey = self.surveys.get(target.survey_id) if target else None
            if target is not None and survey is not None:
                await self._begin(context, visit, survey, target.segment)
                return
            text = _("This link does not lead to a survey we know. Here are the ones you can take:")
        await context.bot.send_message(visit.chat_id, text, reply_markup=self._menu())

    async def on_language(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(
            visit.chat_id, _("Choose your language:"), reply_markup=language_keyboard()
        )

    async def on_help(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(visit.chat_id, _help())

    async def on_unknown(self, update: Update, context: Context, visit: Visit) -> None:
        await context.bot.send_message(
            visit.chat_id, _("Sorry, I do not know this command. /help lists what I can do.")
        )

    # typed text

    async def on_text(self, update: Update, context: Context, visit: Visit) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        response = await self.storage.open_response(visit.user_id)
        survey = self.surveys.get(response.survey_id) if response else None
        if response is None or survey is None:
            await context.bot.send_message(visit.chat_id, _("To take a survey, send /start."))
            return
        question = next_question(survey, response.answers)
        assert question is not None, "an unfinished response always has a next question"
        if not isinstance(question.scale, TextScale):
            await context.bot.send_message(
                visit.chat_id, _("Please answer with the buttons under the question.")
            )
            await self._send_current(context, visit, survey, response)
            return
        try:
            value = check_answer(question, message.text)
        except InvalidAnswer as error:
            notice = (
                _("That is too long: {limit} characters at most. Please shorten it.").format(
                    limit=format_number(error.details["limit"])
                )
                if error.reason == "too-long"
                else _("Please type a few words.")
            )
            await context.bot.send_message(visit.chat_id, notice)
            return
        await self.storage.record_answer(
            response.id, question.id, value, finished=_finishes(survey, response, question.id)
        )
        await self._drop_keyboard(context, response)
        await self._send_current(context, visit, survey, await self._reload(response))

    # buttons

    async def on_callback(self, update: Update, context: Context) -> None:
        """Every callback query gets its answer, whatever happens while handling it."""
        query = update.callback_query
        assert query is not None
        notice: str | None = None
        try:
            visit = await self._visit(update)
            if visit is None:
                return
            with use_language(visit.language):
                notice = await self._on_action(update, context, visit)
        finally:
            try:
                await query.answer(notice)
            except TelegramError as error:
                log.warning("callback query not answered: %s", error)

    async def _on_action(self, update: Update, context: Context, visit: Visit) -> str | None:
        query = update.callback_query
        assert query is not None
        action = callback_data.decode(query.data)
        tapped = query.message.message_id if query.message else None
        match action:
            case callback_data.StartSurvey(survey_id=survey_id) if survey_id in self.surveys:
                await self._begin(context, visit, self.surveys[survey_id], segment=None)
                return None
            case callback_data.ChooseLanguage(language=language) if language in LANGUAGES:
                await self.storage.set_language(visit.user_id, language)
                with use_language(language):
                    text = _("Language: {name}. Send /start to choose a questionnaire.").format(
                        name=language_name(language)
                    )
                    if tapped is not None:
                        await self._edit(context, visit.chat_id, tapped, text, None)
                    return _("Done")
            case callback_data.Answer() as answer:
                return await self._on_answer(context, visit, answer, tapped)
        return _("This button is not valid any more.")

    async def _on_answer(
        self, context: Context, visit: Visit, answer: callback_data.Answer, tapped: int | None
    ) -> str | None:
        response = await self.storage.response(answer.response_id)
        if response is None or response.user_id != visit.user_id:
            return _("This button is not valid any more.")
        survey = self.surveys.get(response.survey_id)
        if survey is None:
            return _("This survey is closed.")
        if response.finished:
            return _("This survey is already finished. Send /start to take another one.")
        question = next_question(survey, response.answers)
        assert question is not None, "an unfinished response always has a next question"
        if question.index != answer.question_index:
            await self._reshow(context, visit, survey, response, tapped)
            return _("This question is already answered. Here is the current one.")
        try:
            value = check_answer(question, answer.value)
        except InvalidAnswer:
            await self._reshow(context, visit, survey, response, tapped)
            return _("This answer does not fit the question. Please use the buttons.")
        await self.storage.record_answer(
            response.id, question.id, value, finished=_finishes(survey, response, question.id)
        )
        response = await self._reload(response)
        if tapped is None:
            await self._send_current(context, visit, survey, response)
        else:
            text, markup = self._screen(survey, response)
            await self._edit(context, visit.chat_id, tapped, text, markup)
            if tapped != response.message_id:
                await self.storage.set_message(response.id, visit.chat_id, tapped)
        return None

    # rendering

    def _menu(self) -> InlineKeyboardMarkup:
        return menu_keyboard(s for s in self.surveys.values() if s.public)

    async def _begin(
        self, context: Context, visit: Visit, survey: Survey, segment: str | None
    ) -> None:
        response = await self.storage.open_response(visit.user_id, survey.id)
        note = None
        if response is None:
            response = await self.storage.start_response(
                survey_id=survey.id, user_id=visit.user_id, segment=segment, language=visit.language
            )
        elif response.answers:
            note = _("Welcome back! You continue where you stopped.")
        await self._send_current(context, visit, survey, response, note)

    def _screen(
        self, survey: Survey, response: Response
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        question = next_question(survey, response.answers)
        if question is None:
            return summary_screen(survey, score(survey, response.answers)), None
        return question_screen(survey, question), question_keyboard(response.id, question)

    async def _send_current(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        response: Response,
        note: str | None = None,
    ) -> None:
        """The current screen as a new message at the bottom of the chat: the live one from now."""
        await self._drop_keyboard(context, response)
        text, markup = self._screen(survey, response)
        if note:
            text = f"{note}\n\n{text}"
        sent = await context.bot.send_message(visit.chat_id, text, reply_markup=markup)
        await self.storage.set_message(response.id, visit.chat_id, sent.message_id)

    async def _reshow(
        self,
        context: Context,
        visit: Visit,
        survey: Survey,
        response: Response,
        tapped: int | None,
    ) -> None:
        """After a refused tap: the live message shows the current question again."""
        if tapped is not None and tapped == response.message_id:
            text, markup = self._screen(survey, response)
            await self._edit(context, visit.chat_id, tapped, text, markup)
        else:
            await self._send_current(context, visit, survey, response)

    async def _drop_keyboard(self, context: Context, response: Response) -> None:
        """The previous live message keeps its text but loses its buttons."""
        if response.chat_id is None or response.message_id is None:
            return
        try:
            await context.bot.edit_message_reply_markup(
                response.chat_id, response.message_id, reply_markup=None
            )
        except TelegramError as error:
            # cosmetic: an old message may be gone or already bare; its taps are refused anyway
            log.debug("previous survey message not changed: %s", error.message)

    async def _edit(
        self,
        context: Context,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise

    async def _reload(self, response: Response) -> Response:
        reloaded = await self.storage.response(response.id)
        assert reloaded is not None
        return reloaded

    async def on_error(self, update: object, context: Context) -> None:
        log.error("update failed: %s", context.error, exc_info=context.error)


def _finishes(survey: Survey, response: Response, question_id: str) -> bool:
    return next_question(survey, {**response.answers, question_id: ""}) is None


def _commands() -> list[BotCommand]:
    return [
        BotCommand("start", _("Choose a questionnaire")),
        BotCommand("language", _("Change the language")),
        BotCommand("help", _("What this bot does")),
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
            "",
            _("You can stop at any time and come back later: your answers are kept."),
        ]
    )
