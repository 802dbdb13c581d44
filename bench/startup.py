"""Start-up: from process start to the bot's first getUpdates, cxbot against the bare bots.

cxbot starts as deployed: from compiled modules, with the whole survey catalogue (parsed and validated), the compiled
catalogs of its four languages, the database opened and migrated, and its command menus
registered. Each bot starts once to warm the file cache, then --runs times on the same database
(a restart, the usual case), the bots taking turns; medians.

    ./dev bench startup [--runs 9]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bots import BOTS, compile_bytecode, spawn, surveys_folder
from tests.telegram.harness import REPO, TOKEN
from tests.telegram.standin import BotApiStandIn


async def start_once(name: str, database: Path, surveys: Path) -> float:
    """Seconds from spawning the process to its first getUpdates reaching the Bot API."""
    api = BotApiStandIn(TOKEN)
    await api.start()
    began = time.monotonic()
    process = await spawn(name, api, database, surveys)
    elapsed = time.monotonic() - began
    process.terminate()
    await process.wait()
    await api.stop()
    return elapsed


async def main(runs: int, names: list[str]) -> None:
    compile_bytecode()
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        places = {
            name: (
                Path(folder) / f"{name.replace(' ', '-')}.sqlite3",
                REPO / "bot" / "surveys" if name == "cxbot" else surveys_folder(Path(folder)),
            )
            for name in names
        }
        for name in names:  # warm-up: file cache, database created
            await start_once(name, *places[name])
        for _ in range(runs):  # bots take turns, so a busy spell of the machine hits them all
            for name in names:
                times[name].append(await start_once(name, *places[name]))
    medians = {name: statistics.median(found) for name, found in times.items()}
    for name, found in times.items():
        print(
            f"{name:<14} median {1000 * medians[name]:7.0f} ms"
            f"  (min {1000 * min(found):.0f}, max {1000 * max(found):.0f}, {runs} starts)"
        )
    if "cxbot" in medians:
        for name, median in medians.items():
            if name != "cxbot":
                print(f"cxbot / {name}: start-up {medians['cxbot'] / median:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--bots", nargs="+", choices=list(BOTS), default=list(BOTS))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.bots))
