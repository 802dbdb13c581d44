"""Inline keyboards: answer buttons per scale, the survey menu, the language picker."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _, current_language, language_name
from bot.survey.model import LANGUAGES, NumericScale, PlacedQuestion, Survey
from bot.survey.screens import answer_labels
from bot.telegram.callback_data import (
    Answer,
    Back,
    ChooseLanguage,
    Forget,
    Resume,
    StartSurvey,
    WaveAnswer,
    encode,
)

ONE_ROW = 3
"""Up to this many short choices share a row (Yes / No / Don't know)."""
SHORT_LABEL = 14


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def question_keyboard(
    response_id: int,
    question: PlacedQuestion,
    *,
    can_go_back: bool,
    selected: str | None = None,
    nonce: str | None = None,
) -> InlineKeyboardMarkup | None:
    """Buttons for the question; `selected` (a revisited answer) is ticked. An anonymous
    response's buttons carry its nonce, the only proof that they are the respondent's."""

    def answer(value: str | None) -> str:
        return encode(Answer(response_id, question.index, value, nonce))

    back = encode(Back(response_id, question.index, nonce)) if can_go_back else None
    return _keyboard(question, answer, back, selected)


def wave_keyboard(wave_id: int, question: PlacedQuestion) -> InlineKeyboardMarkup | None:
    """The first question of a pulse wave: no response exists until the first tap, so the
    buttons name the wave (checked against the member's delivery when tapped)."""
    return _keyboard(
        question, lambda value: encode(WaveAnswer(wave_id, question.index, value)), None, None
    )


def _keyboard(
    question: PlacedQuestion,
    answer: Callable[[str | None], str],
    back: str | None,
    selected: str | None,
) -> InlineKeyboardMarkup | None:
    labels = [
        (f"✓ {label}" if value == selected else label, value)
        for label, value in answer_labels(question)
    ]

    rows: list[list[InlineKeyboardButton]] = []
    scale = question.scale
    if isinstance(scale, NumericScale) and scale.point_labels is None:
        half = (len(labels) + 1) // 2 if len(labels) > 7 else len(labels)
        rows = [
            [_button(t, answer(v)) for t, v in chunk] for chunk in (labels[:half], labels[half:])
        ]
    elif len(labels) <= ONE_ROW and all(len(t) <= SHORT_LABEL for t, _v in labels):
        rows = [[_button(t, answer(v)) for t, v in labels]]
    else:
        rows = [[_button(t, answer(v))] for t, v in labels]
    rows = [row for row in rows if row]
    last: list[InlineKeyboardButton] = []
    if back is not None:
        last.append(_button(_("« Back"), back))
    if question.question.optional:
        last.append(_button(_("Skip"), answer(None)))
    if last:
        rows.append(last)
    return InlineKeyboardMarkup(rows) if rows else None


def menu_keyboard(surveys: Iterable[Survey]) -> InlineKeyboardMarkup:
    language = current_language()
    return InlineKeyboardMarkup(
        [[_button(s.title(language), encode(StartSurvey(s.id)))] for s in surveys]
    )


def resume_keyboard(response_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(_("Continue"), encode(Resume(response_id, restart=False))),
                _button(_("Start over"), encode(Resume(response_id, restart=True))),
            ]
        ]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(language_name(lang), encode(ChooseLanguage(lang))) for lang in LANGUAGES]]
    )


def forget_keyboard(user_id: int, issued: int) -> InlineKeyboardMarkup:
    """/forget's question: delete everything, or nothing."""
    return InlineKeyboardMarkup(
        [
            [
                _button(_("Yes, forget me"), encode(Forget(True, user_id, issued))),
                _button(_("Cancel"), encode(Forget(False, user_id, issued))),
            ]
        ]
    )
