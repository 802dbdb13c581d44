"""What the database keeps of anonymous answers, read as an attacker holding the file would
(on both engines; what is about the SQLite file's bytes, on SQLite).

Anonymous responses: random ids apart from ordinary ones, no language, message id or time finer
than the day, no hash of the person; a wave's participation apart from its answers, reduced to
counts when the wave closes; and the migration that scrubs rows written before all this.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.pulses import MAX_TEAMS
from bot.storage.database import ANONYMOUS_IDS, Response, ResponseClosed, Storage
from bot.storage.migrations import MIGRATIONS
from tests.conftest import sql
from tests.storage.conftest import query

DAY = " 00:00:00.000"


async def anonymous(storage: Storage, wave_id: int | None = None) -> Response:
    return await storage.start_response(
        survey_id="enps",
        respondent="u:7",  # what a caller may pass: never stored for an anonymous response
        user_id=None,
        segment="sales",
        language="ru",
        wave_id=wave_id,
        nonce_hash="f" * 64,
    )


async def ordinary(storage: Storage, user_id: int) -> Response:
    await storage.touch_user(user_id, "en")
    return await storage.start_response(
        survey_id="nps", respondent=f"u:{user_id}", user_id=user_id, segment=None, language="en"
    )


# ids


async def test_anonymous_ids_are_random_and_apart_from_ordinary_ones(storage: Storage) -> None:
    first = await ordinary(storage, 1)
    made = [(await anonymous(storage)).id for _ in range(20)]
    after = [(await ordinary(storage, 2 + n)).id for n in range(3)]
    assert all(n in ANONYMOUS_IDS for n in made)
    assert made != sorted(made), "the order of creation does not show"  # 1 in 20! by chance
    assert 2**52 < first.id < after[0] < after[1] < after[2] < 2**53, "ordinary ids count up"


async def test_a_random_id_already_taken_is_drawn_again(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws: Iterator[int] = iter([5, 5, 6])
    monkeypatch.setattr(secrets, "randbelow", lambda _n: next(draws))
    one, two = await anonymous(storage), await anonymous(storage)
    assert (one.id, two.id) == (ANONYMOUS_IDS.start + 5, ANONYMOUS_IDS.start + 6)


# what an anonymous response keeps


async def test_an_anonymous_response_keeps_no_person_language_message_or_hour(
    storage: Storage,
) -> None:
    response = await anonymous(storage)
    await storage.set_message(response.id, 4242)
    await storage.record_answer(response, "recommend", "9", cursor=None, finished=True)
    (row,) = await sql(
        storage,
        "SELECT respondent, user_id, language, message_id, nonce_hash, started_at, updated_at,"
        " finished_at FROM responses",
    )
    assert row[:5] == ("anonymous", None, "", None, "f" * 64)
    assert all(t.endswith(DAY) for t in row[5:])
    ((answered,),) = await sql(storage, "SELECT answered_at FROM answers")
    assert answered.endswith(DAY)


async def test_a_closed_anonymous_response_keeps_the_day(storage: Storage) -> None:
    response = await anonymous(storage)
    await storage.close_response(response.id, "expired")
    ((closed,),) = await sql(storage, "SELECT closed_at FROM responses")
    assert closed.endswith(DAY)


# waves: participation apart from answers


class Team:
    """A team of members with a wave delivered to them (`sent`), as the runner leaves it."""

    def __init__(self, storage: Storage, members: list[int]) -> None:
        self.storage = storage
        self.members = members

    async def wave(self, *, sent: list[int] | None = None, hours: float = 1.0) -> int:
        pulses = self.storage.pulses
        for user_id in self.members:
            await self.storage.touch_user(user_id, "en")
            await pulses.join("sales", user_id, most=MAX_TEAMS)
        wave_id, _count = await pulses.open_wave(
            survey_id="enps", team="sales", reminder_hours=hours, open_hours=hours
        )
        for delivery in await pulses.to_send(100):
            if delivery.user_id in (self.members if sent is None else sent):
                await pulses.set_state(delivery, "sent")
        return wave_id

    async def first_answer(
        self, wave_id: int, user_id: int, *, finished: bool = False
    ) -> Response | str:
        return await self.storage.start_in_wave(
            wave_id=wave_id,
            user_id=user_id,
            survey_id="enps",
            anonymous=True,
            language="ru",
            question_id="recommend",
            value="8",
            cursor=None,
            finished=finished,
            nonce_hash="a" * 64,
        )


async def test_the_first_answer_creates_the_response_and_the_participation(
    storage: Storage,
) -> None:
    team = Team(storage, [11, 12])
    wave_id = await team.wave()
    assert await sql(storage, "SELECT count(*) FROM responses") == [(0,)], "nothing at delivery"
    response = await team.first_answer(wave_id, 11)
    assert isinstance(response, Response)
    assert response.answers == {"recommend": "8"} and response.segment == "sales"
    assert response.id in ANONYMOUS_IDS and response.language == ""
    assert await sql(storage, "SELECT wave_id, user_id, finished FROM participations") == [
        (wave_id, 11, 0)
    ]
    assert await sql(storage, "SELECT response_id, value FROM answers") == [(response.id, "8")]


async def test_only_a_member_the_wave_was_sent_to_answers_it_once(storage: Storage) -> None:
    team = Team(storage, [11, 12, 13])
    wave_id = await team.wave(sent=[11, 12])
    assert await team.first_answer(wave_id, 99) == "not invited", "not a member"
    assert await team.first_answer(wave_id, 13) == "not invited", "not sent (yet)"
    assert await team.first_answer(wave_id + 1, 11) == "not invited", "no such wave"
    assert isinstance(await team.first_answer(wave_id, 11), Response)
    assert await team.first_answer(wave_id, 11) == "started"
    done = await team.first_answer(wave_id, 12, finished=True)
    assert isinstance(done, Response) and done.finished
    assert await team.first_answer(wave_id, 12) == "finished"
    assert await sql(storage, "SELECT count(*) FROM responses") == [(2,)]


async def test_a_wave_past_its_end_takes_no_first_answer(storage: Storage) -> None:
    team = Team(storage, [11])
    wave_id = await team.wave(hours=-1)
    assert await team.first_answer(wave_id, 11) == "closed"


async def test_the_last_answer_marks_the_participation_finished(storage: Storage) -> None:
    team = Team(storage, [11, 12])
    wave_id = await team.wave()
    response = await team.first_answer(wave_id, 11)
    assert isinstance(response, Response)
    assert sorted(await storage.pulses.not_finished(wave_id)) == [11, 12]
    assert [w.id for w in await storage.pulses.unfinished_waves(11)] == [wave_id]
    await storage.record_answer(
        response, "why-passive", None, cursor=None, finished=True, participant=11
    )
    assert await storage.pulses.participation(wave_id, 11) is True
    assert await storage.pulses.participation(wave_id, 12) is None
    assert await storage.pulses.not_finished(wave_id) == [12], "the reminder is for 12 only"
    assert await storage.pulses.unfinished_waves(11) == []


async def test_an_answer_arriving_after_its_wave_closed_changes_nothing(storage: Storage) -> None:
    """A tap checked while the wave was open can reach the database after it closed: a released
    wave must stay as it was released, or comparing reports before and after would show it."""
    team = Team(storage, [11])
    wave_id = await team.wave()
    response = await team.first_answer(wave_id, 11)
    assert isinstance(response, Response)
    assert await storage.pulses.close_early(wave_id)
    await storage.pulses.close_due_waves("9999-12-31 00:00:00.000")
    before = (
        await sql(storage, "SELECT * FROM answers"),
        await sql(storage, "SELECT * FROM responses"),
    )
    with pytest.raises(ResponseClosed):
        await storage.record_answer(
            response, "why-passive", "late", cursor=None, finished=True, participant=11
        )
    assert (
        await sql(storage, "SELECT * FROM answers"),
        await sql(storage, "SELECT * FROM responses"),
    ) == before


async def test_a_sqlite_participation_has_no_time_and_no_insertion_order(path: Path) -> None:
    await (await Storage.open(path)).close()
    (sql,) = query(path, "SELECT sql FROM sqlite_master WHERE name = 'participations'")[0]
    columns = [row[1] for row in query(path, "PRAGMA table_info(participations)")]
    assert columns == ["wave_id", "user_id", "finished"]
    assert "WITHOUT ROWID" in sql


async def test_deliveries_go_out_in_random_order(storage: Storage) -> None:
    members = list(range(100, 160))
    await Team(storage, members).wave(sent=[])
    order = [d.user_id for d in await storage.pulses.to_send(100)]
    assert sorted(order) == members and order != members  # 1 in 60! by chance


async def test_a_closed_wave_keeps_counts_only(storage: Storage) -> None:
    pulses = storage.pulses
    team = Team(storage, [11, 12, 13, 14])
    wave_id = await team.wave(sent=[11, 12, 13])
    await team.first_answer(wave_id, 11, finished=True)
    await team.first_answer(wave_id, 12)
    await pulses.add_reminders(wave_id, await pulses.not_finished(wave_id))
    for delivery in await pulses.to_send(100):
        if delivery.kind == "reminder":
            await pulses.set_state(delivery, "sent")
    await sql(storage, "UPDATE waves SET closes_at = '2000-01-01 00:00:00.000'")
    assert await pulses.close_due_waves("2026-01-01 00:00:00.000") == [wave_id]
    assert await sql(storage, "SELECT delivered, reminded, started, finished FROM waves") == [
        (3, 2, 2, 1)
    ]
    for table in ("deliveries", "participations"):
        assert await sql(storage, f"SELECT count(*) FROM {table}") == [(0,)], table
    closed = await sql(
        storage, "SELECT closed_reason, closed_at FROM responses WHERE finished_at IS NULL"
    )
    assert closed == [("wave closed", closed[0][1])] and closed[0][1].endswith(DAY)
    assert await pulses.not_finished(wave_id) == []
    waves = await storage.reports.waves("enps", start="2000-01-01", end="2100-01-01", segment=None)
    assert [(w.delivered, w.finished) for w in waves] == [(3, 1)], "the counts feed the report"


def file_bytes(path: Path) -> bytes:
    """The database as someone who copies it finds it: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


async def test_a_closed_wave_leaves_no_trace_of_its_deliveries_in_the_sqlite_files(
    sqlite_storage: Storage, path: Path
) -> None:
    team = Team(sqlite_storage, [11, 12, 13])
    wave_id = await team.wave()
    await team.first_answer(wave_id, 12, finished=True)
    with closing(sqlite3.connect(path)) as db, db:  # times found nowhere else in the file
        db.execute("UPDATE deliveries SET updated_at = '1999-12-31 23:59:' || user_id || '.123'")
        db.execute("UPDATE waves SET closes_at = '2000-01-01 00:00:00.000'")
    times = [t for (t,) in query(path, "SELECT updated_at FROM deliveries")]
    assert len(times) == 3 and all(t.encode() in file_bytes(path) for t in times)
    await sqlite_storage.pulses.close_due_waves("2026-01-01 00:00:00.000")
    await sqlite_storage.checkpoint()
    raw = file_bytes(path)
    assert not any(t.encode() in raw for t in times), "overwritten, not left in free pages"


# the migration that scrubs what was written before


OLD_ROWS = """
INSERT INTO users (id, language, telegram_language, created_at) VALUES
    (501, NULL, 'ru', '2026-10-01 09:00:00.000'),
    (502, NULL, 'en', '2026-10-01 09:00:00.000'),
    (503, 'fr', 'en', '2026-10-01 10:00:00.000');
INSERT INTO members (team, user_id, joined_at) VALUES
    ('ops', 501, '2026-10-01 09:01:02.345'), ('ops', 502, '2026-10-01 09:03:04.567');
INSERT INTO waves (id, survey_id, team, opened_at, remind_at, reminded_at, closes_at, closed_at)
VALUES
    (1, 'enps', 'ops', '2026-10-02 10:00:00.000', '2026-10-03 10:00:00.000',
     '2026-10-03 10:00:01.000', '2026-10-09 10:00:00.000', '2026-10-09 10:00:02.000'),
    (2, 'enps', 'ops', '2026-10-16 10:00:00.000', '2026-10-17 10:00:00.000', NULL,
     '2999-10-23 10:00:00.000', NULL);
INSERT INTO deliveries (wave_id, user_id, kind, state, updated_at) VALUES
    (1, 501, 'wave', 'sent', '2026-10-02 10:00:00.100'),
    (1, 502, 'wave', 'sent', '2026-10-02 10:00:00.200'),
    (1, 502, 'reminder', 'sent', '2026-10-03 10:00:01.100'),
    (2, 501, 'wave', 'sent', '2026-10-16 10:00:00.100'),
    (2, 502, 'wave', 'sent', '2026-10-16 10:00:00.200');
INSERT INTO responses (id, survey_id, respondent, user_id, anonymous, segment, language,
                       started_at, updated_at, finished_at, closed_at, cursor, message_id,
                       wave_id, replaced_by)
VALUES
    (1, 'enps', 'a:0123456789abcdef0123456789abcdef', NULL, 1, 'ops', 'ru',
     '2026-10-02 10:00:00.000', '2026-10-02 11:00:00.000', '2026-10-02 11:00:00.000', NULL,
     NULL, 77, 1, NULL),
    (2, 'enps', 'a:fedcba9876543210fedcba9876543210', NULL, 1, 'ops', 'en',
     '2026-10-02 10:00:00.000', '2026-10-04 15:00:00.000', '2026-10-04 15:00:00.000', NULL,
     NULL, 78, 1, NULL),
    (3, 'enps', 'a:0123456789abcdef0123456789abcdef', NULL, 1, 'ops', 'ru',
     '2026-10-16 10:00:00.000', '2026-10-16 12:00:00.000', NULL, NULL, NULL, 90, 2, NULL),
    (4, 'cx-maturity', 'u:503', 503, 0, NULL, 'fr', '2026-10-05 08:09:10.111',
     '2026-10-05 08:19:10.111', '2026-10-05 08:19:10.111', NULL, NULL, 12, NULL, 6),
    (5, 'anon-check', 'a:aaaa', NULL, 1, NULL, 'ru', '2026-10-06 08:00:00.000',
     '2026-10-06 09:00:00.000', '2026-10-06 09:00:00.000', NULL, NULL, 13, NULL, NULL),
    (6, 'cx-maturity', 'u:503', 503, 0, NULL, 'fr', '2026-10-07 08:09:10.111',
     '2026-10-07 08:19:10.111', '2026-10-07 08:19:10.111', NULL, NULL, 14, NULL, NULL);
UPDATE responses SET replaced_by = 5 WHERE id = 5;
INSERT INTO answers (response_id, question_id, value, answered_at) VALUES
    (1, 'recommend', '9', '2026-10-02 11:00:00.000'),
    (1, 'why-promoter', 'people', '2026-10-02 11:00:00.000'),
    (2, 'recommend', '3', '2026-10-04 15:00:00.000'),
    (3, 'recommend', '7', '2026-10-16 12:00:00.000'),
    (4, 'q1', 'yes', '2026-10-05 08:19:10.111'),
    (5, 'q1', 'no', '2026-10-06 09:00:00.000');
"""


def old_database(path: Path) -> None:
    """A file as the previous release left it: its migrations, and rows as it wrote them."""
    with closing(sqlite3.connect(path)) as db:
        for number, script in enumerate(MIGRATIONS[:3], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        db.executescript(f"BEGIN;\n{OLD_ROWS}\nCOMMIT;")


async def test_the_sqlite_migration_scrubs_anonymous_rows_of_the_previous_schema(
    path: Path,
) -> None:
    old_database(path)
    async with await Storage.open(path) as storage:
        assert await storage.schema_version() == len(MIGRATIONS)
        next_one = await ordinary(storage, 504)

    rows = query(
        path,
        "SELECT id, survey_id, respondent, language, message_id, started_at, updated_at,"
        " finished_at, closed_at, closed_reason, replaced_by FROM responses WHERE anonymous"
        " ORDER BY survey_id, started_at, finished_at",
    )
    assert len(rows) == 4
    ids = [row[0] for row in rows]
    assert all(n in ANONYMOUS_IDS for n in ids) and len(set(ids)) == 4
    for row in rows:
        assert row[2:5] == ("anonymous", "", None), row
        assert all(t is None or t.endswith(DAY) for t in row[5:9]), row
    by_survey = {(row[1], row[7]): row for row in rows}
    unfinished = by_survey[("enps", None)]
    assert unfinished[9] == "wave closed", "the open wave's response cannot be continued"
    check = by_survey[("anon-check", "2026-10-06" + DAY)]
    assert check[10] == check[0], "replaced_by follows the new id"

    answers = query(
        path,
        "SELECT r.survey_id, r.finished_at, a.question_id, a.value, a.answered_at"
        " FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.anonymous"
        " ORDER BY a.value",
    )
    assert [(a[2], a[3]) for a in answers] == [
        ("recommend", "3"),
        ("recommend", "7"),
        ("recommend", "9"),
        ("q1", "no"),
        ("why-promoter", "people"),
    ], "every answer follows its response"
    assert all(a[4].endswith(DAY) for a in answers)
    assert query(path, "PRAGMA foreign_key_check") == []

    # the ordinary rows are as they were, and new ones count on from 2**52
    assert query(
        path,
        "SELECT id, respondent, language, message_id, started_at, replaced_by FROM responses"
        " WHERE NOT anonymous ORDER BY id",
    )[:2] == [
        (4, "u:503", "fr", 12, "2026-10-05 08:09:10.111", 6),
        (6, "u:503", "fr", 14, "2026-10-07 08:09:10.111", None),
    ]
    assert next_one.id == 2**52 + 1

    # waves: counts stay, who was sent what and when goes
    assert query(path, "SELECT count(*) FROM deliveries") == [(0,)]
    assert query(
        path, "SELECT id, delivered, reminded, finished, closed_at IS NOT NULL FROM waves"
    ) == [(1, 2, 1, 2, 1), (2, 2, 0, 0, 1)]


async def test_the_sqlite_migration_leaves_no_old_value_in_the_file(path: Path) -> None:
    old_database(path)
    await (await Storage.open(path)).close()
    raw = file_bytes(path)
    for gone in (b"0123456789abcdef0123456789abcdef", b"fedcba9876543210", b"a:aaaa"):
        assert gone not in raw, gone


async def test_a_reader_elsewhere_does_not_hold_up_the_sqlite_checkpoint(
    sqlite_storage: Storage, path: Path
) -> None:
    await anonymous(sqlite_storage)
    with closing(sqlite3.connect(path, isolation_level=None)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM responses").fetchall()  # holds a snapshot
        await anonymous(sqlite_storage)
        await asyncio.wait_for(sqlite_storage.checkpoint(), 2)  # left for later, not waited for
        reader.execute("COMMIT")
    await anonymous(sqlite_storage)  # writes go on, with the usual patience
    await sqlite_storage.checkpoint()
    assert (path.parent / f"{path.name}-wal").stat().st_size == 0
