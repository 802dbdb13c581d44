"""/forget: after a confirmation only they can give, nothing the bot keeps names the person;
anonymous answers, which never named them, and the figures released from them stay."""

from __future__ import annotations

from pathlib import Path

from tests.telegram.harness import ADMIN, BotProcess, Person, close_wave, invite
from tests.telegram.standin import BotApiStandIn

FORGETFUL = 555_000_777
"""A Telegram id that no message id, wave number or answer of the test can equal."""
COLLEAGUES = [555_000_801, 555_000_802, 555_000_803, 555_000_804]


def rows_naming(bot: BotProcess, user_id: int) -> list[tuple[str, str]]:
    """Every (table, column) holding the person's id, as a number or as `u:<id>`."""
    found = []
    tables = [row[0] for row in bot.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for column in [row[1] for row in bot.query(f"PRAGMA table_info({table})")]:
            hits = bot.query(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" = ? OR "{column}" = ?',
                user_id,
                f"u:{user_id}",
            )
            if hits[0][0]:
                found.append((str(table), str(column)))
    return found


def anonymous_rows(bot: BotProcess) -> list[tuple[object, ...]]:
    return bot.query(
        "SELECT r.id, r.survey_id, r.segment, r.started_at, r.finished_at, r.wave_id,"
        " a.question_id, a.value, a.answered_at FROM responses r JOIN answers a"
        " ON a.response_id = r.id WHERE r.anonymous ORDER BY r.id, a.question_id"
    )


async def test_a_person_is_forgotten_and_anonymous_results_stay(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    person = Person(api, FORGETFUL, "en")
    colleagues = [Person(api, user_id, "en") for user_id in COLLEAGUES]

    await person.send("/start nps__desk-1")
    await person.tap("9")
    await person.send("my own words, not anonymous")
    await person.send("/start cx-maturity")
    await person.tap("Yes")
    await person.tap("No")

    link = await invite(admin, "team-a")
    team = [person, *colleagues]
    for member in team:
        await member.send(link)
    await admin.send("/pulse now enps team-a")
    for offset, member in enumerate(team):
        await member.expect("Time for your team's pulse.")
        await member.tap("9" if offset % 2 else "3")
        await member.send(f"anonymous reason {offset}")
    await close_wave(admin, bot, 1)
    await admin.send("/summary enps")
    released = admin.text
    assert "NPS: -20" in released, released
    anonymous = anonymous_rows(bot)
    assert len({row[0] for row in anonymous}) == 5
    assert rows_naming(bot, FORGETFUL), "the bot knows the person before"

    await person.send("/forget")
    question = person.last
    assert "Anonymous" not in question["text"]
    assert "answers to anonymous surveys" in question["text"]
    assert "nothing of yours to delete there" in question["text"]
    assert person.buttons() == ["Yes, forget me", "Cancel"]
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    # a colleague sends the same confirmation (a modified client can send any data)
    known = rows_naming(bot, FORGETFUL)
    notice = await colleagues[0].tap_data(confirm, question)
    assert notice == "This button is not valid any more."
    assert rows_naming(bot, FORGETFUL) == known, "a forged confirmation changes nothing"
    # a confirmation naming another time (stale or made up) is refused too
    person_id, asked = confirm.split(":")[2:]
    notice = await person.tap_data(f"f:y:{person_id}:{int(asked) - 3600}", question)
    assert notice == "This button is not valid any more."
    assert rows_naming(bot, FORGETFUL) == known

    await person.tap("Yes, forget me", question)
    assert person.chat[question["message_id"]]["text"].startswith("Done: I have forgotten you.")
    assert person.buttons(person.chat[question["message_id"]]) == []

    assert rows_naming(bot, FORGETFUL) == [], "no row holds their id"
    assert bot.query("SELECT count(*) FROM answers WHERE value LIKE 'my own words%'") == [(0,)]
    assert bot.query("SELECT count(*) FROM responses WHERE NOT anonymous") == [(0,)]
    assert anonymous_rows(bot) == anonymous, "anonymous answers are untouched"
    await admin.send("/summary enps")
    assert admin.text == released, "the released figures do not move"
    for colleague in COLLEAGUES:
        assert bot.query("SELECT count(*) FROM members WHERE user_id = ?", colleague) == [(1,)]


async def test_cancel_deletes_nothing(api: BotApiStandIn, bot: BotProcess) -> None:
    person = Person(api, FORGETFUL, "fr")
    await person.send("/start nps")
    await person.tap("10")
    await person.send("/forget")
    assert "\u00a0?" in person.text, "French: a no-break space before the question mark"
    await person.tap("Annuler")
    assert person.text == "Rien n’a été supprimé."
    assert bot.query("SELECT count(*) FROM responses WHERE user_id = ?", FORGETFUL) == [(1,)]


async def test_forget_is_in_the_help(api: BotApiStandIn, bot: BotProcess) -> None:
    """(and in the command menu: test_language_and_commands.py)"""
    person = Person(api, FORGETFUL, "en")
    await person.send("/help")
    assert "/forget: delete what I know about you" in person.text


async def test_retention_at_start_forgets_people_gone_quiet(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    bot = BotProcess(api, tmp_path, RETENTION_DAYS="30")
    await bot.start()
    try:
        quiet, recent = Person(api, FORGETFUL, "en"), Person(api, COLLEAGUES[0], "en")
        for person in (quiet, recent):
            await person.send("/start nps")
            await person.tap("8")
        await bot.stop()
        # as if the first had last written two months ago, and left their answer unfinished
        bot.query("UPDATE users SET seen_in = '2020-01' WHERE id = ?", FORGETFUL)
        bot.query(
            "UPDATE responses SET updated_at = '2020-01-05 10:00:00.000' WHERE user_id = ?",
            COLLEAGUES[0],
        )
        await bot.start()
        await api.wait_for(lambda: not rows_naming(bot, FORGETFUL))
        await api.wait_for(
            lambda: (
                bot.query("SELECT count(*) FROM responses WHERE user_id = ?", COLLEAGUES[0])
                == [(0,)]
            )
        )
        assert bot.query("SELECT count(*) FROM users WHERE id = ?", COLLEAGUES[0]) == [(1,)]
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log_text()
