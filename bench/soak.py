"""A longer soak: people keep taking surveys for minutes through a Bot API that misbehaves now
and then, while the bot is killed (SIGKILL) and started again at intervals.

Printed: surveys finished, answers stored, the bot's RSS over time (a leak shows as a climb),
restarts, failed calls, and the checks: every finished survey has all its answers, no answer
is stored twice, nothing a person saw taken is missing, no traceback in the log.

    ./dev bench soak [--minutes 10] [--people 100] [--chaos 0.05] [--kill-every 120]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bots import rss_mb
from tests.telegram.harness import TOKEN, BotProcess, Buttons, Respondent
from tests.telegram.standin import BotApiStandIn

SURVEY = "/start five-promises__soak"
QUESTIONS = 6


def rate_or_skip(buttons: Buttons) -> dict[str, Any]:
    return next((b for b in buttons if b["text"] in ("8", "Skip")), buttons[0])


async def person(
    api: BotApiStandIn, user_id: int, until: float, finished: list[int], stuck: list[str]
) -> None:
    """Takes the survey again and again until the time is up (or gets stuck: reported)."""
    while time.monotonic() < until:
        respondent = Respondent(api, user_id)
        try:
            ending = await respondent.take(SURVEY, rate_or_skip, patience=5.0, within=60)
        except TimeoutError:
            screen = respondent.newest
            calls = [(c.method, c.ok) for c in api.heard_calls.get(user_id, [])[-6:]]
            stuck.append(f"{user_id}: {str(screen.get('text'))[:60]!r} {calls}")
            return
        assert "Thank you" in ending, ending
        finished.append(user_id)


async def main(minutes: float, people: int, chaos: float, kill_every: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        api = BotApiStandIn(TOKEN)
        await api.start()
        api.chaos = chaos
        api.keep_calls = False  # minutes of calls would fill memory
        bot = BotProcess(api, Path(folder))
        await bot.start()
        began = time.monotonic()
        until = began + 60 * minutes
        finished: list[int] = []
        stuck: list[str] = []
        crowd = asyncio.gather(
            *(person(api, 70_000 + n, until, finished, stuck) for n in range(people))
        )
        samples: list[tuple[float, float]] = []
        restarts = 0
        next_kill = began + kill_every
        while not crowd.done():
            await asyncio.wait([crowd], timeout=10)
            assert bot.process is not None
            samples.append((time.monotonic() - began, rss_mb(bot.process.pid, "VmRSS")))
            if kill_every and time.monotonic() >= next_kill and time.monotonic() < until:
                await bot.kill()
                await bot.start()
                restarts += 1
                next_kill = time.monotonic() + kill_every
        await crowd
        await bot.stop()
        await api.stop()

        rows = bot.query(
            "SELECT r.id, r.finished_at IS NOT NULL, count(a.question_id) FROM responses r"
            " LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.id"
        )
        complete = [r for r in rows if r[1]]
        answers = sum(int(str(r[2])) for r in rows)
        log = bot.log_text()

    print(f"{minutes:g} minutes, {people} people, chaos {chaos:.0%}, {restarts} SIGKILL restarts")
    print(f"surveys finished: {len(finished)} ({len(complete)} finished responses stored)")
    print(f"answers stored: {answers}; failed Bot API calls: {api.failed}")
    print(
        "RSS MB over time: "
        + ", ".join(f"{t:.0f}s {mb:.1f}" for t, mb in samples[:: max(1, len(samples) // 12)])
    )
    print("checks:")
    print(
        f"  every finished response has all {QUESTIONS} answers:",
        all(r[2] == QUESTIONS for r in complete),
    )
    print("  one finished response per finished survey:", len(complete) == len(finished))
    print("  no traceback in the log:", "Traceback" not in log)
    print(f"  nobody stuck a minute on one screen: {not stuck}")
    for line in stuck[:10]:
        print(f"    {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--chaos", type=float, default=0.05)
    parser.add_argument("--kill-every", type=float, default=120, help="seconds; 0: never")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.minutes, arguments.people, arguments.chaos, arguments.kill_every))
