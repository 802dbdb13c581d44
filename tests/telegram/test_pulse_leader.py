"""Two bot processes on one database: one pulse leader, a takeover within a tick when it dies
(two replicas, on a SQLite file and on PostgreSQL: the leader killed in the middle of a wave),
one wave per occasion (review M4: a deploy's overlap used to open two waves and send each member
three messages)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.pulses.runner import IN_FLIGHT, LEASE_TICKS
from bot.storage.database import Storage
from bot.storage.times import utcnow
from tests.conftest import sql
from tests.telegram.conftest import clean, on_database
from tests.telegram.harness import BotProcess
from tests.telegram.standin import BotApiStandIn
from tests.telegram.test_operations import scrape
from tests.telegram.test_pulses import pulses_sent_to

LEADS = "pulses: this process is the leader"
FOLLOWS = "pulses: another process is the leader"
TICK = 1.0
"""PULSE_TICK_SECONDS of the replicas killed mid-wave: another leads within this long."""
LEADER = ("cxbot_pulse_leader", ())
"""The metrics gauge saying whether a process is the pulse leader."""


@pytest.fixture
def replica_settings() -> dict[str, str]:
    """A one-second tick, and 30 messages a second: a wave of 300 takes ten seconds, long
    enough to kill the leader in the middle of it."""
    return {"PULSE_TICK_SECONDS": str(TICK), "PULSE_RATE": "30"}


def two_processes(api: BotApiStandIn, tmp_path: Path, **env: str) -> tuple[BotProcess, BotProcess]:
    """The same bot twice, as a deploy's old and new process: each its own folder and log, one
    database file."""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = BotProcess(api, tmp_path / "old", **env)
    new = BotProcess(api, tmp_path / "new", DATABASE=str(old.database), **env)
    new.database = old.database
    return old, new


async def said(bot: BotProcess, line: str, within: float = 20.0) -> float:
    """Wait until the process logs `line`; the seconds it took."""
    start = time.monotonic()
    while line not in bot.log_text():
        assert time.monotonic() - start < within, f"never logged {line!r}:\n{bot.log_text()}"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def leader_among(bots: list[BotProcess]) -> tuple[BotProcess, BotProcess]:
    """The pulse leader of two processes and the other one, once each has tried the lock: as
    their logs say, and their metrics gauges."""
    for bot in bots:
        await said(bot, "pulses: ")
    [leader] = [bot for bot in bots if LEADS in bot.log_text()]
    [other] = [bot for bot in bots if FOLLOWS in bot.log_text()]
    assert [(await scrape(bot))[LEADER] for bot in (leader, other)] == [1, 0]
    return leader, other


async def team(database: Path | str, name: str, first_id: int, size: int) -> list[int]:
    """Members who joined by the team's invite link long ago, and a weekly pulse for the team
    not due yet."""
    ids = list(range(first_id, first_id + size))
    now = utcnow()
    async with await Storage.open(database) as storage:
        await storage.db.execute("BEGIN")
        await storage.db.executemany(
            "INSERT INTO users (id, telegram_language, created_at) VALUES (?, 'en', ?)",
            [(user_id, now) for user_id in ids],
        )
        await storage.db.executemany(
            "INSERT INTO members (team, user_id, joined_at) VALUES (?, ?, ?)",
            [(name, user_id, now) for user_id in ids],
        )
        await sql(
            storage,
            "INSERT INTO pulses (survey_id, team, cadence, local_time, time_zone,"
            " reminder_hours, open_hours, next_at) VALUES ('enps', ?, 'weekly', '09:00', 'UTC',"
            " 72, 168, '9999-01-01 00:00:00.000')",
            name,
        )
        await storage.db.execute("COMMIT")
    return ids


async def due_now(database: Path | str) -> None:
    """Time passes: the schedule's next wave is due."""
    await on_database(database, "UPDATE pulses SET next_at = ?", utcnow())


async def test_the_leader_killed_mid_wave_the_other_replica_finishes_it_within_the_bound(
    api: BotApiStandIn, replicas: list[BotProcess], database: Path | str
) -> None:
    leader, other = await leader_among(replicas)
    people = await team(database, "floor", 20000, 300)
    await due_now(database)
    await api.wait_for(lambda: sum(pulses_sent_to(api, p) for p in people) >= 100, 30)
    await leader.kill()  # SIGKILL: its lock goes with it (the kernel's, or the server's session)
    took_over = await said(other, LEADS, within=5 * TICK)
    assert (await scrape(other))[LEADER] == 1
    await api.wait_for(lambda: all(pulses_sent_to(api, p) for p in people), within=60)
    await asyncio.sleep(LEASE_TICKS * TICK + 2 * TICK)  # any late re-send would be in by now
    received = Counter(pulses_sent_to(api, p) for p in people)
    assert received[0] == 0, "everyone got the wave"
    assert set(received) <= {1, 2} and received[2] <= IN_FLIGHT, received
    assert took_over <= TICK + 0.5, f"took over after {took_over:.2f} s, the tick is {TICK} s"
    assert await on_database(database, "SELECT count(*) FROM waves") == [(1,)]
    assert await on_database(database, "SELECT DISTINCT state FROM deliveries") == [("sent",)]
    print(f"takeover {took_over:.2f} s after the kill; received per member {received}")


async def test_a_deploy_overlap_sends_one_wave_and_hands_the_schedule_over(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """The review's M4: the new process starts while the old one still runs, one schedule."""
    old, new = two_processes(api, tmp_path, PULSE_TICK_SECONDS="0.2")
    await old.start()
    await said(old, LEADS)
    people = await team(old.database, "desk", 21000, 20)
    await new.start()
    await said(new, FOLLOWS)
    try:
        await due_now(old.database)
        await api.wait_for(lambda: all(pulses_sent_to(api, p) for p in people))
        await asyncio.sleep(1.5)  # several ticks of both runners
        assert [pulses_sent_to(api, p) for p in people] == [1] * 20, "one message each"
        assert old.query("SELECT count(*) FROM waves") == [(1,)], "one wave"
        await old.stop()  # the overlap ends: SIGTERM, the old process steps down
        assert "pulses: stepped down as leader" in old.log_text()
        await said(new, LEADS, within=2)
        await due_now(new.database)  # the next week: the new process opens it
        await api.wait_for(lambda: all(pulses_sent_to(api, p) == 2 for p in people))
        await asyncio.sleep(1)
        assert [pulses_sent_to(api, p) for p in people] == [2] * 20
        assert new.query("SELECT count(*) FROM waves") == [(2,)]
    finally:
        await old.stop()
        await new.stop()
    clean(old)
    clean(new)
