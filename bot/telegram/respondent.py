"""The respondent's updates: commands, taps and typed text in, use cases called
(bot/usecases/respondent.py), screens rendered (render.py), and the chat kept tidy: one live
message per response, whose buttons are the only ones that still work.

Which anonymous response typed text answers is kept here, in memory only: nothing stored may
lead from a person to their anonymous response; after a restart a tap in its message (carrying
its nonce) leads there again.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import metrics
from bot.i18n import _, language_name, use_language
from bot.storage.database import Response
from bot.survey.flow import current_question
from bot.survey.model import TextScale
from bot.telegram import callback_data
from bot.telegram.keyboards import forget_keyboard, language_keyboard
from bot.telegram.render import (
    Screen,
    joined_text,
    menu_screen,
    pulse_note,
    refusal_text,
    screen,
    welcome_back,
)
from bot.usecases import respondent
from bot.usecases.deps import Deps
from bot.usecases.outcomes import Joined, Menu, NothingOpen, Refusal, Refused, Shown
from bot.usecases.respondent import Person

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class Visit:
    """Who sent the update, where, and the language to answer in."""

    user_id: int
    chat_id: int
    language: str
    seen: Response | None = None
    """The response a tap names, read with the person (`respondent.visit`)."""

    @property
    def person(self) -> Person:
        return Person(self.user_id, self.language, self.seen)


@dataclass(frozen=True)
class Typing:
    """An anonymous response whose text question is on screen: where typed text goes.

    Kept in memory only (nothing stored may tie a person to an anonymous response): after a
    restart the person taps in the survey's message again, which proves with its nonce whose
    response it is."""

    response_id: int
    nonce: str
    message_id: int | None


TYPING_KEPT = 10_000
"""Anonymous text questions remembered as on screen, at most: one for each person who left one
unanswered, so bounded; beyond it the oldest is forgotten, and its person, as after a restart,
taps in the survey's message to go on."""


class Toast(Exception):
    """A tap that changed nothing: the words shown under it."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


class Respondents:
    def __init__(self, deps: Callable[[], Deps]) -> None:
        self._deps = deps
        self._typing: OrderedDict[int, Typing] = OrderedDict()

    # commands

    async def on_start(self, update: Update, context: Context, visit: Visit) -> None:
        payload = context.args[0] if context.args else None
        outcome = await respondent.start(self._deps(), visit.person, payload)
        match outcome:
            case Menu():
                await self._send(context, visit.chat_id, menu_screen(outcome, visit.language))
            case Joined():
                await context.bot.send_message(visit.chat_id, joined_text(outcome))
                await respondent.reach(self._deps(), visit.person, outcome)
            case Refused():
                await context.bot.send_message(visit.chat_id, refusal_text(outcome))
            case Shown():
                await self._send_current(context, visit, outcome)

    async def on_stop(self, update: Update, context: Context, visit: Visit) -> None:
        left = await respondent.stop(self._deps(), visit.person)
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
        keyboard = forget_keyboard(visit.user_id, int(time.time()))
        await self._send(context, visit.chat_id, (text, keyboard))

    async def on_language(self, update: Update, context: Context, visit: Visit) -> None:
        await self._send(context, visit.chat_id, (_("Choose your language:"), language_keyboard()))

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

    # typed text

    async def on_text(self, update: Update, context: Context, visit: Visit) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        typing = self._typing.get(visit.user_id)
        try:
            outcome = await respondent.type_text(
                self._deps(),
                visit.person,
                message.text,
                (typing.response_id, typing.nonce) if typing else None,
            )
        except sqlite3.Error as error:  # disk full, locked past the timeout
            log.error("a typed answer could not be saved: %s", error)
            await context.bot.send_message(
                visit.chat_id, _("Your answer was not saved. Please send it again.")
            )
            return
        if isinstance(outcome, NothingOpen):
            self._typing.pop(visit.user_id, None)
            text = pulse_note() if outcome.pulse_open else _("To take a survey, send /start.")
            await context.bot.send_message(visit.chat_id, text)
            return
        if isinstance(outcome, Refused):
            await context.bot.send_message(visit.chat_id, refusal_text(outcome))
            if outcome.shown is None:
                return
            outcome = outcome.shown  # the buttons are what to use: the question shown again
        shown = outcome
        if typing is not None and shown.nonce is not None:
            # an anonymous response's message is not stored: its buttons are dropped here
            await self._drop_keyboard(context, visit.chat_id, typing.message_id)
        await self._send_current(context, visit, shown)

    # buttons

    async def visit(self, update: Update, about: int | None = None) -> Visit | None:
        """Who speaks and in which language (stored, else their Telegram's, else the default);
        `about`: the response a tap names, read in the same call."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return None
        person = await respondent.visit(self._deps(), user.id, user.language_code, about)
        return Visit(user.id, chat.id, person.language, person.seen)

    async def on_callback(self, update: Update, context: Context) -> None:
        """Every callback query gets its answer, whatever happens while handling it."""
        query = update.callback_query
        assert query is not None
        arrived = time.perf_counter()
        notice: str | None = None
        try:
            chat = update.effective_chat
            if chat is None or chat.type != chat.PRIVATE:
                return  # surveys are answered in private only: answered, nothing done
            action = callback_data.decode(query.data)
            visit = await self.visit(update, callback_data.response_of(action))
            if visit is None:
                return
            with use_language(visit.language):
                try:
                    await self._on_action(update, context, visit, action, arrived)
                except Toast as toast:
                    notice = toast.notice
                except sqlite3.Error as error:  # disk full, locked past the timeout
                    log.error("a tap could not be saved: %s", error)
                    notice = _("Your answer was not saved. Please tap again.")
        finally:
            try:
                await query.answer(notice)
            except TelegramError as error:
                log.warning("callback query not answered: %s", error)

    async def _on_action(
        self,
        update: Update,
        context: Context,
        visit: Visit,
        action: callback_data.Action | None,
        arrived: float,
    ) -> None:
        """What a tap asks for; `arrived`: when it reached the bot (perf_counter)."""
        query = update.callback_query
        assert query is not None
        tapped = query.message.message_id if query.message else None
        deps, person = self._deps(), visit.person
        match action:
            case callback_data.StartSurvey(survey_id=survey_id):
                outcome = await respondent.choose(deps, person, survey_id)
                if isinstance(outcome, Refused) and outcome.reason is Refusal.NOT_YET:
                    await context.bot.send_message(visit.chat_id, refusal_text(outcome))
                    return
                await self._send_current(context, visit, _shown_or_toast(outcome))
            case callback_data.ChooseLanguage(language=language):
                if not await respondent.set_language(deps, person, language):
                    raise Toast(refusal_text(Refused(Refusal.STALE)))
                with use_language(language):
                    text = _("Language: {name}. Send /start to choose a questionnaire.").format(
                        name=language_name(language)
                    )
                    if tapped is not None:
                        await self._edit(context, visit.chat_id, tapped, (text, None))
            case callback_data.Resume(response_id=response_id, restart=True):
                outcome = await respondent.restart(deps, person, response_id)
                await self._send_current(context, visit, _shown_or_toast(outcome))
            case callback_data.Resume(response_id=response_id):
                outcome = await respondent.resume(deps, person, response_id)
                await self._send_current(context, visit, _shown_or_toast(outcome))
            case callback_data.Answer() | callback_data.Back() as tap:
                await self._on_tap(context, visit, tap, tapped, arrived)
            case callback_data.WaveAnswer() as tap:
                outcome = await respondent.wave_answer(
                    deps, person, tap.wave_id, tap.question_index, tap.value
                )
                shown = _shown_or_toast(outcome)
                await self._show_tapped(context, visit, shown, tapped, arrived)
            case callback_data.Forget() as tap:
                await self._on_forget_tap(context, visit, tap, tapped)
            case _:
                raise Toast(refusal_text(Refused(Refusal.STALE)))

    async def _on_tap(
        self,
        context: Context,
        visit: Visit,
        tap: callback_data.Answer | callback_data.Back,
        tapped: int | None,
        arrived: float,
    ) -> None:
        deps, person = self._deps(), visit.person
        if isinstance(tap, callback_data.Back):
            outcome = await respondent.back(
                deps, person, tap.response_id, tap.question_index, tap.nonce
            )
        else:
            outcome = await respondent.tap(
                deps, person, tap.response_id, tap.question_index, tap.value, tap.nonce
            )
        if isinstance(outcome, Refused):
            if outcome.shown is not None:
                if outcome.reason is Refusal.FINISHED:
                    # perhaps the result was never shown (the bot was stopped between storing
                    # the last answer and showing it): the tapped message shows it
                    if tapped is not None:
                        await self._edit(context, visit.chat_id, tapped, screen(outcome.shown))
                else:
                    await self._reshow(context, visit, outcome.shown, tapped)
            raise Toast(refusal_text(outcome))
        await self._show_tapped(context, visit, outcome, tapped, arrived)

    async def _show_tapped(
        self, context: Context, visit: Visit, shown: Shown, tapped: int | None, arrived: float
    ) -> None:
        """The next screen in the tapped message, which becomes the live one; the time from
        the tap (`arrived`) to the screen shown is what the person waited."""
        if tapped is None:
            await self._send_current(context, visit, shown)
            metrics.tap_seconds.observe(time.perf_counter() - arrived)
            return
        await self._edit(context, visit.chat_id, tapped, screen(shown))
        metrics.tap_seconds.observe(time.perf_counter() - arrived)
        self._note_typing(visit, shown, tapped)
        response = shown.response
        if not response.anonymous and tapped != response.message_id:
            await self._drop_keyboard(context, visit.chat_id, response.message_id)
            await respondent.shown_in(self._deps(), shown, tapped)

    async def _on_forget_tap(
        self, context: Context, visit: Visit, tap: callback_data.Forget, tapped: int | None
    ) -> None:
        if not tap.valid_for(visit.user_id, time.time()):  # forged by another, or stale
            raise Toast(refusal_text(Refused(Refusal.STALE)))
        if tap.confirm:
            await respondent.forget(self._deps(), visit.person)
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

    # the live message

    def _note_typing(self, visit: Visit, shown: Shown, message_id: int | None) -> None:
        """Remember (in memory) the anonymous response whose text question is now on screen;
        anything else on screen ends that."""
        survey, response = shown.survey, shown.response
        question = (
            current_question(survey, response.answers, response.cursor) if response.open else None
        )
        if (
            shown.nonce is not None
            and question is not None
            and isinstance(question.scale, TextScale)
        ):
            self._typing[visit.user_id] = Typing(response.id, shown.nonce, message_id)
            self._typing.move_to_end(visit.user_id)
            if len(self._typing) > TYPING_KEPT:  # the oldest: they tap in its message again
                self._typing.popitem(last=False)
        else:
            self._typing.pop(visit.user_id, None)

    async def _send_current(self, context: Context, visit: Visit, shown: Shown) -> None:
        """The current screen as a new message at the bottom of the chat: the live one from now."""
        await self._drop_keyboard(context, visit.chat_id, shown.response.message_id)
        text, keyboard = screen(shown)
        if shown.welcome_back:
            text = f"{welcome_back()}\n\n{text}"
        sent = await self._send(context, visit.chat_id, (text, keyboard))
        self._note_typing(visit, shown, sent)
        await respondent.shown_in(self._deps(), shown, sent)

    async def _reshow(
        self, context: Context, visit: Visit, shown: Shown, tapped: int | None
    ) -> None:
        """After a refused tap: the live message shows the current question again (an
        anonymous response's live message is the one tapped: it holds the nonce)."""
        response = shown.response
        live = tapped is not None and (response.anonymous or tapped == response.message_id)
        if tapped is not None and live:
            await self._edit(context, visit.chat_id, tapped, screen(shown))
        else:
            await self._send_current(context, visit, shown)

    async def _drop_keyboard(self, context: Context, chat_id: int, message_id: int | None) -> None:
        """The previous live message keeps its text but loses its buttons."""
        if message_id is None:
            return
        try:
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as error:
            # cosmetic: an old message may be gone or already bare; its taps are refused anyway
            log.debug("previous survey message not changed: %s", error.message)

    async def _send(self, context: Context, chat_id: int, shown: Screen) -> int:
        """A new message; its id. Raw, as `_edit`: only the id of the message that comes back
        is needed, not the message parsed with its keyboard into a dozen objects."""
        sent = await context.bot.do_api_request("sendMessage", _fields(chat_id, shown))
        return int(sent["message_id"])

    async def _edit(self, context: Context, chat_id: int, message_id: int, shown: Screen) -> None:
        try:
            # raw: the edited message that comes back is not needed, and parsing it (its
            # keyboard into a dozen objects) cost a third of every tap's edit
            await context.bot.do_api_request(
                "editMessageText", _fields(chat_id, shown) | {"message_id": message_id}
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise


def _fields(chat_id: int, shown: Screen) -> dict[str, object]:
    """A screen as the Bot API's parameters."""
    text, keyboard = shown
    return {"chat_id": chat_id, "text": text} | (
        {"reply_markup": keyboard.json()} if keyboard else {}
    )


def _shown_or_toast(outcome: Shown | Refused) -> Shown:
    if isinstance(outcome, Refused):
        raise Toast(refusal_text(outcome))
    return outcome


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
