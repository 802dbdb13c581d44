"""Which anonymous text question is on each person's screen is kept in memory only, and only for
the most recent people: one entry for each person who left one unanswered, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.database import Response
from bot.survey.flow import current_question
from bot.survey.loader import load_survey
from bot.survey.model import TextScale
from bot.telegram import respondent as adapter
from bot.telegram.respondent import Respondents, Visit
from bot.usecases.outcomes import Shown

ENPS = Path(__file__).resolve().parents[2] / "bot" / "surveys" / "enps.toml"


def on_the_text_question(response_id: int) -> Shown:
    """An anonymous eNPS response whose text question is on screen."""
    survey = load_survey(ENPS)
    first = current_question(survey, {}, None)
    assert first is not None
    answers: dict[str, str | None] = {first.id: "8"}
    question = current_question(survey, answers, None)
    assert question is not None and isinstance(question.scale, TextScale)
    response = Response(
        *(response_id, survey.id, "anonymous", None, "ops", "", "2026-11-30 00:00:00.000"),
        *("2026-11-30 00:00:00.000", None, None, None, None, 1),
        answers=answers,
    )
    return Shown(survey, response, nonce=f"nonce-{response_id}")


def test_only_the_most_recent_people_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter, "TYPING_KEPT", 3)
    people = Respondents(deps=lambda: None)  # type: ignore[arg-type, return-value]
    for user in range(1, 6):
        people._note_typing(Visit(user, user, "en"), on_the_text_question(100 + user), 7)
    assert list(people._typing) == [3, 4, 5], "the two oldest forgotten"
    people._note_typing(Visit(3, 3, "en"), on_the_text_question(103), 8)
    people._note_typing(Visit(6, 6, "en"), on_the_text_question(106), 9)
    assert list(people._typing) == [5, 3, 6], "seen again: kept as the most recent"
    assert people._typing[3].message_id == 8
