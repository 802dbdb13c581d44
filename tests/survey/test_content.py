"""The shipped questionnaires as a respondent meets them: lengths that fit a phone, one length
per screen, what "don't know" counts as, who sees which survey, and the short names summaries use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.i18n import use_language
from bot.survey.loader import load_catalogue
from bot.survey.model import LANGUAGES, Localized
from bot.survey.repeats import again_from, next_quarter, quarter_start
from bot.survey.scoring import YesShareResult, score
from bot.survey.screens import LONG_SURVEY, answer_labels, question_screen, summary_screen

SURVEYS = Path(__file__).resolve().parents[2] / "bot" / "surveys"
CATALOGUE = load_catalogue(SURVEYS)
PHONE_WIDTH = 30
"""Longer menu titles and button labels are cut on a phone."""
SELF_ASSESSMENTS = ["cx-maturity", "cx-checklist", "cx-diagnostic"]


def given(text: Localized | None) -> Localized:
    assert text is not None
    return text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("survey_id", sorted(CATALOGUE))
def test_titles_and_answer_buttons_fit_a_phone(survey_id: str, language: str) -> None:
    survey = CATALOGUE[survey_id]
    with use_language(language):
        labels = {label for q in survey.questions for label, _value in answer_labels(q)}
    if survey.repeat != "wave":  # a pulse comes as a message, never as a menu button
        labels.add(survey.title(language))
    too_long = [t for t in labels if len(t) > PHONE_WIDTH]
    assert too_long == []


WITH_LENGTH_LINE = sorted(
    survey_id
    for survey_id, survey in CATALOGUE.items()
    if len(survey.questions) >= LONG_SURVEY and survey.intro is not None
)
"""The surveys whose first screen has the bot's own length line (and an intro beside it)."""


def test_the_long_surveys_are_the_three_self_assessments() -> None:
    assert WITH_LENGTH_LINE == ["cx-checklist", "cx-diagnostic", "cx-maturity"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("survey_id", WITH_LENGTH_LINE)
def test_a_long_survey_states_its_length_once(survey_id: str, language: str) -> None:
    """The bot's own line gives the count and the time; an intro that gave them too would
    disagree with it sooner or later."""
    intro = CATALOGUE[survey_id].intro
    assert intro is not None
    assert not any(ch.isdigit() for ch in intro(language))


@pytest.mark.parametrize(
    ("survey_id", "line"),
    [
        ("cx-maturity", "32 statements · about 6 minutes"),
        ("cx-checklist", "26 statements · about 5 minutes"),
        ("cx-diagnostic", "20 questions · about 4 minutes"),
    ],
)
def test_the_length_line_says_statements_for_statements(survey_id: str, line: str) -> None:
    survey = CATALOGUE[survey_id]
    with use_language("en"):
        assert line in question_screen(survey, survey.questions[0])


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("ru", "«Не знаю» засчитывается как «нет»"),
        ("en", "“Don't know” counts as “no”"),
        ("fr", "«\u00a0Ne sais pas\u00a0» compte comme «\u00a0Non\u00a0»"),
        ("pt", "«Não sei» conta como «Não»"),
    ],
)
@pytest.mark.parametrize("survey_id", SELF_ASSESSMENTS)
def test_self_assessments_say_that_dont_know_counts_as_no(
    survey_id: str, language: str, said: str
) -> None:
    assert said in given(CATALOGUE[survey_id].intro)(language)


@pytest.mark.parametrize("survey_id", ["five-promises", "cxci"])
def test_teamwork_can_be_skipped_when_one_person_served(survey_id: str) -> None:
    teamwork = CATALOGUE[survey_id].question("teamwork")
    assert teamwork is not None and teamwork.question.optional


def test_a_skipped_teamwork_is_left_out_of_the_index() -> None:
    survey = CATALOGUE["five-promises"]
    answers: dict[str, str | None] = {
        "relationship": "8",
        "exceeding-expectations": "6",
        "teamwork": None,
        "attitude": "10",
        "environment": "8",
        "comment": None,
    }
    result = score(survey, answers)
    assert getattr(result, "index", None) == 80


def test_evaluators_surveys_are_reached_by_link_only() -> None:
    menu = sorted(s.id for s in CATALOGUE.values() if s.public and s.repeat != "wave")
    assert menu == [
        "ces",
        "csat",
        "cx-checklist",
        "cx-diagnostic",
        "cx-maturity",
        "five-promises",
        "nps",
    ]


def test_nps_is_asked_once_a_quarter_and_contact_ratings_per_contact() -> None:
    assert CATALOGUE["nps"].repeat == "quarterly"
    assert CATALOGUE["csat"].repeat == "each"
    assert CATALOGUE["ces"].repeat == "each"


def test_the_employer_survey_is_named_enps() -> None:
    assert CATALOGUE["enps"].score_name == "eNPS"
    assert CATALOGUE["nps"].score_name == "NPS"


def test_cei_says_its_segments_are_the_sites_visited() -> None:
    title = given(CATALOGUE["cei"].segments_title)
    assert "competitor" in title("en") and "concurrent" in title("fr")
    assert not any("store" in q.question.text("en") for q in CATALOGUE["cei"].questions)


def test_checklist_sections_keep_the_seeds_words() -> None:
    titles = [given(s.title)("en") for s in CATALOGUE["cx-checklist"].sections]
    assert "You clearly know your target audience" in titles
    assert "You regularly track how your customers feel" in titles
    assert "Customer experience is an integral part of your corporate culture" in titles
    ru = [given(s.title)("ru") for s in CATALOGUE["cx-checklist"].sections]
    assert "Клиентский опыт — неотъемлемая часть вашей корпоративной культуры" in ru


def test_the_checklist_summary_names_sections_with_nouns() -> None:
    survey = CATALOGUE["cx-checklist"]
    answers = {q.id: ("yes" if q.section.id == "culture" else "no") for q in survey.questions}
    result = score(survey, answers)
    assert isinstance(result, YesShareResult)
    with use_language("en"):
        summary = summary_screen(survey, result)
        heading = question_screen(survey, survey.questions[0])
    assert "Strongest: CX culture (100%)" in summary
    assert "Weakest: Target audience (0%)" in summary
    assert "You clearly know your target audience" in heading
    assert [given(s.label)("en") for s in survey.sections] == [
        "Target audience",
        "Customer needs",
        "Customer journey",
        "Customer feelings",
        "CX culture",
    ]


def test_cx_diagnostic_keeps_buy_backs_and_pt_churn_is_about_customers() -> None:
    question = CATALOGUE["cx-diagnostic"].question("cost-of-poor-service")
    assert question is not None
    assert "product returns (buy-backs)" in question.question.text("en")
    assert "abandono de clientes (churn)" in question.question.text("pt")


def test_russian_texts_write_yo() -> None:
    missing = []
    for survey in CATALOGUE.values():
        for question in survey.questions:
            text = question.question.text("ru")
            missing += [
                w for w in ("четк", "свое ", " ее ", "обобщенн", "удовлетворенн") if w in text
            ]
    assert missing == []


def test_french_survey_texts_use_typographic_apostrophes() -> None:
    apostrophes = [
        q.question.text("fr")
        for s in CATALOGUE.values()
        for q in s.questions
        if "'" in q.question.text("fr")
    ]
    assert apostrophes == []


# the quarterly repeat


def test_quarters_are_calendar_quarters() -> None:
    assert quarter_start(date(2026, 11, 29)) == date(2026, 10, 1)
    assert next_quarter(date(2026, 11, 29)) == date(2027, 1, 1)
    assert next_quarter(date(2026, 1, 1)) == date(2026, 4, 1)


def test_a_quarterly_survey_answered_this_quarter_opens_next_quarter() -> None:
    nps = CATALOGUE["nps"]
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert again_from(nps, "2026-10-01 00:00:01.000", now) == date(2027, 1, 1)
    assert again_from(nps, "2026-09-30 23:59:59.999", now) is None
    assert again_from(nps, None, now) is None


def test_a_per_contact_survey_may_be_answered_again_at_once() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert again_from(CATALOGUE["csat"], "2026-11-29 11:00:00.000", now) is None
