"""A customer scans the QR code at a desk, rates us 0-10 and says why (or skips it)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.survey.repeats import next_quarter
from tests.telegram.harness import MODES, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

ZERO_TO_TEN = [str(n) for n in range(11)]


def responses(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT r.survey_id, r.segment, r.language, r.finished_at IS NOT NULL,"
            " a.question_id, a.value FROM responses r JOIN answers a ON a.response_id = r.id"
            " ORDER BY r.id, a.answered_at, a.question_id"
        ).fetchall()


@pytest.mark.parametrize("mode", MODES)
async def test_a_customer_rates_us_and_says_why_through_a_desk_link(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 2001, "fr")
    await customer.send("/start nps__desk-3")
    assert "Quelle est la probabilité que vous nous recommandiez" in customer.text
    assert "0 — pas du tout probable · 10 — extrêmement probable" in customer.text
    assert customer.buttons() == ZERO_TO_TEN
    rows = customer.last["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in rows] == [6, 5], "0-10 on two rows"

    await customer.tap("9")
    assert "2/2" in customer.text
    assert "Qu’avez-vous le plus apprécié ?" in customer.text, "the promoters' follow-up"
    assert customer.buttons() == ["« Retour", "Passer"]

    await customer.send("Accueil rapide et très aimable")
    assert "Merci\u00a0! Nous sommes ravis que vous nous recommandiez." in customer.text
    assert "Votre note\u00a0: 9 sur 10." in customer.text
    assert customer.buttons() == []
    assert all("reply_markup" not in m for m in customer.chat.values()), "no live buttons left"

    assert responses(bot.database) == [
        ("nps", "desk-3", "fr", 1, "recommend", "9"),
        ("nps", "desk-3", "fr", 1, "why-promoter", "Accueil rapide et très aimable"),
    ]


async def test_a_customer_rates_us_and_skips_the_why(api: BotApiStandIn, bot: BotProcess) -> None:
    customer = Person(api, 2002, "en")
    await customer.send("/start nps")
    await customer.tap("3")
    assert "What disappointed you? What should we improve first?" in customer.text
    await customer.tap("Skip")
    assert "Thank you for your honesty." in customer.text
    assert "Your rating: 3 out of 10." in customer.text
    assert responses(bot.database) == [
        ("nps", None, "en", 1, "recommend", "3"),
        ("nps", None, "en", 1, "why-detractor", None),
    ]


async def test_a_passive_customer_is_thanked_as_one(api: BotApiStandIn, bot: BotProcess) -> None:
    customer = Person(api, 2003, "pt-br")
    await customer.send("/start nps")
    await customer.tap("7")
    assert "O que seria preciso para nos dar 10?" in customer.text
    await customer.tap("Saltar")
    assert "Obrigado! Vamos continuar a trabalhar para merecer um 10 da sua parte." in customer.text


async def test_changing_the_rating_after_back_asks_the_follow_up_of_the_new_category(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 2006, "en")
    await customer.send("/start nps")
    await customer.tap("10")
    assert "What did you like most?" in customer.text
    await customer.tap("« Back")
    assert "✓ 10" in customer.buttons()
    await customer.tap("4")
    assert "What disappointed you?" in customer.text
    await customer.send("Long wait")
    assert "Thank you for your honesty." in customer.text
    assert [row[-2:] for row in responses(bot.database)] == [
        ("recommend", "4"),
        ("why-detractor", "Long wait"),
    ]


async def test_an_over_long_why_is_refused_with_the_limit(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 2004, "en")
    await customer.send("/start nps")
    await customer.tap("10")
    await customer.send("x" * 1001)
    assert customer.text == "That is too long: 1,000 characters at most. Please shorten it."
    await customer.send("Great service")
    assert "Thank you! We are glad you would recommend us." in customer.text
    assert [row[-1] for row in responses(bot.database)] == ["10", "Great service"]


async def test_a_link_to_an_unknown_survey_offers_the_menu(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 2005, "en")
    await customer.send("/start no-such-survey__desk-1")
    assert customer.text.startswith("This link does not lead to a survey we know.")
    assert "Would you recommend us?" in customer.buttons()
    assert responses(bot.database) == []


async def test_nps_is_counted_once_a_quarter_and_a_second_scan_stores_nothing(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """Relationship NPS: a frequent visitor counts once per quarter; they are told kindly when
    they can answer again, and nothing new is stored."""
    customer = Person(api, 2010, "en")
    await customer.send("/start nps__desk-3")
    await customer.tap("9")
    await customer.tap("Skip")
    assert "Thank you! We are glad you would recommend us." in customer.text
    stored = responses(bot.database)

    await customer.send("/start nps__desk-4")
    again = next_quarter(datetime.now(UTC).date())
    day = f"{again.day} {again.strftime('%B')} {again.year}"
    assert customer.text == (
        "Thank you, you have already answered this survey this quarter."
        f" You can answer it again from {day}."
    )
    assert customer.buttons() == []
    await customer.send("/start")
    await customer.tap("Would you recommend us?")
    assert "already answered this survey this quarter" in customer.text
    assert responses(bot.database) == stored

    await customer.send("/start csat")  # a per-contact rating stays per contact
    assert "How satisfied are you with this contact?" in customer.text
