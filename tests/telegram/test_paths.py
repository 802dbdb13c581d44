"""The paths a real respondent takes: Back, resume or start over, expiry, retakes, rescans."""

from __future__ import annotations

from bot.survey.loader import load_survey
from tests.telegram.harness import REPO, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

MATURITY = load_survey(REPO / "bot" / "surveys" / "cx-maturity.toml")
TITLE = MATURITY.title("en")
Q = [q.id for q in MATURITY.questions]


async def take(person: Person, *labels: str) -> None:
    for label in labels:
        await person.tap(label)


async def test_back_shows_the_previous_answer_and_replaces_it(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 5001, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    assert "« Back" not in manager.buttons(), "no Back on the first question"
    await take(manager, "Yes", "Yes", "No")
    assert "4/32" in manager.text

    await manager.tap("« Back")
    assert "3/32" in manager.text
    assert manager.buttons() == ["Yes", "✓ No", "Don't know", "« Back"]
    await manager.tap("« Back")
    assert "2/32" in manager.text and "✓ Yes" in manager.buttons()

    await manager.tap("Don't know")  # changes question 2, then walks on to question 3
    assert "3/32" in manager.text and "✓ No" in manager.buttons()
    await manager.tap("✓ No")  # keeps question 3 as it was
    assert "4/32" in manager.text and not any(b.startswith("✓") for b in manager.buttons())

    assert bot.query("SELECT question_id, value FROM answers ORDER BY question_id") == (
        sorted([(Q[0], "yes"), (Q[1], "unsure"), (Q[2], "no")])
    )


async def test_start_offers_to_continue_an_unfinished_survey(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 5002, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    await take(manager, "Yes", "No")
    await manager.send("/start")
    assert manager.text == (
        "You have an unfinished questionnaire: CX maturity self-assessment (3/32)."
        " Continue, start over, or choose another one:"
    )
    assert manager.buttons()[:2] == ["Continue", "Start over"]
    await manager.tap("Continue")
    assert manager.text.startswith("Welcome back! Pick up where you left off.")
    assert "3/32" in manager.text
    await manager.tap("Yes")
    assert "4/32" in manager.text


async def test_starting_over_keeps_the_old_answers_but_begins_afresh(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 5003, "en")
    await manager.send("/start")
    await manager.tap(TITLE)
    await take(manager, "Yes", "No")
    await manager.send("/start")
    await manager.tap("Start over")
    assert "1/32" in manager.text
    await manager.tap("Don't know")
    rows = bot.query(
        "SELECT r.id, r.closed_reason, count(a.question_id) FROM responses r"
        " LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.id ORDER BY r.id",
    )
    assert [(reason, count) for _, reason, count in rows] == [("restarted", 2), (None, 1)]


async def test_an_unfinished_survey_expires_after_the_surveys_limit(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 5004, "en")
    await customer.send("/start nps")
    question = dict(customer.last)
    # the customer walks away; 25 hours later (nps expires after 24) they tap the old screen
    bot.query("UPDATE responses SET updated_at = datetime('now', '-25 hours')")
    notice = await customer.tap("9", question)
    assert notice == "This questionnaire has expired. Send /start to begin again."
    await customer.send("/start")
    assert customer.text == "Hello! Choose a questionnaire:", "nothing to continue any more"
    assert bot.query("SELECT closed_reason FROM responses") == [("expired",)]
    assert bot.query("SELECT count(*) FROM answers") == [(0,)]


async def test_a_retaken_self_assessment_replaces_the_old_one_and_compares(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 5005, "en")
    for yes_count in (8, 16):  # 25% the first time, 50% the second
        await manager.send("/start")
        await manager.tap(TITLE)
        await take(manager, *["Yes"] * yes_count, *["No"] * (32 - yes_count))
    assert "Overall: 50% · Level: Advanced" in manager.text
    assert "Last time: 25% · now: 50% (+25)" in manager.text
    rows = bot.query("SELECT id, replaced_by FROM responses ORDER BY id")
    first, second = (row[0] for row in rows)
    assert rows == [(first, second), (second, None)]


async def test_every_scan_of_a_contact_link_is_a_new_response(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    customer = Person(api, 5006, "en")
    await customer.send("/start csat__desk-1")
    await customer.tap("2 · Dissatisfied")
    await customer.send("/start csat__desk-2")  # scanned again at another desk, mid-way
    assert "1/2" in customer.text
    await customer.tap("5 · Very satisfied")
    await customer.tap("Yes")
    rows = bot.query("SELECT segment, finished_at IS NOT NULL, closed_reason FROM responses")
    assert rows == [("desk-1", 0, "new scan"), ("desk-2", 1, None)]
