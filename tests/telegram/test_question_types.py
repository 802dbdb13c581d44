"""Every question type over Telegram, on a survey written for the test: single choice from a
list, yes / no, a 1-5 scale labelled at the ends, a condition on a choice, required free text."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


def texts(en: str) -> str:
    return f'{{ ru = "{en} (ru)", en = "{en}", fr = "{en} (fr)", pt = "{en} (pt)" }}'


SURVEY = f"""
id = "visit"
scoring = "csat"
score_question = "overall"
repeat = "each"
title = {texts("Your visit")}

[scales.channel]
kind = "choice"
options = [
  {{ value = "desk", label = {texts("At the front desk")} }},
  {{ value = "phone", label = {texts("On the phone")} }},
  {{ value = "chat", label = {texts("In the website chat")} }},
  {{ value = "app", label = {texts("In the mobile app")} }},
]

[scales.yes-no]
kind = "choice"
options = [
  {{ value = "yes", label = {texts("Yes")} }},
  {{ value = "no", label = {texts("No")} }},
]

[scales.five]
kind = "numeric"
min = 1
max = 5
min_label = {texts("awful")}
max_label = {texts("great")}

[scales.words]
kind = "text"
max_length = 20

[[sections]]
id = "visit"

[[sections.questions]]
id = "channel"
scale = "channel"
text = {texts("Where did we help you?")}

[[sections.questions]]
id = "waited"
scale = "yes-no"
text = {texts("Did you have to wait?")}

[[sections.questions]]
id = "wait-why"
scale = "words"
when = {{ question = "waited", values = ["yes"] }}
text = {texts("What kept you waiting?")}

[[sections.questions]]
id = "overall"
scale = "five"
text = {texts("Overall, how was it?")}
"""


@pytest.fixture
async def visit_bot(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[BotProcess]:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "visit.toml").write_text(SURVEY, encoding="utf-8")
    bot = BotProcess(api, tmp_path, SURVEYS_DIR=str(surveys))
    await bot.start()
    yield bot
    await bot.stop()


def stored(bot: BotProcess) -> dict[str, str | None]:
    with sqlite3.connect(bot.database) as db:
        return dict(db.execute("SELECT question_id, value FROM answers"))


async def test_each_question_type_in_one_visit(api: BotApiStandIn, visit_bot: BotProcess) -> None:
    visitor = Person(api, 8001, "en")
    await visitor.send("/start visit")
    assert visitor.buttons() == [
        "At the front desk",
        "On the phone",
        "In the website chat",
        "In the mobile app",
    ]
    assert all(len(row) == 1 for row in visitor.last["reply_markup"]["inline_keyboard"])
    await visitor.tap("In the website chat")

    assert "2/4" in visitor.text, "the follow-up waiting on the next answer counts once"
    assert visitor.buttons() == ["Yes", "No", "« Back"]
    await visitor.tap("Yes")

    assert "3/4" in visitor.text and "What kept you waiting?" in visitor.text
    assert "Skip" not in visitor.buttons(), "a required question has no Skip"
    assert "up to 20 characters" in visitor.text
    await visitor.send("the queue at the entrance")  # 25 characters
    assert visitor.text == "That is too long: 20 characters at most. Please shorten it."
    await visitor.send("a long queue")

    assert "4/4" in visitor.text and "1 — awful · 5 — great" in visitor.text
    assert visitor.buttons() == ["1", "2", "3", "4", "5", "« Back"]
    await visitor.tap("5")
    assert "Thank you for your rating!" in visitor.text
    assert stored(visit_bot) == {
        "channel": "chat",
        "waited": "yes",
        "wait-why": "a long queue",
        "overall": "5",
    }


async def test_a_condition_not_met_skips_its_question(
    api: BotApiStandIn, visit_bot: BotProcess
) -> None:
    visitor = Person(api, 8002, "en")
    await visitor.send("/start visit")
    await visitor.tap("On the phone")
    await visitor.tap("No")
    assert "3/3" in visitor.text and "Overall, how was it?" in visitor.text
    await visitor.tap("2")
    assert stored(visit_bot) == {"channel": "phone", "waited": "no", "overall": "2"}
