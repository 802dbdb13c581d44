"""eNPS pulses: invites, waves, reminders, /stop, blocked members, 429s, crashes, schedules."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.times import stamp
from tests.telegram.harness import ADMIN, BotProcess, Person, close_wave, invite
from tests.telegram.standin import BotApiStandIn

PULSE = "Time for your team's pulse."
REMINDER = "A reminder: your team's pulse is still open"


async def members(api: BotApiStandIn, first_id: int, count: int, team: str) -> list[Person]:
    people = [Person(api, first_id + n, "en") for n in range(count)]
    link = await invite(Person(api, ADMIN, "en"), team)
    for person in people:
        await person.send(link)
    return people


def pulses_sent_to(api: BotApiStandIn, chat_id: int) -> int:
    return sum(
        1
        for call in api.calls
        if call.method == "sendMessage"
        and call.ok
        and call.chat_id == chat_id
        and PULSE in call.params["text"]
    )


async def test_a_wave_reaches_the_team_and_reminds_only_those_who_did_not_finish(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    done, halfway, silent = await members(api, 11000, 3, "ops")
    assert done.text.startswith("You have joined the pulse surveys of ops.")
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse now enps ops 0.001")  # the reminder after 3.6 seconds
    assert admin.text == "Wave 1 of enps is going out to 3 members of ops."
    for person in (done, halfway, silent):
        await person.expect(PULSE)
    await done.tap("9")
    await done.tap("Skip")
    await halfway.tap("7")

    await halfway.expect(REMINDER)
    await silent.expect(REMINDER)
    await asyncio.sleep(1)
    assert not any(REMINDER in text for text in done.texts())
    assert [sum(REMINDER in t for t in p.texts()) for p in (halfway, silent)] == [1, 1]
    assert halfway.buttons() == [], "the started one finishes in the pulse's own message"
    assert "1" in silent.buttons(), "the one who never started gets the first question again"
    pulse = halfway.showing("What would make it a 10 for you?")["message_id"]
    await halfway.tap("Skip", halfway.chat[pulse])
    assert "Your answer is anonymous" in halfway.chat[pulse]["text"]


async def test_stop_is_honoured_before_the_next_wave(api: BotApiStandIn, bot: BotProcess) -> None:
    (leaver,) = await members(api, 12000, 1, "sales")
    await leaver.send("/stop")
    assert leaver.text.startswith("Done: you will not receive pulses any more.")
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse now enps sales")
    assert admin.text == "Wave 1 of enps is going out to 0 members of sales."
    await asyncio.sleep(1)
    assert pulses_sent_to(api, leaver.id) == 0
    await leaver.send(await invite(admin, "sales"))  # the invite link again: back in
    await admin.send("/pulse now enps sales")
    assert admin.text == "Wave 2 of enps is going out to 1 member of sales."
    await leaver.expect(PULSE)


async def test_a_member_who_blocked_the_bot_is_marked_inactive_and_not_retried(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    stays, blocks = await members(api, 13000, 2, "hr")
    api.blocked.add(blocks.id)
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse now enps hr")
    await stays.expect(PULSE)
    await asyncio.sleep(1)
    attempts = [c for c in api.calls if c.method == "sendMessage" and c.chat_id == blocks.id]
    assert len(attempts) == 2, "the invite's reply, then one try of the pulse: no retry"
    await admin.send("/pulse")
    assert "hr: 1 / 1" in admin.text
    assert bot.query("SELECT state FROM deliveries ORDER BY user_id") == [
        ("sent",),
        ("blocked",),
    ]


async def test_a_429_is_waited_out_and_the_message_still_arrives(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    (member,) = await members(api, 14000, 1, "it")
    api.failures[member.id] = [(429, "Too Many Requests: retry after 1", 1)]
    await Person(api, ADMIN, "en").send("/pulse now enps it")
    await member.expect(PULSE)
    tries = [c for c in api.calls if c.method == "sendMessage" and c.chat_id == member.id]
    assert len(tries) == 3, "the invite's reply, the refused pulse, the pulse"
    assert tries[2].at - tries[1].at >= 0.9, "retry_after was waited out"


async def test_a_crash_mid_wave_resumes_without_duplicates_beyond_those_in_flight(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    bot = BotProcess(api, tmp_path, PULSE_RATE="6")
    await bot.start()
    try:
        people = await members(api, 15000, 40, "floor")
        await Person(api, ADMIN, "en").send("/pulse now enps floor")
        await api.wait_for(lambda: sum(pulses_sent_to(api, p.id) for p in people) >= 15)
        await bot.kill()
        await bot.start()
        await api.wait_for(lambda: all(pulses_sent_to(api, p.id) for p in people), within=30)
        received = Counter(pulses_sent_to(api, p.id) for p in people)
        assert received[0] == 0
        assert received[2] <= 4 and set(received) <= {1, 2}, received  # at most 4 in flight
        assert bot.query("SELECT DISTINCT state FROM deliveries") == [("sent",)]
    finally:
        await bot.stop()


def pulses_in_chat(api: BotApiStandIn, chat_id: int) -> int:
    """Pulse messages that reached the chat, whether or not the bot heard back in time."""
    return sum(PULSE in m.get("text", "") for m in api.messages.get(chat_id, {}).values())


async def test_a_crash_with_slow_answers_still_duplicates_at_most_the_messages_in_flight(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """Telegram takes each pulse but answers after the client's timeout: a message that may
    have arrived is never sent again, so only those in flight at the crash arrive twice."""
    bot = BotProcess(api, tmp_path)
    await bot.start()
    try:
        people = await members(api, 15500, 10, "night")
        api.slow["sendMessage"] = 6.0  # the client gives up after 5 s
        await Person(api, ADMIN, "en").send("/pulse now enps night")
        await api.wait_for(lambda: sum(pulses_in_chat(api, p.id) for p in people) >= 5, 20)
        await bot.kill()
        await bot.start()
        await api.wait_for(lambda: all(pulses_in_chat(api, p.id) for p in people), within=30)
        await asyncio.sleep(7)  # every answer due, and any re-send it would have caused
        received = Counter(pulses_in_chat(api, p.id) for p in people)
        assert set(received) <= {1, 2} and received[2] <= 4, received
        assert "pulse delivery unconfirmed" in bot.log_text()
    finally:
        api.slow.clear()
        await bot.stop()


async def test_a_schedule_survives_a_restart(api: BotApiStandIn, bot: BotProcess) -> None:
    (member,) = await members(api, 16000, 1, "legal")
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse add enps legal weekly 09:30 Europe/Paris 48")
    assert admin.text.startswith("Pulse 1 scheduled: first wave ")
    await bot.stop()
    await bot.start()
    await admin.send("/pulse")
    assert "1. enps → legal: weekly 09:30 Europe/Paris, reminder after 48.0 h (next " in admin.text
    # time passes: the first wave is due now
    bot.query("UPDATE pulses SET next_at = strftime('%Y-%m-%d %H:%M:%f', 'now')")
    await member.expect(PULSE)
    ((moved,),) = bot.query("SELECT next_at > strftime('%Y-%m-%d', 'now', '+6 days') FROM pulses")
    assert moved == 1, "the next wave is a week on"
    reminder = bot.query(
        "SELECT round((julianday(remind_at) - julianday(opened_at)) * 24) FROM waves"
    )
    assert reminder == [(48.0,)], "the pulse's own reminder delay"


async def test_pausing_and_deleting_a_pulse(api: BotApiStandIn, bot: BotProcess) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse add enps legal monthly 10:00 UTC")
    anchored = bot.query("SELECT anchor_day = CAST(strftime('%d', next_at) AS INTEGER) FROM pulses")
    assert anchored == [(1,)], "the schedule keeps the day of its first wave"
    await admin.send("/pulse pause 1")
    assert admin.text == "Done."
    await admin.send("/pulse")
    assert "(paused)" in admin.text
    await admin.send("/pulse delete 1")
    await admin.send("/pulse delete 1")
    assert admin.text == "No pulse 1."
    await admin.send("/pulse add enps legal hourly 10:00 UTC")
    assert admin.text.endswith("hourly: one of weekly, 2weeks, 4weeks, monthly, quarterly")
    await admin.send("/pulse now nps legal")
    assert admin.text.endswith("nps is not a pulse survey.")
    await admin.send("/pulse list two")
    assert admin.text.startswith("Usage: /pulse [list <page>]")
    await admin.send("/pulse list 1")
    assert "1. enps → legal: monthly" not in admin.text, "deleted"
    assert "Page" not in admin.text, "one page: no page line"


async def test_the_summary_shows_each_wave_with_its_response_rate_and_change(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    team = await members(api, 17000, 6, "support")
    admin = Person(api, ADMIN, "en")
    for wave, ratings in ((1, ["9", "9", "9", "3", "3"]), (2, ["9", "9", "9", "9", "3", "10"])):
        await admin.send("/pulse now enps support")
        for person, rating in zip(team, ratings, strict=False):
            await person.api.wait_for(lambda p=person, w=wave: pulses_sent_to(api, p.id) >= w)  # type: ignore[misc]
            await person.tap(rating)
            await person.tap("Skip")
        await close_wave(admin, bot, wave)
    await admin.send("/summary enps")
    # wave 1: 5 of 6 answered, 3 promoters and 2 detractors: +20;
    # wave 2: 6 of 6, 5 promoters and 1 detractor: (5 - 1) / 6 = +67, 47 points up
    lines = admin.text.split("By wave:\n")[1].split("\n")
    assert lines[0].endswith("· support: response rate 83% (5/6) · eNPS +20")
    assert lines[1].endswith("· support: response rate 100% (6/6) · eNPS +67 (+47)")


def minute(moment: datetime) -> str:
    return moment.strftime("%H:%M")


async def test_after_downtime_a_schedule_opens_one_wave_at_most_and_says_what_it_skipped(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    (recent,) = await members(api, 16100, 1, "ops")
    (stale,) = await members(api, 16200, 1, "qa")
    admin = Person(api, ADMIN, "en")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    # weekly, due 4 weeks and an hour ago: 5 occasions missed, the latest (an hour ago) open
    weekly = now - timedelta(days=28, hours=1)
    await admin.send(f"/pulse add enps ops weekly {minute(weekly)} UTC")
    # every 4 weeks, due 8 days ago: its only occasion would have closed a day ago (168 h)
    stale_due = now - timedelta(days=8)
    await admin.send(f"/pulse add enps qa 4weeks {minute(stale_due)} UTC")
    await bot.stop()
    bot.query("UPDATE pulses SET next_at = ? WHERE id = 1", stamp(weekly))
    bot.query("UPDATE pulses SET next_at = ? WHERE id = 2", stamp(stale_due))
    await bot.start()

    await recent.expect(PULSE)
    await asyncio.sleep(1.5)  # several ticks of the runner
    assert pulses_sent_to(api, recent.id) == 1, "one wave, not one per missed week"
    assert pulses_sent_to(api, stale.id) == 0, "a wave that would be closed already is not sent"
    assert bot.query("SELECT pulse_id FROM waves") == [(1,)]
    ((ahead,),) = bot.query("SELECT min(next_at) > strftime('%Y-%m-%d %H:%M', 'now') FROM pulses")
    assert ahead == 1, "the next occasions are after now"
    last_weekly = stamp(weekly + timedelta(days=21))[:16]
    await admin.send("/pulse")
    assert f"; skipped 4 waves while stopped, last {last_weekly} UTC" in admin.text
    assert f"; skipped 1 wave while stopped, last {stamp(stale_due)[:16]} UTC" in admin.text
    skips = [line for line in bot.log_text().splitlines() if "skipped while stopped" in line]
    assert len(skips) == 2, skips  # one line per schedule
    assert "pulse 1: 4 waves skipped while stopped" in skips[0] + skips[1]


async def test_a_schedule_that_cannot_be_computed_is_skipped_and_the_others_go_on(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    (member,) = await members(api, 16300, 1, "legal")
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse add enps legal weekly 09:30 Europe/Paris")
    await admin.send("/pulse add enps legal weekly 09:30 Europe/Paris")
    # the first one's time zone is no longer in tzdata; both are due
    bot.query("UPDATE pulses SET time_zone = 'Europe/Atlantis' WHERE id = 1")
    bot.query("UPDATE pulses SET next_at = strftime('%Y-%m-%d %H:%M:%f', 'now')")
    await member.expect(PULSE)
    await asyncio.sleep(1)
    assert bot.query("SELECT pulse_id FROM waves") == [(2,)]
    broken = [line for line in bot.log_text().splitlines() if "schedule is broken" in line]
    assert len(broken) == 1, broken  # once, not at every tick
    assert "Europe/Atlantis" in broken[0]
