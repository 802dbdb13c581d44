"""The schema as numbered steps: `PRAGMA user_version` says how many have run on a file.

Append a step to change the schema; never edit one that has shipped, since databases in the field
have already run it.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: users, responses, answers
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,               -- Telegram user id
        language TEXT,                        -- chosen with /language; wins over Telegram's
        telegram_language TEXT,               -- language_code as Telegram last sent it
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        segment TEXT,                         -- touchpoint or segment from the deep link
        language TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        chat_id INTEGER,                      -- where the survey's live message is
        message_id INTEGER
    );
    CREATE INDEX responses_by_user ON responses(user_id, finished_at, updated_at);
    CREATE INDEX responses_by_survey ON responses(survey_id, finished_at);
    CREATE TABLE answers (
        response_id INTEGER NOT NULL REFERENCES responses(id),
        question_id TEXT NOT NULL,
        value TEXT,                           -- NULL: an optional question skipped
        answered_at TEXT NOT NULL,
        PRIMARY KEY (response_id, question_id)
    ) WITHOUT ROWID;
    """,
)
