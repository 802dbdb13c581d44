"""A pulse wave to 10,000 members against a Bot API stand-in that enforces Telegram's limits.

The stand-in answers 429 (retry after 1 s) past 30 messages a second in all or 1 a second per
chat. Prints the messages per second sustained, the 429s received and the wall time; then a
second wave killed (SIGKILL) half-way and restarted, with how many members got 0, 1 or 2
messages of it.

    ./dev bench pulses [--members 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.telegram.harness import ADMIN, TOKEN, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

PULSE = "Time for your team's pulse."
LIMIT = 30.0


def seed(database: Path, members: int) -> None:
    """Members who joined by invite earlier: written straight into the bot's schema."""
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO users (id, telegram_language, created_at) VALUES (?, 'en', '2026-01-01')",
        [(100_000 + n,) for n in range(members)],
    )
    db.executemany(
        "INSERT INTO members (team, user_id, joined_at) VALUES ('all', ?, '2026-01-01')",
        [(100_000 + n,) for n in range(members)],
    )
    db.commit()
    db.close()


def pulses(api: BotApiStandIn, since: int) -> list[tuple[int | None, float]]:
    return [
        (c.chat_id, c.at)
        for c in api.calls[since:]
        if c.method == "sendMessage" and c.ok and PULSE in str(c.params.get("text"))
    ]


async def wave(api: BotApiStandIn, bot: BotProcess, members: int, kill_at: int | None) -> None:
    since, too_many = len(api.calls), api.too_many
    start = time.monotonic()
    await Person(api, ADMIN, "en").send("/pulse now enps all")
    if kill_at is not None:
        await api.wait_for(lambda: len(pulses(api, since)) >= kill_at, within=3600)
        await bot.kill()
        await bot.start()
    await api.wait_for(
        lambda: len({chat for chat, _ in pulses(api, since)}) >= members, within=3600
    )
    sent = pulses(api, since)
    wall = time.monotonic() - start
    first, last = sent[0][1], sent[-1][1]
    rate = (len(sent) - 1) / (last - first) if last > first else float("nan")
    label = "killed at 50% and restarted" if kill_at is not None else "one run"
    print(f"wave to {members:,} members ({label})")
    print(f"  wall time            {wall:8.1f} s")
    print(
        f"  messages per second  {rate:8.1f}   ({100 * rate / LIMIT:.0f}% of the {LIMIT:.0f}/s limit)"
    )
    print(f"  429s received        {api.too_many - too_many:8d}")
    if kill_at is not None:
        per_member = Counter(Counter(chat for chat, _ in sent).values())
        print(
            f"  members who got 0 / 1 / 2 / more: {members - sum(per_member.values())}"
            f" / {per_member[1]} / {per_member[2]} / {sum(v for k, v in per_member.items() if k > 2)}"
        )


async def main(members: int) -> None:
    api = BotApiStandIn(TOKEN)
    await api.start()
    api.enforce_limits = True
    with tempfile.TemporaryDirectory() as folder:
        bot = BotProcess(api, Path(folder), PULSE_TICK_SECONDS="1")
        await bot.start()  # creates the schema
        await bot.stop()
        seed(bot.database, members)
        await bot.start()
        try:
            await wave(api, bot, members, kill_at=None)
            await wave(api, bot, members, kill_at=members // 2)
        finally:
            await bot.stop()
            await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().members))
