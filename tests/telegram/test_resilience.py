"""Restarts, crashes, double taps, old messages and forged buttons change nothing they should not."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.survey.loader import load_survey
from tests.telegram.harness import MODES, REPO, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

SURVEY = load_survey(REPO / "bot" / "surveys" / "cx-maturity.toml")
TITLE = SURVEY.title("en")


def stored(database: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT question_id, value FROM answers ORDER BY answered_at").fetchall()


def response_id(database: Path) -> int:
    with sqlite3.connect(database) as db:
        (rid,) = db.execute("SELECT id FROM responses ORDER BY id DESC LIMIT 1").fetchone()
    return int(rid)


async def answer_yes(person: Person, times: int) -> None:
    for _ in range(times):
        await person.tap("Yes")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_a_restart_mid_survey_loses_nothing_and_the_next_tap_continues(
    api: BotApiStandIn, bot: BotProcess, how: str
) -> None:
    manager = Person(api, 3001, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    await answer_yes(manager, 12)
    assert "13/32" in manager.text

    await (bot.stop() if how == "stop" else bot.kill())
    assert len(stored(bot.database)) == 12
    await bot.start()

    await manager.tap("No")
    assert "14/32" in manager.text
    await answer_yes(manager, 19)
    assert "Overall: 97% · Level: Leader" in manager.text
    assert stored(bot.database) == [
        (question.id, "no" if question.index == 12 else "yes") for question in SURVEY.questions
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_a_double_tap_is_stored_once(api: BotApiStandIn, bot: BotProcess) -> None:
    manager = Person(api, 3002, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    question_one = manager.last
    notices = await asyncio.gather(
        manager.tap("Yes", question_one), manager.tap("No", question_one)
    )
    assert sorted(notices, key=str) == [
        None,
        "This question is already answered. Here is the current one.",
    ]
    assert len(stored(bot.database)) == 1
    assert "2/32" in manager.text


async def test_a_replayed_update_is_stored_once(api: BotApiStandIn, bot: BotProcess) -> None:
    manager = Person(api, 3003, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    question_one = dict(manager.last)
    await manager.tap("Yes", question_one)
    notice = await manager.tap("Yes", question_one)
    assert notice == "This question is already answered. Here is the current one."
    assert stored(bot.database) == [(stored(bot.database)[0][0], "yes")]
    assert "2/32" in manager.text


async def test_a_tap_on_an_old_message_shows_the_current_question_again(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 3004, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    first_screen = dict(manager.last)  # as an old client would still show it, buttons and all
    await answer_yes(manager, 3)
    await manager.send("/start")
    await manager.tap(TITLE)
    assert manager.text.startswith("Welcome back! Pick up where you left off.")
    assert "4/32" in manager.text

    notice = await manager.tap("No", first_screen)
    assert notice == "This question is already answered. Here is the current one."
    assert "4/32" in manager.text and manager.buttons() == ["Yes", "No", "Don't know", "« Back"]
    assert [value for _, value in stored(bot.database)] == ["yes", "yes", "yes"]
    live = [m for m in manager.chat.values() if "reply_markup" in m and "/32 ·" in m["text"]]
    assert live == [manager.last], "only the newest survey message keeps its buttons"


async def test_forged_buttons_are_refused_and_change_nothing(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 3005, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    await manager.tap("Yes")
    rid = response_id(bot.database)
    before = manager.text

    assert await manager.tap_data(f"a:{rid}:1:maybe") == (
        "This answer does not fit the question. Please use the buttons."
    )
    assert await manager.tap_data(f"a:{rid}:7:yes") == (
        "This question is already answered. Here is the current one."
    )
    assert await manager.tap_data(f"a:{rid + 1}:1:yes") == "This button is not valid any more."
    assert await manager.tap_data("drop table answers") == "This button is not valid any more."
    assert await manager.tap_data("s:no-such-survey") == "This button is not valid any more."

    intruder = Person(api, 3006, "en")
    await intruder.send("/start")
    assert await intruder.tap_data(f"a:{rid}:1:no") == "This button is not valid any more."

    assert manager.text == before
    assert len(stored(bot.database)) == 1


async def test_text_where_a_tap_is_expected_gets_a_hint_and_the_question_again(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 3007, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    await manager.send("yes I think so")
    messages = list(manager.chat.values())
    assert messages[-2]["text"] == "Please answer with the buttons under the question."
    assert "1/32" in manager.text and manager.buttons() == ["Yes", "No", "Don't know"]
    assert stored(bot.database) == []
    await manager.tap("Yes")
    assert "2/32" in manager.text


async def test_a_finished_survey_refuses_further_taps(api: BotApiStandIn, bot: BotProcess) -> None:
    customer = Person(api, 3008, "en")
    await customer.send("/start nps")
    question = dict(customer.last)
    await customer.tap("8")
    await customer.tap("Skip")
    notice = await customer.tap("10", question)
    assert notice == "This survey is already finished. Send /start to take another one."
    assert [value for _, value in stored(bot.database)] == ["8", None]


async def test_a_tap_on_a_survey_finished_but_never_shown_finished_shows_its_result(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """The last answer was committed, then the bot died before showing the result: the person
    still sees the last question, taps again, and gets the result instead of a dead end."""
    customer = Person(api, 3009, "en")
    await customer.send("/start five-promises")
    for _ in range(5):
        await customer.tap("9")
    assert "6/6" in customer.text
    rid = response_id(bot.database)
    bot.query(  # what the killed bot had committed
        "INSERT INTO answers (response_id, question_id, value, answered_at)"
        " VALUES (?, 'comment', NULL, '2026-01-01 10:00:00.000')",
        rid,
    )
    bot.query("UPDATE responses SET finished_at = updated_at WHERE id = ?", rid)

    notice = await customer.tap("Skip")
    assert notice == "This survey is already finished. Send /start to take another one."
    assert "Thank you" in customer.text
    assert customer.buttons() == []


async def test_a_bot_api_server_without_menus_or_markup_edits_still_runs_surveys(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    api.unsupported = {"setMyCommands", "editMessageReplyMarkup"}
    bot = BotProcess(api, tmp_path)
    await bot.start()
    try:
        customer = Person(api, 3009, "en")
        await customer.send("/start nps")
        await customer.tap("9")
        await customer.send("Quick and kind")
        assert "Thank you! We are glad you would recommend us." in customer.text
        assert [value for _, value in stored(bot.database)] == ["9", "Quick and kind"]
    finally:
        await bot.stop()


async def test_a_database_locked_by_another_writer_makes_the_bot_wait_not_lose(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 3010, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    other = sqlite3.connect(bot.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        tap = asyncio.create_task(manager.tap("Yes"))
        await asyncio.sleep(3)
        assert not tap.done(), "the bot waits for the lock"
        other.execute("COMMIT")
        assert await tap is None
    finally:
        other.close()
    assert "2/32" in manager.text
    assert stored(bot.database) == [(SURVEY.questions[0].id, "yes")]


async def test_a_database_error_says_the_answer_was_not_saved_and_the_next_try_works(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 3011, "en")
    await customer.send("/start nps")
    # the disk is full, say: every answer fails to be written
    bot.query(
        "CREATE TRIGGER full BEFORE INSERT ON answers BEGIN SELECT RAISE(FAIL, 'disk full'); END"
    )
    notice = await customer.tap("8")
    assert notice == "Your answer was not saved. Please tap again."
    assert stored(bot.database) == []
    bot.query("DROP TRIGGER full")
    assert await customer.tap("8") is None
    assert "?" in customer.text

    bot.query(
        "CREATE TRIGGER full BEFORE INSERT ON answers BEGIN SELECT RAISE(FAIL, 'disk full'); END"
    )
    await customer.send("Quick and kind")
    assert customer.text == "Your answer was not saved. Please send it again."
    assert [value for _, value in stored(bot.database)] == ["8"], "nothing half-written"
    bot.query("DROP TRIGGER full")
    await customer.send("Quick and kind")
    assert "Thank you" in customer.text
    assert [value for _, value in stored(bot.database)] == ["8", "Quick and kind"]
    assert "could not be saved: disk full" in bot.log_text()
