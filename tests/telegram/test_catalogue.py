"""Every survey in bot/surveys/ taken to the end in every language, over HTTP, to its summary."""

from __future__ import annotations

import sqlite3

import pytest

from bot.survey.loader import load_catalogue
from bot.survey.model import LANGUAGES, Survey, TextScale
from tests.telegram.harness import ADMIN, REPO, BotProcess, Person, invite
from tests.telegram.standin import BotApiStandIn

CATALOGUE = load_catalogue(REPO / "bot" / "surveys")
SHIPPED = {
    "cx-maturity", "cx-checklist", "cx-diagnostic", "five-promises", "cxci", "cei",
    "nps", "csat", "ces", "enps",
}  # fmt: skip
PERCENT_100 = {"en": "100%", "pt": "100%", "fr": "100\u00a0%", "ru": "100\u00a0%"}
THANKS = {
    "nps": {
        "en": "Thank you for your honesty.",
        "fr": "Merci pour votre franchise.",
        "ru": "Спасибо за честность.",
        "pt": "Obrigado pela sua sinceridade.",
    },
    "rating": {
        "en": "Thank you for your rating!",
        "fr": "Merci pour votre note\u00a0!",
        "ru": "Спасибо за оценку!",
        "pt": "Obrigado pela sua avaliação!",
    },
}


def test_the_catalogue_has_every_survey_of_the_design() -> None:
    assert set(CATALOGUE) >= SHIPPED


async def take_to_the_end(person: Person, survey: Survey, language: str) -> None:
    """Always the first answer button; 'ok' where a typed answer is asked. A pulse survey is
    joined by its invite link and comes with the wave an admin sends."""
    if survey.repeat == "wave":
        admin = Person(person.api, ADMIN, "en")
        await person.send(await invite(admin, "all", survey.id))
        await admin.send(f"/pulse now {survey.id} all")
        await person.expect(survey.title(language))
    else:
        await person.send(f"/start {survey.id}")
    for _ in range(len(survey.questions)):
        asked = [q for q in survey.questions if q.question.text(language) in person.text]
        if not asked:
            return
        if isinstance(asked[-1].scale, TextScale):
            await person.send("ok")
        else:
            await person.tap(person.buttons()[0])


def expected_lines(survey: Survey, language: str) -> list[str]:
    if survey.scoring == "yes-share":
        return [PERCENT_100[language], survey.levels[-1].name(language)]
    if survey.scoring == "index":
        labels = [q.question.label or q.question.text for q in survey.questions if q.question.label]
        return [f"{label(language)}" for label in labels]
    if survey.scoring == "nps":
        return [THANKS["nps"][language]]
    return [THANKS["rating"][language]]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_survey_can_be_taken_to_the_end(
    api: BotApiStandIn, bot: BotProcess, language: str
) -> None:
    for number, survey in enumerate(CATALOGUE.values()):
        person = Person(api, 9000 + number, language)
        await take_to_the_end(person, survey, language)
        assert person.buttons() == [], f"{survey.id}: not at the summary: {person.text}"
        assert person.text.startswith(survey.title(language)), survey.id
        for line in expected_lines(survey, language):
            assert line in person.text, f"{survey.id} ({language}): {line!r} in {person.text!r}"
    with sqlite3.connect(bot.database) as db:
        unfinished = db.execute("SELECT survey_id FROM responses WHERE finished_at IS NULL")
        assert unfinished.fetchall() == []
        finished = {s for (s,) in db.execute("SELECT survey_id FROM responses")}
    assert finished == set(CATALOGUE)
