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
        created_at TEXT NOT NULL
    );
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id TEXT NOT NULL,
        respondent TEXT NOT NULL,             -- 'u:<user id>', or 'a:<keyed hash>' if anonymous
        user_id INTEGER REFERENCES users(id), -- NULL for anonymous surveys
        anonymous INTEGER NOT NULL DEFAULT 0, -- timestamps are kept to the hour only
        segment TEXT,                         -- touchpoint or segment from the deep link
        language TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        closed_at TEXT,                       -- left unfinished for good: expired or restarted
        closed_reason TEXT,
        replaced_by INTEGER REFERENCES responses(id),  -- a newer finished retake (repeat=replace)
        cursor TEXT,                          -- question gone Back to, NULL: next unanswered
        message_id INTEGER                    -- the live survey message in the private chat
    );
    CREATE INDEX responses_by_respondent ON responses(respondent, survey_id, finished_at);
    CREATE INDEX responses_by_survey ON responses(survey_id, finished_at);
    CREATE TABLE answers (
        response_id INTEGER NOT NULL REFERENCES responses(id),
        question_id TEXT NOT NULL,
        value TEXT,                           -- NULL: an optional question skipped
        answered_at TEXT NOT NULL,
        PRIMARY KEY (response_id, question_id)
    ) WITHOUT ROWID;
    """,
    # 2: reports read survey, time, segment and retakes from the index alone (no table lookups)
    """
    CREATE INDEX responses_report ON responses(survey_id, finished_at, segment, replaced_by);
    DROP INDEX responses_by_survey;
    """,
    # 3: pulses: team audiences, schedules, waves and the state of every delivery
    """
    CREATE TABLE members (
        team TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        joined_at TEXT NOT NULL,
        left_at TEXT,                         -- /stop: no more pulses
        inactive_at TEXT,                     -- blocked the bot (403)
        PRIMARY KEY (team, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE pulses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id TEXT NOT NULL,
        team TEXT NOT NULL,
        cadence TEXT NOT NULL,                -- weekly, 2weeks, 4weeks, monthly, quarterly
        local_time TEXT NOT NULL,             -- HH:MM in time_zone
        time_zone TEXT NOT NULL,
        reminder_hours REAL NOT NULL,
        open_hours REAL NOT NULL,
        next_at TEXT NOT NULL,                -- UTC
        paused INTEGER NOT NULL DEFAULT 0,
        deleted_at TEXT
    );
    CREATE TABLE waves (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pulse_id INTEGER REFERENCES pulses(id),  -- NULL: sent once, by hand
        survey_id TEXT NOT NULL,
        team TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        remind_at TEXT NOT NULL,
        reminded_at TEXT,
        closes_at TEXT NOT NULL,
        closed_at TEXT
    );
    CREATE TABLE deliveries (
        wave_id INTEGER NOT NULL REFERENCES waves(id),
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL,                   -- wave, reminder
        state TEXT NOT NULL DEFAULT 'pending',-- pending, sending, sent, blocked, failed, dropped
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (wave_id, user_id, kind)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_to_send ON deliveries(state, wave_id);
    ALTER TABLE responses ADD COLUMN wave_id INTEGER REFERENCES waves(id);
    """,
    # 4: the secret in each team's invite link to a pulse survey (a team name alone joins nothing)
    """
    CREATE TABLE invites (
        survey_id TEXT NOT NULL,
        team TEXT NOT NULL,
        secret TEXT NOT NULL,                 -- in the link; replaced: earlier links join nothing
        created_at TEXT NOT NULL,
        PRIMARY KEY (survey_id, team)
    ) WITHOUT ROWID;
    """,
)
