"""Team audiences, pulse schedules, waves and deliveries: what a pulse needs to survive a crash.

Every delivery has a state in the database. The sender claims a batch (`claimed`, with its owner
and a lease, in one statement, so two processes on one database never take the same row), marks
each one `sending` as it renews the claim just before the message goes out (committed) and
`sent` after; so a crash re-sends only what was `sending` then, once its lease has run out: at
most as many messages as were in flight.

Who took part in a wave (started, finished) is kept in `participations`, apart from the answers:
it decides reminders and "one response per wave per person", and holds nothing that points at a
response. Once a wave closes, its deliveries and participations are reduced to counts on the
wave and deleted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage.engine import Db, Row, dialect_of
from bot.storage.times import after, stamp, to_the_day, utcnow
from bot.storage.writer import Writer


@dataclass(frozen=True)
class Pulse:
    id: int
    survey_id: str
    team: str
    cadence: str
    local_time: str
    time_zone: str
    reminder_hours: float
    open_hours: float
    next_at: str
    paused: bool
    anchor_day: int | None = None
    """The day of the month monthly and quarterly waves keep (None: the previous wave's)."""
    skipped: int = 0
    """Occasions skipped at the last catch-up after the bot was stopped."""
    skipped_last: str | None = None
    """The latest of them (UTC)."""


@dataclass(frozen=True)
class Wave:
    id: int
    pulse_id: int | None
    survey_id: str
    team: str
    opened_at: str
    remind_at: str
    closes_at: str


@dataclass(frozen=True)
class Delivery:
    wave: Wave
    user_id: int
    kind: str
    attempts: int
    claimed_by: str | None = None
    """The process that claimed it (`to_send`): only that one sends it or records its end."""


_WAVE = "w.id, w.pulse_id, w.survey_id, w.team, w.opened_at, w.remind_at, w.closes_at"
_PULSE = (
    "id, survey_id, team, cadence, local_time, time_zone, reminder_hours, open_hours, next_at,"
    " paused, anchor_day, skipped, skipped_last"
)


def _pulse(row: Row) -> Pulse:
    return Pulse(
        id=row["id"],
        survey_id=row["survey_id"],
        team=row["team"],
        cadence=row["cadence"],
        local_time=row["local_time"],
        time_zone=row["time_zone"],
        reminder_hours=row["reminder_hours"],
        open_hours=row["open_hours"],
        next_at=row["next_at"],
        paused=bool(row["paused"]),
        anchor_day=row["anchor_day"],
        skipped=row["skipped"],
        skipped_last=row["skipped_last"],
    )


class PulseStore:
    def __init__(self, writer: Writer, reads: Db) -> None:
        self._writer = writer
        self._db = writer.db
        self._reads = reads

    async def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """What is committed, on the reads connection (`Opened.reads`), in one call: a read
        left open between two would make the next write on a shared SQLite connection fail
        when another process has committed meanwhile (see Storage)."""
        return list(await self._reads.execute_fetchall(sql, params))

    # invites

    async def invite_secret(self, survey_id: str, team: str) -> str | None:
        """The secret the team's invite link must carry; None: the team has no link."""
        rows = await self._rows(
            "SELECT secret FROM invites WHERE survey_id = ? AND team = ?", (survey_id, team)
        )
        return str(rows[0][0]) if rows else None

    async def set_invite_secret(
        self, survey_id: str, team: str, secret: str, *, replace: bool
    ) -> str:
        """The team's secret as stored: `secret` if the team had none or `replace` (earlier
        links then join nothing), else the one it has, so /link shows the same link again."""
        row = await self._writer.returning(
            """
            INSERT INTO invites (survey_id, team, secret, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (survey_id, team) DO UPDATE SET
                secret = CASE WHEN ? THEN excluded.secret ELSE invites.secret END,
                created_at = CASE WHEN ? THEN excluded.created_at ELSE invites.created_at END
            RETURNING secret
            """,
            (survey_id, team, secret, utcnow(), replace, replace),
        )
        assert row is not None
        return str(row[0])

    # audiences

    async def join(self, team: str, user_id: int, *, most: int) -> bool:
        """Join (or rejoin after /stop or a block): from now on in the team's audience. False,
        changing nothing, when the person is already in `most` other teams (counted and joined
        in one transaction, so two links opened at once cannot both pass the count)."""
        async with self._writer.transaction():
            async with self._db.execute(
                "SELECT count(*) FROM members WHERE user_id = ? AND left_at IS NULL AND team != ?",
                (user_id, team),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and int(row[0]) >= most:
                return False
            await self._db.execute(
                """
                INSERT INTO members (team, user_id, joined_at) VALUES (?, ?, ?)
                ON CONFLICT (team, user_id) DO UPDATE SET left_at = NULL, inactive_at = NULL
                """,
                (team, user_id, utcnow()),
            )
        return True

    async def leave_all(self, user_id: int) -> int:
        """/stop: out of every audience at once; deliveries not yet sent are dropped."""
        async with self._writer.transaction():
            cursor = await self._db.execute(
                "UPDATE members SET left_at = ? WHERE user_id = ? AND left_at IS NULL",
                (utcnow(), user_id),
            )
            # claimed ones too: their sender, renewing the claim just before sending, finds
            # the row dropped and leaves it
            await self._db.execute(
                "UPDATE deliveries SET state = 'dropped', updated_at = ?"
                " WHERE user_id = ? AND state IN ('pending', 'claimed')",
                (utcnow(), user_id),
            )
        return cursor.rowcount

    async def audience_sizes(self) -> dict[str, tuple[int, int]]:
        """team -> (active members, members who left or blocked the bot)."""
        rows = await self._rows(
            "SELECT team, sum(CASE WHEN left_at IS NULL AND inactive_at IS NULL THEN 1 ELSE 0 END),"
            " sum(CASE WHEN left_at IS NULL AND inactive_at IS NULL THEN 0 ELSE 1 END)"
            " FROM members GROUP BY team"
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    async def mark_inactive(self, user_id: int) -> None:
        """A member who blocked the bot: never retried, until they open an invite link again."""
        await self._writer.execute(
            "UPDATE members SET inactive_at = ? WHERE user_id = ? AND inactive_at IS NULL",
            (utcnow(), user_id),
        )

    # pulses (schedules)

    async def add_pulse(
        self,
        *,
        survey_id: str,
        team: str,
        cadence: str,
        local_time: str,
        time_zone: str,
        reminder_hours: float,
        open_hours: float,
        next_at: str,
        anchor_day: int | None = None,
    ) -> int:
        row = await self._writer.returning(
            """
            INSERT INTO pulses (survey_id, team, cadence, local_time, time_zone, reminder_hours,
                                open_hours, next_at, anchor_day)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            (
                *(survey_id, team, cadence, local_time, time_zone, reminder_hours, open_hours),
                *(next_at, anchor_day),
            ),
        )
        assert row is not None
        return int(row[0])

    async def pulses(self) -> list[Pulse]:
        rows = await self._rows(f"SELECT {_PULSE} FROM pulses WHERE deleted_at IS NULL ORDER BY id")
        return [_pulse(row) for row in rows]

    async def set_paused(self, pulse_id: int, paused: bool) -> bool:
        changed = await self._writer.execute(
            "UPDATE pulses SET paused = ? WHERE id = ? AND deleted_at IS NULL",
            (paused, pulse_id),
        )
        return changed == 1

    async def delete_pulse(self, pulse_id: int) -> bool:
        changed = await self._writer.execute(
            "UPDATE pulses SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            (utcnow(), pulse_id),
        )
        return changed == 1

    async def due_pulses(self, now: str) -> list[Pulse]:
        rows = await self._rows(
            f"SELECT {_PULSE} FROM pulses WHERE deleted_at IS NULL AND NOT paused"
            " AND next_at <= ? ORDER BY next_at",
            (now,),
        )
        return [_pulse(row) for row in rows]

    # waves

    async def open_wave(
        self, *, survey_id: str, team: str, reminder_hours: float, open_hours: float
    ) -> tuple[int, int]:
        """A new wave for every active member of the team (one transaction: the wave and its
        deliveries). Returns (wave id, deliveries)."""
        async with self._writer.transaction():
            return await self._open(survey_id, team, reminder_hours, open_hours, None)

    async def open_due_wave(
        self, pulse: Pulse, next_at: str, skipped: tuple[int, str | None]
    ) -> tuple[int, int] | None:
        """The wave of a schedule found due at `pulse.next_at`, and the schedule moved on to
        `next_at` (with the occasions `skipped` on the way), in one transaction. None, opening
        nothing, when the schedule is no longer due there: another process opened the wave
        since, or the schedule was paused or deleted meanwhile. So one occasion opens one
        wave, however many runners saw it due."""
        async with self._writer.transaction():
            if not await self._move_on(pulse, next_at, skipped):
                return None
            return await self._open(
                pulse.survey_id, pulse.team, pulse.reminder_hours, pulse.open_hours, pulse.id
            )

    async def _open(
        self,
        survey_id: str,
        team: str,
        reminder_hours: float,
        open_hours: float,
        pulse_id: int | None,
    ) -> tuple[int, int]:
        now = utcnow()
        async with self._db.execute(
            """
            INSERT INTO waves (pulse_id, survey_id, team, opened_at, remind_at, closes_at)
            VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """,
            (pulse_id, survey_id, team, now, after(reminder_hours), after(open_hours)),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        wave_id = int(row[0])
        cursor = await self._db.execute(
            """
            INSERT INTO deliveries (wave_id, user_id, kind, updated_at)
            SELECT ?, user_id, 'wave', ? FROM members
            WHERE team = ? AND left_at IS NULL AND inactive_at IS NULL
            """,
            (wave_id, now, team),
        )
        count = cursor.rowcount
        return wave_id, count

    async def skip(self, pulse: Pulse, next_at: str, skipped: tuple[int, str | None]) -> bool:
        """A schedule whose occasions all passed while the bot was stopped: no wave, the next
        date, and what was skipped (for /pulse). False when another process moved it first."""
        async with self._writer.transaction():
            return await self._move_on(pulse, next_at, skipped)

    async def _move_on(self, pulse: Pulse, next_at: str, skipped: tuple[int, str | None]) -> bool:
        """The schedule's next date, set only if it is still the one found due (a conditional
        update: of two processes that saw it due, the second changes nothing)."""
        cursor = await self._db.execute(
            "UPDATE pulses SET next_at = ? WHERE id = ? AND next_at = ?"
            " AND deleted_at IS NULL AND NOT paused",
            (next_at, pulse.id, pulse.next_at),
        )
        if cursor.rowcount != 1:
            return False
        if skipped[0]:
            await self._db.execute(
                "UPDATE pulses SET skipped = ?, skipped_last = ? WHERE id = ?",
                (*skipped, pulse.id),
            )
        return True

    async def close_early(self, wave_id: int) -> bool:
        """Bring an open wave's end to now: the runner closes it at its next look."""
        changed = await self._writer.execute(
            "UPDATE waves SET closes_at = ? WHERE id = ? AND closed_at IS NULL AND closes_at > ?",
            (utcnow(), wave_id, utcnow()),
        )
        return changed == 1

    async def open_waves(self, team: str) -> list[Wave]:
        rows = await self._rows(
            f"SELECT {_WAVE} FROM waves w WHERE w.team = ? AND w.closed_at IS NULL ORDER BY w.id",
            (team,),
        )
        return [Wave(*row) for row in rows]

    async def add_delivery(self, wave_id: int, user_id: int, kind: str = "wave") -> bool:
        changed = await self._writer.execute(
            "INSERT INTO deliveries (wave_id, user_id, kind, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (wave_id, user_id, kind, utcnow()),
        )
        return changed == 1

    async def waves_to_remind(self, now: str) -> list[Wave]:
        rows = await self._rows(
            f"SELECT {_WAVE} FROM waves w WHERE w.closed_at IS NULL AND w.reminded_at IS NULL"
            " AND w.remind_at <= ?",
            (now,),
        )
        return [Wave(*row) for row in rows]

    async def wave(self, wave_id: int) -> Wave | None:
        rows = await self._rows(f"SELECT {_WAVE} FROM waves w WHERE w.id = ?", (wave_id,))
        return next((Wave(*row) for row in rows), None)

    async def not_finished(self, wave_id: int) -> list[int]:
        """Members the wave reached who have not finished it: the ones a reminder is for."""
        rows = await self._rows(
            """
            SELECT d.user_id FROM deliveries d
            WHERE d.wave_id = ? AND d.kind = 'wave' AND d.state = 'sent'
              AND NOT EXISTS (SELECT 1 FROM participations p WHERE p.wave_id = d.wave_id
                              AND p.user_id = d.user_id AND p.finished)
            """,
            (wave_id,),
        )
        return [int(row[0]) for row in rows]

    async def participation(self, wave_id: int, user_id: int) -> bool | None:
        """None: the member has not started the wave; else whether they finished it."""
        rows = await self._rows(
            "SELECT finished FROM participations WHERE wave_id = ? AND user_id = ?",
            (wave_id, user_id),
        )
        return next((bool(row[0]) for row in rows), None)

    async def unfinished_waves(self, user_id: int) -> list[Wave]:
        """Open waves the member started and has not finished (their answers go on in the
        wave's message: nothing here says which response is theirs)."""
        rows = await self._rows(
            f"""
            SELECT {_WAVE} FROM participations p JOIN waves w ON w.id = p.wave_id
            WHERE p.user_id = ? AND NOT p.finished AND w.closed_at IS NULL ORDER BY w.id
            """,
            (user_id,),
        )
        return [Wave(*row) for row in rows]

    async def add_reminders(self, wave_id: int, user_ids: Sequence[int]) -> None:
        """The reminder deliveries and the wave marked reminded, together: reminded once."""
        now = utcnow()
        async with self._writer.transaction():
            await self._db.executemany(
                "INSERT INTO deliveries (wave_id, user_id, kind, updated_at)"
                " VALUES (?, ?, 'reminder', ?) ON CONFLICT DO NOTHING",
                [(wave_id, user_id, now) for user_id in user_ids],
            )
            await self._db.execute("UPDATE waves SET reminded_at = ? WHERE id = ?", (now, wave_id))

    async def close_due_waves(self, now: str) -> list[int]:
        """Waves past their end: nothing more is sent, unfinished responses are closed, and who
        was sent what and who took part become counts on the wave (the rows are deleted: kept,
        they would tell early answerers from late ones and name everyone who answered). Returns
        the waves closed here."""
        rows = await self._rows(
            "SELECT id FROM waves WHERE closed_at IS NULL AND closes_at <= ?", (now,)
        )
        ids = [int(row[0]) for row in rows]
        for wave_id in list(ids):
            async with self._writer.transaction():
                cursor = await self._db.execute(
                    """
                    UPDATE waves SET closed_at = :now,
                        delivered = (SELECT count(*) FROM deliveries
                                     WHERE wave_id = :id AND kind = 'wave' AND state = 'sent'),
                        reminded = (SELECT count(*) FROM deliveries
                                    WHERE wave_id = :id AND kind = 'reminder' AND state = 'sent'),
                        started = (SELECT count(*) FROM participations WHERE wave_id = :id),
                        finished = (SELECT count(*) FROM participations
                                    WHERE wave_id = :id AND finished)
                    WHERE id = :id AND closed_at IS NULL
                    """,
                    {"now": utcnow(), "id": wave_id},
                )
                if cursor.rowcount != 1:  # closed meanwhile by another process: its counts stay
                    ids.remove(wave_id)
                    continue
                await self._db.execute("DELETE FROM deliveries WHERE wave_id = ?", (wave_id,))
                await self._db.execute("DELETE FROM participations WHERE wave_id = ?", (wave_id,))
                await self._db.execute(
                    "UPDATE responses SET closed_at = CASE WHEN anonymous THEN ? ELSE ? END,"
                    " closed_reason = 'wave closed'"
                    " WHERE wave_id = ? AND finished_at IS NULL AND closed_at IS NULL",
                    (to_the_day(utcnow()), utcnow(), wave_id),
                )
        return ids

    # deliveries

    async def to_send(
        self, limit: int, *, owner: str = "local", lease: float = 60.0
    ) -> list[Delivery]:
        """Claim up to `limit` deliveries to make for `owner`, for `lease` seconds: oldest wave
        first, members in random order (an order by user id or by joining would be one more
        thing to match answers against). A row is taken if pending, if its claim ran out (its
        owner died; a row it had in flight, `sending`, may have arrived, and is sent again),
        or if `owner` holds it already. One statement claims them all, so two processes on one
        database never claim the same row. (The choice is MATERIALIZED: SQLite would otherwise run the
        subquery once per column of the key, each time with another random order, and claim
        only the rows the runs happen to share.)"""
        now = datetime.now(UTC)
        # PostgreSQL: rows another process is claiming right now are passed over, not waited
        # for and then claimed again (SQLite's write lock lets one claimer in at a time)
        lock = dialect_of(self._db).for_update("d", skip_locked=True)
        async with self._writer.transaction():
            async with self._db.execute(
                f"""
                WITH chosen AS MATERIALIZED (
                    SELECT d.wave_id, d.user_id, d.kind
                    FROM deliveries d JOIN waves w ON w.id = d.wave_id
                    WHERE w.closed_at IS NULL AND (
                        d.state = 'pending' OR d.state IN ('claimed', 'sending') AND (
                            d.lease_until IS NULL OR d.lease_until <= :now
                            OR d.claimed_by = :owner))
                    ORDER BY d.wave_id, d.kind DESC, random() LIMIT :limit{lock})
                UPDATE deliveries SET claimed_by = :owner, lease_until = :until, updated_at = :now,
                    state = CASE state WHEN 'sending' THEN 'sending' ELSE 'claimed' END
                WHERE (wave_id, user_id, kind) IN (SELECT wave_id, user_id, kind FROM chosen)
                RETURNING wave_id, user_id, kind, attempts
                """,
                {
                    "owner": owner,
                    "until": stamp(now + timedelta(seconds=lease)),
                    "now": stamp(now),
                    "limit": limit,
                },
            ) as cursor:
                claimed = list(await cursor.fetchall())
            if not claimed:
                return []
            ids = sorted({int(row[0]) for row in claimed})
            marks = ", ".join("?" * len(ids))
            rows = await self._rows(f"SELECT {_WAVE} FROM waves w WHERE w.id IN ({marks})", ids)
            waves = {int(row[0]): Wave(*row) for row in rows}
        # RETURNING gives the rows in the table's order (by user id): shuffled again here
        claimed.sort(key=lambda row: (row[0], row[2] != "wave", random.random()))
        return [
            Delivery(waves[int(row[0])], int(row[1]), str(row[2]), int(row[3]), owner)
            for row in claimed
        ]

    async def renew(self, delivery: Delivery, lease: float) -> bool:
        """Just before a message goes out: the row marked `sending` (it may reach the member
        from now on) and the claim extended by `lease` seconds from now, if its owner still
        holds it. False: the row is no longer theirs to send (the lease ran out and another
        process took it over, or the member left with /stop)."""
        until = stamp(datetime.now(UTC) + timedelta(seconds=lease))
        changed = await self._writer.execute(
            "UPDATE deliveries SET state = 'sending', lease_until = ?, updated_at = ?"
            " WHERE wave_id = ? AND user_id = ? AND kind = ?"
            " AND state IN ('claimed', 'sending') AND claimed_by IS NOT DISTINCT FROM ?",
            (
                until,
                utcnow(),
                delivery.wave.id,
                delivery.user_id,
                delivery.kind,
                delivery.claimed_by,
            ),
        )
        return changed == 1

    async def queued(self) -> int:
        """Deliveries still to make or in flight, in open waves (what `to_send` would hand out,
        all of them): the pulse queue an operator watches."""
        rows = await self._rows(
            """
            SELECT count(*) FROM deliveries d JOIN waves w ON w.id = d.wave_id
            WHERE d.state IN ('pending', 'claimed', 'sending') AND w.closed_at IS NULL
            """
        )
        return int(rows[0][0])

    async def set_state(self, delivery: Delivery, state: str, *, attempt: bool = False) -> None:
        """What became of a delivery, recorded by the one that claimed it (a row taken over or
        dropped meanwhile is left to its new state) and the claim released."""
        await self._writer.execute(
            "UPDATE deliveries SET state = ?, attempts = attempts + ?, updated_at = ?,"
            " claimed_by = NULL, lease_until = NULL"
            " WHERE wave_id = ? AND user_id = ? AND kind = ?"
            " AND (CAST(? AS TEXT) IS NULL OR state IN ('claimed', 'sending') AND claimed_by = ?)",
            (
                *(state, int(attempt), utcnow(), delivery.wave.id, delivery.user_id),
                *(delivery.kind, delivery.claimed_by, delivery.claimed_by),
            ),
        )
