"""What an operator sees of a running `cxbot run`: /metrics that count what people did, /readyz,
the replica's name on every log line, and one clear line when a second process polls."""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.telegram.harness import BotProcess, Person, free_port
from tests.telegram.standin import BotApiStandIn

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\S+) [A-Z]+ ", re.MULTILINE)
"""A log line's start: the time, then the replica's name, then the level."""
CONFLICT = "Telegram answers getUpdates with 409 Conflict"


def log_checked(bot: BotProcess) -> str:
    """The bot's output, with what every test of a running bot asks of it."""
    log = bot.log_text()
    assert "Traceback" not in log, log
    assert "Warning: " not in log, log
    return log


@pytest.fixture
async def watched(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """A bot by long polling, with its web server (metrics, readiness) on a port of its own."""
    process = BotProcess(api, tmp_path, WEB_PORT=str(free_port()), REPLICA="cx-eu-2")
    await process.start()
    yield process
    await process.stop()
    log_checked(process)


async def scrape(bot: BotProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The bot's /metrics as Prometheus reads it: (sample, sorted labels) -> value."""
    url = f"http://127.0.0.1:{bot.env['WEB_PORT']}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def status_of(bot: BotProcess, path: str) -> int:
    url = f"http://127.0.0.1:{bot.env['WEB_PORT']}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


async def test_metrics_count_what_two_customers_did_and_what_the_bot_asked_telegram(
    api: BotApiStandIn, watched: BotProcess
) -> None:
    messages = taps = 0
    first = Person(api, 2101, "en")
    await first.send("/start csat")
    messages += 1
    await first.tap(next(b for b in first.buttons() if b.startswith("5")))
    await first.tap("Yes")
    taps += 2
    assert "Thank you" in first.text
    second = Person(api, 2102, "en")
    await second.send("/start nps")
    messages += 1
    await second.tap("9")
    taps += 1
    await second.send("Quick and kind")
    messages += 1

    seen = await scrape(watched)
    assert seen[("cxbot_updates_total", (("kind", "message"),))] == messages
    assert seen[("cxbot_updates_total", (("kind", "callback"),))] == taps
    assert seen[("cxbot_updates_total", (("kind", "other"),))] == 0
    stored = watched.query("SELECT count(*) FROM answers")[0][0]
    assert seen[("cxbot_answers_stored_total", ())] == stored == 4, "three taps, one text"
    assert seen[("cxbot_tap_to_screen_seconds_count", ())] == taps
    assert 0 < seen[("cxbot_tap_to_screen_seconds_sum", ())] < 5 * taps
    assert seen[("cxbot_pulse_leader", ())] == 1
    assert seen[("cxbot_pulse_queue", ())] == 0

    # every call the stand-in answered, by method: 200 if it did what was asked, else an error
    # status; getUpdates aside (the stand-in does not record polls, and polling goes on)
    ok = Counter(call.method for call in api.calls if call.ok)
    refused = Counter(call.method for call in api.calls if not call.ok)
    counted_ok: Counter[str] = Counter()
    counted_refused: Counter[str] = Counter()
    for (name, labels), value in seen.items():
        if name != "cxbot_bot_api_calls_total" or dict(labels)["method"] == "getUpdates":
            continue
        into = counted_ok if dict(labels)["status"] == "200" else counted_refused
        into[dict(labels)["method"]] += int(value)
    assert (counted_ok, counted_refused) == (ok, refused)
    assert ok["answerCallbackQuery"] == taps
    assert ok["editMessageText"] >= taps and ok["sendMessage"] >= 2
    assert seen[("cxbot_bot_api_calls_total", (("method", "getUpdates"), ("status", "200")))] > 0


async def test_ready_while_running_and_every_log_line_names_the_replica(
    api: BotApiStandIn, watched: BotProcess
) -> None:
    assert await status_of(watched, "/readyz") == 200
    assert await status_of(watched, "/healthz") == 200
    person = Person(api, 2103, "en")
    await person.send("/help")
    await watched.stop()
    names = LOG_LINE.findall(log_checked(watched))
    assert names, "the bot logs its start and its stop"
    assert set(names) == {"cx-eu-2"}


async def test_a_second_poller_is_reported_once_and_the_bot_answers_when_it_stops(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """A deploy's overlap: while another process polls with the token, Telegram answers every
    getUpdates 409; the bot says why in one line, keeps polling, and takes over afterwards."""
    api.rival_poller = True
    bot = BotProcess(api, tmp_path)
    await bot.start()
    try:
        await api.wait_for(lambda: api.conflicts >= 3, within=20)
        api.rival_poller = False
        person = Person(api, 2104, "en")
        await person.send("/help")
        assert "/start: choose a questionnaire" in person.text
    finally:
        await bot.stop()
    log = log_checked(bot)
    lines = [line for line in log.splitlines() if CONFLICT in line]
    assert len(lines) == 1, log
    assert "another process is polling" in lines[0] and "WEBHOOK=1" in lines[0]
    assert LOG_LINE.findall(lines[0]) == [socket.gethostname()], "REPLICA unset: the host name"


async def test_two_processes_polling_at_once_is_reported_and_the_survivor_answers(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """The old process still runs when the new one starts polling; Telegram ends whichever
    long poll came first. Once the old one stops, the new one gets every update."""
    old = BotProcess(api, tmp_path / "old", REPLICA="old")
    new = BotProcess(api, tmp_path / "new", REPLICA="new")
    for process in (old, new):
        process.workdir.mkdir()
    await old.start()
    try:
        await new.start()
        await api.wait_for(lambda: api.conflicts >= 3, within=20)
        await old.stop()
        person = Person(api, 2105, "en")
        await person.send("/help")
        assert "/start: choose a questionnaire" in person.text
    finally:
        await old.stop()
        await new.stop()
    reported = [
        len([line for line in log_checked(p).splitlines() if CONFLICT in line]) for p in (old, new)
    ]
    assert 1 in reported and max(reported) == 1, reported
