"""What a pulse delivery says to one member, decided without Telegram.

`deliver` reads the member's state and returns the message to send, or None when there is
nothing to send (they finished, or the first question would reach someone who already started).
No response exists before the member's first tap: the first question's buttons name the wave,
and the tap creates the response (see `respondent.wave_answer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import resolve_language
from bot.storage.pulses import Delivery, Wave
from bot.survey.model import Survey
from bot.usecases.deps import Deps


class PulseNote(StrEnum):
    """Which words come with a pulse message."""

    WAVE = "wave"
    """A wave's first question: time for the pulse."""
    REMINDER = "reminder"
    """The first question again, for whoever has not started."""
    STARTED = "started"
    """Started but not finished: only a pointer to their message above, which holds the rest."""


@dataclass(frozen=True)
class PulseMessage:
    """One pulse message for one member, in their language."""

    user_id: int
    """Also the chat: a member's private chat with the bot."""
    language: str
    survey: Survey
    wave_id: int
    note: PulseNote


async def deliver(deps: Deps, delivery: Delivery) -> PulseMessage | None:
    wave = delivery.wave
    survey = deps.surveys.get(wave.survey_id)
    user = await deps.storage.user(delivery.user_id)
    if survey is None or user is None:
        return None
    finished = await deps.storage.pulses.participation(wave.id, user.id)
    if finished or (finished is not None and delivery.kind == "wave"):
        return None
    language = user.language or resolve_language(
        user.telegram_language, deps.config.default_language
    )
    if finished is not None:
        note = PulseNote.STARTED
    elif delivery.kind == "reminder":
        note = PulseNote.REMINDER
    else:
        note = PulseNote.WAVE
    return PulseMessage(user.id, language, survey, wave.id, note)


async def non_finishers(deps: Deps, wave: Wave) -> list[int]:
    """Members the wave reached who have not finished it: the ones a reminder is for."""
    return await deps.storage.pulses.not_finished(wave.id)
