"""Outcomes of the use cases as Telegram messages: text and inline keyboard, in the current
language (callers wrap these in `use_language`)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import _
from bot.survey.flow import current_question
from bot.survey.model import Survey
from bot.survey.screens import question_screen
from bot.telegram.keyboards import wave_keyboard
from bot.usecases.delivery import PulseMessage, PulseNote

Screen = tuple[str, InlineKeyboardMarkup | None]


def wave_screen(survey: Survey, wave_id: int) -> Screen:
    """A wave's first question, before any response exists."""
    question = current_question(survey, {}, None)
    assert question is not None, "a survey has at least one question"
    return question_screen(survey, question, {}), wave_keyboard(wave_id, question)


def pulse_screen(message: PulseMessage) -> Screen:
    if message.note is PulseNote.STARTED:  # their message holds the rest
        return _(
            "A reminder: your team's pulse is still open: you can finish it in its message above."
        ), None
    if message.note is PulseNote.REMINDER:
        note = _("A reminder: your team's pulse is still open, and it takes a minute.")
    else:
        note = _("Time for your team's pulse.")
    text, markup = wave_screen(message.survey, message.wave_id)
    return f"{note}\n\n{text}", markup
