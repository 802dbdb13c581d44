"""Many respondents at once: 200 virtual users each answer a 10-question 0-10 survey, against
cxbot and against a bare python-telegram-bot bot doing only the unavoidable I/O, in one run.

cxbot runs on SQLite (one process, long polling, as by default) and, when Debian's PostgreSQL
binaries are there, on a throwaway PostgreSQL server (tests/postgres.py) as replicas in webhook
mode on one database, the stand-in spreading the taps over them in turn as a load balancer
would: one replica ("cxbot pg") and two ("cxbot pg x2"). Each configuration is its own row.

The Bot API stand-in runs in this process; each bot is its own process. Printed per row:
answers per second, per-tap latency (from the stand-in handing the tap out to the bot's first
call about it) p50 / p95 / p99, the bot's CPU milliseconds per answer (summed over its
replicas), its peak RSS (the largest replica's); the PostgreSQL server's own CPU per answer
apart; then cxbot / bare as ratios, and each target of the tap's cost with its ratio and
whether it is met, with the stored answers counted after every cxbot run (one per person and
question, none lost or doubled). Medians over --runs.

    ./dev bench load/run [--users 200] [--runs 3] [--engines sqlite postgresql] [--replicas 1 2]
        [--webhook] [--bots ...] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.bots import (
    BOTS,
    START,
    compile_bytecode,
    cpu_seconds,
    loop_cpu_seconds,
    postmaster,
    rss_mb,
    server_cpu_seconds,
    spawn,
    spawn_replicas,
    surveys_folder,
)
from tests import postgres
from tests.telegram.harness import TOKEN, Buttons, Respondent
from tests.telegram.standin import BotApiStandIn

QUESTIONS = 10


SCREEN = {"editMessageText", "sendMessage"}


@dataclass
class Latencies:
    """Seconds from getUpdates handing a tap out to the bot's first call about it (`reply`: an
    answered callback or an edit) and to the call that shows the next question (`screen`)."""

    reply: list[float] = field(default_factory=list)
    screen: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Setup:
    """One row of the table: a bot and, for cxbot, its engine and how many replicas share it."""

    label: str
    bot: str
    engine: str = "sqlite"
    replicas: int = 1
    webhook: bool = False
    """Updates by webhook through the stand-in as a load balancer (always on PostgreSQL)."""


def setups(
    names: list[str], engines: list[str], replicas: list[int], webhook: bool = False
) -> list[Setup]:
    """The rows asked for, in the order given: cxbot once per engine (on SQLite also in
    webhook mode with `webhook`), and on PostgreSQL once per replica count."""
    rows = []
    for name in names:
        if name != "cxbot":
            rows.append(Setup(name, name))
            continue
        if "sqlite" in engines:
            rows.append(Setup("cxbot", name))
            if webhook:
                rows.append(Setup("cxbot wh", name, webhook=True))
        if "postgresql" in engines:
            rows += [
                Setup("cxbot pg" + (f" x{n}" if n > 1 else ""), name, "postgresql", n, True)
                for n in replicas
            ]
    return rows


@dataclass(frozen=True)
class Stored:
    """What the database holds after a run: responses and answers."""

    responses: int
    answers: int

    def exact(self, users: int) -> bool:
        """One response per person, an answer per question of each: the answers' key
        (response, question) leaves no room for a doubled answer within a response, so with
        both counts right none is lost or doubled."""
        return self == Stored(users, users * QUESTIONS)


@dataclass
class Figures:
    answers_per_second: float
    latencies: Latencies
    cpu_ms_per_answer: float
    rss_mb: float
    server_cpu_ms_per_answer: float | None = None
    """The PostgreSQL server's CPU per answer; None on SQLite."""
    stored: Stored | None = None
    """Counted after a cxbot run; None for the bare bots."""
    driver_cpu_ms_per_answer: float = 0.0
    """This process's CPU per answer: the stand-in (the Bot API and the load balancer) and the
    virtual users, who share the machine's cores with the bots and the server."""
    loop_cpu_ms_per_answer: float = 0.0
    """The bot's CPU per answer in its event loop's thread (summed over replicas); the rest of
    `cpu_ms_per_answer` is its other threads' (SQLite's)."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def user(api: BotApiStandIn, chat: int, start: str, latencies: Latencies) -> None:
    """One person through the ten questions, always tapping 7; each tap's latencies noted."""

    def answered(update_id: int) -> None:
        handed_out = api.handed_out[update_id]
        after = [c for c in api.heard_calls[chat][-8:] if c.at >= handed_out]
        latencies.reply.append(min(c.at for c in after) - handed_out)
        latencies.screen.append(min(c.at for c in after if c.method in SCREEN) - handed_out)

    person = Respondent(api, chat)
    await person.take(start, choose=seven, on_answered=answered, taps=QUESTIONS)
    assert person.acknowledged == QUESTIONS


def seven(buttons: Buttons) -> dict[str, Any]:
    return next(b for b in buttons if b["text"] == "7")


COUNT_SQL = "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers)"


async def stored(database: str) -> Stored:
    """The responses and answers in a cxbot database (a SQLite path or a PostgreSQL URL)."""
    if database.startswith("postgresql://"):
        connection = await asyncpg.connect(database)
        try:
            row = await connection.fetchrow(COUNT_SQL)
        finally:
            await connection.close()
        assert row is not None
        return Stored(int(row[0]), int(row[1]))
    with closing(sqlite3.connect(database)) as db:
        responses, answers = db.execute(COUNT_SQL).fetchone()
    return Stored(int(responses), int(answers))


async def measure(
    setup: Setup,
    users: int,
    folder: Path,
    cluster: postgres.Cluster | None = None,
    profile: Path | None = None,
) -> Figures:
    api = BotApiStandIn(TOKEN)
    await api.start()
    async with AsyncExitStack() as stack:
        surveys = surveys_folder(folder)
        if setup.webhook:
            if setup.engine == "postgresql":
                assert cluster is not None
                database = await stack.enter_async_context(postgres.database(cluster.url()))
            else:
                database = str(folder / "cxbot.sqlite3")
            replicas = await spawn_replicas(api, database, surveys, setup.replicas)
            processes = [process for process, _ in replicas]
            api.backends = [url for _, url in replicas]  # the stand-in as the load balancer
        else:
            database = str(folder / f"{setup.label.replace(' ', '-')}.sqlite3")
            processes = [await spawn(setup.bot, api, Path(database), surveys)]
        spies = []
        if profile is not None:  # sampled stacks of the bot under load (py-spy's raw format)
            for n, process in enumerate(processes):
                stacks = profile / f"{setup.label.replace(' ', '-')}-{n}.txt"
                spy = await asyncio.create_subprocess_exec(
                    *("py-spy", "record", "--format", "raw", "-r", "200", "-o", str(stacks)),
                    *("--pid", str(process.pid)),
                    stdout=asyncio.subprocess.DEVNULL,
                )
                spies.append(spy)
            await asyncio.sleep(1)
        server = postmaster(cluster.data) if setup.engine == "postgresql" and cluster else None
        server_before = server_cpu_seconds(server) if server else 0.0
        cpu_before = sum(cpu_seconds(process.pid) for process in processes)
        loop_before = sum(loop_cpu_seconds(process.pid) for process in processes)
        driver_before = time.process_time()
        latencies = Latencies()
        began = time.monotonic()
        await asyncio.gather(
            *(user(api, 50_000 + n, START[setup.bot], latencies) for n in range(users))
        )
        wall = time.monotonic() - began
        driver = time.process_time() - driver_before
        cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
        loop = sum(loop_cpu_seconds(process.pid) for process in processes) - loop_before
        server_cpu = server_cpu_seconds(server) - server_before if server else None
        rss = max(rss_mb(process.pid) for process in processes)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            await spy.wait()
        for process in processes:
            process.terminate()
        for process in processes:
            await process.wait()
        counted = await stored(database) if setup.bot == "cxbot" else None
    await api.stop()
    answers = users * QUESTIONS
    return Figures(
        answers / wall,
        latencies,
        1000 * cpu / answers,
        rss,
        None if server_cpu is None else 1000 * server_cpu / answers,
        counted,
        1000 * driver / answers,
        1000 * loop / answers,
    )


async def main(
    users: int,
    runs: int,
    names: list[str],
    engines: list[str],
    replicas: list[int],
    webhook: bool,
    profile: Path | None,
) -> None:
    compile_bytecode()
    rows = setups(names, engines, replicas, webhook)
    results: dict[Setup, list[Figures]] = {setup: [] for setup in rows}
    with tempfile.TemporaryDirectory() as folder:
        cluster = postgres.start() if any(s.engine == "postgresql" for s in rows) else None
        try:
            for run in range(runs):
                for setup in rows:
                    place = Path(folder) / f"{run}-{setup.label.replace(' ', '-')}"
                    results[setup].append(await measure(setup, users, place, cluster, profile))
        finally:
            if cluster is not None:
                postgres.stop(cluster)
    print(f"{users} users x {QUESTIONS} taps, medians of {runs} runs; latencies in ms from the")
    print("tap handed out to the first reply (answer or edit) / to the next question on screen;")
    print("cxbot wh: SQLite, webhook mode; cxbot pg: PostgreSQL, replicas in webhook mode (CPU")
    print("summed, RSS the largest replica's); the stand-in plays the load balancer in front")
    columns = ("answers/s", "reply p50", "p95", "p99", "screen p50", "p95", "p99", "CPU ms/ans")
    widths = (10, 10, 7, 7, 11, 7, 7, 11, 8)
    print(
        f"{'bot':<13}"
        + "".join(f"{c:>{w}}" for c, w in zip((*columns, "RSS MB"), widths, strict=True))
    )
    medians: dict[str, list[float]] = {}
    for setup, figures in results.items():
        row = [
            statistics.median(f.answers_per_second for f in figures),
            *(
                statistics.median(1000 * percentile(f.latencies.reply, share) for f in figures)
                for share in (0.50, 0.95, 0.99)
            ),
            *(
                statistics.median(1000 * percentile(f.latencies.screen, share) for f in figures)
                for share in (0.50, 0.95, 0.99)
            ),
            statistics.median(f.cpu_ms_per_answer for f in figures),
            statistics.median(f.rss_mb for f in figures),
        ]
        medians[setup.label] = row
        print(
            f"{setup.label:<13}" + "".join(f"{v:>{w}.1f}" for v, w in zip(row, widths, strict=True))
        )
    print_cpu(results)
    if "cxbot" in medians:
        a = medians["cxbot"]
        for name, b in medians.items():
            if not name.startswith("cxbot"):
                print(
                    f"cxbot / {name}: answers/s {a[0] / b[0]:.2f}, reply p99 {a[3] / b[3]:.2f},"
                    f" screen p99 {a[6] / b[6]:.2f}, CPU per answer {a[7] / b[7]:.2f},"
                    f" RSS {a[8] / b[8]:.2f}"
                )
    if "cxbot wh" in medians:  # the same mode on both engines: what the engine alone costs
        w = medians["cxbot wh"]
        for name in ("cxbot", "cxbot pg"):
            if name in medians:
                b = medians[name]
                print(
                    f"{name} / cxbot wh: answers/s {b[0] / w[0]:.2f}, screen p99 {b[6] / w[6]:.2f},"
                    f" CPU per answer {b[7] / w[7]:.2f}"
                )
    print_targets(medians, {s.label: [f.stored for f in fs] for s, fs in results.items()}, users)


def print_cpu(results: dict[Setup, list[Figures]]) -> None:
    """CPU ms per answer of the bot (and of its event loop's thread alone), the PostgreSQL
    server and the stand-in with the virtual users (this process), their sum, and the cores
    that sum kept busy at the row's pace: near the machine's count, the bots wait for a core
    rather than for each other."""
    print(
        f"{'CPU ms/answer':<13}{'bot':>10}{'loop':>6}{'PostgreSQL':>11}{'stand-in':>10}"
        f"{'all':>8}{'cores':>7}"
    )
    for setup, figures in results.items():
        bot = statistics.median(f.cpu_ms_per_answer for f in figures)
        loop = statistics.median(f.loop_cpu_ms_per_answer for f in figures)
        server = statistics.median(f.server_cpu_ms_per_answer or 0.0 for f in figures)
        driver = statistics.median(f.driver_cpu_ms_per_answer for f in figures)
        every = [
            f.cpu_ms_per_answer + (f.server_cpu_ms_per_answer or 0.0) + f.driver_cpu_ms_per_answer
            for f in figures
        ]
        cores = statistics.median(
            total * f.answers_per_second / 1000 for total, f in zip(every, figures, strict=True)
        )
        print(
            f"{setup.label:<13}{bot:>10.1f}{loop:>6.1f}"
            + (f"{server:>11.1f}" if setup.engine == "postgresql" else f"{'-':>11}")
            + f"{driver:>10.1f}{statistics.median(every):>8.1f}{cores:>7.2f}"
        )


TARGETS = (
    # what, the row, column, the row against, the ratio must be at least (>) or at most (<)
    ("answers/s", "cxbot", 0, "bare aiogram", ">", 1.25),
    ("p99 tap -> next question shown", "cxbot", 6, "bare aiogram", "<", 1.0),
    ("CPU per answer", "cxbot", 7, "bare aiogram", "<", 0.8),
    ("peak RSS", "cxbot", 8, "bare PTB", "<", 1.35),
    ("answers/s, PostgreSQL / SQLite", "cxbot pg", 0, "cxbot", ">", 0.8),
    ("answers/s, two replicas / one", "cxbot pg x2", 0, "cxbot pg", ">", 1.0),
)
"""The targets of the tap's cost, each a ratio of one row's median to another's."""


def print_targets(
    medians: dict[str, list[float]], stored: dict[str, list[Stored | None]], users: int
) -> None:
    """Each target with its ratio and whether it is met; then, for every cxbot row, the
    answers stored against those expected, in its worst run (met: exact in every run)."""
    print(f"{'target':<40}{'ratio':>7}{'goal':>8}  met")
    for what, subject, column, against, sense, goal in TARGETS:
        missing = [row for row in (subject, against) if row not in medians]
        if missing:
            print(f"{what:<40}{'-':>7}{sense + str(goal):>8}  ({', '.join(missing)} not run)")
            continue
        ratio = medians[subject][column] / medians[against][column]
        met = ratio >= goal if sense == ">" else ratio <= goal
        print(f"{what:<40}{ratio:>7.2f}{sense + str(goal):>8}  {'yes' if met else 'no'}")
    for label, counts in stored.items():
        runs = [c for c in counts if c is not None]
        if not runs:
            continue
        worst = min(runs, key=lambda c: (c.exact(users), -abs(c.answers - users * QUESTIONS)))
        what = f"no answer lost or doubled, {label}"
        ratio = worst.answers / (users * QUESTIONS)
        met = all(c.exact(users) for c in runs)
        detail = f"  ({worst.answers} answers in {worst.responses} responses)" if not met else ""
        print(f"{what:<40}{ratio:>7.2f}{'=1.0':>8}  {'yes' if met else 'no'}{detail}")


def engines_here() -> list[str]:
    """Both engines when Debian's PostgreSQL binaries are installed, else SQLite alone."""
    try:
        postgres.binaries()
    except postgres.Unavailable:
        return ["sqlite"]
    return ["sqlite", "postgresql"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bots", nargs="+", choices=list(BOTS), default=list(BOTS))
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=engines_here(),
        help="cxbot's storage (default: both when the PostgreSQL binaries are installed)",
    )
    parser.add_argument(
        "--replicas",
        nargs="+",
        type=int,
        default=[1, 2],
        help="cxbot processes on one PostgreSQL database, one row each (default: 1 2)",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="also cxbot on SQLite in webhook mode (cxbot wh): the mode's share of pg's figures",
    )
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy stacks of each bot (figures then skew)"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.users,
            arguments.runs,
            arguments.bots,
            arguments.engines,
            arguments.replicas,
            arguments.webhook,
            arguments.profile,
        )
    )
