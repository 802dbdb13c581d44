"""Five Promises after a contact, CXCI and CEI after a visit: an index 0-100 and per criterion."""

from __future__ import annotations

import sqlite3

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


async def test_a_customer_rates_the_five_promises_and_sees_the_index(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 7001, "pt")
    await customer.send("/start five-promises__loja-lisboa")
    for rating in ("8", "9", "10", "7", "6"):
        assert customer.buttons()[:11] == [str(n) for n in range(11)]
        await customer.tap(rating)
    await customer.send("Atendimento muito simpático")
    # (8 + 9 + 10 + 7 + 6) / 5 = 8.0 -> 80
    assert "Índice: 80 em 100" in customer.text
    for line in (
        "Relação e interesse: 8/10",
        "Superação das expectativas: 9/10",
        "Trabalho de equipa e papéis: 10/10",
        "Atitude e consistência: 7/10",
        "Ambiente: 6/10",
    ):
        assert line in customer.text


async def test_an_evaluator_rates_a_competitors_store_with_a_skipped_criterion(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    evaluator = Person(api, 7002, "fr")
    await evaluator.send("/start cei__competitor-north")
    for rating in ("7", "4", "9", "5", "6"):
        await evaluator.tap(rating)
    await evaluator.tap("Passer")
    # (7 + 4 + 9 + 5 + 6) / 5 = 6.2 -> 62
    assert "Indice\u00a0: 62 sur 100" in evaluator.text
    assert "Communication\u00a0: 4/10" in evaluator.text
    with sqlite3.connect(bot.database) as db:
        assert db.execute("SELECT survey_id, segment FROM responses").fetchall() == [
            ("cei", "competitor-north")
        ]
