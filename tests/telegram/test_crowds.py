"""Many people at once: 200 respondents answering together through a bot killed (SIGKILL)
mid-way, a crowd answering through a Bot API that misbehaves, and one person's burst of taps
beside another person. What a person saw taken is
kept, nothing is stored twice, and everyone gets to the end."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.telegram.harness import BotProcess, Buttons, Person, Respondent, tap_update
from tests.telegram.standin import BotApiStandIn

SURVEY = "/start five-promises__desk-2"
QUESTIONS = 6
"""Five 0-10 questions and an optional comment (skipped)."""
THANKS = "Thank you"
PATIENCE = 5.0
"""Seconds a person waits on a spinning button before tapping it again."""
BURST = 150
"""Taps on one button at once: more than the bot handles at the same time (64)."""


def rate_or_skip(buttons: Buttons) -> dict[str, Any]:
    """A 9 on each rating, Skip on the comment."""
    return next((b for b in buttons if b["text"] in ("9", "Skip")), buttons[0])


def buttons_of(message: dict[str, Any]) -> Buttons:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def stored_answers(bot: BotProcess) -> dict[int, int]:
    """Person -> answers stored in their responses, read as another program would."""
    rows = bot.query(
        "SELECT r.user_id, count(a.question_id) FROM responses r"
        " LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.user_id"
    )
    return {int(str(user)): int(str(count)) for user, count in rows}


async def test_a_bot_killed_under_load_keeps_every_answer_it_showed_as_taken(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    crowd = [Respondent(api, 30_000 + n) for n in range(200)]
    taking = [
        asyncio.create_task(person.take(SURVEY, rate_or_skip, patience=PATIENCE))
        for person in crowd
    ]
    await api.wait_for(lambda: sum(p.acknowledged for p in crowd) >= 400, within=60)

    await bot.kill()
    seen_taken = {person.id: person.acknowledged for person in crowd}
    stored = stored_answers(bot)
    lost = {
        p: (seen, stored.get(p, 0)) for p, seen in seen_taken.items() if stored.get(p, 0) < seen
    }
    assert lost == {}, "answers the person saw taken are missing: (seen, stored)"
    assert any(0 < seen < QUESTIONS for seen in seen_taken.values()), "killed mid-survey"

    await bot.start()
    endings = await asyncio.gather(*taking)
    assert all(THANKS in ending for ending in endings)
    per_person = bot.query(
        "SELECT r.user_id, count(DISTINCT r.id), count(a.question_id), count(r.finished_at)"
        " FROM responses r JOIN answers a ON a.response_id = r.id GROUP BY r.user_id"
    )
    assert sorted(per_person) == [(p.id, 1, QUESTIONS, QUESTIONS) for p in crowd]


async def test_a_crowd_finishes_through_a_flaky_api_and_every_answer_is_stored_once(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    api.chaos = 0.2  # 429 with retry_after, 500, 502 or a slow answer, on a fifth of the calls
    crowd = [Respondent(api, 40_000 + n) for n in range(50)]
    endings = await asyncio.gather(*(person.take(SURVEY, rate_or_skip) for person in crowd))
    assert all(THANKS in ending for ending in endings)
    assert stored_answers(bot) == {person.id: QUESTIONS for person in crowd}
    assert sum(not call.ok for call in api.calls) > 50, "the API did misbehave"


async def test_a_person_hammering_a_button_does_not_hold_up_anyone_else(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    hammer, other = Person(api, 41_001), Person(api, 41_002)
    for person in (hammer, other):
        await person.send("/start nps")
    tapped = hammer.last
    nine = next(b for b in buttons_of(tapped) if b["text"] == "9")["callback_data"]
    taps = [api.new_query_id() for _ in range(BURST)]
    for query_id in taps:  # one 9, then taps on a question already answered
        await api.push(tap_update(hammer.user, query_id, tapped, nine))

    await other.tap("9")
    # taps beyond the person's queue are dropped and answered blank at once; the ones the bot
    # handled (each told the question is already answered) are what the other person could
    # have waited for
    handled = {
        str(call.params.get("callback_query_id"))
        for call in api.calls
        if call.method == "answerCallbackQuery" and call.params.get("text")
    }
    handled_first = sum(query_id in handled for query_id in taps)
    assert handled_first < BURST // 3, "the other person waited for the burst"
    await api.wait_for(lambda: all(api.answered(query_id) for query_id in taps), within=60)
    assert bot.query("SELECT count(*) FROM answers") == [(2,)]
