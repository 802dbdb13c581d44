"""Many respondents at once: 200 virtual users each answer a 10-question 0-10 survey, against
cxbot and against a bare python-telegram-bot bot doing only the unavoidable I/O, in one run.

The Bot API stand-in runs in this process; each bot is its own process. Printed per bot:
answers per second, per-tap latency (from getUpdates handing the tap out to the bot's first
call about it) p50 / p95 / p99, the bot's CPU milliseconds per answer, its peak RSS; then
cxbot / bare as ratios. Medians over --runs.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.bots import BOTS, START, cpu_seconds, rss_mb, spawn, surveys_folder
from tests.telegram.harness import TOKEN, Buttons, Respondent
from tests.telegram.standin import BotApiStandIn

QUESTIONS = 10


@dataclass
class Figures:
    answers_per_second: float
    latencies: list[float]
    cpu_ms_per_answer: float
    rss_mb: float

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def user(api: BotApiStandIn, chat: int, start: str, latencies: list[float]) -> None:
    """One person through the ten questions, always tapping 7; each tap's latency noted."""

    def answered(update_id: int) -> None:
        handed_out = api.handed_out[update_id]
        replied = min(at for at in api.heard_at[chat][-8:] if at >= handed_out)
        latencies.append(replied - handed_out)

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
    await api.wait_for(lambda: api.polls > 0, within=30)
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
    latencies: list[float] = []
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
    results: dict[str, list[Figures]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            for name in names:
                results[name].append(
                    await measure(name, users, Path(folder) / f"{run}-{name}", profile)
                )
    print(f"{users} users x {QUESTIONS} taps, medians of {runs} runs")
    print(
        f"{'bot':<14}{'answers/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'CPU ms/ans':>12}{'RSS MB':>9}"
    )
    medians: dict[str, list[float]] = {}
    for name, figures in results.items():
        row = [
            statistics.median(f.answers_per_second for f in figures),
            statistics.median(1000 * f.percentile(0.50) for f in figures),
            statistics.median(1000 * f.percentile(0.95) for f in figures),
            statistics.median(1000 * f.percentile(0.99) for f in figures),
            statistics.median(f.cpu_ms_per_answer for f in figures),
            statistics.median(f.rss_mb for f in figures),
        ]
        medians[name] = row
        print(
            f"{name:<14}"
            + "".join(f"{v:>{w}.1f}" for v, w in zip(row, (11, 9, 9, 9, 12, 9), strict=True))
        )
    if "cxbot" not in medians:
        return
    a = medians["cxbot"]
    for name, b in medians.items():
        if name != "cxbot":
            print(
                f"cxbot / {name}: answers/s {a[0] / b[0]:.2f}, p99 {a[3] / b[3]:.2f},"
                f" CPU per answer {a[4] / b[4]:.2f}, RSS {a[5] / b[5]:.2f}"
            )


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
