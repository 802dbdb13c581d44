"""deploy/Caddyfile run on this machine in front of two `cxbot run` processes in webhook mode,
with the tests' Bot API stand-in playing Telegram: what deploy/README.md reports as run here.

    .venv/bin/python deploy/check_proxy.py [--database postgresql://...]

Needs `caddy` on the PATH (Debian: apt-get install caddy). Caddy serves plain http on a free
port of 127.0.0.1 (no certificate here: the stand-in posts to http://, as the bot's tests have
it play the proxy that ends TLS), the replicas listen on two more. Checked: the proxy refuses
/metrics and hides the health checks, serves the dashboard, spreads /telegram over both
replicas, every respondent finishes with each answer stored once, and after one replica is
killed (SIGKILL) the next respondents all finish through the other. Prints what it found;
exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.telegram.harness import TOKEN, BotProcess, Respondent, free_port  # noqa: E402
from tests.telegram.standin import BotApiStandIn  # noqa: E402
from tests.telegram.test_crowds import QUESTIONS, SURVEY, THANKS, rate_or_skip  # noqa: E402

CROWD = 20


NEW_BUFFERS = (2, 6, 4)
"""The first Caddy that spells request buffering `request_buffers <size>` (Debian 12 has 2.6.2,
which spells it `buffer_requests`; the compose file's image is newer)."""


def caddy_version() -> tuple[int, ...]:
    said = subprocess.run(["caddy", "version"], capture_output=True, text=True, check=True)
    found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", said.stdout.strip())
    assert found is not None, said.stdout
    return tuple(int(part) for part in found.groups())


def caddyfile(version: tuple[int, ...]) -> str:
    """deploy/Caddyfile as it is, its admin endpoint off (several may run on one machine), in
    the spelling of the Caddy at hand."""
    text = (REPO / "deploy" / "Caddyfile").read_text()
    if version < NEW_BUFFERS:
        text = text.replace("request_buffers 1MiB", "buffer_requests")
    return "{\n\tadmin off\n}\n\n" + text


def start_caddy(folder: Path, port: int, upstreams: list[int]) -> subprocess.Popen[bytes]:
    config = folder / "Caddyfile"
    config.write_text(caddyfile(caddy_version()))
    env = {
        **os.environ,
        "SITE_ADDRESS": f"http://127.0.0.1:{port}",
        "UPSTREAMS": " ".join(f"127.0.0.1:{upstream}" for upstream in upstreams),
        "XDG_DATA_HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder),
    }
    return subprocess.Popen(
        ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=(folder / "caddy.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


async def status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        return response.status


async def updates_taken(session: aiohttp.ClientSession, port: int) -> float:
    """cxbot_updates_total summed over kinds, from the replica's own port (not the proxy)."""
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    return sum(
        float(value) for value in re.findall(r"^cxbot_updates_total\{[^}]*\} (\S+)$", text, re.M)
    )


async def crowd(api: BotApiStandIn, first_id: int) -> list[Respondent]:
    people = [Respondent(api, first_id + n) for n in range(CROWD)]
    endings = await asyncio.gather(*(person.take(SURVEY, rate_or_skip) for person in people))
    if not all(THANKS in ending for ending in endings):
        raise AssertionError("not every respondent reached the end")
    return people


def stored_once(database: Path, people: list[Respondent]) -> bool:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT r.user_id, count(DISTINCT r.id), count(a.question_id)"
            " FROM responses r JOIN answers a ON a.response_id = r.id"
            f" WHERE r.user_id IN ({', '.join('?' for _ in people)}) GROUP BY r.user_id",
            [person.id for person in people],
        ).fetchall()
    return sorted(rows) == [(person.id, 1, QUESTIONS) for person in people]


async def check(folder: Path, database: str | None) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    api = BotApiStandIn(TOKEN)
    await api.start()
    proxy, ports = free_port(), [free_port(), free_port()]
    shared = database or str(folder / "cxbot.sqlite3")
    bots = []
    caddy = None
    try:
        for name, port in zip(("cxbot-1", "cxbot-2"), ports, strict=True):
            (folder / name).mkdir()
            bot = BotProcess(
                api,
                folder / name,
                mode="webhook",
                DATABASE=shared,
                WEB_PORT=str(port),
                PUBLIC_URL=f"https://127.0.0.1:{proxy}",
                REPLICA=name,
            )
            await bot.start()
            bots.append(bot)
        caddy = start_caddy(folder, proxy, ports)
        site = f"http://127.0.0.1:{proxy}"
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(20):
                while True:
                    try:
                        if await status(session, f"{site}/app/") == 200:
                            break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
            found.append(
                (
                    "the proxy refuses /metrics (403)",
                    await status(session, f"{site}/metrics") == 403,
                )
            )
            found.append(
                (
                    "/readyz and /healthz are not public (404)",
                    {
                        await status(session, f"{site}/readyz"),
                        await status(session, f"{site}/healthz"),
                    }
                    == {404},
                )
            )
            found.append(
                (
                    "the dashboard is served through the proxy",
                    await status(session, f"{site}/app/") == 200,
                )
            )

            people = await crowd(api, 41_000)
            local = Path(shared)
            if database is None:
                found.append(
                    (
                        f"{CROWD} respondents through the proxy: every answer stored once",
                        stored_once(local, people),
                    )
                )
            taken = [await updates_taken(session, port) for port in ports]
            found.append(
                (
                    f"both replicas took updates through the proxy ({taken[0]:.0f} and {taken[1]:.0f})",
                    all(taken),
                )
            )

            await bots[0].kill()
            after = await crowd(api, 42_000)
            if database is None:
                found.append(
                    (
                        f"cxbot-1 killed (SIGKILL): {CROWD} more respondents finish, each answer once",
                        stored_once(local, after),
                    )
                )
            more = await updates_taken(session, ports[1])
            found.append(
                (
                    f"... all through cxbot-2 ({more - taken[1]:.0f} more updates)",
                    more - taken[1] >= CROWD * (QUESTIONS + 1),
                )
            )
    finally:
        for bot in bots:
            await bot.stop()
        if caddy is not None:
            caddy.send_signal(signal.SIGTERM)
            caddy.wait(timeout=15)
        await api.stop()
    logs = "".join(bot.log_text() for bot in bots)
    for line in logs.splitlines():
        if "Traceback" in line or "Error" in line or TOKEN in line:
            print(line.replace(TOKEN, "<token>"), file=sys.stderr)
    found.append(
        (
            "no traceback and no token in the replicas' logs",
            "Traceback" not in logs and TOKEN not in logs,
        )
    )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=None, help="DATABASE of both replicas (default: one new SQLite file)"
    )
    args = parser.parse_args()
    version = caddy_version()
    print(f"caddy {'.'.join(map(str, version))}", end="")
    print(" (request_buffers spelled buffer_requests)" if version < NEW_BUFFERS else "")
    with tempfile.TemporaryDirectory(prefix="cxbot-proxy-") as folder:
        found = asyncio.run(check(Path(folder), args.database))
    for what, ok in found:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
    return 0 if all(ok for _, ok in found) else 1


if __name__ == "__main__":
    sys.exit(main())
