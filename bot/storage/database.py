"""Users, responses and answers in one SQLite file.

Every method that writes commits before it returns, so the caller shows the next screen only
once the answer is on disk. Writes are idempotent where a repeated update could repeat them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.storage.migrations import MIGRATIONS


def utcnow() -> str:
    """UTC as SQLite's date functions read it, to the millisecond so that order is kept."""
    return datetime.now(UTC).isoformat(sep=" ", timespec="milliseconds").removesuffix("+00:00")


@dataclass(frozen=True)
class User:
    id: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class Response:
    id: int
    survey_id: str
    user_id: int | None
    segment: str | None
    language: str
    started_at: str
    finished_at: str | None
    chat_id: int | None
    message_id: int | None
    answers: dict[str, str | None] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


_RESPONSE_COLUMNS = (
    "id, survey_id, user_id, segment, language, started_at, finished_at, chat_id, message_id"
)


class Storage:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        """Open (creating, owner-only readable) and bring the schema up to date."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA busy_timeout = 10000")
        await connection.execute("PRAGMA foreign_keys = ON")
        storage = cls(connection)
        await storage._migrate()
        return storage

    async def close(self) -> None:
        await self._db.close()

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
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def _migrate(self) -> None:
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"the database is at schema {version}, newer than this code ({len(MIGRATIONS)})"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    # users

    async def touch_user(self, user_id: int, telegram_language: str | None) -> User:
        """Record the user (first contact or again) and return what we know of them."""
        now = utcnow()
        async with self._db.execute(
            """
            INSERT INTO users (id, telegram_language, created_at, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                telegram_language = excluded.telegram_language, updated_at = excluded.updated_at
            RETURNING id, language, telegram_language
            """,
            (user_id, telegram_language, now, now),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return User(
            id=row["id"], language=row["language"], telegram_language=row["telegram_language"]
        )

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
            (language, utcnow(), user_id),
        )

    # responses

    async def start_response(
        self,
        *,
        survey_id: str,
        user_id: int,
        segment: str | None,
        language: str,
    ) -> Response:
        now = utcnow()
        async with self._db.execute(
            f"""
            INSERT INTO responses (survey_id, user_id, segment, language, started_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?) RETURNING {_RESPONSE_COLUMNS}
            """,
            (survey_id, user_id, segment, language, now, now),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return Response(**dict(row))

    async def response(self, response_id: int) -> Response | None:
        """The response with its answers, or None."""
        async with self._db.execute(
            f"SELECT {_RESPONSE_COLUMNS} FROM responses WHERE id = ?", (response_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        async with self._db.execute(
            "SELECT question_id, value FROM answers WHERE response_id = ?", (response_id,)
        ) as cursor:
            answers = {r["question_id"]: r["value"] async for r in cursor}
        return Response(**dict(row), answers=answers)

    async def open_response(self, user_id: int, survey_id: str | None = None) -> Response | None:
        """The user's most recently active unfinished response (of one survey, if given)."""
        query = (
            "SELECT id FROM responses WHERE user_id = ? AND finished_at IS NULL"
            + (" AND survey_id = ?" if survey_id else "")
            + " ORDER BY updated_at DESC, id DESC LIMIT 1"
        )
        params: tuple[object, ...] = (user_id, survey_id) if survey_id else (user_id,)
        async with self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else await self.response(row["id"])

    async def record_answer(
        self, response_id: int, question_id: str, value: str | None, *, finished: bool
    ) -> bool:
        """Store one answer (and the end of the response) in one transaction.

        False when this question already had an answer: a replayed update stores nothing.
        """
        now = utcnow()
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            cursor = await self._db.execute(
                """
                INSERT INTO answers (response_id, question_id, value, answered_at)
                VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
                """,
                (response_id, question_id, value, now),
            )
            inserted = cursor.rowcount == 1
            if inserted:
                await self._db.execute(
                    "UPDATE responses SET updated_at = ?, finished_at = ? WHERE id = ?",
                    (now, now if finished else None, response_id),
                )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return inserted

    async def set_message(self, response_id: int, chat_id: int, message_id: int) -> None:
        """Remember which message shows the survey, so taps elsewhere are known to be stale."""
        await self._db.execute(
            "UPDATE responses SET chat_id = ?, message_id = ?, updated_at = ? WHERE id = ?",
            (chat_id, message_id, utcnow(), response_id),
        )
