"""Admins get results in the chat; nobody else gets anything, and anonymity holds."""

from __future__ import annotations

import csv
import io

import pytest
import zxingcpp
from PIL import Image

from tests.telegram.harness import ADMIN, BotProcess, Person, close_wave, invite
from tests.telegram.standin import BotApiStandIn

UNKNOWN = "Sorry, I do not know this command. /help lists what I can do."
PNG = b"\x89PNG\r\n\x1a\n"


async def rate_nps(api: BotApiStandIn, first_id: int, segment: str, ratings: list[int]) -> None:
    for offset, rating in enumerate(ratings):
        customer = Person(api, first_id + offset, "en")
        await customer.send(f"/start nps__{segment}")
        await customer.tap(str(rating))
        await customer.send(f"comment {rating} at {segment}")


async def test_an_admin_gets_the_nps_summary_with_its_margin_segments_and_chart(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    await rate_nps(api, 100, "desk-1", [10, 10, 9, 9, 8])
    await rate_nps(api, 200, "desk-2", [7, 6, 5, 3, 0])
    admin = Person(api, ADMIN, "en")
    await admin.send("/summary nps")
    summary = admin.text
    # 4 promoters, 2 passives, 4 detractors of 10: NPS 0; variance 0.4 + 0.4 - 0 = 0.8,
    # margin 1.96 * sqrt(0.8 / 10) * 100 = 55.4
    assert "10 responses" in summary
    assert "NPS: 0 ± 55 (95% margin of error)" in summary
    assert "Promoters: 4 (40%) · Passives: 2 (20%) · Detractors: 4 (40%)" in summary
    # desk-1: 4 promoters, 1 passive = +80; desk-2: 1 passive, 4 detractors = -80
    assert "By segment, best first:\n1. desk-1: +80 (n=5)\n2. desk-2: -80 (n=5)" in summary
    assert "«comment 0 at desk-2»" in summary, "the latest comments are shown"
    assert admin.file(await admin.receive("photo")).startswith(PNG)

    await admin.send("/summary nps all desk-2")
    assert "5 responses" in admin.text and "NPS: -80" in admin.text


async def test_summaries_of_each_kind_carry_their_figures(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    for offset, (satisfaction, solved) in enumerate([("5", "Yes"), ("4", "No"), ("2", "Yes")]):
        customer = Person(api, 300 + offset, "en")
        await customer.send("/start csat")
        await customer.tap(next(b for b in customer.buttons() if b.startswith(satisfaction)))
        await customer.tap(solved)
    for offset, effort in enumerate(["7", "5", "3", "6"]):
        customer = Person(api, 400 + offset, "en")
        await customer.send("/start ces")
        await customer.tap(next(b for b in customer.buttons() if b.startswith(effort)))
        await customer.tap("Skip")
    for offset, ratings in enumerate([["8", "9", "10", "7", "6"], ["6", "5", "4", "3", "2"]]):
        customer = Person(api, 500 + offset, "en")
        await customer.send("/start five-promises")
        for rating in ratings:
            await customer.tap(rating)
        await customer.tap("Skip")

    admin = Person(api, ADMIN, "fr")
    await admin.send("/summary csat")
    # 2 of 3 rated 4-5; 2 of 3 solved
    assert "CSAT\u00a0: 67\u00a0%" in admin.text
    assert "Résolu lors de l’échange\u00a0: 67\u00a0%" in admin.text
    await admin.send("/summary ces")
    assert "CES\u00a0: 5,3 sur 7" in admin.text  # (7 + 5 + 3 + 6) / 4 = 5.25
    await admin.send("/summary five-promises")
    # all ten ratings: 60 / 10 = 6.0 -> 60; relationship (8 + 6) / 2 = 7 -> 70
    assert "Indice\u00a0: 60 sur 100" in admin.text
    assert "Relation et intérêt\u00a0: 70" in admin.text


async def test_a_self_assessment_summary_shows_sections_and_levels(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    for offset, yes in enumerate([20, 5]):
        manager = Person(api, 600 + offset, "en")
        await manager.send("/start cx-diagnostic")
        for number in range(20):
            await manager.tap("Yes" if number < yes else "No")
    admin = Person(api, ADMIN, "en")
    await admin.send("/summary cx-diagnostic")
    # 25 yes of 40 answers = 62.5 % -> 63 %; people (first 5): 5 + 5 of 10 = 100 %,
    # finance: 5 + 0 of 10 = 50 %; the second manager's 5 of 20 = 25 % is Developing
    assert "Mean share of “yes”: 63%" in admin.text
    assert "People: 100%" in admin.text and "Finance: 50%" in admin.text
    assert "Levels: Beginner: 0 · Developing: 1 · Advanced: 0 · Leader: 1" in admin.text


@pytest.mark.parametrize("group", [4, 5])
async def test_an_anonymous_group_below_the_threshold_shows_nothing(
    api: BotApiStandIn, bot: BotProcess, group: int
) -> None:
    employees = [Person(api, 700 + offset, "en") for offset in range(group)]
    admin = Person(api, ADMIN, "en")
    link = await invite(admin, "team-a")
    for employee in employees:
        await employee.send(link)
    await admin.send("/pulse now enps team-a")
    for offset, employee in enumerate(employees):
        await employee.expect("Time for your team's pulse.")
        await employee.tap("9" if offset % 2 else "3")
        await employee.send(f"reason number {offset}")
    await admin.send("/summary enps")
    assert "#1" in admin.text and "open, response rate about 100%" in admin.text
    assert "NPS" not in admin.text and "reason number" not in admin.text, "not while it is open"
    await close_wave(admin, bot, 1)
    await admin.send("/summary enps")
    summary = admin.text
    if group == 4:
        assert "Answers are anonymous: results appear from 5 responses on" in summary
        assert "NPS" not in summary and "reason number" not in summary
        await admin.send("/export enps")
        assert "document" not in admin.last, "no export either"
        assert admin.text == summary
    else:
        # 2 promoters, 3 detractors of 5: (2 - 3) / 5 = -20
        assert "NPS: -20" in summary and "«reason number 4» — team-a, 20" in summary
        await admin.receive("photo")
        await admin.send("/export enps")
        assert "document" in await admin.receive("document")


async def test_the_export_parses_back_to_the_answers(api: BotApiStandIn, bot: BotProcess) -> None:
    await rate_nps(api, 800, "desk-9", [9, 2])
    admin = Person(api, ADMIN, "en")
    await admin.send("/export nps 30d")
    assert admin.last["document"]["file_name"] == "nps-30d.csv"
    content = admin.file()
    assert content.startswith("\ufeff".encode()), "a byte-order mark, for Excel"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["segment"], r["recommend"], r["score"]) for r in rows] == [
        ("desk-9", "9", "9"),
        ("desk-9", "2", "2"),
    ]
    assert rows[0]["why-promoter"] == "comment 9 at desk-9" and rows[0]["why-detractor"] == ""
    assert rows[1]["why-detractor"] == "comment 2 at desk-9"


async def test_a_link_comes_with_a_qr_code_that_decodes_to_it(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/link five-promises store-12")
    link = "https://t.me/cxbot_test_bot?start=five-promises__store-12"
    assert admin.text == link
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(admin.file())))
    assert decoded.text == link


async def test_bad_arguments_get_the_usage_line(api: BotApiStandIn, bot: BotProcess) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/summary")
    assert admin.text.startswith("Usage: /summary <survey>")
    await admin.send("/summary nps 2026-13")
    assert admin.text.endswith("2026-13: no such month")
    await admin.send("/summary nps 12x")
    assert "12x: use 7d, 30d, 90d, all" in admin.text
    await admin.send("/export nosuch")
    assert admin.text.startswith("Usage: /export <survey>")
    await admin.send(f"/link nps {'x' * 70}")
    assert "Telegram allows 64" in admin.text
    assert "Traceback" not in bot.log_text()


async def test_surveys_lists_activity(api: BotApiStandIn, bot: BotProcess) -> None:
    await rate_nps(api, 900, "desk-1", [8])
    unfinished = Person(api, 950, "en")
    await unfinished.send("/start nps")
    admin = Person(api, ADMIN, "en")
    await admin.send("/surveys")
    assert "nps: 1 finished, 1 unfinished, last 20" in admin.text
    assert "csat: 0 finished, 0 unfinished, last —" in admin.text


@pytest.mark.parametrize(
    "command", ["/surveys", "/summary nps", "/summary enps 7d", "/export nps", "/link nps desk-1"]
)
async def test_anyone_else_gets_what_an_unknown_command_gets(
    api: BotApiStandIn, bot: BotProcess, command: str
) -> None:
    await rate_nps(api, 1000, "desk-1", [10])
    stranger = Person(api, 4242, "en")
    await stranger.send(command)
    assert stranger.texts()[-1] == UNKNOWN
    assert not any("photo" in m or "document" in m for m in stranger.chat.values())
