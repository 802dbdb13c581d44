"""A manager takes the CX maturity self-assessment in Telegram, in each language, to the summary."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.survey.loader import load_survey
from tests.telegram.harness import REPO, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

SURVEY = load_survey(REPO / "bot" / "surveys" / "cx-maturity.toml")

# The answers given, section by section (sizes 7, 6, 9, 5, 5): Y yes, N no, U don't know.
TAPS = "YYYYYNU" + "YNNUNY" + "YYYNNNUUY" + "YYYYN" + "NNNNU"
# Worked out by hand from TAPS: yes per section 5/7, 2/6, 4/9, 4/5, 0/5; overall 15/32 = 46.9 %;
# 5 "don't know"; strongest Implementation (80 %), weakest Measuring results (0 %).
SECTION_PERCENTS = ["71", "33", "44", "80", "0"]

QUESTIONS_AND_TIME = {
    "fr": "32 affirmations · environ 6 minutes",
    "ru": "32 утверждения · около 6 минут",
    "en": "32 statements · about 6 minutes",
    "pt": "32 afirmações · cerca de 6 minutos",
}
BACK = {"fr": "Retour", "ru": "Назад", "en": "Back", "pt": "Voltar"}
LANGUAGES = {
    # language: (Yes, No, Don't know), overall line, "don't know" line, percent sign, colon
    "fr": (
        ("Oui", "Non", "Ne sais pas"),
        "Global\u00a0: 47\u00a0% · Niveau\u00a0: En progression",
        "«\u00a0Ne sais pas\u00a0»\u00a0: 5 sur 32 affirmations.",
        "\u00a0%",
        "\u00a0: ",
    ),
    "ru": (
        ("Да", "Нет", "Не знаю"),
        "Общий результат: 47\u00a0% · Уровень: Развивающийся",
        "«Не знаю»: 5 из 32 утверждений.",
        "\u00a0%",
        ": ",
    ),
    "en": (
        ("Yes", "No", "Don't know"),
        "Overall: 47% · Level: Developing",
        "“Don't know”: 5 of 32 statements.",
        "%",
        ": ",
    ),
    "pt": (
        ("Sim", "Não", "Não sei"),
        "Global: 47% · Nível: Em desenvolvimento",
        "«Não sei»: 5 de 32 afirmações.",
        "%",
        ": ",
    ),
}


def answered(database: Path) -> dict[str, str | None]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT question_id, value FROM answers"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_manager_completes_cx_maturity_and_reads_the_scored_summary(
    api: BotApiStandIn, bot: BotProcess, language: str
) -> None:
    labels, overall, unsure, percent, colon = LANGUAGES[language]
    manager = Person(api, 1001, language)
    await manager.send("/start")
    await manager.tap(SURVEY.title(language))
    assert SURVEY.intro is not None and SURVEY.intro(language) in manager.text
    assert QUESTIONS_AND_TIME[language] in manager.text

    for number, (question, tap) in enumerate(zip(SURVEY.questions, TAPS, strict=True), start=1):
        assert f"{number}/32 · {question.section.title(language)}" in manager.text  # type: ignore[misc]
        assert question.question.text(language) in manager.text
        back = ["« " + BACK[language]] if number > 1 else []
        assert manager.buttons() == [*labels, *back]
        await manager.tap(labels["YNU".index(tap)])

    summary = manager.text
    assert overall in summary
    for section, share in zip(SURVEY.sections, SECTION_PERCENTS, strict=True):
        assert f"{section.title(language)}{colon}{share}{percent}" in summary  # type: ignore[misc]
    assert unsure in summary
    strongest, weakest = SURVEY.sections[3].title, SURVEY.sections[4].title
    assert strongest is not None and f"{strongest(language)} (80{percent})" in summary
    assert weakest is not None and f"{weakest(language)} (0{percent})" in summary
    assert manager.buttons() == []
    assert len(manager.chat) == 2, "the survey ran in one message, edited in place"

    stored = answered(bot.database)
    values = {"Y": "yes", "N": "no", "U": "unsure"}
    assert stored == {q.id: values[t] for q, t in zip(SURVEY.questions, TAPS, strict=True)}
