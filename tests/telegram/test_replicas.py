"""Two bots on one SQLite file, behind a load balancer (the stand-in, spreading webhook
updates over both in turn and delivering some twice): a person's double tap reaching both at
once stores one answer and tells the second tap so, and respondents finishing through both
have every answer stored exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import use_language
from bot.telegram.render import refusal_text
from bot.usecases.outcomes import Refusal, Refused
from tests.telegram.harness import TOKEN, BotProcess, Person, Respondent, tap_update
from tests.telegram.standin import BotApiStandIn
from tests.telegram.test_crowds import QUESTIONS, SURVEY, THANKS, rate_or_skip

DOUBLE_TAPS = 10


@pytest.fixture
async def replicas(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    """Two `cxbot run` in webhook mode on one database file, the stand-in in front of both."""
    shared = tmp_path / "cxbot.sqlite3"
    bots = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        bot = BotProcess(api, tmp_path / name, mode="webhook", DATABASE=str(shared))
        await bot.start()
        bots.append(bot)
    api.backends = [bot.webhook_url for bot in bots]
    yield bots
    for bot in bots:
        await bot.stop()
    for bot in bots:
        log = bot.log_text()
        assert "Traceback" not in log, log
        assert TOKEN not in log, "the token must never be logged"


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
    api: BotApiStandIn, replicas: list[BotProcess]
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
        stored = replicas[0].query(
            "SELECT a.question_id, a.value FROM answers a JOIN responses r"
            " ON r.id = a.response_id WHERE r.user_id = ?",
            person.id,
        )
        assert stored == [("recommend", taken)], "the answer of the tap that was taken, once"
        assert "2/2" in person.text, "the screen moved on once, to the next question"
    assert len(api.posted_to) == 2, "both processes took updates"


async def test_twenty_respondents_through_both_processes_have_every_answer_stored_once(
    api: BotApiStandIn, replicas: list[BotProcess]
) -> None:
    api.twice = 0.3  # a third of the updates delivered a second time, to the other process
    crowd = [Respondent(api, 31_000 + n) for n in range(20)]
    endings = await asyncio.gather(*(person.take(SURVEY, rate_or_skip) for person in crowd))
    assert all(THANKS in ending for ending in endings)
    per_person = replicas[0].query(
        "SELECT r.user_id, count(DISTINCT r.id), count(a.question_id), count(r.finished_at)"
        " FROM responses r JOIN answers a ON a.response_id = r.id GROUP BY r.user_id"
    )
    assert sorted(per_person) == [(p.id, 1, QUESTIONS, QUESTIONS) for p in crowd], (
        "one response each (a /start delivered twice starts no second one), every answer once"
    )
    assert [p.acknowledged for p in crowd] == [QUESTIONS] * len(crowd)
    taken = Counter(update_id for update_id, status in api.webhook_posts if status == 200)
    assert max(taken.values()) == 2, "some updates were delivered twice (and acknowledged)"
    assert len(api.posted_to) == 2, "both processes took updates"
