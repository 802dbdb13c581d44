"""A respondent's actions, decided and committed without Telegram: what each returns, and what
the database holds after it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from bot import metrics
from bot.storage.database import Storage
from bot.survey.flow import current_question
from bot.survey.links import Target, encode_payload
from bot.usecases import respondent
from bot.usecases.deps import Deps
from bot.usecases.outcomes import Menu, NothingOpen, Refusal, Refused, Shown
from bot.usecases.respondent import Person


def question_id(shown: Shown) -> str | None:
    question = current_question(shown.survey, shown.response.answers, shown.response.cursor)
    return question.id if question else None


async def begin(deps: Deps, person: Person, survey_id: str = "nps") -> Shown:
    outcome = await respondent.start(deps, person, encode_payload(Target(survey_id, "desk-3")))
    assert isinstance(outcome, Shown)
    return outcome


async def test_visit_answers_in_the_persons_telegram_language(person: Person) -> None:
    assert person.language == "fr"


async def test_start_without_a_link_offers_the_public_surveys(deps: Deps, person: Person) -> None:
    outcome = await respondent.start(deps, person, None)
    assert isinstance(outcome, Menu)
    assert {s.id for s in outcome.surveys} == {s.id for s in deps.surveys.values() if s.public}
    assert outcome.unfinished is None and not outcome.unknown_link


async def test_a_link_to_no_known_survey_gives_the_menu_and_says_so(
    deps: Deps, person: Person
) -> None:
    outcome = await respondent.start(deps, person, "no-such-survey")
    assert isinstance(outcome, Menu) and outcome.unknown_link


async def test_a_deep_link_starts_the_survey_with_its_segment(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    assert question_id(shown) == "recommend"
    stored = await deps.storage.response(shown.response.id)
    assert stored is not None and stored.segment == "desk-3" and stored.language == "fr"


async def test_a_tap_stores_the_answer_and_shows_the_next_question(
    deps: Deps, person: Person
) -> None:
    shown = await begin(deps, person)
    outcome = await respondent.tap(deps, person, shown.response.id, 0, "9")
    assert isinstance(outcome, Shown) and question_id(outcome) == "why-promoter"
    stored = await deps.storage.response(shown.response.id)
    assert stored is not None and stored.answers == {"recommend": "9"}


async def test_a_tap_on_a_question_already_answered_is_refused_with_the_current_one(
    deps: Deps, person: Person
) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    outcome = await respondent.tap(deps, person, shown.response.id, 0, "3")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.ANSWERED
    assert outcome.shown is not None and question_id(outcome.shown) == "why-promoter"
    stored = await deps.storage.response(shown.response.id)
    assert stored is not None and stored.answers == {"recommend": "9"}


async def test_the_same_tap_taken_twice_at_once_is_one_answer_stored_and_counted(
    deps: Deps, person: Person
) -> None:
    """Two deliveries of one tap read the response before either wrote (two replicas, or one
    process taking both at once): the second finds the answer there and shows the same screen,
    and the answers-stored metric counts one answer, not two."""
    shown = await begin(deps, person)
    first = await respondent.visit(deps, person.user_id, "fr", shown.response.id)
    second = await respondent.visit(deps, person.user_id, "fr", shown.response.id)
    stored = metrics.registry().get_sample_value("cxbot_answers_stored_total") or 0.0
    outcomes = [
        await respondent.tap(deps, who, shown.response.id, 0, "9") for who in (first, second)
    ]
    assert all(isinstance(o, Shown) and question_id(o) == "why-promoter" for o in outcomes)
    after = await deps.storage.response(shown.response.id)
    assert after is not None and after.answers == {"recommend": "9"}
    assert metrics.registry().get_sample_value("cxbot_answers_stored_total") == stored + 1


async def test_a_value_off_the_scale_does_not_fit(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    outcome = await respondent.tap(deps, person, shown.response.id, 0, "11")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.DOES_NOT_FIT
    assert outcome.shown is not None  # the question is put back


async def test_someone_elses_response_is_a_stale_button(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    other = await respondent.visit(deps, 43, "en")
    outcome = await respondent.tap(deps, other, shown.response.id, 0, "9")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.STALE


async def test_back_returns_to_the_previous_question_but_not_before_the_first(
    deps: Deps, person: Person
) -> None:
    shown = await begin(deps, person)
    first = await respondent.back(deps, person, shown.response.id, 0)
    assert isinstance(first, Refused) and first.reason is Refusal.FIRST_QUESTION
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    why = current_question(shown.survey, {"recommend": "9"}, None)
    assert why is not None
    outcome = await respondent.back(deps, person, shown.response.id, why.index)
    assert isinstance(outcome, Shown) and question_id(outcome) == "recommend"
    assert outcome.response.answers["recommend"] == "9", "the answer is kept until changed"


async def test_typed_text_answers_a_text_question_and_finishes(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    outcome = await respondent.type_text(deps, person, "  friendly staff ")
    assert isinstance(outcome, Shown) and outcome.finished
    stored = await deps.storage.response(shown.response.id)
    assert stored is not None and stored.answers["why-promoter"] == "friendly staff"


async def test_typed_text_is_refused_when_too_long_or_empty(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    question = current_question(shown.survey, {"recommend": "9"}, None)
    assert question is not None
    limit = question.scale.max_length  # type: ignore[union-attr]
    long = await respondent.type_text(deps, person, "x" * (limit + 1))
    assert isinstance(long, Refused) and long.reason is Refusal.TOO_LONG and long.limit == limit
    empty = await respondent.type_text(deps, person, "   ")
    assert isinstance(empty, Refused) and empty.reason is Refusal.EMPTY
    stored = await deps.storage.response(shown.response.id)
    assert stored is not None and "why-promoter" not in stored.answers


async def test_typed_text_on_a_button_question_points_to_the_buttons(
    deps: Deps, person: Person
) -> None:
    await begin(deps, person)
    outcome = await respondent.type_text(deps, person, "nine")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.BUTTONS_ONLY
    assert outcome.shown is not None and question_id(outcome.shown) == "recommend"


async def test_typed_text_with_nothing_open_says_how_to_start(deps: Deps, person: Person) -> None:
    outcome = await respondent.type_text(deps, person, "hello")
    assert outcome == NothingOpen(pulse_open=False)


async def test_a_finished_response_refuses_taps_with_its_result(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    await respondent.type_text(deps, person, "ok")
    outcome = await respondent.tap(deps, person, shown.response.id, 1, None)
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.FINISHED
    assert outcome.shown is not None and outcome.shown.finished


async def test_a_quarterly_survey_answered_this_quarter_says_when_again(
    deps: Deps, person: Person
) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    await respondent.type_text(deps, person, "ok")
    again = await respondent.start(deps, person, encode_payload(Target("nps", None)))
    assert isinstance(again, Refused) and again.reason is Refusal.NOT_YET
    assert again.again is not None


async def test_start_offers_to_resume_an_unfinished_survey(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    menu = await respondent.start(deps, person, None)
    assert isinstance(menu, Menu) and menu.unfinished is not None
    assert menu.unfinished.response.id == shown.response.id
    assert (menu.unfinished.position, menu.unfinished.total) == (2, 2)
    resumed = await respondent.resume(deps, person, shown.response.id)
    assert isinstance(resumed, Shown) and resumed.welcome_back


async def test_restart_closes_the_response_and_begins_a_new_one(deps: Deps, person: Person) -> None:
    shown = await begin(deps, person)
    await respondent.tap(deps, person, shown.response.id, 0, "9")
    outcome = await respondent.restart(deps, person, shown.response.id)
    assert isinstance(outcome, Shown) and outcome.response.id != shown.response.id
    assert outcome.response.answers == {} and outcome.response.segment == "desk-3"
    old = await deps.storage.response(shown.response.id)
    assert old is not None and old.closed_at is not None


@pytest.mark.parametrize("language", ["pt", "xx"])
async def test_set_language_takes_only_our_languages(
    deps: Deps, person: Person, language: str
) -> None:
    taken = await respondent.set_language(deps, person, language)
    again = await respondent.visit(deps, person.user_id, "fr")
    assert taken == (language == "pt")
    assert again.language == ("pt" if taken else "fr")


async def test_one_tap_taken_by_two_processes_at_once_is_stored_once_and_the_other_told(
    deps: Deps, database: Path | str
) -> None:
    """Two replicas on one database, each with its own Storage, take two taps of one person on
    the same question at the same moment (a double tap spread over both): the first answer is
    stored, and the second is answered as a tap on a question already answered, with the
    screen as the first left it."""
    other = await Storage.open(database)
    try:
        replica = replace(deps, storage=other)
        for n in range(30):
            person = await respondent.visit(deps, 500 + n, "en")
            shown = await begin(deps, person)
            outcomes = await asyncio.gather(
                respondent.tap(deps, person, shown.response.id, 0, "9"),
                respondent.tap(replica, person, shown.response.id, 0, "3"),
            )
            [moved] = [o for o in outcomes if isinstance(o, Shown)]
            [told] = [o for o in outcomes if isinstance(o, Refused)]
            assert told.reason is Refusal.ANSWERED
            stored = await deps.storage.response(shown.response.id)
            assert stored is not None and stored.answers == moved.response.answers
            assert told.shown is not None and told.shown.response.answers == stored.answers
            assert question_id(told.shown) == question_id(moved) != "recommend"
    finally:
        await other.close()
