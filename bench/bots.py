"""The bots the benchmarks compare, started as their own processes against a Bot API stand-in,
and what /proc says about them.

cxbot runs as deployed (`python -m bot run`) with the load survey; the bare bots do only the
I/O a tap needs, each with its framework's defaults (`bench/load/bare_*.py`).
"""

from __future__ import annotations

import asyncio
import compileall
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.telegram.harness import REPO, TOKEN, free_port, webhook_env
from tests.telegram.standin import BotApiStandIn

HERE = Path(__file__).resolve().parent
AIOGRAM_PYTHON = REPO / ".venv-aiogram" / "bin" / "python"
BOTS: dict[str, list[str]] = {
    "cxbot": [sys.executable, "-m", "bot", "run"],
    "bare PTB": [sys.executable, str(HERE / "load" / "bare_ptb.py")],
    "PTB+aiohttp": [sys.executable, str(HERE / "load" / "bare_ptb.py"), "--aiohttp"],
    "bare aiogram": [str(AIOGRAM_PYTHON), str(HERE / "load" / "bare_aiogram.py")],
}
START = {
    "cxbot": "/start load",
    "bare PTB": "/start",
    "PTB+aiohttp": "/start",
    "bare aiogram": "/start",
}
"""What a person sends to get the first question of the load survey."""


def compile_bytecode() -> None:
    """cxbot's modules compiled, as in the image (pip compiles what it installs).

    A checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile all of cxbot's
    modules from source at every start (about 20 ms), and a bare bot only its one file.
    """
    compileall.compile_dir(REPO / "bot", quiet=1)


def surveys_folder(folder: Path) -> Path:
    """A survey folder holding only the load survey (ten 0-10 questions)."""
    surveys = folder / "surveys"
    surveys.mkdir(parents=True, exist_ok=True)
    (surveys / "load.toml").write_bytes((HERE / "load" / "survey.toml").read_bytes())
    return surveys


async def spawn(
    name: str, api: BotApiStandIn, database: Path, surveys: Path
) -> asyncio.subprocess.Process:
    """Start a bot against the stand-in; returns once it has asked for updates (it is up)."""
    polls = api.polls
    process = await _start(name, api, str(database), surveys)
    await api.wait_for(lambda: api.polls > polls, within=60)
    return process


async def _start(
    name: str, api: BotApiStandIn, database: str, surveys: Path, **settings: str
) -> asyncio.subprocess.Process:
    """A bot's process against the stand-in, its output discarded."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": api.base_url,
        "DATABASE": database,
        "SURVEYS_DIR": str(surveys),
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        *BOTS[name],
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def spawn_replicas(
    api: BotApiStandIn, database: str, surveys: Path, count: int
) -> list[tuple[asyncio.subprocess.Process, str]]:
    """`count` cxbot processes in webhook mode on one database, as replicas behind a load
    balancer: each with its process and the URL its web server takes updates at, started one
    after the other (each returns once it has set its webhook). The caller points the stand-in's
    `backends` at the URLs."""
    replicas = []
    for n in range(count):
        port = free_port()
        webhooks = api.webhooks
        process = await _start(
            "cxbot", api, database, surveys, REPLICA=chr(ord("a") + n), **webhook_env(port)
        )
        await _webhook_set(api, webhooks)
        replicas.append((process, f"http://127.0.0.1:{port}/telegram"))
    return replicas


async def _webhook_set(api: BotApiStandIn, before: int) -> None:
    await api.wait_for(lambda: api.webhooks > before, within=60)


def _stat(pid: int, folder: str = "") -> list[str]:
    """/proc/<pid>/[<folder>/]stat's fields from the state on (the name before may hold
    spaces)."""
    return Path(f"/proc/{pid}/{folder}stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, folder: str = "") -> float:
    fields = _stat(pid, folder)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop_cpu_seconds(pid: int) -> float:
    """CPU of the process's first thread, where a bot's event loop runs (the rest of its CPU
    is other threads': aiosqlite's, a thread pool's)."""
    return cpu_seconds(pid, f"task/{pid}/")


def postmaster(data: Path) -> int:
    """The pid of the PostgreSQL server whose data folder is `data` (postmaster.pid's first
    line)."""
    return int((data / "postmaster.pid").read_text().split()[0])


def server_cpu_seconds(postmaster: int) -> float:
    """CPU of a PostgreSQL server so far: the postmaster, the backends and workers it has
    reaped (a connection closed mid-run still counts) and those alive now."""
    fields = _stat(postmaster)
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            child = _stat(int(proc.name))
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while the folder was read: its time is in the postmaster's
        if int(child[1]) == postmaster:
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")
