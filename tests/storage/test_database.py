"""Users, responses and answers, on both engines (a real SQLite file, a real PostgreSQL
database); and what is about the SQLite file itself (permissions, WAL, its schema number)."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.storage import database, sqlite
from bot.storage.database import AlreadyStored, Response, Storage, StorageError, User, reading
from bot.storage.engine import Db
from bot.storage.migrations import MIGRATIONS
from tests.conftest import sql
from tests.postgres import free_port
from tests.storage.conftest import query

NOW = "2026-01-01 10:20:30.456"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reading of the time is one millisecond after the last: order never hangs on a tie."""
    ticks = (f"2026-01-01 10:00:{n // 1000:02d}.{n % 1000:03d}" for n in itertools.count(1))
    monkeypatch.setattr(database, "utcnow", lambda: next(ticks))


async def started(storage: Storage, survey_id: str = "cx-maturity", user_id: int = 7) -> Response:
    await storage.touch_user(user_id, "en")
    return await storage.start_response(
        survey_id=survey_id, respondent=f"u:{user_id}", user_id=user_id, segment=None, language="en"
    )


async def open_id(storage: Storage, survey_id: str | None = None) -> int | None:
    found = await storage.open_response(["u:7"], survey_id)
    return None if found is None else found.id


async def reloaded(storage: Storage, response: Response) -> Response:
    found = await storage.response(response.id)
    assert found is not None
    return found


# the file


async def test_a_new_database_is_at_the_latest_schema(storage: Storage) -> None:
    assert await storage.schema_version() == len(MIGRATIONS)


async def test_a_sqlite_file_reopened_runs_only_the_steps_not_yet_run(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await Storage.open(path)).close()
    step = "CREATE TABLE marker (n INTEGER); INSERT INTO marker VALUES (1);"
    monkeypatch.setattr(sqlite, "MIGRATIONS", (*MIGRATIONS, step))
    for _ in range(2):
        async with await Storage.open(path) as storage:
            assert await storage.schema_version() == len(MIGRATIONS) + 1
    assert query(path, "SELECT count(*) FROM marker") == [(1,)]


async def test_processes_opening_a_new_sqlite_file_at_once_all_migrate_it_once(
    tmp_path: Path,
) -> None:
    """Each open has its own connection and thread, as two processes starting together would:
    each step is run by whoever takes the write lock first, and seen as done by the others."""
    for attempt in range(5):
        path = tmp_path / f"race-{attempt}.sqlite3"
        opened = await asyncio.gather(*(Storage.open(path) for _ in range(4)))
        for storage in opened:
            assert await storage.schema_version() == len(MIGRATIONS)
            await storage.close()


async def test_the_sqlite_journal_is_in_wal_mode(sqlite_storage: Storage, path: Path) -> None:
    assert query(path, "PRAGMA journal_mode") == [("wal",)]


async def test_the_sqlite_file_is_readable_by_its_owner_only(
    sqlite_storage: Storage, path: Path
) -> None:
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_a_new_sqlite_folder_is_its_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "x.sqlite3"
    async with await Storage.open(path):
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


async def test_an_existing_sqlite_file_and_its_folder_are_made_owner_only(tmp_path: Path) -> None:
    """Made by an older version, copied from a backup, or by hand: tightened at the next start."""
    folder = tmp_path / "data"
    path = folder / "x.sqlite3"
    await (await Storage.open(path)).close()
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    for file in companions:
        file.touch()
    for file in (path, *companions):
        file.chmod(0o644)
    folder.chmod(0o755)
    async with await Storage.open(path):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        for file in (path, *companions):
            assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, file


def newer_than_the_code(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")


async def is_open(connection: Db) -> bool:
    try:
        async with connection.execute("SELECT 1"):
            return True
    except ValueError:  # aiosqlite's refusal on a closed connection
        return False


@pytest.fixture
async def connections(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Db]]:
    """Every SQLite connection opened during the test; any left open is closed after it."""
    opened: list[Db] = []
    real_connect = sqlite.connect

    async def recording_connect(*args: Any, **kwargs: Any) -> Db:
        opened.append(await real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite, "connect", recording_connect)
    yield opened
    for connection in opened:
        if await is_open(connection):
            await connection.close()


async def test_a_sqlite_file_newer_than_the_code_is_refused(
    path: Path, connections: list[Db]
) -> None:
    newer_than_the_code(path)
    with pytest.raises(RuntimeError, match="newer than this code"):
        await Storage.open(path)


async def test_a_refused_sqlite_file_is_left_closed(path: Path, connections: list[Db]) -> None:
    newer_than_the_code(path)
    with pytest.raises(RuntimeError):
        await Storage.open(path)
    assert len(connections) == 1
    assert not await is_open(connections[0])


async def test_data_survives_closing_and_reopening(database: Path | str) -> None:
    async with await Storage.open(database) as storage:
        response = await started(storage)
        await storage.set_language(7, "ru")
        await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    async with await Storage.open(database) as storage:
        assert (await reloaded(storage, response)).answers == {"cx-director": "yes"}
        assert (await storage.touch_user(7, "en")).language == "ru"


# users


async def test_a_user_is_recorded_on_first_contact(storage: Storage) -> None:
    assert await storage.touch_user(7, "fr") == User(id=7, language=None, telegram_language="fr")


async def test_a_visit_reads_the_person_and_the_response_their_tap_names(
    storage: Storage,
) -> None:
    response = await started(storage)
    await storage.set_language(7, "ru")
    user, seen = await storage.visit(7, "en", response.id)
    assert user == User(7, language="ru", telegram_language="en")
    assert seen == await storage.response(response.id)
    assert (await storage.visit(7, "en", response.id + 1))[1] is None, "none by that id"
    assert (await storage.visit(8, "fr"))[0] == User(8, language=None, telegram_language="fr")


async def test_touching_an_unchanged_user_returns_them(storage: Storage) -> None:
    await storage.touch_user(7, "fr")
    assert await storage.touch_user(7, "fr") == User(id=7, language=None, telegram_language="fr")


async def test_telegram_language_is_updated_and_a_chosen_language_kept(storage: Storage) -> None:
    await storage.touch_user(7, "fr")
    await storage.set_language(7, "ru")
    assert await storage.touch_user(7, "pt-br") == User(7, language="ru", telegram_language="pt-br")


# responses


async def test_a_started_response_reads_back_the_same(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "utcnow", lambda: NOW)
    await storage.touch_user(7, "en")
    response = await storage.start_response(
        survey_id="nps", respondent="u:7", user_id=7, segment="desk-3", language="fr"
    )
    expected = Response(
        id=response.id,
        survey_id="nps",
        respondent="u:7",
        user_id=7,
        segment="desk-3",
        language="fr",
        started_at=NOW,
        updated_at=NOW,
        finished_at=None,
        closed_at=None,
        cursor=None,
        message_id=None,
        wave_id=None,
        answers={},
    )
    assert response == expected
    assert await storage.response(response.id) == expected


async def test_an_unknown_response_is_none(storage: Storage) -> None:
    assert await storage.response(12345) is None


# answers


async def test_an_answer_is_stored_with_its_value(storage: Storage) -> None:
    response = await started(storage)
    await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    assert (await reloaded(storage, response)).answers == {"cx-director": "yes"}


async def test_a_skip_is_stored_as_none(storage: Storage) -> None:
    response = await started(storage, "nps")
    await storage.record_answer(response, "why-promoter", None, cursor=None, finished=False)
    assert (await reloaded(storage, response)).answers == {"why-promoter": None}


async def test_a_response_is_finished_only_by_a_finishing_answer(
    storage: Storage, clock: None
) -> None:
    response = await started(storage, "nps")
    response = await storage.record_answer(response, "recommend", "9", cursor=None, finished=False)
    assert (await reloaded(storage, response)).finished_at is None
    await storage.record_answer(response, "why-promoter", None, cursor=None, finished=True)
    finished = await reloaded(storage, response)
    assert finished.finished_at is not None
    assert finished.finished_at == finished.updated_at, "finished when the last answer came"
    assert not finished.open


async def test_a_repeated_answer_changes_nothing(storage: Storage, clock: None) -> None:
    response = await started(storage)
    await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    before = (await sql(storage, "SELECT * FROM answers"), await reloaded(storage, response))
    with pytest.raises(AlreadyStored):
        await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    assert await sql(storage, "SELECT question_id, value FROM answers") == [("cx-director", "yes")]
    assert (
        await sql(storage, "SELECT * FROM answers"),
        await reloaded(storage, response),
    ) == before


async def test_a_response_is_read_back_with_every_answer_as_stored(storage: Storage) -> None:
    """The answers travel as one JSON object in the response's row: none, a skipped one (NULL)
    and text with quotes and line breaks come back as they went in, by the tap's read too."""
    response = await started(storage)
    assert (await reloaded(storage, response)).answers == {}
    response = await storage.record_answer(
        response, "cx-director", None, cursor="cx-roles", finished=False
    )
    text = 'Said "later"\nand {left}: ça, 10/10 ✓'
    response = await storage.record_answer(
        response, "cx-roles", text, cursor="cx-budget", finished=False
    )
    expected = {"cx-director": None, "cx-roles": text}
    assert (await reloaded(storage, response)).answers == expected
    _user, seen = await storage.visit(7, "en", response.id)
    assert seen == response and seen is not None and seen.answers == expected


async def test_recording_an_answer_returns_the_response_as_stored(storage: Storage) -> None:
    response = await started(storage)
    after = await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    assert after == await storage.response(response.id)
    assert after.answers == {"cx-director": "yes"}


async def test_a_repeated_answer_stores_nothing_and_says_so_with_the_response(
    storage: Storage,
) -> None:
    response = await started(storage)
    after = await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    with pytest.raises(AlreadyStored) as again:
        await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=False)
    assert again.value.response == after == await storage.response(response.id)


async def test_finishing_returns_the_finished_response(storage: Storage) -> None:
    response = await started(storage)
    after = await storage.record_answer(response, "cx-director", "yes", cursor=None, finished=True)
    assert after.finished
    assert after == await storage.response(response.id)


# the open response


async def test_the_open_response_is_the_most_recently_active(storage: Storage, clock: None) -> None:
    older = await started(storage, "cx-maturity")
    newer = await started(storage, "nps")
    assert await open_id(storage) == newer.id
    await storage.record_answer(older, "cx-director", "no", cursor=None, finished=False)
    assert await open_id(storage) == older.id


async def test_the_open_response_can_be_asked_for_one_survey(storage: Storage, clock: None) -> None:
    cx = await started(storage, "cx-maturity")
    await started(storage, "nps")
    assert await open_id(storage, "cx-maturity") == cx.id
    assert await open_id(storage, "csat") is None


async def test_a_finished_response_is_not_open(storage: Storage, clock: None) -> None:
    cx = await started(storage, "cx-maturity")
    nps = await started(storage, "nps")
    await storage.record_answer(nps, "recommend", "9", cursor=None, finished=True)
    assert await open_id(storage) == cx.id
    await storage.record_answer(cx, "cx-director", "yes", cursor=None, finished=True)
    assert await open_id(storage) is None


async def test_another_respondents_response_is_not_theirs(storage: Storage) -> None:
    await started(storage, user_id=7)
    assert await storage.open_response(["u:8"]) is None


# opening a PostgreSQL database


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://cx:s3cr3t-pw@127.0.0.1:{free_port()}/cxbot",  # nobody listens there
        "postgresql://cx:s3cr3t-pw@127.0.0.1:port/cxbot",
    ],
)
async def test_a_server_that_cannot_be_reached_is_a_storage_error_without_the_password(
    url: str,
) -> None:
    with pytest.raises(StorageError, match=r"^cannot open the database ") as refused:
        await Storage.open(url)
    assert "s3cr3t-pw" not in str(refused.value)


async def test_command_line_reports_read_a_database_on_either_engine(
    database: Path | str,
) -> None:
    async with await Storage.open(database) as storage:
        response = await started(storage, "nps")
        await storage.record_answer(response, "recommend", "9", cursor=None, finished=True)
    async with reading(database) as reports:
        [activity] = await reports.activity()
    assert (activity.survey_id, activity.finished) == ("nps", 1)
