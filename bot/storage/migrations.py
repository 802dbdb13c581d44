"""The schema as numbered steps: `PRAGMA user_version` says how many have run on a file.

Append a step to change the schema; never edit one that has shipped, since databases in the field
have already run it. Add the same step, under the same number, to the PostgreSQL schema
(bot/storage/postgres/migrations.py): a test fails while the two lists end at different numbers.
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
    # 5: nothing stored links an anonymous answer to a person. Anonymous responses get random
    # ids in [2**40, 2**52) (ordinary ones continue above 2**52, so their ids say nothing of
    # when an anonymous one came), carry no language, message or hash of the person, and keep
    # no time finer than the day; a hash of the nonce in their buttons proves ownership.
    # Participation in a wave (started, finished) is kept apart from answers, without time or
    # insertion order, and a closed wave keeps only counts of its deliveries, reminders and
    # participation. Waves still open with anonymous responses are closed: those responses
    # were keyed by a hash of the person and cannot be continued without it.
    """
    PRAGMA defer_foreign_keys = ON;
    ALTER TABLE responses ADD COLUMN nonce_hash TEXT;  -- sha256 of an anonymous response's nonce
    CREATE TABLE participations (
        wave_id INTEGER NOT NULL REFERENCES waves(id),
        user_id INTEGER NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0,  -- a row at all: started
        PRIMARY KEY (wave_id, user_id)
    ) WITHOUT ROWID;
    ALTER TABLE waves ADD COLUMN delivered INTEGER;  -- counts, set when the wave closes and its
    ALTER TABLE waves ADD COLUMN reminded INTEGER;   -- delivery and participation rows go
    ALTER TABLE waves ADD COLUMN started INTEGER;
    ALTER TABLE waves ADD COLUMN finished INTEGER;

    UPDATE waves SET closed_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE closed_at IS NULL
      AND id IN (SELECT wave_id FROM responses WHERE anonymous = 1 AND wave_id IS NOT NULL);
    UPDATE responses SET closed_at = strftime('%Y-%m-%d 00:00:00.000', 'now'),
                         closed_reason = 'wave closed'
    WHERE finished_at IS NULL AND closed_at IS NULL
      AND wave_id IN (SELECT id FROM waves WHERE closed_at IS NOT NULL);
    UPDATE waves SET
        delivered = (SELECT count(*) FROM deliveries d
                     WHERE d.wave_id = waves.id AND d.kind = 'wave' AND d.state = 'sent'),
        reminded = (SELECT count(*) FROM deliveries d
                    WHERE d.wave_id = waves.id AND d.kind = 'reminder' AND d.state = 'sent'),
        started = (SELECT count(DISTINCT a.response_id) FROM responses r
                   JOIN answers a ON a.response_id = r.id WHERE r.wave_id = waves.id),
        finished = (SELECT count(*) FROM responses r
                    WHERE r.wave_id = waves.id AND r.finished_at IS NOT NULL)
    WHERE closed_at IS NOT NULL;
    DELETE FROM deliveries WHERE wave_id IN (SELECT id FROM waves WHERE closed_at IS NOT NULL);

    CREATE TEMP TABLE moved (old INTEGER PRIMARY KEY, new INTEGER NOT NULL UNIQUE);
    INSERT OR IGNORE INTO moved (old, new)
        SELECT id, 1099511627776 + abs(random() % 4502500115742720)
        FROM responses WHERE anonymous = 1;
    INSERT OR IGNORE INTO moved (old, new)  -- again for the rare draw that collided
        SELECT id, 1099511627776 + abs(random() % 4502500115742720)
        FROM responses WHERE anonymous = 1 AND id NOT IN (SELECT old FROM moved);
    INSERT INTO moved (old, new)  -- a third collision fails the step: retried at the next start
        SELECT id, 1099511627776 + abs(random() % 4502500115742720)
        FROM responses WHERE anonymous = 1 AND id NOT IN (SELECT old FROM moved);
    UPDATE answers SET
        response_id = (SELECT new FROM moved WHERE old = answers.response_id),
        answered_at = substr(answered_at, 1, 10) || ' 00:00:00.000'
    WHERE response_id IN (SELECT old FROM moved);
    UPDATE responses SET replaced_by = (SELECT new FROM moved WHERE old = responses.replaced_by)
    WHERE replaced_by IN (SELECT old FROM moved);
    UPDATE responses SET
        id = (SELECT new FROM moved WHERE old = responses.id),
        respondent = 'anonymous',
        language = '',
        message_id = NULL,
        started_at = substr(started_at, 1, 10) || ' 00:00:00.000',
        updated_at = substr(updated_at, 1, 10) || ' 00:00:00.000',
        finished_at = substr(finished_at, 1, 10) || ' 00:00:00.000',
        closed_at = substr(closed_at, 1, 10) || ' 00:00:00.000'
    WHERE id IN (SELECT old FROM moved);
    DROP TABLE moved;

    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'responses', 0 WHERE NOT EXISTS
            (SELECT 1 FROM sqlite_sequence WHERE name = 'responses');
    UPDATE sqlite_sequence SET seq = max(seq, 4503599627370496) WHERE name = 'responses';
    """,
    # 6: the month a person was last seen, so that people gone quiet can be forgotten after
    # RETENTION_DAYS. A month, not a day or a time: a last-seen day could be matched against the
    # day kept on anonymous answers. People already known count as seen now (never forgotten
    # early).
    """
    ALTER TABLE users ADD COLUMN seen_in TEXT;  -- 'YYYY-MM', UTC
    UPDATE users SET seen_in = strftime('%Y-%m', 'now');
    """,
    # 7: a monthly schedule keeps its day of the month (the 31st, not the 28th for good after
    # February), and a schedule remembers the occasions it skipped while the bot was stopped
    """
    ALTER TABLE pulses ADD COLUMN anchor_day INTEGER;  -- 1-31, local; NULL: the previous day
    ALTER TABLE pulses ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;  -- at the last catch-up
    ALTER TABLE pulses ADD COLUMN skipped_last TEXT;  -- UTC: the latest occasion skipped
    """,
    # 8: summaries read from rollups: answer and response counts per day x survey x segment x
    # wave x question x value, and the same per week and per month once it is over (a year is
    # read as 12 months and a few days), for the responses finished before `rollup_state.until`
    # (the start of an hour); reports add the raw rows of later ones. A change to a response or an answer of a rolled-up day
    # (a retake replacing it, /forget, an answer changed) marks that survey's day stale in the
    # same transaction, by the triggers below (NOT EXISTS rather than OR IGNORE: an upsert that
    # fires a trigger imposes its own conflict policy on the trigger's statements). Reports read
    # a stale day from the raw rows until the next roll-up rebuilds it (so does an anonymous
    # response finished today: it is stamped with the day, before `until`). Existing databases
    # start with nothing rolled up.
    """
    CREATE TABLE rollup_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        until TEXT NOT NULL                   -- responses finished before it are rolled up
    );
    INSERT INTO rollup_state (id, until) VALUES (1, '0000-01-01 00:00:00.000');
    CREATE TABLE rollup_stale (
        survey_id TEXT NOT NULL,
        day TEXT NOT NULL,                    -- read from the raw rows until rebuilt
        PRIMARY KEY (survey_id, day)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_answers (            -- answers of finished, current responses
        survey_id TEXT NOT NULL,
        span TEXT NOT NULL,                   -- day, week (as strftime %W cuts them) or month
        day TEXT NOT NULL,                    -- the span's first day, of finished_at
        segment TEXT,
        wave_id INTEGER,
        question_id TEXT NOT NULL,
        value TEXT,
        n INTEGER NOT NULL
    );
    -- question first: a summary reads its counted questions' rows only, however many rows
    -- the typed comments of other questions make (one per distinct text); and the latest day
    -- with a comment is one seek
    CREATE INDEX rollup_answers_read
        ON rollup_answers(survey_id, question_id, span, day, segment, value, wave_id, n);
    CREATE INDEX rollup_answers_days ON rollup_answers(survey_id, span, day);  -- roll-ups
    CREATE TABLE rollup_responses (          -- finished responses, replaced ones too
        survey_id TEXT NOT NULL,
        span TEXT NOT NULL,
        day TEXT NOT NULL,
        segment TEXT,
        wave_id INTEGER,
        current INTEGER NOT NULL,             -- not replaced by a retake
        yes INTEGER NOT NULL,                 -- how many of its answers are 'yes'
        answered INTEGER NOT NULL,            -- how many answers it has
        n INTEGER NOT NULL
    );
    CREATE INDEX rollup_responses_read
        ON rollup_responses(survey_id, span, day, current, answered, yes, segment, wave_id, n);

    CREATE TRIGGER rollup_answer_added AFTER INSERT ON answers BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT r.survey_id, substr(r.finished_at, 1, 10) FROM responses r
        WHERE r.id = NEW.response_id AND r.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = r.survey_id
                          AND s.day = substr(r.finished_at, 1, 10));
    END;
    CREATE TRIGGER rollup_answer_changed AFTER UPDATE ON answers BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT r.survey_id, substr(r.finished_at, 1, 10) FROM responses r
        WHERE r.id IN (OLD.response_id, NEW.response_id)
          AND r.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = r.survey_id
                          AND s.day = substr(r.finished_at, 1, 10))
        GROUP BY 1, 2;
    END;
    CREATE TRIGGER rollup_answer_deleted AFTER DELETE ON answers BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT r.survey_id, substr(r.finished_at, 1, 10) FROM responses r
        WHERE r.id = OLD.response_id AND r.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = r.survey_id
                          AND s.day = substr(r.finished_at, 1, 10));
    END;
    CREATE TRIGGER rollup_response_added AFTER INSERT ON responses
    WHEN NEW.finished_at IS NOT NULL BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT NEW.survey_id, substr(NEW.finished_at, 1, 10)
        WHERE NEW.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = NEW.survey_id
                          AND s.day = substr(NEW.finished_at, 1, 10));
    END;
    CREATE TRIGGER rollup_response_changed
    AFTER UPDATE OF id, survey_id, segment, wave_id, finished_at, replaced_by ON responses
    WHEN OLD.finished_at IS NOT NULL OR NEW.finished_at IS NOT NULL BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT OLD.survey_id, substr(OLD.finished_at, 1, 10)
        WHERE OLD.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = OLD.survey_id
                          AND s.day = substr(OLD.finished_at, 1, 10));
        INSERT INTO rollup_stale (survey_id, day)
        SELECT NEW.survey_id, substr(NEW.finished_at, 1, 10)
        WHERE NEW.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = NEW.survey_id
                          AND s.day = substr(NEW.finished_at, 1, 10));
    END;
    CREATE TRIGGER rollup_response_deleted AFTER DELETE ON responses
    WHEN OLD.finished_at IS NOT NULL BEGIN
        INSERT INTO rollup_stale (survey_id, day)
        SELECT OLD.survey_id, substr(OLD.finished_at, 1, 10)
        WHERE OLD.finished_at < (SELECT until FROM rollup_state)
          AND NOT EXISTS (SELECT 1 FROM rollup_stale s WHERE s.survey_id = OLD.survey_id
                          AND s.day = substr(OLD.finished_at, 1, 10));
    END;
    """,
    # 9: the running month (the month of `rollup_state.until`) gets its month rows too, kept
    # current up to `until` as today's day rows are, so a report over all time or a quarter
    # reads months only, not the days of the running month. Here they are summed from the day
    # rows already there.
    """
    INSERT INTO rollup_answers (survey_id, span, day, segment, wave_id, question_id, value, n)
    SELECT d.survey_id, 'month', substr(s.until, 1, 7) || '-01', d.segment, d.wave_id,
           d.question_id, d.value, sum(d.n)
    FROM rollup_answers d, rollup_state s
    WHERE d.span = 'day' AND d.day >= substr(s.until, 1, 7) || '-01' AND s.until > '0001'
    GROUP BY d.survey_id, d.segment, d.wave_id, d.question_id, d.value;
    INSERT INTO rollup_responses
        (survey_id, span, day, segment, wave_id, current, yes, answered, n)
    SELECT d.survey_id, 'month', substr(s.until, 1, 7) || '-01', d.segment, d.wave_id,
           d.current, d.yes, d.answered, sum(d.n)
    FROM rollup_responses d, rollup_state s
    WHERE d.span = 'day' AND d.day >= substr(s.until, 1, 7) || '-01' AND s.until > '0001'
    GROUP BY d.survey_id, d.segment, d.wave_id, d.current, d.yes, d.answered;
    """,
    # 10: a delivery is claimed by one process (`state` 'claimed', then 'sending' just before
    # the message goes out; its owner and how long the claim lasts), so two processes on one
    # database never take the same row; past the lease, the owner is taken for dead and
    # another process may take the row over
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;   -- the process sending it
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;  -- UTC; NULL or past: free to take over
    """,
    # 11: the webhook's update ids already taken, by any process on this database: a second
    # delivery of an update (Telegram's retry, reaching another replica) is refused by the
    # primary key. Kept a day (`seen_at`, indexed for that pruning).
    """
    CREATE TABLE processed_updates (
        update_id INTEGER PRIMARY KEY,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX processed_updates_by_age ON processed_updates(seen_at);
    """,
    # 12: an update is acknowledged to Telegram only once handled, so its claim is a lease:
    # `handled_at` NULL and `seen_at` older than the lease, the claimer is taken for dead and
    # a redelivery may be taken by another process; once set, every redelivery is dropped
    """
    ALTER TABLE processed_updates ADD COLUMN handled_at TEXT;  -- UTC; NULL: not handled yet
    """,
    # 13: a response's revision, replaced by a random number at every write that moves it on
    # (an answer, Back): a write lands only on the revision its caller read, checked by the
    # same statement that moves it, so a tap's transaction needs no read before its writes
    """
    ALTER TABLE responses ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    """,
)
