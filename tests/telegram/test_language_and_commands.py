"""The respondent's language: from Telegram first, their own choice once made; and the commands."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.telegram.harness import ADMIN, BotProcess, Person, tap_update, text_update
from tests.telegram.standin import BotApiStandIn

TEAM_CHAT: dict[str, Any] = {"id": -100777, "type": "supergroup", "title": "Team"}


def said_to(api: BotApiStandIn, chat_id: int) -> list[str]:
    return [
        c.params["text"] for c in api.calls if c.method == "sendMessage" and c.chat_id == chat_id
    ]


async def test_telegram_language_picks_ours_and_falls_back_to_the_default(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    expectations = {
        "ru": "Здравствуйте! Выберите опрос:",
        "pt-br": "Olá! Escolha um questionário:",
        "fr": "Bonjour\u00a0! Choisissez un questionnaire\u00a0:",
        "de": "Hello! Choose a questionnaire:",
        None: "Hello! Choose a questionnaire:",
    }
    for number, (code, greeting) in enumerate(expectations.items()):
        person = Person(api, 4000 + number, code)
        await person.send("/start")
        assert person.text == greeting, code


async def test_a_chosen_language_wins_over_telegrams(api: BotApiStandIn, bot: BotProcess) -> None:
    person = Person(api, 4101, "en")
    await person.send("/language")
    assert person.text == "Choose your language:"
    assert person.buttons() == ["Русский", "English", "Français", "Português"]
    await person.tap("Português")
    assert person.text == "Idioma: Português. Envie /start para escolher um questionário."
    await person.send("/start")
    assert person.text == "Olá! Escolha um questionário:"
    assert {"Autoavaliação da maturidade CX", "Recomendaria a nossa empresa?"} <= set(
        person.buttons()
    )

    await bot.stop()
    await bot.start()
    await person.send("/start")
    assert person.text == "Olá! Escolha um questionário:", "the choice is stored, not remembered"


async def test_help_and_unknown_commands_answer_in_the_persons_language(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    person = Person(api, 4201, "ru")
    await person.send("/help")
    assert "/start — выбрать опрос" in person.text
    await person.send("/summary nps")
    assert person.text == "Извините, я не знаю такой команды. /help — что я умею."
    await person.send("hello")
    assert person.text == "Чтобы пройти опрос, отправьте /start."


async def test_the_bot_registers_its_commands_in_every_language(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    # registered while the bot already answers, so that start-up does not wait for it
    await api.wait_for(lambda: sum(c.method == "setMyCommands" for c in api.calls) == 5)
    registered = {
        call.params.get("language_code"): [c["command"] for c in call.params["commands"]]
        for call in api.calls
        if call.method == "setMyCommands"
    }
    assert registered == {
        code: ["start", "language", "help", "stop", "forget"]
        for code in (None, "ru", "en", "fr", "pt")
    }


async def test_commands_typed_without_a_command_entity_still_work(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    person = Person(api, 4301, "en")
    await person.send("/start nps__desk-9", entities=False)
    assert "How likely are you to recommend us" in person.text
    await person.send("/frobnicate", entities=False)
    assert person.text == "Sorry, I do not know this command. /help lists what I can do."


async def test_in_a_group_the_bot_only_says_it_works_in_private(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    person = Person(api, 4401, "en")
    await person.send("/start nps", group=-100123)
    (reply,) = [c for c in api.calls if c.method == "sendMessage" and c.chat_id == -100123]
    assert reply.params["text"] == (
        "I work in private chat: open a chat with me to answer a questionnaire."
    )
    assert person.chat == {}, "nothing was sent to the person"


async def test_in_a_group_only_start_and_help_get_an_answer_the_rest_get_nothing(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """An admin command in a group gets what an unknown command gets there: nothing, so that
    a group learns nothing of what the bot can do, nor who its admins are."""
    admin = Person(api, ADMIN, "en")
    for command in ("/summary nps", "/pulse", "/surveys", "/language", "/stop", "/frobnicate"):
        await api.push(text_update(admin.user, command, TEAM_CHAT))
    await asyncio.sleep(1.5)
    assert said_to(api, TEAM_CHAT["id"]) == []
    await admin.send("/help", group=TEAM_CHAT["id"])
    assert said_to(api, TEAM_CHAT["id"]) == [
        "I work in private chat: open a chat with me to answer a questionnaire."
    ]


def forwarded(message: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    message["message"]["forward_origin"] = {"type": "user", "sender_user": author, "date": 0}
    return message


async def test_a_forwarded_command_is_ignored(api: BotApiStandIn, bot: BotProcess) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse add enps legal weekly 10:00 UTC")
    assert admin.text.startswith("Pulse 1 scheduled")
    author = {"id": 4500, "is_bot": False, "first_name": "Sam"}
    before = len(admin.texts())
    await api.push(forwarded(text_update(admin.user, "/pulse delete 1"), author))
    await api.push(forwarded(text_update(admin.user, "/start", entities=False), author))
    await asyncio.sleep(1.5)
    assert len(admin.texts()) == before, "no answer"
    assert bot.query("SELECT deleted_at FROM pulses") == [(None,)], "the pulse is still there"


async def test_a_tap_in_a_group_is_answered_and_changes_nothing(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    person = Person(api, 4501, "en")
    message = {"message_id": 5, "date": 0, "chat": TEAM_CHAT, "text": "a survey menu"}
    query = api.new_query_id()
    await api.push(tap_update(person.user, query, message, "s:nps"))
    await api.wait_for(lambda: api.answered(query))
    await asyncio.sleep(0.5)
    assert said_to(api, TEAM_CHAT["id"]) == [] and person.chat == {}
    assert bot.query("SELECT count(*) FROM responses") == [(0,)]
    assert bot.query("SELECT count(*) FROM users WHERE id = ?", person.id) == [(0,)]
