"""One pulse leader: the lock file and PostgreSQL's advisory lock, a leader that dies or loses
its connection, and runners sharing one database."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.config import Config
from bot.pulses.leader import FileLeadership, PgLeadership, leader_file, leadership_for
from bot.pulses.runner import PulseRunner, Sender, Sent
from bot.storage.database import Storage
from bot.survey.model import Survey
from bot.usecases.delivery import PulseMessage
from bot.usecases.deps import Deps
from tests.postgres import free_port

HOLD = """
import asyncio, sys
from pathlib import Path
from bot.pulses.leader import FileLeadership

async def main() -> None:
    print(await FileLeadership(Path(sys.argv[1])).acquire(), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""

HOLD_PG = """
import asyncio, sys
from bot.pulses.leader import PgLeadership

async def main() -> None:
    leadership = PgLeadership(sys.argv[1])  # kept: its connection holds the lock
    print(await leadership.acquire(), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_of_two_on_one_file_one_leads_until_it_steps_down(tmp_path: Path) -> None:
    first, second = FileLeadership(tmp_path / "lock"), FileLeadership(tmp_path / "lock")
    assert await first.acquire() is True
    assert await second.acquire() is False
    assert await first.acquire() is True, "asking again while leading: still leading"
    assert (await first.held(), await second.held()) == (True, False)
    await first.release()
    assert await first.held() is False
    assert await second.acquire() is True
    assert await first.acquire() is False


async def test_the_lock_file_names_the_leader_and_only_its_owner_can_read_it(
    tmp_path: Path,
) -> None:
    leader = FileLeadership(tmp_path / "lock")
    await leader.acquire()
    assert (tmp_path / "lock").read_text().split()[1] == str(os.getpid())
    assert (tmp_path / "lock").stat().st_mode & 0o077 == 0
    await leader.release()


def test_the_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    assert leader_file(tmp_path / "cxbot.sqlite3") == tmp_path / "cxbot.sqlite3.leader"


def test_a_sqlite_database_is_led_through_its_lock_file(tmp_path: Path) -> None:
    leadership = leadership_for(tmp_path / "cxbot.sqlite3")
    assert isinstance(leadership, FileLeadership)
    assert leadership.path == leader_file(tmp_path / "cxbot.sqlite3")


async def test_when_the_leader_is_killed_the_other_leads_at_its_next_try(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD, str(lock), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 20) == b"True\n"
        waiting = FileLeadership(lock)
        assert await waiting.acquire() is False, "the other process leads"
        holder.send_signal(signal.SIGKILL)  # no code of its own runs: the kernel drops the lock
        await holder.wait()
        assert await waiting.acquire() is True
        await waiting.release()
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


TICK = 0.5
"""A tick shorter than the bot's own: the server ends a dead client's session well within."""


async def test_of_two_on_one_postgresql_database_one_leads_until_it_steps_down(
    postgres_url: str,
) -> None:
    first, second = PgLeadership(postgres_url), PgLeadership(postgres_url)
    try:
        assert await first.acquire() is True
        assert await second.acquire() is False
        assert await first.acquire() is True, "asking again while leading: still leading"
        assert (await first.held(), await second.held()) == (True, False)
        await first.release()
        assert await first.held() is False
        assert await second.acquire() is True
        assert await first.acquire() is False
    finally:
        await first.release()
        await second.release()


async def test_the_leader_lock_is_not_the_migration_lock(postgres_url: str) -> None:
    """A replica migrating at start (the migration's advisory lock) does not make it the
    leader, and the leader does not hold up a migration."""
    from bot.storage.postgres.migrate import MIGRATION_LOCK

    migrating = await asyncpg.connect(postgres_url)
    leader = PgLeadership(postgres_url)
    try:
        assert await migrating.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK)
        assert await leader.acquire() is True
    finally:
        await leader.release()
        await migrating.close()


async def test_when_the_postgresql_leader_is_killed_the_other_leads_at_its_next_try(
    postgres_url: str,
) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_PG, postgres_url, stdout=asyncio.subprocess.PIPE
    )
    waiting = PgLeadership(postgres_url)
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 20) == b"True\n"
        assert await waiting.acquire() is False, "the other process leads"
        holder.send_signal(signal.SIGKILL)  # its socket closes: the server ends its session
        await holder.wait()
        await asyncio.sleep(TICK)  # the runner's next tick, well within its few seconds
        assert await waiting.acquire() is True
        assert await waiting.held() is True
    finally:
        await waiting.release()
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def backend_of(leader: PgLeadership, url: str) -> int:
    """The server process of the leader's lock connection, as pg_locks names it."""
    from bot.pulses.leader import LEADER_LOCK

    admin = await asyncpg.connect(url)
    try:
        pid: int = await admin.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objid = $1 AND objsubid = 1",
            LEADER_LOCK & 0xFFFF_FFFF,
        )
        return pid
    finally:
        await admin.close()


@pytest.mark.parametrize("pause", [0, TICK], ids=["at-once", "a-tick-later"])
async def test_a_leader_whose_connection_is_terminated_no_longer_leads(
    postgres_url: str, pause: float
) -> None:
    """Checked at once, the query can cross the server's goodbye on the wire (asyncpg then
    raises InternalClientError); a tick later, the connection is already closed."""
    leader, other = PgLeadership(postgres_url), PgLeadership(postgres_url)
    try:
        assert await leader.acquire() is True
        admin = await asyncpg.connect(postgres_url)
        try:
            assert await admin.fetchval(
                "SELECT pg_terminate_backend($1)", await backend_of(leader, postgres_url)
            )
        finally:
            await admin.close()
        await asyncio.sleep(pause)
        assert await leader.held() is False, "its next tick: it stops leading"
        assert await other.acquire() is True, "the lock went with the session"
        assert await leader.acquire() is False
    finally:
        await leader.release()
        await other.release()


async def test_a_leader_that_cannot_reach_the_server_does_not_lead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = f"postgresql://cxbot:s3cr3t@127.0.0.1:{free_port()}/cxbot"
    leader = PgLeadership(unreachable)
    assert await leader.acquire() is False
    assert await leader.acquire() is False
    assert await leader.held() is False
    said = [r.getMessage() for r in caplog.records if r.name == "bot.pulses.leader"]
    assert len(said) == 1, "said once, not at every tick"
    assert "s3cr3t" not in said[0] and "127.0.0.1" in said[0]


@pytest.fixture
async def storages(tmp_path: Path) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two connections to one file, as two processes have."""
    first = await Storage.open(tmp_path / "x.sqlite3")
    second = await Storage.open(tmp_path / "x.sqlite3")
    yield first, second
    await first.close()
    await second.close()


class Messenger:
    """The messenger, as far as the runners can tell: it records who was sent what, by which
    runner."""

    def __init__(self) -> None:
        self.sent: Counter[tuple[int, int]] = Counter()
        """(wave, member) -> messages."""
        self.by_whom: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    def sender(self, runner: str) -> Sender:
        messenger = self

        class Through:
            async def send(self, message: PulseMessage) -> Sent:
                await asyncio.sleep(0.002)
                async with messenger._changed:
                    messenger.sent[(message.wave_id, message.user_id)] += 1
                    messenger.by_whom[runner] += 1
                    messenger._changed.notify_all()
                return Sent.SENT

        return Through()

    async def until(self, messages: int) -> None:
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= messages)


async def join(storage: Storage, size: int) -> None:
    for user_id in range(1, size + 1):
        await storage.touch_user(user_id, "en")
        assert await storage.pulses.join("ops", user_id, most=20)


def runners(
    storages: tuple[Storage, Storage],
    catalogue: dict[str, Survey],
    tmp_path: Path,
    messenger: Messenger,
    tick: float,
) -> list[PulseRunner]:
    config = Config.from_env({})
    made = []
    for name, storage in zip("ab", storages, strict=True):
        deps = Deps(config, catalogue, storage)
        made.append(
            PulseRunner(
                lambda deps=deps: deps,  # type: ignore[misc]
                messenger.sender(name),
                rate=2000,
                tick=tick,
                leadership=FileLeadership(leader_file(tmp_path / "x.sqlite3")),
            )
        )
    return made


async def test_a_schedule_stepped_by_two_runners_at_once_opens_one_wave(
    storages: tuple[Storage, Storage], catalogue: dict[str, Survey], tmp_path: Path
) -> None:
    """Two leaders by mistake (the lock file on a disk that does not lock, say): each runner
    steps on its own, without the lock, and still one wave goes out, each member once."""
    first, _second = storages
    await join(first, 60)
    await first.pulses.add_pulse(
        survey_id="enps",
        team="ops",
        cadence="weekly",
        local_time="09:00",
        time_zone="UTC",
        reminder_hours=100,
        open_hours=200,  # longer than a week: the latest weekly occasion is still open
        next_at="2000-01-03 09:00:00.000",  # long due: the latest occasion opens now
    )
    messenger = Messenger()
    a, b = runners(storages, catalogue, tmp_path, messenger, tick=60)
    # the catch-up from 2000 says what it skipped: both runners read the schedule as due
    await asyncio.gather(a.run_once(), b.run_once())
    await asyncio.gather(a.run_once(), b.run_once())
    (wave,) = await first.pulses.open_waves("ops")
    assert set(messenger.sent.values()) == {1} and len(messenger.sent) == 60, messenger.sent
    assert {wave_id for wave_id, _ in messenger.sent} == {wave.id}


async def test_only_the_leader_sends_and_the_other_takes_over_when_it_steps_down(
    storages: tuple[Storage, Storage],
    catalogue: dict[str, Survey],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.pulses.runner")
    first, second = storages
    await join(first, 30)
    messenger = Messenger()
    tick = 0.1
    a, b = runners(storages, catalogue, tmp_path, messenger, tick=tick)
    a.start()
    await asyncio.sleep(tick)
    b.start()
    try:
        await first.pulses.open_wave(survey_id="enps", team="ops", reminder_hours=1, open_hours=2)
        await messenger.until(30)
        assert dict(messenger.by_whom) == {"a": 30}, "only the leader sends"
        await a.stop()  # a deploy: the old process stops, the new one carries on
        await second.pulses.open_wave(survey_id="enps", team="ops", reminder_hours=1, open_hours=2)
        await messenger.until(60)
        assert dict(messenger.by_whom) == {"a": 30, "b": 30}
        assert set(messenger.sent.values()) == {1}
    finally:
        await a.stop()
        await b.stop()
    said = [r.getMessage() for r in caplog.records]
    assert (
        said.count("pulses: this process is the leader: it opens, reminds, closes and sends") == 2
    )
    assert said.count("pulses: another process is the leader; this one takes over if it stops") == 1
    assert said.count("pulses: stepped down as leader") == 2, "once each, at its stop"
