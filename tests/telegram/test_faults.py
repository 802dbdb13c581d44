"""A flaky Bot API: a share of the bot's calls meet a 429, a 500, a 502 or a slow answer.
Every respondent still finishes, every answer is stored once, and nothing crashes."""

from __future__ import annotations

import sqlite3

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn

THANKS = "Thank you"


async def test_respondents_finish_through_a_flaky_api(api: BotApiStandIn, bot: BotProcess) -> None:
    api.chaos = 0.2
    customers = [Person(api, 18000 + n, "en") for n in range(4)]
    for number, customer in enumerate(customers):
        await customer.send("/start nps__desk-1")
        await customer.expect("How likely are you to recommend us")
        await customer.tap(str(6 + number))
        await customer.expect("?", within=15)
        await customer.send(f"reason {number}")
        await customer.expect(THANKS)
    manager = Person(api, 18100, "en")
    await manager.send("/start cx-diagnostic")
    for number in range(1, 21):
        await manager.expect(f"{number}/20")
        await manager.tap("Yes" if number % 2 else "No")
    await manager.expect("Overall: 50%")

    with sqlite3.connect(bot.database) as db:
        per_response = db.execute(
            "SELECT r.survey_id, r.finished_at IS NOT NULL, count(a.question_id)"
            " FROM responses r JOIN answers a ON a.response_id = r.id GROUP BY r.id ORDER BY r.id"
        ).fetchall()
    assert per_response == [("nps", 1, 2)] * 4 + [("cx-diagnostic", 1, 20)]
    assert sum(not call.ok for call in api.calls) > 10, "the API did misbehave"
    assert "Traceback" not in bot.log_text()


async def test_an_api_failing_past_every_retry_is_one_log_line_and_the_next_message_works(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    person = Person(api, 18200, "en")
    api.failures[person.id] = [(502, "Bad Gateway", None)] * 8  # every attempt at the answer
    await api.push(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": person.id, "type": "private"},
                "from": person.user,
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            }
        }
    )
    await api.wait_for(lambda: not api.failures[person.id], within=30)
    await api.wait_for(lambda: "the Bot API kept failing" in bot.log_text(), within=5)
    assert "Traceback" not in bot.log_text()

    await person.send("/start")
    assert person.text == "Hello! Choose a questionnaire:"
