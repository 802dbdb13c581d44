"""The CX checklist and the CX diagnostic, scored from the taps given."""

from __future__ import annotations

from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn


async def answer(person: Person, pattern: str, labels: dict[str, str]) -> None:
    for letter in pattern:
        await person.tap(labels[letter])


async def test_a_manager_runs_the_cx_checklist(api: BotApiStandIn, bot: BotProcess) -> None:
    manager = Person(api, 9501, "en")
    await manager.send("/start cx-checklist")
    assert "26 statements · about 5 minutes" in manager.text
    # blocks of 6, 6, 6, 4, 4: yes 6/6, 3/6, 0/6 (all "don't know"), 2/4, 1/4 -> 12/26 = 46 %
    await answer(
        manager,
        "YYYYYY" + "YYYNNN" + "UUUUUU" + "YYNN" + "YNNN",
        {"Y": "Yes", "N": "No", "U": "Don't know"},
    )
    summary = manager.text
    assert "Overall: 46% · Level: First steps" in summary
    assert "“Don't know”: 6 of 26 statements." in summary
    assert "Where to start" not in summary, "only the diagnostic suggests where to start"


async def test_a_manager_runs_the_cx_diagnostic_and_learns_where_to_start(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    manager = Person(api, 9502, "ru")
    await manager.send("/start cx-diagnostic")
    # areas of 5: people 5/5, processes 2/5, customers 4/5, finance 0/5 -> 11/20 = 55 %
    await answer(manager, "YYYYY" + "YYNNN" + "YYYYN" + "NNNNN", {"Y": "Да", "N": "Нет"})
    summary = manager.text
    assert "Общий результат: 55\u00a0% · Уровень: Продвинутый" in summary
    assert "Люди: 100\u00a0%" in summary and "Финансы: 0\u00a0%" in summary
    assert "С чего начать: Финансы — здесь меньше всего ответов «да»." in summary
