"""Inline keyboards: answer buttons per scale, the survey menu, the language picker.

A keyboard is plain data here (`Keyboard`), sent as the JSON the Bot API reads: a question's
dozen buttons as python-telegram-bot objects, built for every tap and turned back into JSON to
send, cost more than the tap's whole database work. `markup()` gives the objects where a
typed call wants them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


Button = tuple[str, str]
"""A button's label and its callback data."""


@dataclass(frozen=True)
class Keyboard:
    """Inline buttons, row by row."""

    rows: tuple[tuple[Button, ...], ...]

    def json(self) -> str:
        """As the Bot API's `reply_markup` parameter."""
        return json.dumps(
            {
                "inline_keyboard": [
                    [{"text": t, "callback_data": d} for t, d in r] for r in self.rows
                ]
            },
            ensure_ascii=False,
        )

    def markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(text, callback_data=data) for text, data in r]
                for r in self.rows
            ]
        )

    def __add__(self, other: Keyboard) -> Keyboard:
        return Keyboard(self.rows + other.rows)


def question_keyboard(
    response_id: int,
    question: PlacedQuestion,
    *,
    can_go_back: bool,
    selected: str | None = None,
    nonce: str | None = None,
) -> Keyboard | None:
    """Buttons for the question; `selected` (a revisited answer) is ticked. An anonymous
    response's buttons carry its nonce, the only proof that they are the respondent's."""

    def answer(value: str | None) -> str:
        return encode(Answer(response_id, question.index, value, nonce))

    back = encode(Back(response_id, question.index, nonce)) if can_go_back else None
    return _keyboard(question, answer, back, selected)


def wave_keyboard(wave_id: int, question: PlacedQuestion) -> Keyboard | None:
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
) -> Keyboard | None:
    labels = [
        (f"✓ {label}" if value == selected else label, answer(value))
        for label, value in answer_labels(question)
    ]
    rows: list[tuple[Button, ...]]
    scale = question.scale
    if isinstance(scale, NumericScale) and scale.point_labels is None:
        half = (len(labels) + 1) // 2 if len(labels) > 7 else len(labels)
        rows = [tuple(labels[:half]), tuple(labels[half:])]
    elif len(labels) <= ONE_ROW and all(len(t) <= SHORT_LABEL for t, _d in labels):
        rows = [tuple(labels)]
    else:
        rows = [(button,) for button in labels]
    rows = [row for row in rows if row]
    last: list[Button] = []
    if back is not None:
        last.append((_("« Back"), back))
    if question.question.optional:
        last.append((_("Skip"), answer(None)))
    if last:
        rows.append(tuple(last))
    return Keyboard(tuple(rows)) if rows else None


def menu_keyboard(surveys: Iterable[Survey]) -> Keyboard:
    language = current_language()
    return Keyboard(tuple(((s.title(language), encode(StartSurvey(s.id))),) for s in surveys))


def resume_keyboard(response_id: int) -> Keyboard:
    return Keyboard(
        (
            (
                (_("Continue"), encode(Resume(response_id, restart=False))),
                (_("Start over"), encode(Resume(response_id, restart=True))),
            ),
        )
    )


def language_keyboard() -> Keyboard:
    return Keyboard(
        (tuple((language_name(lang), encode(ChooseLanguage(lang))) for lang in LANGUAGES),)
    )


def forget_keyboard(user_id: int, issued: int) -> Keyboard:
    """/forget's question: delete everything, or nothing."""
    return Keyboard(
        (
            (
                (_("Yes, forget me"), encode(Forget(True, user_id, issued))),
                (_("Cancel"), encode(Forget(False, user_id, issued))),
            ),
        )
    )
