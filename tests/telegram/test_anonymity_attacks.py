"""An admin tries to single out one employee's eNPS answer from Telegram alone: by subtraction,
by polling while answers arrive, through comments, the export and windows of days."""

from __future__ import annotations

import csv
import io

from tests.telegram.harness import ADMIN, BotProcess, Person, close_wave, invite
from tests.telegram.standin import BotApiStandIn

PULSE = "Time for your team's pulse."


async def team(api: BotApiStandIn, first_id: int, size: int, name: str) -> list[Person]:
    """Employees who opened the team's invite link."""
    start = await invite(Person(api, ADMIN, "en"), name)
    people = [Person(api, first_id + n, "en") for n in range(size)]
    for person in people:
        await person.send(start)
    return people


async def answer(people: list[Person], scores: list[int], comment: str | None = None) -> None:
    for person, score in zip(people, scores, strict=True):
        await person.expect(PULSE)
        await person.tap(str(score))
        if comment is None:
            await person.tap("Skip")
        else:
            await person.send(f"{comment} {person.id}")


async def sales_and_legal(api: BotApiStandIn, bot: BotProcess, admin: Person) -> None:
    """Sales (5) and legal (1) each answer a wave, with comments; both waves are closed."""
    sales = await team(api, 30000, 5, "sales")
    legal = await team(api, 31000, 1, "legal")
    await admin.send("/pulse now enps sales")
    await answer(sales, [10, 9, 9, 7, 2], "sales says")
    await admin.send("/pulse now enps legal")
    await answer(legal, [0], "legal says")
    await close_wave(admin, bot, 1)
    await close_wave(admin, bot, 2)


async def test_overall_minus_a_team_and_a_team_alone_tell_nothing_of_legal(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await sales_and_legal(api, bot, admin)
    await admin.send("/summary enps")
    overall = admin.text
    await admin.send("/summary enps sales")
    sales = admin.text
    await admin.send("/summary enps legal")
    legal = admin.text
    # overall and sales agree to the letter on every figure: their difference is nothing
    figures = "5 responses", "NPS: +40", "Promoters: 3 (60%) · Passives: 1 (20%) · Detractors: 1"
    for text in (overall, sales):
        assert all(figure in text for figure in figures), text
    paragraphs = legal.split("\n\n")
    assert "NPS" not in legal and "response rate" not in legal, legal
    assert not any(p.endswith(("response", "responses")) for p in paragraphs), "no count"
    assert "legal says" not in overall + sales + legal, "a hidden team's comment is never quoted"
    assert "legal: score hidden (too few responses)" in overall


async def test_polling_summary_and_surveys_between_answers_shows_nothing_new(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    people = await team(api, 32000, 5, "ops")
    await admin.send("/pulse now enps ops")
    summaries, surveys = [], []
    for person, score in zip(people, [10, 0, 9, 3, 10], strict=True):
        await person.expect(PULSE)
        await person.tap(str(score))
        await person.tap("Skip")
        await admin.send("/summary enps")
        summaries.append(admin.text.split("By wave:")[0])
        await admin.send("/surveys")
        surveys.append(next(line for line in admin.text.split("\n") if line.startswith("enps")))
    assert len(set(summaries)) == 1 and "NPS" not in summaries[0]
    assert set(surveys) == {"enps: anonymous, 0 responses in the groups that can be shown"}
    await close_wave(admin, bot, 1)
    await admin.send("/summary enps")
    assert "5 responses" in admin.text and "NPS: +20" in admin.text
    await admin.send("/surveys")
    assert "enps: anonymous, 5 responses in the groups that can be shown" in admin.text


async def test_the_export_has_no_row_per_response_and_no_hidden_team(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await sales_and_legal(api, bot, admin)
    await admin.send("/export enps")
    document = await admin.receive("document")
    rows = list(csv.DictReader(io.StringIO(admin.file(document).decode("utf-8-sig"))))
    assert {row["row"] for row in rows} == {"group", "comment"}
    assert all(row["team"] in ("", "sales") for row in rows), rows
    assert {row["responses"] for row in rows if row["row"] == "group"} == {"5"}
    assert sorted(row["comment"] for row in rows if row["row"] == "comment") == [
        f"sales says {30000 + n}" for n in range(5)
    ]


async def test_windows_of_days_are_refused_with_the_reason(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    for command in ("/summary enps 15d", "/summary enps 5d sales", "/export enps 30d"):
        await admin.send(command)
        assert "answers to this survey are anonymous" in admin.text
        assert "overlap could single out one answer" in admin.text
