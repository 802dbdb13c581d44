"""Our own compact callback-data format, decoded by us and checked against stored state.

No in-memory callback cache: a button sent before a restart still means the same thing after it.
Formats (all well under Telegram's 64 bytes):
  a:<response>:<question index>:<value>   answer
  k:<response>:<question index>           skip an optional question
  b:<response>:<question index>           back to the question before this one
  c:<response> / r:<response>             continue an unfinished response / start over
  s:<survey id>                           start a survey from the menu
  l:<language>                            choose the language
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


@dataclass(frozen=True)
class Back:
    response_id: int
    question_index: int
    """The question on screen when Back was tapped."""


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


Action = Answer | Back | Resume | StartSurvey | ChooseLanguage

_ANSWER = re.compile(r"a:([0-9]{1,12}):([0-9]{1,3}):([a-z0-9-]{1,24})")
_SKIP = re.compile(r"k:([0-9]{1,12}):([0-9]{1,3})")
_BACK = re.compile(r"b:([0-9]{1,12}):([0-9]{1,3})")
_RESUME = re.compile(r"([cr]):([0-9]{1,12})")
_START = re.compile(r"s:([a-z0-9-]{1,24})")
_LANGUAGE = re.compile(r"l:([a-z]{2})")


def encode(action: Action) -> str:
    match action:
        case Answer(response_id=r, question_index=q, value=None):
            data = f"k:{r}:{q}"
        case Answer(response_id=r, question_index=q, value=v):
            data = f"a:{r}:{q}:{v}"
        case Back(response_id=r, question_index=q):
            data = f"b:{r}:{q}"
        case Resume(response_id=r, restart=restart):
            data = f"{'r' if restart else 'c'}:{r}"
        case StartSurvey(survey_id=s):
            data = f"s:{s}"
        case ChooseLanguage(language=lang):
            data = f"l:{lang}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Action | None:
    """The action, or None for anything we did not produce (forged, garbled, too long)."""
    if not data or len(data) > MAX_BYTES:
        return None
    if m := _ANSWER.fullmatch(data):
        return Answer(int(m[1]), int(m[2]), m[3])
    if m := _SKIP.fullmatch(data):
        return Answer(int(m[1]), int(m[2]), None)
    if m := _BACK.fullmatch(data):
        return Back(int(m[1]), int(m[2]))
    if m := _RESUME.fullmatch(data):
        return Resume(int(m[2]), restart=m[1] == "r")
    if m := _START.fullmatch(data):
        return StartSurvey(m[1])
    if m := _LANGUAGE.fullmatch(data):
        return ChooseLanguage(m[1])
    return None
