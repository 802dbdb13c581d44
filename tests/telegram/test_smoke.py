from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


async def test_start_shows_the_surveys_as_buttons(api: BotApiStandIn, bot: BotProcess) -> None:
    person = Person(api, 42, "en")
    await person.send("/start")
    assert person.text == "Hello! Choose a questionnaire:"
    assert person.buttons() == ["CX maturity self-assessment", "Would you recommend us?"]
