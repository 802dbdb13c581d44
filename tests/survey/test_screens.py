"""What a respondent reads, in their language: question screens and the summary."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from bot.i18n import use_language
from bot.survey.loader import load_catalogue
from bot.survey.model import Localized, NumericScale, Survey
from bot.survey.scoring import NpsCategory, NpsResult, YesShareResult, score
from bot.survey.screens import question_screen, summary_screen

SURVEYS = Path(__file__).resolve().parents[2] / "bot" / "surveys"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def cx() -> Survey:
    return load_catalogue(SURVEYS)["cx-maturity"]


@pytest.fixture(scope="module")
def nps() -> Survey:
    return load_catalogue(SURVEYS)["nps"]


def given(text: Localized | None) -> Localized:
    assert text is not None
    return text


def cx_summary(cx: Survey, language: str, pattern: list[list[str]]) -> str:
    answers = {
        q.id: value
        for section, values in zip(cx.sections, pattern, strict=True)
        for q, value in zip(section.questions, values, strict=True)
    }
    result = score(cx, answers)
    assert isinstance(result, YesShareResult)
    with use_language(language):
        return summary_screen(cx, result)


@pytest.mark.parametrize("language", ["en", "fr", "ru", "pt"])
def test_a_question_screen_shows_title_progress_and_text(cx: Survey, language: str) -> None:
    seventh = cx.questions[6]
    with use_language(language):
        screen = question_screen(cx, seventh)
    section = given(cx.sections[0].title)(language)
    assert screen.startswith(cx.title(language) + "\n\n")
    assert f"\n\n7/32 · {section}\n\n" in screen
    assert seventh.question.text(language) in screen


def test_the_intro_appears_only_on_the_first_question(cx: Survey) -> None:
    intro = given(cx.intro)("pt")
    with use_language("pt"):
        first, second = question_screen(cx, cx.questions[0]), question_screen(cx, cx.questions[1])
    assert intro in first
    assert intro not in second


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_zero_to_ten_screen_names_both_ends(nps: Survey, language: str) -> None:
    question = nps.questions[0]
    scale = question.scale
    assert isinstance(scale, NumericScale)
    with use_language(language):
        screen = question_screen(nps, question)
    low, high = scale.min_label(language), scale.max_label(language)
    assert f"0 — {low} · 10 — {high}" in screen


def test_the_french_summary_uses_french_percentages_and_the_level(cx: Survey) -> None:
    pattern = [
        ["yes"] * 5 + ["no"] * 2,  # 5/7 = 71 %
        ["yes"] * 6,
        ["yes"] * 3 + ["no"] * 6,
        ["no"] * 5,
        ["yes"] * 5,  # overall 19/32 = 59 %: Advanced
    ]
    screen = cx_summary(cx, "fr", pattern)
    assert f"71{NBSP}%" in screen
    assert f"59{NBSP}%" in screen
    assert "Avancé" in screen
    assert "71%" not in screen and "71 %" not in screen


@pytest.mark.parametrize("unsure", [1, 3, 5, 11, 21, 22])
def test_the_russian_summary_counts_dont_know_of_all_statements(cx: Survey, unsure: int) -> None:
    answers = ["unsure"] * unsure + ["no"] * (32 - unsure)
    sizes = [len(s.questions) for s in cx.sections]
    pattern = [answers[sum(sizes[:i]) : sum(sizes[: i + 1])] for i in range(len(sizes))]
    screen = cx_summary(cx, "ru", pattern)
    assert f"«Не знаю»: {unsure} из 32 утверждений." in screen


def test_nps_thanks_differ_by_category(nps: Survey) -> None:
    expected: dict[NpsCategory, tuple[int, str]] = {
        "detractor": (3, "We are sorry we fell short"),
        "passive": (7, "We will keep working to earn a 10 from you."),
        "promoter": (10, "We are glad you would recommend us."),
    }
    for category, (rating, thanks) in expected.items():
        with use_language("en"):
            screen = summary_screen(nps, NpsResult(rating, category))
        assert thanks in screen
        assert f"Your rating: {rating} out of 10." in screen
        others = [t for c, (_, t) in expected.items() if c != category]
        assert not any(other in screen for other in others)


@pytest.fixture(scope="module")
def enps() -> Survey:
    return load_catalogue(SURVEYS)["enps"]


@pytest.mark.parametrize(
    ("language", "threshold"),
    [
        ("en", "at least 7 responses"),
        ("ru", "от 7 ответов"),
        ("fr", "au moins 7 réponses"),
        ("pt", "pelo menos, 7 respostas"),
    ],
)
def test_the_anonymity_line_names_the_surveys_own_threshold(
    enps: Survey, language: str, threshold: str
) -> None:
    survey = msgspec.structs.replace(enps, anonymity_threshold=7)
    with use_language(language):
        text = summary_screen(survey, score(survey, {"recommend": "9", "why-promoter": None}))
    assert threshold in text
    assert "5" not in text.replace("Telegram", "")


@pytest.mark.parametrize("language", ["en", "ru", "fr", "pt"])
def test_the_enps_intro_states_no_number_and_no_promise_the_product_cannot_keep(
    enps: Survey, language: str
) -> None:
    intro = given(enps.intro)(language)
    assert not any(character.isdigit() for character in intro), "the bot's lines state N"
    for promise in ("nobody sees", "никто не видит", "personne ne voit", "ninguém vê"):
        assert promise not in intro.lower()
    assert "Telegram" in intro, "says what is true: stored without the Telegram account"
