"""Users, responses and answers, in a SQLite file or a PostgreSQL database: the same code and
the same statements on both (bot/storage/engine.py), only the opening differs
(bot/storage/sqlite.py, bot/storage/postgres/opening.py).

Every method that writes commits before it returns, so the caller shows the next screen only
once the answer is on disk. Writes are idempotent where a repeated update could repeat them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from bot.storage.engine import Db, Opened, Params, Row, Step, dialect_of, on_server
from bot.storage.engine import StorageError as StorageError
from bot.storage.pulses import PulseStore
from bot.storage.rollup import RolledUp, behind, moment, roll_up
from bot.storage.sqlite import SqliteFile, read_only
from bot.storage.sqlite import prepare as prepare
from bot.storage.times import stamp, to_the_day, to_the_hour, utcnow
from bot.storage.updates import CLAIM_LEASE, Claimed
from bot.storage.writer import Writer

if TYPE_CHECKING:
    from bot.storage.reports import ReportQueries


class ResponseClosed(Exception):
    """The response was closed before the answer reached it: nothing was stored. A closed
    wave's answers are released to reports and must not change afterwards."""


class AlreadyStored(Exception):
    """The same answer reached the response twice at once (an update delivered again, or taken
    at two processes): the other write stored it, this one stored nothing. Carries the
    response as it stands, for the screen."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.id)
        self.response = response


class Outdated(Exception):
    """The response moved on since the caller read it (another tap of the same person, taken
    by another process at the same moment, got there first): nothing was stored."""


@dataclass(frozen=True)
class User:
    id: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class Response:
    id: int
    survey_id: str
    respondent: str
    user_id: int | None
    segment: str | None
    language: str
    started_at: str
    updated_at: str
    finished_at: str | None
    closed_at: str | None
    cursor: str | None
    message_id: int | None
    wave_id: int | None
    nonce_hash: str | None = None
    """Anonymous responses: sha256 of the nonce their buttons carry, the proof of ownership."""
    revision: int = 0
    """Replaced by a random number at every write that moves the response on (an answer,
    Back): a write lands only on the revision its caller read (`Storage.record_answer`)."""
    answers: dict[str, str | None] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def open(self) -> bool:
        return self.finished_at is None and self.closed_at is None


@dataclass(frozen=True)
class Place:
    """Where a response stands as far as one question is concerned: the cursor, whether it is
    finished, and that question's answer (`answered` False: none yet; a skip is answered with
    None)."""

    cursor: str | None
    finished: bool
    answered: bool
    value: str | None

    @classmethod
    def seen_in(cls, response: Response, question_id: str) -> Place:
        return cls(
            response.cursor,
            response.finished,
            question_id in response.answers,
            response.answers.get(question_id),
        )


def missed(stored: Place | None, target: Place, response_id: int) -> None:
    """Why a write that did not land (the response was no longer at the revision its caller
    read) changes nothing for its caller: it stands already as the write would leave it (the
    same tap delivered twice, or taken at two processes at once). Otherwise, it was closed
    meanwhile (`stored` None: ResponseClosed) or moved on by another writer (Outdated)."""
    if stored is None:
        raise ResponseClosed(response_id)
    if stored != target:
        raise Outdated(response_id)


_revisions = random.Random()  # seeded from the system's randomness


def new_revision() -> int:
    """A response's next revision: random, so that a statement of the write that set it can
    tell that write's own revision from any other (`revision = ?`), whoever wrote before. Only
    unique, never shown nor secret: not drawn from the system's randomness at every tap."""
    return 1 + _revisions.getrandbits(62)


log = logging.getLogger(__name__)

_RESPONSE_KEYS = [
    *("id", "survey_id", "respondent", "user_id", "segment", "language", "started_at"),
    *("updated_at", "finished_at", "closed_at", "cursor", "message_id", "wave_id", "nonce_hash"),
    "revision",
]
_RESPONSE_COLUMNS = ", ".join(_RESPONSE_KEYS)
_RESPONSE_COLUMNS_OF_R = ", ".join(f"r.{key}" for key in _RESPONSE_KEYS)
_ANSWERS = "(SELECT {} FROM answers a WHERE a.response_id = r.id) AS answers"
"""A response's answers in its row, as one JSON object: one row for a response, where a row per
answer cost SQLite's thread a hand-over of the GIL for each (the event loop holds it meanwhile,
and a tap's read waited on it as many times)."""
_RESPONSE_WITH_ANSWERS = (
    f"SELECT {_RESPONSE_COLUMNS_OF_R}, {_ANSWERS} FROM responses r WHERE r.id = ?"
)
"""A response and its answers."""

_VISIT = (
    "SELECT u.id AS u_id, u.language AS u_language, u.telegram_language AS u_telegram_language,"
    f" u.seen_in AS u_seen_in, {_RESPONSE_COLUMNS_OF_R}, {_ANSWERS}"
    " FROM (SELECT CAST(? AS BIGINT) AS user_id, CAST(? AS BIGINT) AS response_id) k"
    " LEFT JOIN users u ON u.id = k.user_id"
    " LEFT JOIN responses r ON r.id = k.response_id"
)
"""A user and a response with its answers, in one row: a tap's reads in one statement, one
round trip on either engine."""


def _response_of(row: Row | None) -> Response | None:
    """The response read by `_RESPONSE_WITH_ANSWERS` or `_VISIT`, or None if there is none."""
    if row is None or row["id"] is None:
        return None
    answers = json.loads(row["answers"] or "{}")
    return Response(**{key: row[key] for key in _RESPONSE_KEYS}, answers=answers)


ANONYMOUS_IDS = range(2**40, 2**52)
"""Anonymous response ids are drawn at random here; ordinary ones count up from 2**52 (the
migration raised the sequence), so neither reveals when an anonymous response was created. All
stay below 2**53, which a JavaScript number holds exactly."""
ANONYMOUS = "anonymous"
"""The `respondent` of every anonymous response: nothing that stands for the person."""

WaveRefusal = Literal["not invited", "closed", "started", "finished"]


Insert = Callable[[str, Params], Awaitable[Row | None]]
"""Runs one INSERT ... RETURNING and gives back its row (None: nothing inserted)."""


async def _row_of(db: Db, sql: str, parameters: Params) -> Row | None:
    """`Insert` inside the caller's transaction."""
    async with db.execute(sql, parameters) as cursor:
        row: Row | None = await cursor.fetchone()
        return row


async def _insert_response(
    insert: Insert,
    *,
    survey_id: str,
    respondent: str,
    user_id: int | None,
    segment: str | None,
    language: str,
    wave_id: int | None,
    nonce_hash: str | None,
) -> Response:
    """A new response; `user_id` None makes it anonymous: a random id, no language, the day only."""
    anonymous = user_id is None
    now = to_the_day(utcnow()) if anonymous else utcnow()
    values = {
        "survey_id": survey_id,
        "respondent": ANONYMOUS if anonymous else respondent,
        "user_id": user_id,
        "anonymous": anonymous,
        "segment": segment,
        "language": "" if anonymous else language,
        "started_at": now,
        "updated_at": now,
        "wave_id": wave_id,
        "nonce_hash": nonce_hash if anonymous else None,
    }
    if anonymous:  # a random id; an ordinary one is the next of the sequence
        values = {"id": 0, **values}
    columns = ", ".join(values)
    while True:
        if anonymous:
            values["id"] = ANONYMOUS_IDS.start + secrets.randbelow(len(ANONYMOUS_IDS))
        row = await insert(
            f"""
            INSERT INTO responses ({columns}) VALUES ({", ".join(f":{key}" for key in values)})
            ON CONFLICT (id) DO NOTHING RETURNING {_RESPONSE_COLUMNS}
            """,
            dict(values),
        )
        if row is not None:  # None: the random id was taken; draw again
            return Response(**dict(row))


async def _forget(db: Db, user_ids: Sequence[int]) -> None:
    """Delete every row about these people, inside the caller's transaction."""
    for user_id in user_ids:
        theirs = "SELECT id FROM responses WHERE NOT anonymous AND (user_id = ? OR respondent = ?)"
        params = (user_id, f"u:{user_id}")
        await db.execute(f"DELETE FROM answers WHERE response_id IN ({theirs})", params)
        await db.execute(
            f"UPDATE responses SET replaced_by = NULL WHERE replaced_by IN ({theirs})", params
        )
        await db.execute(
            "DELETE FROM responses WHERE NOT anonymous AND (user_id = ? OR respondent = ?)",
            params,
        )
        for table in ("members", "deliveries", "participations"):
            await db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
        await db.execute("DELETE FROM users WHERE id = ?", (user_id,))


_MOVED = "UPDATE responses SET {} revision = ? WHERE id = ? AND revision = ? AND closed_at IS NULL"
"""A write that moves a response on: only from the revision its caller read, to its own."""
_IF_MOVED = "EXISTS (SELECT 1 FROM responses WHERE id = ? AND revision = ?)"
"""The condition of the write's other statements: the response is at the write's own
revision, so the first statement landed (it is one transaction: nobody else moved it since)."""


@dataclass(frozen=True)
class Purged:
    """What a retention pass deleted."""

    users: int
    unfinished: int


@asynccontextmanager
async def reading(database: Path | str) -> AsyncIterator[ReportQueries]:
    """Reports from the command line, on a SQLite file (a path) or a PostgreSQL database (a
    URL): read-only, never created, migrated or written here (a bot may be running on it, and
    only the bot migrates it). A database at another schema than this code's is refused rather
    than misread."""
    from bot.storage.reports import ReportQueries

    if on_server(database):
        from bot.storage.postgres.opening import read_only as read_server

        async with read_server(str(database)) as connection:
            yield ReportQueries(connection)
    else:
        async with read_only(Path(database)) as connection:
            yield ReportQueries(connection)


class Storage:
    """The bot's one connection for its writes, and the one for its taps' reads (on SQLite
    the same one).

    A read outside a write transaction is made in one call (`execute_fetchall`), never left
    open across an await: on a shared SQLite connection, an open read holds a snapshot of the
    file, and once another process sharing the file commits, a write there inside that
    snapshot fails at once ("database is locked", without waiting its turn)."""

    def __init__(self, opened: Opened) -> None:
        self._opened = opened
        self._db = opened.db
        self._reads = opened.reads
        self._writer = Writer(opened.db)
        self._reader = opened.reader
        self._report_turn = asyncio.Lock()
        answers = dialect_of(opened.db).answers_object
        self._visit = _VISIT.format(answers)
        self._response = _RESPONSE_WITH_ANSWERS.format(answers)

    @classmethod
    async def open(cls, database: Path | str) -> Storage:
        """Open a SQLite file (a path: created owner-only if missing) or a PostgreSQL database
        (a postgresql:// URL), and bring its schema up to date. What differs between the two
        is in the engine's own module; from here on the code is the same."""
        if on_server(database):
            from bot.storage.postgres.opening import PgServer  # asyncpg only when used

            return cls(await PgServer.open(str(database)))
        return cls(await SqliteFile.open(Path(database)))

    async def close(self) -> None:
        await self._opened.close()

    @property
    def db(self) -> Db:
        """The write connection, for what speaks SQL to the database beside the storage
        (the tests' checks and set-ups)."""
        return self._db

    async def checkpoint(self) -> None:
        """Leave nothing deleted or scrubbed in a log beside the data: on SQLite, the
        write-ahead log moved into the file and emptied (until then it holds every page as
        each transaction left it, and which rows were written together); nothing to do on
        PostgreSQL, whose log is the server's (see PgServer.checkpoint)."""
        async with self._writer.alone() as db:
            await self._opened.checkpoint(db)

    @property
    def pulses(self) -> PulseStore:
        """Audiences, schedules, waves and deliveries."""
        return PulseStore(self._writer, self._reads)

    @property
    def reports(self) -> ReportQueries:
        """The read-only aggregates behind admin summaries and exports, on the read-only
        connection (imported when first asked for, like the other report modules: the bot
        starts without them). In the bot, take them through `report()`."""
        from bot.storage.reports import ReportQueries

        return ReportQueries(self._reader)

    @property
    def report_running(self) -> bool:
        """A report holds its turn now: the next one would wait for it."""
        return self._report_turn.locked()

    @asynccontextmanager
    async def report(self) -> AsyncIterator[ReportQueries]:
        """One report at a time, on the read-only connection, in one read transaction.

        A report reads for seconds on a large database; two at once would share the reading
        thread and take twice as long each, and a burst of them would hold it for minutes. One
        snapshot for the whole report: its figures agree with each other even while answers
        arrive."""
        async with self._report_turn:
            try:
                await self.roll_up(if_behind=True)
            except self._opened.errors as error:  # the report reads the raw rows instead: slower
                log.warning("rollup not brought up to date: %s", error)
            reports = self.reports
            reader = self._reader
            await reader.execute("BEGIN")
            try:
                yield reports
            finally:
                # nothing was written: ending it either way is the same, and a rollback also
                # ends a read left half-done (an export given up, a cancelled report)
                await reader.execute("ROLLBACK")

    async def roll_up(self, until: str | None = None, *, if_behind: bool = False) -> RolledUp:
        """Bring the report rollups up to date: rebuild the days changed since they were rolled
        up, and fold in the responses finished before this hour (UTC), or before `until` (a
        day or a time) if that is earlier. Reports give the same figures either way, only
        faster; each report starts with one (`report()`), which finds nothing to do but once
        an hour and after changes to answers already rolled up. `if_behind`: look first, on a read, and take no
        write lock when there is nothing to do."""
        hour = to_the_hour(utcnow())
        target = min(hour, moment(until)) if until is not None else hour
        if if_behind and not await behind(self._reads, target):
            return RolledUp(days=0, rebuilt=0, until=target)
        return await roll_up(self._writer, target)

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await self._opened.schema_version()

    # users

    async def touch_user(self, user_id: int, telegram_language: str | None) -> User:
        """Record the user on first contact and return what we know of them (`visit`)."""
        user, _ = await self.visit(user_id, telegram_language)
        return user

    async def visit(
        self, user_id: int, telegram_language: str | None, response_id: int | None = None
    ) -> tuple[User, Response | None]:
        """Record the user on first contact and return what we know of them, with the response
        `response_id` (the one a tap is about, None if gone) read in the same call: a tap's
        reads cost one call into the database, not two.

        Read first: on almost every update nothing has changed, and a read takes no write lock.
        What is kept of when they were last seen is the month (`seen_in`), so that RETENTION_DAYS
        can forget people gone quiet: never a time or a day, which could be matched against
        the day kept on an anonymous answer.
        """
        month = utcnow()[:7]
        [row] = await self._reads.execute_fetchall(self._visit, (user_id, response_id))
        response = _response_of(row)
        known = row if row["u_id"] is not None else None
        if (
            known is not None
            and known["u_telegram_language"] == telegram_language
            and known["u_seen_in"] == month
        ):
            user = User(known["u_id"], known["u_language"], known["u_telegram_language"])
            return user, response
        row = await self._writer.returning(
            """
            INSERT INTO users (id, telegram_language, created_at, seen_in) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET telegram_language = excluded.telegram_language,
                                           seen_in = excluded.seen_in
            RETURNING id, language, telegram_language
            """,
            (user_id, telegram_language, to_the_hour(utcnow()), month),
        )
        assert row is not None
        return User(row["id"], row["language"], row["telegram_language"]), response

    async def user(self, user_id: int) -> User | None:
        rows = await self._reads.execute_fetchall(
            "SELECT id, language, telegram_language FROM users WHERE id = ?", (user_id,)
        )
        return next((User(r["id"], r["language"], r["telegram_language"]) for r in rows), None)

    async def forget(self, user_id: int) -> None:
        """/forget: everything the bot knows about the person, in one transaction: their user
        row, team memberships, deliveries and participations, and their responses that are not
        anonymous with the answers. Anonymous responses hold nothing of the person (no id, no
        language, no message), so they stay, and so do the figures released from them."""
        async with self._writer.transaction() as db:
            await _forget(db, [user_id])
        await self.checkpoint()  # the log would still hold the deleted pages

    async def purge(self, before: str) -> Purged:
        """RETENTION_DAYS: unfinished responses untouched since before `before`, and people not
        seen since then, forgotten as with /forget. Someone is not seen since `before` when the
        month they were last seen in ended before `before`'s month began: at worst a month
        late, never early."""
        async with self._writer.transaction() as db:
            async with db.execute(
                "SELECT id FROM users WHERE seen_in IS NOT NULL AND seen_in < ?", (before[:7],)
            ) as cursor:
                users = [int(row[0]) async for row in cursor]
            await _forget(db, users)
            # a wave still open keeps its responses: they end with it
            stale = (
                "SELECT id FROM responses WHERE finished_at IS NULL AND updated_at < ?"
                " AND (wave_id IS NULL OR wave_id IN"
                " (SELECT id FROM waves WHERE closed_at IS NOT NULL))"
            )
            await db.execute(f"DELETE FROM answers WHERE response_id IN ({stale})", (before,))
            # a retake that replaced an earlier response and was then left unfinished: the
            # earlier one is the respondent's latest finished answer again
            await db.execute(
                f"UPDATE responses SET replaced_by = NULL WHERE replaced_by IN ({stale})", (before,)
            )
            cursor = await db.execute(f"DELETE FROM responses WHERE id IN ({stale})", (before,))
            unfinished = cursor.rowcount
        await self.checkpoint()
        return Purged(users=len(users), unfinished=unfinished)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._writer.execute(
            "UPDATE users SET language = ? WHERE id = ?", (language, user_id)
        )

    # responses

    async def start_response(
        self,
        *,
        survey_id: str,
        respondent: str,
        user_id: int | None,
        segment: str | None,
        language: str,
        wave_id: int | None = None,
        nonce_hash: str | None = None,
    ) -> Response:
        """A new response; `user_id` None makes it anonymous (see `_insert_response`). One
        statement, sharing its commit with the answers written at the same moment."""
        return await _insert_response(
            self._writer.returning,
            survey_id=survey_id,
            respondent=respondent,
            user_id=user_id,
            segment=segment,
            language=language,
            wave_id=wave_id,
            nonce_hash=nonce_hash,
        )

    async def start_in_wave(
        self,
        *,
        wave_id: int,
        user_id: int,
        survey_id: str,
        anonymous: bool,
        language: str,
        question_id: str,
        value: str | None,
        cursor: str | None,
        finished: bool,
        nonce_hash: str | None,
    ) -> Response | WaveRefusal:
        """A member's first answer to a wave: the response is created only now, with it.

        One transaction checks that the wave was delivered to this member and is open and that
        they have not started it, marks their participation, creates the response and stores
        the answer, so that two taps (or two devices) cannot give two responses.
        """
        now = utcnow()
        async with self._writer.transaction() as db:
            async with db.execute(
                """
                SELECT w.team, w.closed_at IS NULL AND w.closes_at > ?,
                       EXISTS (SELECT 1 FROM deliveries d WHERE d.wave_id = w.id
                               AND d.user_id = ? AND d.kind = 'wave'
                               AND d.state IN ('sending', 'sent')),
                       (SELECT p.finished FROM participations p
                        WHERE p.wave_id = w.id AND p.user_id = ?)
                FROM waves w WHERE w.id = ? AND w.survey_id = ?
                """,
                (now, user_id, user_id, wave_id, survey_id),
            ) as found:
                row = await found.fetchone()
            if row is None or not row[2]:
                return "not invited"
            if row[3] is not None:
                return "finished" if row[3] else "started"
            if not row[1]:
                return "closed"
            taken = await db.execute(
                "INSERT INTO participations (wave_id, user_id, finished) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (wave_id, user_id, finished),
            )
            if taken.rowcount != 1:  # another process started it since the check above
                return "started"
            response = await _insert_response(
                partial(_row_of, db),
                survey_id=survey_id,
                respondent=f"u:{user_id}",
                user_id=None if anonymous else user_id,
                segment=row[0],
                language=language,
                wave_id=wave_id,
                nonce_hash=nonce_hash,
            )
            stamp = response.started_at
            await db.execute(
                "INSERT INTO answers (response_id, question_id, value, answered_at)"
                " VALUES (?, ?, ?, ?)",
                (response.id, question_id, value, stamp),
            )
            await db.execute(
                "UPDATE responses SET cursor = ?, finished_at = ? WHERE id = ?",
                (cursor, stamp if finished else None, response.id),
            )
        return replace(
            response,
            cursor=cursor,
            finished_at=stamp if finished else None,
            answers={question_id: value},
        )

    async def response(self, response_id: int) -> Response | None:
        """The response with its answers, or None."""
        rows = await self._reads.execute_fetchall(self._response, (response_id,))
        return _response_of(next(iter(rows), None))

    async def open_response(
        self, respondents: Sequence[str], survey_id: str | None = None
    ) -> Response | None:
        """The most recently active unfinished, unclosed response of any of these respondents."""
        marks = ", ".join("?" for _ in respondents)
        query = (
            f"SELECT id FROM responses WHERE respondent IN ({marks})"
            " AND finished_at IS NULL AND closed_at IS NULL"
            + (" AND survey_id = ?" if survey_id else "")
            + " ORDER BY updated_at DESC, id DESC LIMIT 1"
        )
        params = [*respondents, survey_id] if survey_id else list(respondents)
        row = next(iter(await self._reads.execute_fetchall(query, params)), None)
        return None if row is None else await self.response(row["id"])

    async def last_finished(
        self, respondent: str, survey_id: str, before: int | None = None
    ) -> Response | None:
        """The respondent's latest finished response of the survey (older than `before`)."""
        rows = await self._reads.execute_fetchall(
            "SELECT id FROM responses WHERE respondent = ? AND survey_id = ?"
            " AND finished_at IS NOT NULL AND id < ? ORDER BY id DESC LIMIT 1",
            (respondent, survey_id, before if before is not None else 2**62),
        )
        row = next(iter(rows), None)
        return None if row is None else await self.response(row["id"])

    async def record_answer(
        self,
        response: Response,
        question_id: str,
        value: str | None,
        *,
        cursor: str | None,
        finished: bool,
        replaces_previous: bool = False,
        participant: int | None = None,
    ) -> Response:
        """Store (or, after Back, replace) one answer with where the respondent goes next, and
        return the response as it now stands.

        One transaction: the answer, the cursor, the end of the response and, for surveys that
        keep one current response per person, the older responses it replaces; shared with
        the other answers arriving at the same moment (one commit for all, and on SQLite one
        call into its thread: statements only, each conditional on the first). A wave
        response's last answer also marks the `participant`'s participation finished.

        The write lands only on the response's revision the caller read, that is, if nothing
        moved the response since: the first statement checks it and moves the response to a
        revision of its own (on PostgreSQL it waits for a writer holding the row, then finds
        the revision that writer left). When it does not land, it changes nothing, and the
        response as it stands says why (`missed`): already as this write would leave it (the
        same call twice: an update delivered again; AlreadyStored, so the answer is counted
        once), closed meanwhile (expired, its wave closed: ResponseClosed), or moved on by
        another tap taken by another process (Outdated).
        """
        now = to_the_day(utcnow()) if response.anonymous else utcnow()
        revision = new_revision()
        moved = (response.id, revision)
        steps = [
            Step(
                _MOVED.format("updated_at = ?, cursor = ?, finished_at = ?,"),
                (now, cursor, now if finished else None, revision, response.id, response.revision),
            ),
            Step(
                """
                INSERT INTO answers (response_id, question_id, value, answered_at)
                SELECT id, ?, ?, ? FROM responses WHERE id = ? AND revision = ?
                ON CONFLICT (response_id, question_id) DO UPDATE SET
                    value = excluded.value, answered_at = excluded.answered_at
                    WHERE answers.value IS DISTINCT FROM excluded.value
                """,
                (question_id, value, now, *moved),
            ),
        ]
        if finished and response.wave_id is not None and participant is not None:
            steps.append(
                Step(
                    "UPDATE participations SET finished = ? WHERE wave_id = ? AND user_id = ?"
                    f" AND {_IF_MOVED}",
                    (True, response.wave_id, participant, *moved),
                )
            )
        if finished and replaces_previous:
            steps.append(
                Step(
                    "UPDATE responses SET replaced_by = ? WHERE respondent = ? AND survey_id = ?"
                    " AND finished_at IS NOT NULL AND id < ? AND replaced_by IS NULL"
                    f" AND {_IF_MOVED}",
                    (response.id, response.respondent, response.survey_id, response.id, *moved),
                )
            )
        [landed, *_] = await self._writer.write(steps)
        if landed.rowcount != 1:
            target = Place(cursor, finished, True, value)
            raise AlreadyStored(await self._standing(response.id, question_id, target))
        return replace(
            response,
            answers={**response.answers, question_id: value},
            cursor=cursor,
            updated_at=now,
            finished_at=now if finished else None,
            revision=revision,
        )

    async def set_cursor(self, response: Response, cursor: str, *, leaving: str) -> Response:
        """Back: from question `leaving` (the one on the response's screen) to `cursor`, if the
        response is still at the revision the caller read (else as `record_answer`: a tap at
        another process moved it meanwhile, Outdated; closed, ResponseClosed)."""
        revision = new_revision()
        [landed] = await self._writer.write(
            [Step(_MOVED.format("cursor = ?,"), (cursor, revision, response.id, response.revision))]
        )
        if landed.rowcount != 1:
            target = replace(Place.seen_in(response, leaving), cursor=cursor)
            return await self._standing(response.id, leaving, target)
        return replace(response, cursor=cursor, revision=revision)

    async def _standing(self, response_id: int, question_id: str, target: Place) -> Response:
        """After a write that did not land: the response as it stands, read once, when it
        stands as the write would have left it; otherwise `missed` says why not."""
        current = await self.response(response_id)
        stands = None
        if current is not None and current.closed_at is None:
            stands = Place.seen_in(current, question_id)
        missed(stands, target, response_id)
        assert current is not None  # else missed raised ResponseClosed
        return current

    # webhook updates

    async def claim_update(self, update_id: int, lease: float = CLAIM_LEASE) -> Claimed:
        """Take the update for this process, unless it is handled already or another process
        took it less than `lease` seconds ago (`Claimed`). One statement, sharing its commit
        (and its call to the database) with the answers written at the same moment, so that a
        claim costs a tap no sync of its own under load; the read after it comes only for a
        second delivery."""
        now = datetime.now(UTC)
        taken = await self._writer.returning(
            "INSERT INTO processed_updates (update_id, seen_at) VALUES (?, ?)"
            " ON CONFLICT (update_id) DO UPDATE SET seen_at = excluded.seen_at"
            " WHERE processed_updates.handled_at IS NULL"
            " AND processed_updates.seen_at < ? RETURNING update_id",
            (update_id, stamp(now), stamp(now - timedelta(seconds=lease))),
        )
        if taken is not None:
            return Claimed.TAKEN
        rows = await self._reads.execute_fetchall(
            "SELECT handled_at FROM processed_updates WHERE update_id = ?", (update_id,)
        )
        row = next(iter(rows), None)
        return Claimed.BUSY if row is None or row[0] is None else Claimed.HANDLED

    async def handled_updates(self, update_ids: Sequence[int]) -> None:
        """The updates claimed by this process are handled: every later delivery of them, to
        any process, is acknowledged without being handled again."""
        marks = ", ".join("?" for _ in update_ids)
        await self._writer.execute(
            f"UPDATE processed_updates SET handled_at = ? WHERE update_id IN ({marks})",
            (utcnow(), *update_ids),
        )

    async def forget_updates(self, before: str) -> int:
        """The update ids claimed before `before` (Telegram gives up redelivering within a
        day); how many were dropped."""
        return await self._writer.execute(
            "DELETE FROM processed_updates WHERE seen_at < ?", (before,)
        )

    async def close_response(self, response_id: int, reason: str) -> None:
        """Leave an unfinished response for good (expired, started over); its answers stay."""
        now = utcnow()
        await self._writer.execute(
            "UPDATE responses SET closed_at = CASE WHEN anonymous THEN ? ELSE ? END, closed_reason = ?"
            " WHERE id = ? AND finished_at IS NULL AND closed_at IS NULL",
            (to_the_day(now), to_the_hour(now), reason, response_id),
        )

    async def set_message(self, response_id: int, message_id: int) -> None:
        """Remember which message shows the survey, so taps elsewhere are known to be stale
        (never for an anonymous response: a message id is the person's chat's counter)."""
        await self._writer.execute(
            "UPDATE responses SET message_id = ? WHERE id = ? AND NOT anonymous",
            (message_id, response_id),
        )
