from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


async def test_start_shows_the_surveys_as_buttons(api: BotApiStandIn, bot: BotProcess) -> None:
    person = Person(api, 42, "en")
    await person.send("/start")
    assert person.text == "Hello! Choose a questionnaire:"
    assert {"CX maturity self-assessment", "Would you recommend us?"} <= set(person.buttons())
    assert "Would you recommend us as an employer?" not in person.buttons(), "eNPS is not public"
