"""The respondent's language: from Telegram first, their own choice once made; and the commands."""

from __future__ import annotations

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


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
