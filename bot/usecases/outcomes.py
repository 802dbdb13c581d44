"""What a use case answers, as data: the adapter decides the words, the buttons or the status.

Reason codes, not translated text: bot/telegram/render.py turns them into messages in the
person's language, and the web API into JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.storage.database import Response
from bot.survey.model import Survey


class NotAdmin(PermissionError):
    """An admin action asked by someone not in ADMIN_IDS. Telegram answers it as an unknown
    command, the web API with 403: nothing tells that the action exists."""


class UnknownSurvey(LookupError):
    def __init__(self, survey_id: str, known: Sequence[str]) -> None:
        super().__init__(survey_id)
        self.survey_id = survey_id
        self.known = sorted(known)


class NotAPulseSurvey(ValueError):
    """A pulse action on a survey that is not answered in waves."""

    def __init__(self, survey_id: str) -> None:
        super().__init__(survey_id)
        self.survey_id = survey_id


class Refusal(StrEnum):
    """Why a respondent's action changed nothing."""

    STALE = "stale"
    """A button that is not valid any more: someone else's, replaced, or forged."""
    ANSWERED = "answered"
    """A tap on a question already answered: the current one is shown again."""
    EXPIRED = "expired"
    FINISHED = "finished"
    CLOSED = "closed"
    """The survey (or the wave) is closed."""
    FIRST_QUESTION = "first"
    DOES_NOT_FIT = "does-not-fit"
    EMPTY = "empty"
    TOO_LONG = "too-long"
    BUTTONS_ONLY = "buttons-only"
    """Text typed while the question on screen asks for a tap."""
    NOT_YET = "not-yet"
    """Answered this quarter already: `again` says from when it can be answered again."""
    INVITE_INVALID = "invite-invalid"
    """An invite link that is wrong, replaced, or of a team without a link: the same reason,
    so that no one can find out which teams exist."""
    TOO_MANY_TEAMS = "too-many-teams"


@dataclass(frozen=True)
class Shown:
    """A response's current screen (its question, or its summary once finished)."""

    survey: Survey
    response: Response
    nonce: str | None = None
    """The proof of an anonymous response, carried by its buttons."""
    previous: Response | None = None
    """The finished response this one replaces (a survey answered again), for the summary."""
    welcome_back: bool = False
    """An unfinished response taken up again: say so above the question."""

    @property
    def finished(self) -> bool:
        return self.response.finished


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    shown: Shown | None = None
    """The screen to put back (or, finished, the result perhaps never shown), when there is one."""
    limit: int | None = None
    """TOO_LONG only: the most characters the answer may have."""
    again: date | None = None
    """NOT_YET only."""


@dataclass(frozen=True)
class Unfinished:
    """A non-anonymous response the person left: offered to continue or start over."""

    survey: Survey
    response: Response
    position: int
    total: int


@dataclass(frozen=True)
class Menu:
    """The surveys open to the public, to choose from."""

    surveys: Sequence[Survey]
    unknown_link: bool = False
    """A link that leads to no survey we know."""
    pulse_open: bool = False
    """A pulse the person started and has not finished: pointed at (its own message holds the
    proof that the response is theirs)."""
    unfinished: Unfinished | None = None


@dataclass(frozen=True)
class Joined:
    """An invite accepted: the person is in the team's audience."""

    survey: Survey
    team: str


@dataclass(frozen=True)
class NothingOpen:
    """Text typed with no survey open."""

    pulse_open: bool
