"""`cxbot migrate --to postgresql://...` as an operator runs it: a SQLite file the bot filled,
copied into PostgreSQL, every row the same on both sides; a target that holds rows, a file at
another step and an unreachable server refused in one line."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import asyncpg
import pytest

from bot.storage import database
from bot.storage.copy import Table, converter, copy_order, differences
from bot.storage.database import ANONYMOUS, Storage
from bot.storage.migrations import MIGRATIONS
from bot.storage.updates import Claimed
from tests.postgres import free_port
from tests.telegram.harness import REPO

TEN_DAYS_AGO = datetime.now() - timedelta(days=10)


class Clock:
    """The storage's clock, set back so that the rollup has finished days to fold in."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> str:
        return self.moment.strftime("%Y-%m-%d %H:%M:%S.000")


def cxbot(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "BOT_TOKEN": "", "BOT_USERNAME": "", "DATABASE": str(database)},
        timeout=120,
    )


async def answered(
    storage: Storage, user: int | None, values: list[str | None], *, replace: bool = False
) -> int:
    """A response to nps, with these answers; finished when it has both."""
    response = await storage.start_response(
        survey_id="nps",
        respondent=ANONYMOUS if user is None else f"u:{user}",
        user_id=user,
        segment="desk-1" if user != 3 else None,
        language="en",
        nonce_hash="a1b2" if user is None else None,
    )
    for index, value in enumerate(values):
        response = await storage.record_answer(
            response,
            ("score", "reason")[index],
            value,
            cursor=None,
            finished=index == 1,
            replaces_previous=replace,
        )
    return response.id


async def fill(path: Path) -> None:
    """Every table of the file holds rows, each written the way the bot writes it."""
    clock = Clock(TEN_DAYS_AGO)
    with mock.patch.object(database, "utcnow", clock):
        async with await Storage.open(path) as storage:
            for user in (1, 2, 3, 4):
                await storage.touch_user(user, "en")
            await storage.set_language(2, "fr")
            await answered(storage, 1, ["9", "quick"])
            await answered(storage, 2, ["3"])  # left half-way
            await answered(storage, 3, ["10", None])
            await answered(storage, None, ["7", "anonymous, kept by the day"])
            await answered(storage, None, ["2"])
            clock.moment += timedelta(days=1)
            await answered(storage, 1, ["10", "better"], replace=True)  # a retake replaces

            pulses = storage.pulses
            await pulses.set_invite_secret("enps", "ops", "s3cret", replace=False)
            for user in (1, 2, 4):
                assert await pulses.join("ops", user, most=20)
            pulse = await pulses.add_pulse(
                survey_id="enps",
                team="ops",
                cadence="weekly",
                local_time="09:00",
                time_zone="UTC",
                reminder_hours=24,
                open_hours=72,
                next_at="2099-01-05 09:00:00.000",
            )
            await pulses.set_paused(pulse, True)
            wave_id, _ = await pulses.open_wave(
                survey_id="enps", team="ops", reminder_hours=24, open_hours=72
            )
            for delivery in await pulses.to_send(10):
                await pulses.set_state(delivery, "sent")
            started = await storage.start_in_wave(
                wave_id=wave_id,
                user_id=4,
                survey_id="enps",
                anonymous=True,
                language="en",
                question_id="enps",
                value="8",
                cursor=None,
                finished=False,
                nonce_hash="c3d4",
            )
            assert not isinstance(started, str), started
            assert await storage.claim_update(1001) == Claimed.TAKEN
            await storage.handled_updates([1001])

            clock.moment += timedelta(days=3)
            rolled = await storage.roll_up()
            assert rolled.days, "finished days to fold in"
            await answered(storage, 1, ["4", "worse"], replace=True)  # a rolled-up day goes stale


def tables_of(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as db:
        names = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        ]
        return {name: [c[1] for c in db.execute(f"PRAGMA table_info({name})")] for name in names}


def normalised(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows comparable across the engines: booleans as SQLite's 0/1, in one order."""
    flat = [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]
    return sorted(flat, key=repr)


def file_rows(path: Path, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return normalised(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())


async def pg_rows(url: str, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    pg = await asyncpg.connect(url)
    try:
        return normalised(
            [tuple(r) for r in await pg.fetch(f"SELECT {', '.join(columns)} FROM {table}")]
        )
    finally:
        await pg.close()


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "cxbot.sqlite3"
    asyncio.run(fill(path))
    return path


async def test_every_row_of_every_table_is_the_same_on_postgresql(
    filled: Path, postgres_url: str
) -> None:
    tables = tables_of(filled)
    empty = [table for table, columns in tables.items() if not file_rows(filled, table, columns)]
    assert not empty, "the file holds rows in every table"

    copied = cxbot("migrate", "--to", postgres_url, database=filled)

    assert copied.returncode == 0, copied.stderr
    assert copied.stderr == ""
    for table, columns in tables.items():
        expected = file_rows(filled, table, columns)
        assert await pg_rows(postgres_url, table, columns) == expected, table
        printed = [line.split() for line in copied.stdout.splitlines() if line.split()[0] == table]
        assert printed == [[table, str(len(expected)), str(len(expected))]], copied.stdout


async def test_after_the_copy_new_rows_get_ids_above_the_copied_ones(
    filled: Path, postgres_url: str
) -> None:
    assert cxbot("migrate", "--to", postgres_url, database=filled).returncode == 0
    with closing(sqlite3.connect(filled)) as db:
        [(largest_response,)] = db.execute("SELECT max(id) FROM responses").fetchall()
        [(largest_wave,)] = db.execute("SELECT max(id) FROM waves").fetchall()
    pg = await asyncpg.connect(postgres_url)
    try:
        response = await pg.fetchval(
            "INSERT INTO responses (survey_id, respondent, language, started_at, updated_at)"
            " VALUES ('nps', 'u:1', 'en', '2026-01-01', '2026-01-01') RETURNING id"
        )
        wave = await pg.fetchval(
            "INSERT INTO waves (survey_id, team, opened_at, remind_at, closes_at)"
            " VALUES ('enps', 'ops', '2026-01-01', '2026-01-01', '2026-01-01') RETURNING id"
        )
    finally:
        await pg.close()
    assert response == largest_response + 1
    assert wave == largest_wave + 1


async def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    filled: Path, postgres_url: str
) -> None:
    assert cxbot("migrate", "--to", postgres_url, database=filled).returncode == 0
    tables = tables_of(filled)
    before = {table: await pg_rows(postgres_url, table, cols) for table, cols in tables.items()}

    again = cxbot("migrate", "--to", postgres_url, database=filled)

    assert again.returncode == 1
    [line] = again.stderr.splitlines()
    assert line.startswith("cxbot: ") and "already holds rows" in line and "responses" in line
    after = {table: await pg_rows(postgres_url, table, cols) for table, cols in tables.items()}
    assert after == before


async def test_a_file_at_another_step_is_refused_before_the_target_is_touched(
    tmp_path: Path, postgres_url: str
) -> None:
    old = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(old)) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")

    refused = cxbot("migrate", "--to", postgres_url, database=old)

    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert f"schema {len(MIGRATIONS) - 1}" in line and "cxbot run" in line
    pg = await asyncpg.connect(postgres_url)
    try:
        assert await pg.fetchval("SELECT to_regclass('schema_version')") is None
    finally:
        await pg.close()


def test_an_unreachable_server_is_one_line_without_the_password(filled: Path) -> None:
    unreachable = f"postgresql://cxbot:s3cr3t@127.0.0.1:{free_port()}/cxbot"

    refused = cxbot("migrate", "--to", unreachable, database=filled)

    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("cxbot: cannot open the database postgresql://cxbot@127.0.0.1:")
    assert "s3cr3t" not in refused.stderr + refused.stdout


def test_a_url_that_is_not_postgresql_is_refused(filled: Path) -> None:
    refused = cxbot("migrate", "--to", "mysql://db/cxbot", database=filled)
    assert refused.returncode == 1
    assert refused.stderr.startswith("cxbot: --to takes a postgresql://")


def test_tables_are_copied_after_those_they_reference_and_the_seeded_ones_last() -> None:
    references = [("b", "c"), ("a", "b"), ("a", "a"), ("rollup_state", "x")]
    order = copy_order(["rollup_state", "a", "b", "c", "d"], references)
    assert order[-1] == "rollup_state"
    for table, referenced in references:
        if table != referenced and table != "rollup_state":
            assert order.index(referenced) < order.index(table)
    assert sorted(order) == ["a", "b", "c", "d", "rollup_state"]


def test_only_boolean_columns_become_booleans() -> None:
    table = Table("t", ("id", "flag", "count"), frozenset({"flag"}), "id")
    assert converter(table)((7, 1, 1)) == (7, True, 1)
    assert converter(table)((7, 0, None)) == (7, False, None)
    assert converter(table)((7, None, 0)) == (7, None, 0)


def test_a_column_on_one_side_only_is_named() -> None:
    tables = [Table("users", ("id", "language"), frozenset(), None)]
    found = differences(tables, {"users": ["id", "seen_in"], "extra": ["id"]})
    assert found == [
        "table extra is not in PostgreSQL",
        "users.language is not in the file",
        "users.seen_in is not in PostgreSQL",
    ]
