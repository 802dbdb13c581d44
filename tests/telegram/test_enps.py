"""An employee answers the eNPS pulse, and anonymity is real: no Telegram id next to answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.telegram.harness import ADMIN, REPO, BotProcess, Person, invite
from tests.telegram.standin import BotApiStandIn

EMPLOYEE = 987654321
PULSE = "Time for your team's pulse."


def every_value(database: Path, table: str) -> list[str]:
    with sqlite3.connect(database) as db:
        return [str(value) for row in db.execute(f"SELECT * FROM {table}") for value in row]


async def joined(api: BotApiStandIn, user_id: int, team: str, language: str = "en") -> Person:
    employee = Person(api, user_id, language)
    await employee.send(await invite(Person(api, ADMIN, "en"), team))
    return employee


async def test_an_employee_answers_anonymously_and_is_told_how(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    employee = await joined(api, EMPLOYEE, "sales", "ru")
    assert employee.text.startswith("Вы присоединились к пульс-опросам команды sales.")
    await Person(api, ADMIN, "en").send("/pulse now enps sales")
    screen = await employee.expect("Пора пройти пульс-опрос вашей команды.")
    assert "Ответы хранятся без привязки к вашему аккаунту Telegram" in screen
    await employee.tap("5")
    assert "Что вас разочаровало?" in employee.text
    await employee.send("Мало обратной связи от руководителя")
    assert "Спасибо за честность." in employee.text
    assert "Ваш ответ анонимен: он хранится без привязки к вашему аккаунту Telegram" in (
        employee.text
    )

    for table in ("responses", "answers"):
        values = every_value(bot.database, table)
        assert values, table
        assert not any(str(EMPLOYEE) in value for value in values), table
    with sqlite3.connect(bot.database) as db:
        user_id, respondent, segment, language, message, started, finished = db.execute(
            "SELECT user_id, respondent, segment, language, message_id, started_at, finished_at"
            " FROM responses"
        ).fetchone()
        times = [t for (t,) in db.execute("SELECT answered_at FROM answers")]
    assert user_id is None and respondent == "anonymous" and segment == "sales"
    assert language == "" and message is None
    assert all(t.endswith(" 00:00:00.000") for t in [started, finished, *times]), "the day only"


async def test_an_anonymous_pulse_is_continued_in_its_own_message(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """Nothing stored leads from the person to their anonymous response: /start cannot offer
    to continue it, but the pulse's message can, whatever happened since (a restart too)."""
    employee = await joined(api, EMPLOYEE, "ops")
    await Person(api, ADMIN, "en").send("/pulse now enps ops")
    await employee.expect(PULSE)
    await employee.tap("8")
    pulse = employee.showing("What would make it a 10 for you?")["message_id"]
    await employee.send("/start")
    assert employee.text.startswith(
        "Your team's pulse is still open: continue in its message above.\n\n"
        "Hello! Choose a questionnaire:"
    )
    await bot.stop()
    await bot.start()
    await employee.send("Better tools")
    assert employee.text == "Your team's pulse is still open: continue in its message above."
    await employee.tap("« Back", employee.chat[pulse])
    assert "How likely are you to recommend" in employee.chat[pulse]["text"]
    await employee.tap("✓ 8", employee.chat[pulse])
    assert "What would make it a 10 for you?" in employee.chat[pulse]["text"]
    await employee.send("Better tools")
    assert "Your answer is anonymous" in employee.text
    assert employee.buttons(employee.chat[pulse]) == [], "its message is done"
    assert ("Better tools",) in bot.query("SELECT value FROM answers")

    colleague = Person(api, EMPLOYEE + 1, "en")
    await colleague.send("/start")
    assert colleague.text == "Hello! Choose a questionnaire:", "another person sees nothing"


async def test_what_employees_are_told_names_the_surveys_own_threshold(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    shipped = (REPO / "bot" / "surveys" / "enps.toml").read_text(encoding="utf-8")
    (surveys / "enps.toml").write_text(
        shipped.replace("anonymous = true\n", "anonymous = true\nanonymity_threshold = 7\n"),
        encoding="utf-8",
    )
    # a pulse survey that keeps names: nothing may be said about anonymity
    (surveys / "named-pulse.toml").write_text(
        shipped.replace('id = "enps"', 'id = "named-pulse"').replace(
            "anonymous = true", "anonymous = false"
        ),
        encoding="utf-8",
    )
    bot = BotProcess(api, tmp_path, SURVEYS_DIR=str(surveys))
    await bot.start()
    try:
        admin = Person(api, ADMIN, "en")
        english, russian = Person(api, EMPLOYEE, "en"), Person(api, EMPLOYEE + 1, "ru")
        link = await invite(admin, "sales")
        for employee in (english, russian):
            await employee.send(link)
        assert english.text.startswith("You have joined the pulse surveys of sales.")
        assert "results are shown only for groups of at least 7 responses" in english.text
        assert "Вы присоединились к пульс-опросам команды sales." in russian.text
        assert "только по группам от 7 ответов" in russian.text
        named = Person(api, EMPLOYEE + 2, "en")
        await named.send(await invite(admin, "sales", "named-pulse"))
        assert named.text == (
            "You have joined the pulse surveys of sales. From time to time I will ask you a short"
            " question. /stop ends it at any time."
        )

        await admin.send("/pulse now enps sales")
        first = await english.expect(PULSE)
        assert "stored without your Telegram account" in first
        assert "nobody sees" not in first and " 5 " not in first
        await english.tap("9")
        await english.tap("Skip")
        assert "Admins see results only for groups of at least 7 responses" in english.text
        assert "comments may be shown to them as written, without names" in english.text
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log_text()
