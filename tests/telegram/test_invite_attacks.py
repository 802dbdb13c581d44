"""Playing the attacker against eNPS invites: a team joined only through its secret link, at most
20 teams per person, and a /pulse list that no number of teams can push past Telegram's limit."""

from __future__ import annotations

import asyncio
import re

from tests.telegram.harness import ADMIN, BotProcess, Person, invite
from tests.telegram.standin import BotApiStandIn

NOT_VALID = (
    "This invite link is not valid, perhaps because it has been replaced by a new one."
    " Ask for your team's current link."
)
JOINED = "You have joined the pulse surveys of "
PULSE = "Time for your team's pulse."
TOO_MANY = "You are already in the pulse surveys of 20 teams, the most one person can join, so"


def member_count(bot: BotProcess, team: str) -> int:
    ((count,),) = bot.query("SELECT count(*) FROM members WHERE team = ? AND left_at IS NULL", team)
    return int(str(count))


async def test_a_guessed_team_name_joins_nothing_and_looks_like_an_unknown_team(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    employee = Person(api, 21000, "en")
    await employee.send(await invite(admin, "sales"))
    assert employee.text.startswith(JOINED + "sales.")

    guesser = Person(api, 21001, "en")
    await guesser.send("/start enps__sales")
    guessed = guesser.text
    await guesser.send("/start enps__no-such-team")
    assert guessed == guesser.text == NOT_VALID, "the same words: team names cannot be probed"
    await guesser.send("/start enps")
    assert guesser.text == NOT_VALID

    await admin.send("/pulse now enps sales")
    assert admin.text == "Wave 1 of enps is going out to 1 member of sales."
    await employee.expect(PULSE)
    await asyncio.sleep(1)
    assert not any(PULSE in text for text in guesser.texts())
    assert member_count(bot, "sales") == 1 and member_count(bot, "no-such-team") == 0


async def test_sock_puppets_without_the_secret_cannot_pad_a_team(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await Person(api, 22000, "en").send(await invite(admin, "legal"))
    await admin.send("/pulse")
    assert "legal: 1 / 0" in admin.text
    forged = ["enps__legal", "enps__legal__all", "enps__legal__AAAAAAAAAAAA", "enps__legal__"]
    for offset, payload in enumerate(forged, start=1):
        puppet = Person(api, 22000 + offset, "en")
        await puppet.send(f"/start {payload}")
        assert puppet.text == NOT_VALID
    await admin.send("/pulse")
    assert "legal: 1 / 0" in admin.text, "the audience is still the one real member"


async def test_a_wrong_or_replaced_secret_joins_nothing_and_the_new_link_joins(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    first = await invite(admin, "ops")
    assert re.fullmatch(r"/start enps__ops__[A-Za-z0-9]{12}", first), first
    assert await invite(admin, "ops") == first, "/link again shows the same link"
    early = Person(api, 23000, "en")
    await early.send(first)
    assert early.text.startswith(JOINED + "ops.")

    wrong = first[:-1] + ("b" if first[-1] == "a" else "a")
    mistyped = Person(api, 23001, "en")
    await mistyped.send(wrong)
    assert mistyped.text == NOT_VALID

    second = await invite(admin, "ops", rotate=True)
    assert second != first
    assert "earlier links no longer let anyone join" in admin.texts()[-1]
    late = Person(api, 23002, "en")
    await late.send(first)
    assert late.text == NOT_VALID, "the old link joins nothing after rotation"
    await late.send(second)
    assert late.text.startswith(JOINED + "ops.")
    assert await invite(admin, "ops") == second

    await admin.send("/pulse now enps ops")
    assert admin.text == "Wave 1 of enps is going out to 2 members of ops.", "members stay"
    assert member_count(bot, "ops") == 2


async def test_a_person_can_be_in_20_teams_and_not_a_21st(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    joiner = Person(api, 24000, "en")
    links = [await invite(admin, f"t{n}") for n in range(21)]
    for n, link in enumerate(links[:20]):
        await joiner.send(link)
        assert joiner.text.startswith(f"{JOINED}t{n}."), joiner.text
    await joiner.send(links[20])
    assert joiner.text.startswith(TOO_MANY), joiner.text
    assert member_count(bot, "t20") == 0
    await joiner.send(links[3])  # a team they are already in: still fine
    assert joiner.text.startswith(JOINED + "t3.")
    ((teams,),) = bot.query("SELECT count(*) FROM members WHERE user_id = ?", joiner.id)
    assert teams == 20


async def test_the_pulse_list_of_160_teams_comes_in_pages_that_telegram_accepts(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse")  # the bot is up and the schema in place
    teams = [f"team-{n:03d}-".ljust(44, "x") for n in range(160)]
    # 160 teams of 8 members each, every one with a schedule: written as another program
    # would, since joining them all through the chat would take minutes
    for user in range(8):
        bot.query("INSERT INTO users (id, created_at) VALUES (?, '2026-01-01')", 25000 + user)
    for n, team in enumerate(teams):
        for user in range(8):
            bot.query(
                "INSERT INTO members (team, user_id, joined_at) VALUES (?, ?, '2026-01-01')",
                team,
                25000 + user,
            )
        bot.query(
            "INSERT INTO pulses (survey_id, team, cadence, local_time, time_zone, reminder_hours,"
            " open_hours, next_at, paused) VALUES ('enps', ?, 'quarterly', '09:30',"
            " 'America/Argentina/Buenos_Aires', 72, 168, '2999-01-01 00:00:00.000', ?)",
            team,
            n % 2,
        )

    await admin.send("/pulse")
    first = admin.text
    match = re.search(r"Page 1 of (\d+)\. Next page: /pulse list 2$", first)
    assert match, first[-200:]
    pages = [first]
    for number in range(2, int(match[1]) + 1):
        await admin.send(f"/pulse list {number}")
        pages.append(admin.text)
    assert len(pages) > 1
    assert all(len(page) <= 4096 for page in pages)
    assert pages[-1].endswith(f"Page {len(pages)} of {len(pages)}.")
    everything = "\n".join(pages)
    for team in teams:
        assert f"{team}: 8 / 0" in everything
        assert f"enps → {team}: quarterly 09:30" in everything
    await admin.send(f"/pulse list {len(pages) + 1}")
    assert admin.text == f"No page {len(pages) + 1}: the list has {len(pages)} pages."
