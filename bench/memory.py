"""Memory: the bot's RSS with 100,000 users known and 10,000 surveys in progress, against its
RSS with 100 users (10 in progress), after the same traffic.

A person's progress lives in SQLite, not in the process: the ratio should stay near 1 however
many people the database knows. Each database is seeded straight into the bot's schema, then
the bot serves the same number of people taking the 10-question load survey to the end (known
people, many with a survey in progress; 100 at a time). Printed: peak and final RSS of each,
and the ratios.

    ./dev bench memory [--known 100000] [--in-progress 10000] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bots import START, rss_mb, spawn, surveys_folder
from bench.load.run import Latencies, user
from bot.storage.database import Storage
from tests.telegram.harness import TOKEN
from tests.telegram.standin import BotApiStandIn

AT_ONCE = 100
NOW = "2026-11-01 09:00:00.000"


async def seed(database: Path, known: int, in_progress: int) -> None:
    """Users 1..known; the first `in_progress` have the load survey open at its 4th question."""
    await (await Storage.open(database)).close()  # the schema, as the bot makes it
    with closing(sqlite3.connect(database)) as db, db:
        db.executemany(
            "INSERT INTO users (id, telegram_language, created_at) VALUES (?, 'en', ?)",
            ((n, NOW) for n in range(1, known + 1)),
        )
        db.executemany(
            "INSERT INTO responses (id, survey_id, respondent, user_id, language, started_at,"
            " updated_at) VALUES (?, 'load', ?, ?, 'en', ?, ?)",
            ((n, f"u:{n}", n, NOW, NOW) for n in range(1, in_progress + 1)),
        )
        db.executemany(
            "INSERT INTO answers (response_id, question_id, value, answered_at) VALUES (?, ?, ?, ?)",
            ((n, f"q{q}", "7", NOW) for n in range(1, in_progress + 1) for q in (1, 2, 3)),
        )


async def measure(folder: Path, known: int, in_progress: int, sessions: int) -> tuple[float, float]:
    """Peak and final RSS (MB) after `sessions` people took the survey to the end."""
    database = folder / f"memory-{known}.sqlite3"
    await seed(database, known, in_progress)
    api = BotApiStandIn(TOKEN)
    await api.start()
    process = await spawn("cxbot", api, database, surveys_folder(folder))
    people = [1 + n % known for n in range(sessions)]  # with 100 known, each comes back often
    for first in range(0, sessions, AT_ONCE):
        batch = people[first : first + AT_ONCE]
        await asyncio.gather(*(user(api, person, START["cxbot"], Latencies()) for person in batch))
    peak, final = rss_mb(process.pid, "VmHWM"), rss_mb(process.pid, "VmRSS")
    process.terminate()
    await process.wait()
    await api.stop()
    return peak, final


async def main(known: int, in_progress: int, sessions: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        small = await measure(Path(folder), 100, 10, sessions)
        large = await measure(Path(folder), known, in_progress, sessions)
    print(f"{sessions} people took the 10-question survey, {AT_ONCE} at a time")
    print(f"{'database':<40}{'peak RSS MB':>12}{'final RSS MB':>14}")
    print(f"{'100 users, 10 in progress':<40}{small[0]:>12.1f}{small[1]:>14.1f}")
    print(
        f"{f'{known:,} users, {in_progress:,} in progress':<40}{large[0]:>12.1f}{large[1]:>14.1f}"
    )
    print(f"ratio: peak {large[0] / small[0]:.2f}, final {large[1] / small[1]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--known", type=int, default=100_000)
    parser.add_argument("--in-progress", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.known, arguments.in_progress, arguments.sessions))
