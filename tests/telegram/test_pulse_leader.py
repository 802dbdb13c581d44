"""Two bot processes on one database file: one pulse leader, a takeover when it dies, one wave
per occasion (review M4: a deploy's overlap used to open two waves and send each member three
messages)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

from bot.pulses.runner import IN_FLIGHT, LEASE_TICKS
from bot.storage.times import utcnow
from tests.telegram.harness import TOKEN, BotProcess
from tests.telegram.standin import BotApiStandIn
from tests.telegram.test_pulses import pulses_sent_to

LEADS = "pulses: this process is the leader"
FOLLOWS = "pulses: another process is the leader"


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


def team(bot: BotProcess, name: str, first_id: int, size: int) -> list[int]:
    """Members who joined by the team's invite link long ago, and a weekly pulse for the team
    not due yet."""
    ids = list(range(first_id, first_id + size))
    with closing(sqlite3.connect(bot.database)) as db, db:
        db.executemany(
            "INSERT INTO users (id, telegram_language, created_at) VALUES (?, 'en', ?)",
            [(user_id, utcnow()) for user_id in ids],
        )
        db.executemany(
            "INSERT INTO members (team, user_id, joined_at) VALUES (?, ?, ?)",
            [(name, user_id, utcnow()) for user_id in ids],
        )
        db.execute(
            "INSERT INTO pulses (survey_id, team, cadence, local_time, time_zone,"
            " reminder_hours, open_hours, next_at) VALUES ('enps', ?, 'weekly', '09:00', 'UTC',"
            " 72, 168, '9999-01-01 00:00:00.000')",
            (name,),
        )
    return ids


def due_now(bot: BotProcess) -> None:
    """Time passes: the schedule's next wave is due."""
    bot.query("UPDATE pulses SET next_at = strftime('%Y-%m-%d %H:%M:%f', 'now')")


def clean(bot: BotProcess) -> None:
    log = bot.log_text()
    assert "Traceback" not in log, log
    assert "Warning: " not in log, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


async def test_the_leader_killed_mid_wave_the_other_process_finishes_it_within_the_bound(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    tick = 1.0
    old, new = two_processes(api, tmp_path, PULSE_TICK_SECONDS=str(tick), PULSE_RATE="30")
    await old.start()
    await said(old, LEADS)
    people = team(old, "floor", 20000, 300)
    await new.start()
    await said(new, FOLLOWS)
    try:
        due_now(old)
        await api.wait_for(lambda: sum(pulses_sent_to(api, p) for p in people) >= 100, 30)
        await old.kill()  # SIGKILL: the kernel releases its lock, nothing else runs
        took_over = await said(new, LEADS, within=5 * tick)
        await api.wait_for(lambda: all(pulses_sent_to(api, p) for p in people), within=60)
        await asyncio.sleep(LEASE_TICKS * tick + 2 * tick)  # any late re-send would be in by now
        received = Counter(pulses_sent_to(api, p) for p in people)
        assert received[0] == 0, "everyone got the wave"
        assert set(received) <= {1, 2} and received[2] <= IN_FLIGHT, received
        assert took_over <= tick + 0.5, f"took over after {took_over:.2f} s, the tick is {tick} s"
        assert new.query("SELECT count(*) FROM waves") == [(1,)]
        assert new.query("SELECT DISTINCT state FROM deliveries") == [("sent",)]
        print(f"takeover {took_over:.2f} s after the kill; received per member {received}")
    finally:
        await new.stop()
    clean(new)
    clean(old)


async def test_a_deploy_overlap_sends_one_wave_and_hands_the_schedule_over(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """The review's M4: the new process starts while the old one still runs, one schedule."""
    old, new = two_processes(api, tmp_path, PULSE_TICK_SECONDS="0.2")
    await old.start()
    await said(old, LEADS)
    people = team(old, "desk", 21000, 20)
    await new.start()
    await said(new, FOLLOWS)
    try:
        due_now(old)
        await api.wait_for(lambda: all(pulses_sent_to(api, p) for p in people))
        await asyncio.sleep(1.5)  # several ticks of both runners
        assert [pulses_sent_to(api, p) for p in people] == [1] * 20, "one message each"
        assert old.query("SELECT count(*) FROM waves") == [(1,)], "one wave"
        await old.stop()  # the overlap ends: SIGTERM, the old process steps down
        assert "pulses: stepped down as leader" in old.log_text()
        await said(new, LEADS, within=2)
        due_now(new)  # the next week: the new process opens it
        await api.wait_for(lambda: all(pulses_sent_to(api, p) == 2 for p in people))
        await asyncio.sleep(1)
        assert [pulses_sent_to(api, p) for p in people] == [2] * 20
        assert new.query("SELECT count(*) FROM waves") == [(2,)]
    finally:
        await old.stop()
        await new.stop()
    clean(old)
    clean(new)
