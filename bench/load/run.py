"""Many respondents at once: 200 virtual users each answer a 10-question 0-10 survey, against
cxbot and against a bare python-telegram-bot bot doing only the unavoidable I/O, in one run.

The Bot API stand-in runs in this process; each bot is its own process. Printed per bot:
answers per second, per-tap latency (from getUpdates handing the tap out to the bot's first
call about it) p50 / p95 / p99, the bot's CPU milliseconds per answer, its peak RSS; then
cxbot / bare as ratios, and each target of the tap's cost with its ratio and whether it is
met. Medians over --runs.

    ./dev bench load/run [--users 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.bots import BOTS, START, compile_bytecode, cpu_seconds, rss_mb, spawn, surveys_folder
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


@dataclass
class Figures:
    answers_per_second: float
    latencies: Latencies
    cpu_ms_per_answer: float
    rss_mb: float


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


async def measure(name: str, users: int, folder: Path, profile: Path | None = None) -> Figures:
    api = BotApiStandIn(TOKEN)
    await api.start()
    database = folder / f"{name.replace(' ', '-')}.sqlite3"
    process = await spawn(name, api, database, surveys_folder(folder))
    spy = None
    if profile is not None:  # sampled stacks of the bot under load (py-spy's raw format)
        stacks = profile / f"{name.replace(' ', '-')}.txt"
        spy = await asyncio.create_subprocess_exec(
            *("py-spy", "record", "--format", "raw", "-r", "200", "-o", str(stacks)),
            *("--pid", str(process.pid)),
            stdout=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1)
    cpu_before = cpu_seconds(process.pid)
    latencies = Latencies()
    began = time.monotonic()
    await asyncio.gather(*(user(api, 50_000 + n, START[name], latencies) for n in range(users)))
    wall = time.monotonic() - began
    cpu = cpu_seconds(process.pid) - cpu_before
    rss = rss_mb(process.pid)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    process.terminate()
    await process.wait()
    await api.stop()
    answers = users * QUESTIONS
    return Figures(answers / wall, latencies, 1000 * cpu / answers, rss)


async def main(users: int, runs: int, names: list[str], profile: Path | None) -> None:
    compile_bytecode()
    results: dict[str, list[Figures]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            for name in names:
                results[name].append(
                    await measure(name, users, Path(folder) / f"{run}-{name}", profile)
                )
    print(f"{users} users x {QUESTIONS} taps, medians of {runs} runs; latencies in ms from the")
    print("tap handed out to the first reply (answer or edit) / to the next question on screen")
    columns = ("answers/s", "reply p50", "p95", "p99", "screen p50", "p95", "p99", "CPU ms/ans")
    widths = (10, 10, 6, 6, 11, 6, 6, 11, 8)
    print(
        f"{'bot':<13}"
        + "".join(f"{c:>{w}}" for c, w in zip((*columns, "RSS MB"), widths, strict=True))
    )
    medians: dict[str, list[float]] = {}
    for name, figures in results.items():
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
        medians[name] = row
        print(f"{name:<13}" + "".join(f"{v:>{w}.1f}" for v, w in zip(row, widths, strict=True)))
    if "cxbot" not in medians:
        return
    a = medians["cxbot"]
    for name, b in medians.items():
        if name != "cxbot":
            print(
                f"cxbot / {name}: answers/s {a[0] / b[0]:.2f}, reply p99 {a[3] / b[3]:.2f},"
                f" screen p99 {a[6] / b[6]:.2f}, CPU per answer {a[7] / b[7]:.2f},"
                f" RSS {a[8] / b[8]:.2f}"
            )
    print_targets(medians)


TARGETS = (
    # what, column, against, the ratio cxbot / against must be at least (>) or at most (<)
    ("answers/s", 0, "bare aiogram", ">", 1.25),
    ("p99 tap -> next question shown", 6, "bare aiogram", "<", 1.0),
    ("CPU per answer", 7, "bare aiogram", "<", 0.8),
    ("peak RSS", 8, "bare PTB", "<", 1.35),
)
"""The targets of the tap's cost, each a ratio of cxbot's median to a bare bot's."""


def print_targets(medians: dict[str, list[float]]) -> None:
    print(f"{'target':<34}{'ratio':>7}{'goal':>8}  met")
    for what, column, against, sense, goal in TARGETS:
        if against not in medians:
            print(f"{what:<34}{'-':>7}{sense + str(goal):>8}  ({against} not run)")
            continue
        ratio = medians["cxbot"][column] / medians[against][column]
        met = ratio >= goal if sense == ">" else ratio <= goal
        print(f"{what:<34}{ratio:>7.2f}{sense + str(goal):>8}  {'yes' if met else 'no'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bots", nargs="+", choices=list(BOTS), default=list(BOTS))
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy stacks of each bot (figures then skew)"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.runs, arguments.bots, arguments.profile))
