"""Inline keyboards: answer buttons per scale, the survey menu, the language picker."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _, current_language, language_name
from bot.survey.model import LANGUAGES, ChoiceScale, NumericScale, PlacedQuestion, Survey
from bot.survey.screens import choice_labels
from bot.telegram.callback_data import Answer, ChooseLanguage, StartSurvey, encode


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def question_keyboard(response_id: int, question: PlacedQuestion) -> InlineKeyboardMarkup | None:
    """Buttons for the question; None for a required free-text question (the answer is typed)."""
    rows: list[list[InlineKeyboardButton]] = []
    scale = question.scale

    def answer(value: str | None) -> str:
        return encode(Answer(response_id, question.index, value))

    if isinstance(scale, ChoiceScale):
        labels = choice_labels(scale)
        per_row = 3 if len(labels) <= 3 else 2
        for start in range(0, len(labels), per_row):
            rows.append([_button(label, answer(v)) for label, v in labels[start : start + per_row]])
    elif isinstance(scale, NumericScale):
        values = [str(v) for v in scale.values]
        half = (len(values) + 1) // 2 if len(values) > 7 else len(values)
        for chunk in (values[:half], values[half:]):
            if chunk:
                rows.append([_button(v, answer(v)) for v in chunk])
    if question.question.optional:
        rows.append([_button(_("Skip"), answer(None))])
    return InlineKeyboardMarkup(rows) if rows else None


def menu_keyboard(surveys: Iterable[Survey]) -> InlineKeyboardMarkup:
    language = current_language()
    return InlineKeyboardMarkup(
        [[_button(s.title(language), encode(StartSurvey(s.id)))] for s in surveys]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(language_name(lang), encode(ChooseLanguage(lang))) for lang in LANGUAGES]]
    )
