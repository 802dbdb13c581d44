"""Our own compact callback-data format, decoded by us and checked against stored state.

No in-memory callback cache: a button sent before a restart still means the same thing after it.
Formats (all within Telegram's 64 bytes):
  a:<response>:<question index>:<value>   answer
  k:<response>:<question index>           skip an optional question
  b:<response>:<question index>           back to the question before this one
  c:<response> / r:<response>             continue an unfinished response / start over
  s:<survey id>                           start a survey from the menu
  l:<language>                            choose the language
  w:<wave>:<question index>[:<value>]     the first answer to a pulse wave (no value: skip); the
                                          response is created by this tap, so none is named
  f:<y|n>:<user>:<issued>                 /forget confirmed (y) or cancelled (n): valid only for
                                          that user, for FORGET_SECONDS after `issued` (Unix time)
An anonymous response's buttons end with `:<nonce>`, 12 characters of `A-Za-z0-9_-`: nothing
stored ties the response to the person, so the nonce in their own message is what proves a
button is theirs (the response keeps only a hash of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64


@dataclass(frozen=True)
class Answer:
    response_id: int
    question_index: int
    value: str | None
    """None: skip."""
    nonce: str | None = None
    """An anonymous response's proof of possession; None for every other response."""


@dataclass(frozen=True)
class Back:
    response_id: int
    question_index: int
    """The question on screen when Back was tapped."""
    nonce: str | None = None


@dataclass(frozen=True)
class WaveAnswer:
    """The first answer to a pulse wave, from the message the wave delivered."""

    wave_id: int
    question_index: int
    value: str | None
    """None: skip."""


@dataclass(frozen=True)
class Resume:
    response_id: int
    restart: bool


@dataclass(frozen=True)
class StartSurvey:
    survey_id: str


@dataclass(frozen=True)
class ChooseLanguage:
    language: str


FORGET_SECONDS = 600
"""How long a /forget confirmation button stays valid: an old one found further up the chat
(or replayed) must not delete what the person has told the bot since."""


@dataclass(frozen=True)
class Forget:
    """The answer to /forget's question: delete everything (confirm) or nothing."""

    confirm: bool
    user_id: int
    issued: int
    """Unix time the question was asked."""

    def valid_for(self, user_id: int, now: float) -> bool:
        """Only the person who was asked, and only for a few minutes after asking: a button
        forged by someone else, or a stale one, changes nothing."""
        return self.user_id == user_id and 0 <= now - self.issued <= FORGET_SECONDS


Action = Answer | Back | WaveAnswer | Resume | StartSurvey | ChooseLanguage | Forget

NONCE_LENGTH = 12
"""`secrets.token_urlsafe(9)`: 72 random bits."""
_ID = r"([1-9][0-9]{0,15})"  # response and wave ids stay below 2**53 (16 digits)
_NONCE = rf"(?::([A-Za-z0-9_-]{{{NONCE_LENGTH}}}))?"
_ANSWER = re.compile(rf"a:{_ID}:([0-9]{{1,3}}):([a-z0-9-]{{1,24}}){_NONCE}")
_SKIP = re.compile(rf"k:{_ID}:([0-9]{{1,3}}){_NONCE}")
_BACK = re.compile(rf"b:{_ID}:([0-9]{{1,3}}){_NONCE}")
_WAVE = re.compile(rf"w:{_ID}:([0-9]{{1,3}})(?::([a-z0-9-]{{1,24}}))?")
_RESUME = re.compile(rf"([cr]):{_ID}")
_START = re.compile(r"s:([a-z0-9-]{1,24})")
_LANGUAGE = re.compile(r"l:([a-z]{2})")
_FORGET = re.compile(r"f:([yn]):([1-9][0-9]{0,15}):([1-9][0-9]{0,11})")


def encode(action: Action) -> str:
    match action:
        case Answer(response_id=r, question_index=q, value=None, nonce=n):
            data = f"k:{r}:{q}" + _proof(n)
        case Answer(response_id=r, question_index=q, value=v, nonce=n):
            data = f"a:{r}:{q}:{v}" + _proof(n)
        case Back(response_id=r, question_index=q, nonce=n):
            data = f"b:{r}:{q}" + _proof(n)
        case WaveAnswer(wave_id=w, question_index=q, value=v):
            data = f"w:{w}:{q}" + ("" if v is None else f":{v}")
        case Resume(response_id=r, restart=restart):
            data = f"{'r' if restart else 'c'}:{r}"
        case StartSurvey(survey_id=s):
            data = f"s:{s}"
        case ChooseLanguage(language=lang):
            data = f"l:{lang}"
        case Forget(confirm=confirm, user_id=u, issued=t):
            data = f"f:{'y' if confirm else 'n'}:{u}:{t}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def response_of(action: Action | None) -> int | None:
    """The response an action names, if it names one."""
    match action:
        case Answer(response_id=r) | Back(response_id=r) | Resume(response_id=r):
            return r
    return None


def decode(data: str | None) -> Action | None:
    """The action, or None for anything we did not produce (forged, garbled, too long)."""
    if not data or len(data) > MAX_BYTES:
        return None
    if m := _ANSWER.fullmatch(data):
        return Answer(int(m[1]), int(m[2]), m[3], m[4])
    if m := _SKIP.fullmatch(data):
        return Answer(int(m[1]), int(m[2]), None, m[3])
    if m := _BACK.fullmatch(data):
        return Back(int(m[1]), int(m[2]), m[3])
    if m := _WAVE.fullmatch(data):
        return WaveAnswer(int(m[1]), int(m[2]), m[3])
    if m := _RESUME.fullmatch(data):
        return Resume(int(m[2]), restart=m[1] == "r")
    if m := _START.fullmatch(data):
        return StartSurvey(m[1])
    if m := _LANGUAGE.fullmatch(data):
        return ChooseLanguage(m[1])
    if m := _FORGET.fullmatch(data):
        return Forget(m[1] == "y", int(m[2]), int(m[3]))
    return None


def _proof(nonce: str | None) -> str:
    if nonce is None:
        return ""
    if len(nonce) != NONCE_LENGTH:
        raise ValueError(f"a nonce has {NONCE_LENGTH} characters")
    return f":{nonce}"
