"""cxbot on PostgreSQL, as deployed: `cxbot run` with DATABASE=postgresql://... against the Bot
API stand-in. A customer answers the NPS survey at a desk, and the admin's /summary counts it."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.telegram.harness import ADMIN, TOKEN, BotProcess, Person
from tests.telegram.standin import BotApiStandIn


def sqlite_files(folder: Path) -> list[Path]:
    return list(folder.glob("*.sqlite3*"))


async def test_a_customer_answers_on_postgresql_and_the_admin_sees_it_in_the_summary(
    api: BotApiStandIn, postgres_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(api, tmp_path, DATABASE=postgres_url)
    await bot.start()
    try:
        customer = Person(api, 2001, "en")
        await customer.send("/start nps__desk-3")
        await customer.tap("9")
        await customer.send("Quick and friendly at the desk")
        assert "Your rating: 9 out of 10." in customer.text

        admin = Person(api, ADMIN, "en")
        await admin.send("/summary nps")
        assert "1 response" in admin.text
        assert "Promoters: 1 (100%)" in admin.text
        assert "«Quick and friendly at the desk»" in admin.text
    finally:
        await bot.stop()
    log = bot.log_text()
    assert "Traceback" not in log, log
    assert TOKEN.split(":")[1] not in log, "the token must never be logged"
    assert sqlite_files(tmp_path) == [], "no SQLite file beside the bot"
    connection = await asyncpg.connect(postgres_url)
    try:
        stored = await connection.fetch(
            "SELECT r.segment, a.question_id, a.value FROM responses r"
            " JOIN answers a ON a.response_id = r.id ORDER BY a.answered_at, a.question_id"
        )
    finally:
        await connection.close()
    assert [tuple(row) for row in stored] == [
        ("desk-3", "recommend", "9"),
        ("desk-3", "why-promoter", "Quick and friendly at the desk"),
    ]
