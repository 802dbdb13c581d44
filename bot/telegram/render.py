"""Outcomes of the use cases as Telegram messages: text and inline keyboard, or a toast, in the
current language (callers wrap these in `use_language`)."""

from __future__ import annotations

from bot.i18n import _, format_day, format_number, ngettext
from bot.survey.flow import current_question, previous_question
from bot.survey.model import Survey
from bot.survey.scoring import score
from bot.survey.screens import question_screen, summary_screen
from bot.telegram.keyboards import (
    Keyboard,
    menu_keyboard,
    question_keyboard,
    resume_keyboard,
    wave_keyboard,
)
from bot.usecases.delivery import PulseMessage, PulseNote
from bot.usecases.outcomes import Joined, Menu, Refusal, Refused, Shown

Screen = tuple[str, Keyboard | None]


def screen(shown: Shown) -> Screen:
    """A response's current question with its buttons, or its summary once finished."""
    survey, response = shown.survey, shown.response
    question = current_question(survey, response.answers, response.cursor)
    if question is None:
        previous = score(survey, shown.previous.answers) if shown.previous else None
        return summary_screen(survey, score(survey, response.answers), previous), None
    return question_screen(survey, question, response.answers), question_keyboard(
        response.id,
        question,
        can_go_back=previous_question(survey, response.answers, question) is not None,
        selected=response.answers.get(question.id),
        nonce=shown.nonce,
    )


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


def pulse_note() -> str:
    return _("Your team's pulse is still open: continue in its message above.")


def welcome_back() -> str:
    return _("Welcome back! You continue where you stopped.")


def menu_screen(menu: Menu, language: str) -> Screen:
    buttons = menu_keyboard(menu.surveys)
    if menu.unknown_link:
        text = _("This link does not lead to a survey we know. Here are the ones you can take:")
        return text, buttons
    if menu.unfinished is None:
        text = _("Hello! Choose a questionnaire:")
    else:
        left = menu.unfinished
        text = _(
            "You have an unfinished questionnaire: {title} ({position}/{total})."
            " Continue, start over, or choose another one:"
        ).format(title=left.survey.title(language), position=left.position, total=left.total)
        buttons = resume_keyboard(left.response.id) + buttons
    if menu.pulse_open:
        text = f"{pulse_note()}\n\n{text}"
    return text, buttons


def joined_text(joined: Joined) -> str:
    """The answer to a valid invite. What it says of anonymity is true only of an anonymous
    survey, so a pulse survey that keeps names says nothing about it."""
    survey, team = joined.survey, joined.team
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


def refusal_text(refused: Refused) -> str:
    """Why nothing changed: a toast under a tap, or a message after typed text or a link."""
    match refused.reason:
        case Refusal.STALE:
            return _("This button is not valid any more.")
        case Refusal.ANSWERED:
            return _("This question is already answered. Here is the current one.")
        case Refusal.EXPIRED:
            return _("This questionnaire has expired. Send /start to begin again.")
        case Refusal.FINISHED:
            return _("This survey is already finished. Send /start to take another one.")
        case Refusal.CLOSED:
            return _("This survey is closed.")
        case Refusal.FIRST_QUESTION:
            return _("This is the first question.")
        case Refusal.DOES_NOT_FIT:
            return _("This answer does not fit the question. Please use the buttons.")
        case Refusal.EMPTY:
            return _("Please type a few words.")
        case Refusal.TOO_LONG:
            return _("That is too long: {limit} characters at most. Please shorten it.").format(
                limit=format_number(refused.limit or 0)
            )
        case Refusal.BUTTONS_ONLY:
            return _("Please answer with the buttons under the question.")
        case Refusal.NOT_YET:
            assert refused.again is not None
            return _(
                "Thank you, you have already answered this survey this quarter."
                " You can answer it again from {date}."
            ).format(date=format_day(refused.again))
        case Refusal.INVITE_INVALID:
            return _(
                "This invite link is not valid, perhaps because it has been replaced by a"
                " new one. Ask for your team's current link."
            )
        case Refusal.TOO_MANY_TEAMS:
            most = refused.limit or 0
            return ngettext(
                "You are already in the pulse surveys of {count} team, the most one person"
                " can join, so this link changed nothing.",
                "You are already in the pulse surveys of {count} teams, the most one person"
                " can join, so this link changed nothing.",
                most,
            ).format(count=most)
