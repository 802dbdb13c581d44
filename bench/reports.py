"""Admin reports on a large database: 1,000,000 answers across surveys, segments and a year.

First the database is filled (straight with sqlite3) and rolled up as the running bot would
have (`Storage.roll_up`; the time it took is printed). Then the dashboard: the overview (every
survey with responses: its summary for the last 90 days and the 90 before), a survey over all
time, a segment, a compare of 3 segments, and `/summary nps` (text), each as the bot answers it
(in `Storage.report()`, from the rollups), medians of several runs. Give several sizes
(`--answers 1000000 10000000`) for a table of the dashboard at each and the ratio of the last
size to the first.

Times, as medians of several runs in one process: /summary for nps (all, 90d, one segment),
text only; the chart, apart; /export of nps to CSV; and, as the yardstick, one plain SQL
aggregate over the same rows. Prints the ratio of each summary to that aggregate.

Then what a person answering meanwhile waits: a tap-like write (read the response, store an
answer, commit) timed while `/summary nps all` and `/export nps` run, with the reports on the
bot's one connection (as before) and on their own read-only connection (as now), against the
same tap with no report running. Prints the medians and the ratios.

With `--windows`, what a window of days costs with and without its ends cut inside a day:
the overview's two windows (the last 90 days and the 90 before) to the second, as `90d` is
read today, and from midnight UTC (whole days) as the alternative; and how many hour rows this
data would need (rollups by hour are the other way to keep windows to the second flat).

    ./dev bench reports [--answers 1000000 [10000000 ...]] [--runs 7] [--keep FILE [FILE ...]]
                        [--dashboard-only] [--windows]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiosqlite
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config
from bot.i18n import use_language
from bot.reports.chart import render_chart
from bot.reports.export import write_csv
from bot.reports.periods import LATEST, Period, parse_period
from bot.reports.summary import build_summary
from bot.reports.text import summary_text
from bot.storage.database import Storage
from bot.storage.reports import RawReportQueries, ReportQueries
from bot.survey.loader import load_catalogue
from bot.survey.model import Survey
from bot.usecases import admin
from bot.usecases.admin import SummaryRequest
from bot.usecases.deps import Deps
from bot.web.api import add_routes
from bot.web.initdata import signature

SEGMENTS = [f"desk-{n}" for n in range(1, 21)]
MATURITY = [q.id for q in load_catalogue(Path("bot/surveys"))["cx-maturity"].questions]
"""The self-assessment's own statements, so that its summary finds its answers."""
# share of responses, and how many answers each carries on average
MIX = {
    "nps": (0.62, 1.7),
    "csat": (0.25, 2.0),
    "five-promises": (0.10, 5.5),
    "cx-maturity": (0.03, 32),
}


def fill(path: Path, answers: int, seed: int = 7) -> int:
    """Write the rows straight with sqlite3: the bot's schema, realistic values, no bot needed."""
    random.seed(seed)
    asyncio.run(_create(path))
    now = datetime.now(UTC)
    per_response = sum(share * size for share, size in MIX.values())
    total_responses = int(answers / per_response)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    responses: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    written = 0
    rid = 0
    for survey, (share, _size) in MIX.items():
        for _ in range(int(total_responses * share)):
            rid += 1
            when = now - timedelta(seconds=random.randrange(365 * 86400))
            stamp = when.strftime("%Y-%m-%d %H:%M:%S.000")
            responses.append(
                (rid, survey, f"u:{rid}", rid, random.choice(SEGMENTS), "en", stamp, stamp, stamp)
            )
            for question, value in _answers(survey):
                rows.append((rid, question, value, stamp))
            if len(rows) > 200_000:
                written += _flush(db, responses, rows)
    written += _flush(db, responses, rows)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return written


async def _create(path: Path) -> None:
    """The bot's own schema, by opening the file as the bot does."""
    storage = await Storage.open(path)
    await storage.close()


def _flush(
    db: sqlite3.Connection, responses: list[tuple[object, ...]], rows: list[tuple[object, ...]]
) -> int:
    db.executemany(
        "INSERT INTO responses (id, survey_id, respondent, user_id, segment, language, started_at,"
        " updated_at, finished_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[2], r[4], r[5], r[6], r[7], r[8]) for r in responses],
    )
    db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)", rows)
    count = len(rows)
    responses.clear()
    rows.clear()
    db.commit()
    return count


def _answers(survey: str) -> Sequence[tuple[str, str | None]]:
    if survey == "nps":
        rating = random.choices(range(11), weights=[2, 1, 1, 2, 2, 4, 5, 9, 14, 20, 22])[0]
        follow = (
            "why-detractor" if rating <= 6 else "why-passive" if rating <= 8 else "why-promoter"
        )
        return [("recommend", str(rating))] + (
            [(follow, "good staff")] if random.random() < 0.7 else []
        )
    if survey == "csat":
        return [
            ("satisfaction", str(random.randint(1, 5))),
            ("solved", random.choice(["yes", "no"])),
        ]
    if survey == "five-promises":
        ids = ["relationship", "exceeding-expectations", "teamwork", "attitude", "environment"]
        return [(q, str(random.randint(3, 10))) for q in ids] + [("comment", None)]
    return [(q, random.choice(["yes", "no", "unsure"])) for q in MATURITY]


async def median(run: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


Dashboard = dict[str, float]
"""View -> median seconds."""

TOKEN = "123456:bench-token"
ADMIN = 1


def launch_data(user_id: int = ADMIN) -> str:
    """The Mini App's launch data for this admin, signed as Telegram signs it."""
    fields = {"auth_date": str(int(time.time())), "user": json.dumps({"id": user_id})}
    fields["hash"] = signature(fields, TOKEN)
    return urlencode(fields)


async def dashboard(storage: Storage, path: Path, runs: int) -> Dashboard:
    """Every view of the dashboard as an admin's phone gets it: an HTTP request to the API the
    bot serves (the signature checked, the use cases run, the JSON made and compressed), after
    the roll-up the running bot would have done; and `/summary nps` as the chat's text. Medians
    of `runs` runs."""
    surveys = load_catalogue(Path("bot/surveys"))
    config = Config.from_env({"BOT_TOKEN": TOKEN, "ADMIN_IDS": str(ADMIN), "DATABASE": str(path)})
    deps = Deps(config, surveys, storage, bot_username="cxbot_bench_bot")
    app = web.Application()
    add_routes(app, lambda: deps)
    headers = {"Authorization": f"tma {launch_data()}", "Accept-Encoding": "gzip"}
    segments = ",".join(SEGMENTS[:3])
    today = datetime.now(UTC)
    last = (today.year * 4 + (today.month - 1) // 3) - 1  # the quarter before this one
    quarter = f"{last // 4}-Q{last % 4 + 1}"
    async with TestClient(TestServer(app)) as client:

        def get(url: str) -> Callable[[], Awaitable[object]]:
            async def view() -> object:
                async with client.get(url, headers=headers) as response:
                    assert response.status == 200, await response.text()
                    return await response.read()

            return view

        async def summary() -> str:
            request = SummaryRequest("nps", parse_period("all"))
            result = await admin.summary(deps, ADMIN, request)
            with use_language("en"):
                return summary_text(result)

        views: dict[str, Callable[[], Awaitable[object]]] = {
            "overview, all time": get("/api/overview"),
            f"overview, {quarter} + the one before": get(f"/api/overview?period={quarter}"),
            "overview, 90d + the 90d before": get("/api/overview?period=90d"),
            "a survey, all time": get("/api/survey/nps"),
            "a segment, all time": get("/api/survey/nps?segment=desk-3"),
            "compare 3 segments": get(f"/api/compare/nps?segments={segments}"),
            "/summary nps, all time": summary,
        }
        return {name: await median(view, runs) for name, view in views.items()}


async def full_aggregate(storage: Storage, runs: int) -> float:
    """/summary nps over all time from the raw rows (no rollup): the cost before rollups."""
    nps = load_catalogue(Path("bot/surveys"))["nps"]
    reader = storage._reader
    assert reader is not None
    raw = RawReportQueries(reader)
    return await median(lambda: build_summary(raw, nps, parse_period("all")), runs)


async def windows(storage: Storage, path: Path, runs: int) -> Dashboard:
    """Every survey's summary over the overview's two windows of 90 days, in one process (no
    HTTP), with the windows' ends to the second and at midnight UTC."""
    surveys = load_catalogue(Path("bot/surveys"))
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S.000")

    def both(end: datetime, days: int) -> list[Period]:
        middle, start = end - timedelta(days=days), end - timedelta(days=2 * days)
        return [
            Period("90d", stamp(middle), LATEST, "week", "days"),
            Period("90d", stamp(start), stamp(middle), "week", "days"),
        ]

    async def overview(periods: list[Period]) -> None:
        for survey in surveys.values():
            for period in periods:
                async with storage.report() as queries:
                    await build_summary(queries, survey, period)

    found = {
        "90d windows, to the second": await median(lambda: overview(both(now, 90)), runs),
        "90d windows, whole UTC days": await median(
            lambda: overview(both(midnight + timedelta(days=1), 90)), runs
        ),
    }
    db = sqlite3.connect(path)
    hours = db.execute(
        """SELECT count(*) FROM (SELECT 1 FROM responses r JOIN answers a ON a.response_id = r.id
        WHERE r.replaced_by IS NULL AND r.finished_at IS NOT NULL
        GROUP BY r.survey_id, substr(r.finished_at, 1, 13), r.segment, r.wave_id,
                 a.question_id, a.value)"""
    ).fetchone()[0]
    days = db.execute("SELECT count(*) FROM rollup_answers WHERE span = 'day'").fetchone()[0]
    db.close()
    print(f"rollup rows by day: {days:,}; by hour, this data would need: {hours:,}")
    return found


async def measure(
    path: Path, runs: int, *, dashboard_only: bool, with_windows: bool = False
) -> Dashboard:
    surveys = load_catalogue(Path("bot/surveys"))
    nps = surveys["nps"]
    async with await Storage.open(path) as storage:
        start = time.perf_counter()
        rolled = await storage.roll_up()
        print(
            f"rolled up {rolled.days} days in {time.perf_counter() - start:.1f} s"
            f" (then up to date: {rolled.until})"
        )
        views = await dashboard(storage, path, runs)
        if with_windows:
            views |= await windows(storage, path, runs)
        print(f"{'dashboard view':<38}{'median ms':>10}")
        for name, seconds in views.items():
            print(f"{name:<38}{seconds * 1000:>10.1f}")
        raw = await full_aggregate(storage, max(1, runs // 3))
        print(f"{'/summary nps, all, raw rows':<38}{raw * 1000:>10.1f}")
        print()
        if dashboard_only:
            return views
        db = await aiosqlite.connect(path)

        async def plain(period: str, segment: str | None = None) -> object:
            bounds = parse_period(period)
            sql = (
                "SELECT count(*), sum(CAST(a.value AS INTEGER) >= 9), sum(CAST(a.value AS INTEGER) <= 6)"
                " FROM responses r JOIN answers a ON a.response_id = r.id"
                " WHERE r.survey_id = 'nps' AND a.question_id = 'recommend'"
                " AND r.finished_at >= ? AND r.finished_at < ?"
                + (" AND r.segment = ?" if segment else "")
            )
            params = [bounds.start, bounds.end, *([segment] if segment else [])]
            async with db.execute(sql, params) as cursor:
                return await cursor.fetchone()

        async def summary(period: str, segment: str | None = None) -> str:
            result = await build_summary(storage.reports, nps, parse_period(period), segment)
            with use_language("en"):
                return summary_text(result)

        print(f"{'measure':<38}{'median s':>10}{'ratio':>8}")
        for label, period, segment in (
            ("all", "all", None),
            ("90d", "90d", None),
            ("segment desk-3", "all", "desk-3"),
        ):
            base = await median(lambda p=period, s=segment: plain(p, s), runs)  # type: ignore[misc]
            full = await median(lambda p=period, s=segment: summary(p, s), runs)  # type: ignore[misc]
            print(f"{'plain SQL aggregate, ' + label:<38}{base:>10.3f}")
            print(f"{'/summary nps text, ' + label:<38}{full:>10.3f}{full / base:>8.2f}")
        result = await build_summary(storage.reports, nps, parse_period("all"))
        with use_language("en"):
            chart = await median(lambda: asyncio.to_thread(render_chart, result), runs)
        print(f"{'chart render (separately)':<38}{chart:>10.3f}")

        async def export() -> int:
            period = parse_period("all")
            data = await write_csv(
                nps, storage.reports.export("nps", start=period.start, end=period.end)
            )
            return len(data)

        size = await export()
        seconds = await median(export, max(1, runs // 2))
        print(f"{'/export nps, all (' + format(size // 1024, ',') + ' KiB)':<38}{seconds:>10.3f}")
        await db.close()
        await taps_during_reports(storage, nps, runs)
    return views


async def taps_during_reports(storage: Storage, nps: Survey, runs: int) -> None:
    """A tap's wait while a report runs, reports on the shared connection or on their own."""
    await storage.touch_user(1, "en")
    response = await storage.start_response(
        survey_id="csat", respondent="u:1", user_id=1, segment=None, language="en"
    )
    values = iter(range(10**9))

    async def tap() -> float:
        start = time.perf_counter()
        found = await storage.response(response.id)
        assert found is not None
        await storage.record_answer(
            found, "satisfaction", str(1 + next(values) % 5), cursor=None, finished=False
        )
        return time.perf_counter() - start

    async def summary(reports: ReportQueries) -> None:
        result = await build_summary(reports, nps, parse_period("all"))
        with use_language("en"):
            summary_text(result)

    async def export(reports: ReportQueries) -> None:
        period = parse_period("all")
        await write_csv(nps, reports.export("nps", start=period.start, end=period.end))

    shared = RawReportQueries(storage._db)  # the bot's one connection and raw rows, as before

    async def on_shared(report: Callable[[ReportQueries], Awaitable[None]]) -> None:
        await report(shared)

    async def on_own(report: Callable[[ReportQueries], Awaitable[None]]) -> None:
        async with storage.report() as reports:
            await report(reports)

    idle = [await tap() for _ in range(50)]
    print()
    print(f"{'a tap while a report runs':<38}{'median ms':>10}{'ratio':>8}{'taps':>6}")
    print(f"{'no report':<38}{statistics.median(idle) * 1000:>10.1f}{'':>8}{len(idle):>6}")
    for name, report in (("/summary nps all", summary), ("/export nps", export)):
        medians = {}
        for label, way in (("shared connection", on_shared), ("own connection", on_own)):
            waits: list[float] = []
            for _ in range(max(1, runs // 2)):
                running = asyncio.create_task(way(report))
                await asyncio.sleep(0.02)  # the report under way
                while not running.done():
                    waits.append(await tap())
                    await asyncio.sleep(0.05)
                await running
            medians[label] = statistics.median(waits)
            print(
                f"{name + ', ' + label:<38}{medians[label] * 1000:>10.1f}"
                f"{medians[label] / statistics.median(idle):>8.1f}{len(waits):>6}"
            )
        ratio = medians["shared connection"] / medians["own connection"]
        print(f"{name + ': shared / own':<38}{'':>10}{ratio:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--keep", type=Path, nargs="+", default=None, help="keep the filled databases (one a size)"
    )
    parser.add_argument(
        "--dashboard-only", action="store_true", help="the dashboard and the roll-up only"
    )
    parser.add_argument(
        "--windows", action="store_true", help="windows of days to the second and by whole days"
    )
    args = parser.parse_args()
    if args.keep is not None and len(args.keep) != len(args.answers):
        parser.error("--keep takes one file for each --answers size")
    results: dict[int, Dashboard] = {}
    for index, answers in enumerate(args.answers):
        print(f"== {answers:,} answers")
        with tempfile.TemporaryDirectory() as folder:
            path = args.keep[index] if args.keep else Path(folder) / "bench.sqlite3"
            if not path.exists():
                start = time.perf_counter()
                written = fill(path, answers)
                print(
                    f"filled {written:,} answers in {time.perf_counter() - start:.1f} s"
                    f" ({path.stat().st_size // 2**20} MiB)"
                )
            results[answers] = asyncio.run(
                measure(
                    path, args.runs, dashboard_only=args.dashboard_only, with_windows=args.windows
                )
            )
    if len(results) > 1:
        sizes = list(results)
        first, last = sizes[0], sizes[-1]
        print(f"{'dashboard view, median ms':<38}", *(f"{n:>12,}" for n in sizes), f"{'ratio':>8}")
        for view in results[first]:
            cells = "".join(f"{results[n][view] * 1000:>13.1f}" for n in sizes)
            print(f"{view:<38}{cells}{results[last][view] / results[first][view]:>9.2f}")


if __name__ == "__main__":
    main()
