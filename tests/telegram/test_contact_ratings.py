"""Customers rate a contact right after it: CSAT with a word on each point, then FCR; CES 1-7."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


def answers(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT r.survey_id, r.segment, a.question_id, a.value FROM answers a"
            " JOIN responses r ON r.id = a.response_id ORDER BY a.answered_at"
        ).fetchall()


async def test_a_customer_rates_satisfaction_in_words_and_says_if_it_was_solved(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 6101, "en")
    await customer.send("/start csat__branch-7")
    assert "How satisfied are you with this contact?" in customer.text
    assert customer.buttons() == [
        "1 · Very dissatisfied",
        "2 · Dissatisfied",
        "3 · Neutral",
        "4 · Satisfied",
        "5 · Very satisfied",
    ]
    rows = customer.last["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 for row in rows), "one labelled point per row"

    await customer.tap("4 · Satisfied")
    assert "2/2" in customer.text and "Was your issue solved in this contact?" in customer.text
    assert customer.buttons() == ["Yes", "No", "« Back"]
    await customer.tap("No")
    assert "Thank you for your rating! It helps us improve every contact." in customer.text
    assert answers(bot.database) == [
        ("csat", "branch-7", "satisfaction", "4"),
        ("csat", "branch-7", "solved", "no"),
    ]


async def test_a_customer_rates_effort_on_seven_points_in_french(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 6102, "fr")
    await customer.send("/start ces")
    buttons = customer.buttons()
    assert len(buttons) == 7 and buttons[0].startswith("1 · ") and buttons[6].startswith("7 · ")
    await customer.tap(buttons[5])
    assert customer.buttons() == ["« Retour", "Passer"]
    await customer.tap("Passer")
    assert "Merci pour votre note\u00a0!" in customer.text
    assert answers(bot.database) == [("ces", None, "effort", "6"), ("ces", None, "why", None)]
