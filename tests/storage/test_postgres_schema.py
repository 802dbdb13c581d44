"""The PostgreSQL schema against the throwaway server: migrated once however many replicas start
together, refused when newer than the code, and the same as a SQLite file at the same number:
tables, columns, indexes, and rollup triggers marking the same days stale."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import asyncpg
import pytest

from bot.storage import migrations as sqlite_migrations
from bot.storage.database import Storage, StorageError
from bot.storage.postgres import migrate
from bot.storage.postgres.migrate import MIGRATION_LOCK, schema_version
from bot.storage.postgres.migrations import FIRST, LATEST, MIGRATIONS
from tests.postgres import free_port, with_database

Columns = list[tuple[str, bool]]
"""(name, nullable) in table order"""


async def version_of(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return await schema_version(connection)
    finally:
        await connection.close()


def test_both_engines_end_their_schema_at_the_same_step() -> None:
    assert max(MIGRATIONS) == len(sqlite_migrations.MIGRATIONS)
    assert list(MIGRATIONS) == list(range(min(MIGRATIONS), LATEST + 1))


async def test_an_empty_database_is_migrated_to_the_latest_step_and_a_second_run_does_nothing(
    postgres_url: str,
) -> None:
    assert await version_of(postgres_url) == 0

    assert await migrate(postgres_url) == list(MIGRATIONS)
    assert await version_of(postgres_url) == LATEST

    assert await migrate(postgres_url) == []
    assert await version_of(postgres_url) == LATEST


@asynccontextmanager
async def held_migration_lock(url: str, waiters: int) -> AsyncIterator[None]:
    """Hold the migrations' lock while the body starts `waiters` migrators, and let go only once
    they all wait for it: then they race for it at the same moment, which is what replicas
    starting together do. (Migrators that never wait for the lock time out here.)"""
    holder = await asyncpg.connect(url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        yield
        async with asyncio.timeout(20):
            await all_waiting(holder, waiters)
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await holder.close()


async def all_waiting(connection: asyncpg.Connection, waiters: int) -> None:
    """Polled: the server tells nobody when a session starts waiting for a lock."""
    while True:
        if await connection.fetchval(WAITING) >= waiters:
            return
        await asyncio.sleep(0.02)


WAITING = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def test_four_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    async with held_migration_lock(postgres_url, waiters=4):
        migrators = [asyncio.create_task(migrate(postgres_url)) for _ in range(4)]
    ran = await asyncio.gather(*migrators)

    assert sorted(step for steps in ran for step in steps) == list(MIGRATIONS)
    assert await version_of(postgres_url) == LATEST


MIGRATOR = """
import asyncio, json, sys
from bot.storage.postgres import migrate
print(json.dumps(asyncio.run(migrate(sys.argv[1]))))
"""


async def test_two_processes_starting_together_migrate_once(postgres_url: str) -> None:
    async with held_migration_lock(postgres_url, waiters=2):
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", MIGRATOR, postgres_url, stdout=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))

    assert [process.returncode for process in processes] == [0, 0]
    ran = [step for stdout, _ in outputs for step in json.loads(stdout)]
    assert sorted(ran) == list(MIGRATIONS)
    assert await version_of(postgres_url) == LATEST


async def test_a_database_newer_than_the_code_is_refused_and_left_alone(
    postgres_url: str,
) -> None:
    await migrate(postgres_url)
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute("UPDATE schema_version SET version = $1", LATEST + 1)
    finally:
        await connection.close()
    with_password = postgres_url.replace("postgres@", "postgres:s3cret-word@")

    with pytest.raises(StorageError, match=f"schema {LATEST + 1}, newer than this cxbot") as error:
        await migrate(with_password)

    assert "s3cret-word" not in str(error.value)
    assert await version_of(postgres_url) == LATEST + 1


async def test_a_database_holding_other_tables_is_refused_and_left_as_it_was(
    postgres_url: str,
) -> None:
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute("CREATE TABLE users (name TEXT)")
        with pytest.raises(StorageError, match=f"cannot bring the database .* to schema {FIRST}"):
            await migrate(postgres_url)
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()

    assert [row["table_name"] for row in tables] == ["users"]
    assert await version_of(postgres_url) == 0


async def test_a_server_that_cannot_be_reached_is_named_in_the_error() -> None:
    url = f"postgresql://cxbot:s3cret-word@127.0.0.1:{free_port()}/cxbot"

    with pytest.raises(StorageError, match="cannot open the database") as error:
        await migrate(url)

    assert "postgresql://cxbot@127.0.0.1:" in str(error.value)
    assert "s3cret-word" not in str(error.value)


def sqlite_schema(path: Path) -> tuple[dict[str, Columns], dict[str, tuple[str, list[str]]]]:
    """Tables (name -> columns) and named indexes (name -> table, columns) of a SQLite file."""
    with closing(sqlite3.connect(path)) as db:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {
            name: [
                (column, not (not_null or in_key))
                for _, column, _, not_null, _, in_key in db.execute(f"PRAGMA table_info({name})")
            ]
            for name in names
        }
        indexes = {
            index: (table, [column for _, _, column in db.execute(f"PRAGMA index_info({index})")])
            for index, table in db.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    return tables, indexes


async def postgres_schema(
    url: str,
) -> tuple[dict[str, Columns], dict[str, tuple[str, list[str]]]]:
    connection = await asyncpg.connect(url)
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, is_nullable = 'YES' AS nullable"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        )
        indexes = await connection.fetch(
            """
            SELECT i.relname AS index, t.relname AS table,
                   array_agg(a.attname ORDER BY k.position) AS columns
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            GROUP BY i.relname, t.relname
            """
        )
    finally:
        await connection.close()
    tables: dict[str, Columns] = {}
    for row in columns:
        tables.setdefault(row["table_name"], []).append((row["column_name"], row["nullable"]))
    return tables, {row["index"]: (row["table"], list(row["columns"])) for row in indexes}


async def test_postgresql_has_the_tables_columns_and_indexes_of_a_sqlite_file_at_the_same_step(
    postgres_url: str, tmp_path: Path
) -> None:
    async with await Storage.open(tmp_path / "x.sqlite3") as storage:
        assert await storage.schema_version() == LATEST
    await migrate(postgres_url)

    sqlite_tables, sqlite_indexes = sqlite_schema(tmp_path / "x.sqlite3")
    tables, indexes = await postgres_schema(postgres_url)

    assert set(tables) - set(sqlite_tables) == {"schema_version"}
    for table, columns in sqlite_tables.items():
        assert tables.get(table) == columns, table
    assert sqlite_indexes
    for index, on in sqlite_indexes.items():
        assert indexes.get(index) == on, index


async def test_postgresql_has_the_rollup_triggers_of_a_sqlite_file_on_the_same_tables(
    postgres_url: str, tmp_path: Path
) -> None:
    await (await Storage.open(tmp_path / "x.sqlite3")).close()
    await migrate(postgres_url)
    with closing(sqlite3.connect(tmp_path / "x.sqlite3")) as db:
        in_sqlite = set(
            db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        )
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch(
            "SELECT trigger_name, event_object_table FROM information_schema.triggers"
            " WHERE trigger_schema = 'public'"
        )
    finally:
        await connection.close()

    assert in_sqlite
    assert {(row["trigger_name"], row["event_object_table"]) for row in rows} == in_sqlite


# The same statements, valid on both engines, in steps; after each step the days it marked stale
# are read and cleared. Steps write several rows (one day marked twice in one step, a row moved
# between responses) and some must mark nothing (a day not rolled up, a column reports ignore).
STEPS: list[list[str]] = [
    ["UPDATE rollup_state SET until = '2026-06-10 00:00:00.000'"],
    [
        "INSERT INTO users (id, created_at) VALUES (7, '2026-01-01 00:00:00.000')",
        "INSERT INTO users (id, created_at) VALUES (3000000000, '2026-01-01 00:00:00.000')",
    ],
    [
        "INSERT INTO responses (id, survey_id, respondent, user_id, language, started_at,"
        " updated_at, finished_at) VALUES"
        " (1, 'nps', 'u:7', 7, 'en', '2026-06-01 09:00:00.000', '2026-06-01 09:05:00.000',"
        "  '2026-06-01 09:05:00.000'),"
        " (2, 'nps', 'u:3000000000', 3000000000, 'fr', '2026-06-03 10:00:00.000',"
        "  '2026-06-03 10:01:00.000', '2026-06-03 10:01:00.000'),"
        " (3, 'csat', 'u:7', 7, 'en', '2026-06-12 08:00:00.000', '2026-06-12 08:00:00.000',"
        "  '2026-06-12 08:01:00.000'),"
        " (5, 'csat', 'u:7', 7, 'en', '2026-06-03 11:00:00.000', '2026-06-03 11:00:00.000',"
        "  '2026-06-03 11:02:00.000')",
    ],
    [
        "INSERT INTO responses (id, survey_id, respondent, user_id, language, started_at,"
        " updated_at) VALUES (4, 'nps', 'u:7', 7, 'en', '2026-06-02 09:00:00.000',"
        " '2026-06-02 09:00:00.000')"
    ],
    [
        "INSERT INTO answers (response_id, question_id, value, answered_at) VALUES"
        " (1, 'q1', '9', '2026-06-01 09:01:00.000'), (1, 'q2', 'fine', '2026-06-01 09:02:00.000'),"
        " (2, 'q1', '3', '2026-06-03 10:00:30.000'), (3, 'q1', '5', '2026-06-12 08:00:30.000'),"
        " (4, 'q1', '7', '2026-06-02 09:00:30.000')"
    ],
    ["UPDATE answers SET value = '10' WHERE question_id = 'q1'"],
    ["UPDATE answers SET response_id = 5 WHERE response_id = 4"],
    ["UPDATE responses SET message_id = 42, cursor = 'q1'"],
    ["UPDATE responses SET replaced_by = 2 WHERE id = 1"],
    ["UPDATE responses SET survey_id = 'ces' WHERE id = 3"],
    ["UPDATE responses SET finished_at = '2026-06-05 10:00:00.000' WHERE id = 4"],
    ["UPDATE responses SET finished_at = '2026-06-02 00:00:00.000' WHERE id = 3"],
    ["UPDATE responses SET segment = 'desk-3' WHERE survey_id = 'nps'"],
    ["DELETE FROM answers WHERE response_id = 2"],
    [
        "UPDATE responses SET replaced_by = NULL WHERE replaced_by = 2",
        "DELETE FROM responses WHERE id = 2",
    ],
    ["DELETE FROM answers", "DELETE FROM responses WHERE finished_at IS NULL OR id = 5"],
]

STALE = "SELECT survey_id, day FROM rollup_stale"


def stale_days_in_sqlite(path: Path) -> list[set[tuple[str, str]]]:
    marked = []
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA foreign_keys = ON")
        for step in STEPS:
            for statement in step:
                db.execute(statement)
            marked.append(set(db.execute(STALE).fetchall()))
            db.execute("DELETE FROM rollup_stale")
    return marked


async def stale_days_in_postgresql(url: str) -> list[set[tuple[str, str]]]:
    marked = []
    connection = await asyncpg.connect(url)
    try:
        for step in STEPS:
            for statement in step:
                await connection.execute(statement)
            marked.append({(row["survey_id"], row["day"]) for row in await connection.fetch(STALE)})
            await connection.execute("DELETE FROM rollup_stale")
    finally:
        await connection.close()
    return marked


async def test_the_same_row_changes_mark_the_same_days_stale_on_both_engines(
    postgres_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.sqlite3"
    await (await Storage.open(path)).close()
    await migrate(postgres_url)

    in_sqlite = stale_days_in_sqlite(path)
    in_postgresql = await stale_days_in_postgresql(postgres_url)

    assert sum(1 for days in in_sqlite if days) >= len(STEPS) // 2  # the triggers did fire
    assert sum(1 for days in in_sqlite if not days) >= 3  # and not on everything
    for number, (sqlite_days, postgresql_days) in enumerate(
        zip(in_sqlite, in_postgresql, strict=True)
    ):
        assert postgresql_days == sqlite_days, STEPS[number]


TEAMS = ["a", "B", "_x", "é", "Z9", "z-1", "z 1", "2026-06", "2026-06-01"]
ORDERED = "SELECT team FROM invites ORDER BY team"
BEFORE_A = "SELECT count(*) FROM invites WHERE team < 'a'"


@pytest.fixture
async def icu_database_url(postgres_server: str) -> AsyncIterator[str]:
    """A database whose default collation is an ICU English one, as an operator's may be."""
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(
            "CREATE DATABASE english LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
            " TEMPLATE template0"
        )
        yield with_database(postgres_server, "english")
        await admin.execute("DROP DATABASE english WITH (FORCE)")
    finally:
        await admin.close()


async def test_text_is_compared_and_sorted_as_sqlite_does_whatever_the_database_collation(
    icu_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.sqlite3"
    await (await Storage.open(path)).close()
    await migrate(icu_database_url)
    insert = (
        "INSERT INTO invites (survey_id, team, secret, created_at) VALUES ('enps', {}, 's', 't')"
    )
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for team in TEAMS:
            db.execute(insert.format("?"), (team,))
        in_sqlite = [team for (team,) in db.execute(ORDERED)], db.execute(BEFORE_A).fetchone()[0]
    connection = await asyncpg.connect(icu_database_url)
    try:
        await connection.executemany(insert.format("$1"), [(team,) for team in TEAMS])
        in_postgresql = (
            [row["team"] for row in await connection.fetch(ORDERED)],
            await connection.fetchval(BEFORE_A),
        )
        text_columns = await connection.fetch(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = 'text'"
        )
        english_order = await connection.fetch(
            'SELECT team FROM invites ORDER BY team COLLATE "default"'
        )
    finally:
        await connection.close()

    assert in_postgresql == in_sqlite
    assert [row["team"] for row in english_order] != in_sqlite[0]  # the default would differ
    assert {
        (row["table_name"], row["column_name"])
        for row in text_columns
        if row["collation_name"] != "C"
    } == set()
