"""Two bots on one database, a SQLite file or a PostgreSQL database (each test runs on both),
behind a load balancer (the stand-in, spreading webhook updates over both in turn and
delivering some twice): a person's double tap reaching both at once stores one answer and tells
the second tap so; respondents finishing through both have every answer stored exactly once,
also when one replica is killed midway and its traffic goes to the other."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from bot.i18n import use_language
from bot.storage.updates import CLAIM_LEASE
from bot.survey.model import NumericScale, Survey
from bot.telegram.callback_data import Answer, decode
from bot.telegram.render import refusal_text
from bot.usecases.outcomes import Refusal, Refused
from tests.telegram.conftest import on_database
from tests.telegram.harness import BotProcess, Person, Respondent, tap_update
from tests.telegram.standin import BotApiStandIn
from tests.telegram.test_crowds import PATIENCE, QUESTIONS, SURVEY, THANKS, rate_or_skip

DOUBLE_TAPS = 10
RESPONDENTS = 100


async def double_tap(api: BotApiStandIn, person: Person, labels: tuple[str, str]) -> list[str]:
    """Two taps on the question on screen, sent one right after the other (so the stand-in
    hands them to the two bots at the same moment); the toast each got, in order."""
    question = dict(person.last)
    rows = question["reply_markup"]["inline_keyboard"]
    data = {button["text"]: button["callback_data"] for row in rows for button in row}
    queries = [api.new_query_id() for _ in labels]
    for query, label in zip(queries, labels, strict=True):
        await api.push(tap_update(person.user, query, question, data[label]))
    await api.wait_for(lambda: all(api.answered(query) for query in queries))
    await person._quiet()
    toasts = {
        str(call.params.get("callback_query_id")): str(call.params.get("text"))
        for call in api.calls
        if call.method == "answerCallbackQuery" and call.ok
    }
    return [toasts[query] for query in queries]


async def test_a_double_tap_reaching_both_processes_stores_one_answer_and_says_so(
    api: BotApiStandIn, replicas: list[BotProcess], database: Path | str
) -> None:
    with use_language("en"):
        too_late = refusal_text(Refused(Refusal.ANSWERED))
    labels = ("8", "3")
    for n in range(DOUBLE_TAPS):
        person = Person(api, 2300 + n, "en")
        await person.send("/start nps")
        toasts = await double_tap(api, person, labels)
        told = [label for label, toast in zip(labels, toasts, strict=True) if toast == too_late]
        assert len(told) == 1, f"one tap of the two is told it came too late: {toasts}"
        [taken] = set(labels) - set(told)
        stored = await on_database(
            database,
            "SELECT a.question_id, a.value FROM answers a JOIN responses r"
            " ON r.id = a.response_id WHERE r.user_id = ?",
            person.id,
        )
        assert stored == [("recommend", taken)], "the answer of the tap that was taken, once"
        assert "2/2" in person.text, "the screen moved on once, to the next question"
    assert len(api.posted_to) == 2, "both processes took updates"


async def test_twenty_respondents_through_both_processes_have_every_answer_stored_once(
    api: BotApiStandIn, replicas: list[BotProcess], database: Path | str
) -> None:
    api.twice = 0.3  # a third of the updates delivered a second time, to the other process
    crowd = [Respondent(api, 31_000 + n) for n in range(20)]
    endings = await asyncio.gather(*(person.take(SURVEY, rate_or_skip) for person in crowd))
    assert all(THANKS in ending for ending in endings)
    per_person = await on_database(
        database,
        "SELECT r.user_id, count(DISTINCT r.id), count(a.question_id), count(r.finished_at)"
        " FROM responses r JOIN answers a ON a.response_id = r.id GROUP BY r.user_id",
    )
    assert sorted(per_person) == [(p.id, 1, QUESTIONS, QUESTIONS) for p in crowd], (
        "one response each (a /start delivered twice starts no second one), every answer once"
    )
    assert [p.acknowledged for p in crowd] == [QUESTIONS] * len(crowd)
    taken = Counter(update_id for update_id, status in api.webhook_posts if status == 200)
    assert max(taken.values()) == 2, "some updates were delivered twice (and acknowledged)"
    assert len(api.posted_to) == 2, "both processes took updates"


def rating_labels(survey: Survey) -> list[str]:
    """What the closing summary names each rating by, in English: its label, or its text."""
    return [
        (q.question.label or q.question.text).en
        for q in survey.questions
        if isinstance(q.scale, NumericScale)
    ]


async def test_one_replica_killed_midway_a_hundred_respondents_finish_answers_stored_once(
    api: BotApiStandIn,
    replicas: list[BotProcess],
    database: Path | str,
    catalogue: dict[str, Survey],
) -> None:
    api.twice = 0.3  # a third of the updates delivered a second time, to the other replica
    crowd = [Respondent(api, 32_000 + n) for n in range(RESPONDENTS)]
    # a tap unanswered this long is tapped again (a delivery held by the killed replica has
    # its claim's lease to run out, then its redelivery is taken): none should need it
    patience = 2 * CLAIM_LEASE + PATIENCE
    taking = [
        asyncio.create_task(person.take(SURVEY, rate_or_skip, patience=patience, within=90))
        for person in crowd
    ]
    half = RESPONDENTS * QUESTIONS // 2
    await api.wait_for(lambda: sum(p.acknowledged for p in crowd) >= half, within=60)

    killed, survivor = replicas
    await killed.kill()  # SIGKILL: its port refuses connections now, the stand-in moves on
    seen_at_kill = [person.acknowledged for person in crowd]
    taken_before = api.posted_to.get(survivor.webhook_url, 0)
    endings = await asyncio.gather(*taking)

    assert any(0 < seen < QUESTIONS for seen in seen_at_kill), "killed mid-survey"
    assert api.posted_to.get(killed.webhook_url, 0) > 0, "the killed replica took its share"
    assert api.posted_to[survivor.webhook_url] > taken_before, "the other one took the rest"
    survey = catalogue["five-promises"]
    for ending in endings:  # the closing summary: thanks, and each rating given
        assert THANKS in ending and all(label in ending for label in rating_labels(survey))
    responses = await on_database(
        database, "SELECT user_id, count(*), count(finished_at) FROM responses GROUP BY user_id"
    )
    assert sorted(responses) == [(p.id, 1, 1) for p in crowd], "one finished response each"
    stored = await on_database(database, "SELECT response_id, question_id, value FROM answers")
    per_response = Counter(response for response, _, _ in stored)
    assert sorted(per_response.values()) == [QUESTIONS] * RESPONDENTS, "each question once"

    acknowledged = {update_id for update_id, status in api.webhook_posts if status == 200}
    taps = [decode(api.pushed[u].get("callback_query", {}).get("data")) for u in acknowledged]
    answers = {
        (tap.response_id, survey.questions[tap.question_index].id, tap.value)
        for tap in taps
        if isinstance(tap, Answer)
    }
    assert answers == set(stored), (
        "the answers of the taps a replica acknowledged (200) are the answers stored"
    )
    taken = Counter(update_id for update_id, status in api.webhook_posts if status == 200)
    assert max(taken.values()) == 2, "some updates were delivered twice (and acknowledged)"
    sent = Counter(
        (kind, api.pushed[u][kind]["from"]["id"])
        for u in api.pushed
        for kind in ("message", "callback_query")
        if kind in api.pushed[u]
    )
    assert sent == Counter(
        {("message", p.id): 1 for p in crowd} | {("callback_query", p.id): QUESTIONS for p in crowd}
    ), "no update the killed replica had was lost: nobody had to tap (or start) again"
    print(
        f"updates taken by the killed replica {api.posted_to[killed.webhook_url]}, by the"
        f" other {api.posted_to[survivor.webhook_url]}; {len(acknowledged)} acknowledged"
    )
