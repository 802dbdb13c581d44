"""A start-up that cannot work says why in one line on stderr and exits with 1, never showing
the token: `cxbot run` as a process, against local servers that refuse it in each way an
operator meets (a wrong address, a revoked token, no route, a folder it cannot write)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import pytest
from aiohttp import web

from bot.telegram.startup import host_of
from tests.telegram.conftest import Serve
from tests.telegram.harness import MODES, TOKEN, webhook_env
from tests.telegram.standin import BotApiStandIn

SECRET = TOKEN.split(":")[1]
TELEGRAM_404 = {"ok": False, "error_code": 404, "description": "Not Found"}
TELEGRAM_401 = {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def cxbot_run(
    api_base_url: str,
    workdir: Path,
    *,
    database: Path | None = None,
    prefix: tuple[str, ...] = (),
    settings: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    """`cxbot run` from an empty folder with the shipped catalogue: (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEYS_DIR", "LOCALES_DIR")}
    env |= {
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": api_base_url,
        "DATABASE": str(database or workdir / "data" / "cxbot.sqlite3"),
        **(settings or {}),
    }
    process = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def one_line(code: int, out: str, err: str) -> str:
    """The failure as required: exit 1, nothing on stdout, one line on stderr, no token."""
    assert TOKEN not in out + err and SECRET not in out + err, "the token must never be shown"
    assert code == 1, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err  # no traceback, no "Unclosed client session", no warning
    assert lines[0].startswith("cxbot: ")
    return lines[0]


@pytest.fixture
def answering(serve: Serve) -> Callable[[int, object], Awaitable[str]]:
    """A local HTTP server giving one answer (status, JSON or text) to every request."""

    async def start(status: int, body: object) -> str:
        async def handler(request: web.Request) -> web.Response:
            if isinstance(body, str):
                return web.Response(status=status, text=body, content_type="text/html")
            return web.json_response(body, status=status)

        return await serve(handler)

    return start


@pytest.mark.parametrize(
    "body", [TELEGRAM_404, "<html><body><h1>404 Not Found</h1></body></html>"], ids=["api", "proxy"]
)
async def test_a_404_names_bot_api_base_url(
    answering: Callable[[int, object], Awaitable[str]], tmp_path: Path, body: object
) -> None:
    url = await answering(404, body)
    line = one_line(*await cxbot_run(url, tmp_path))
    assert line == (
        f"cxbot: the Bot API at {url.removeprefix('http://')} answered 404 Not Found:"
        " check BOT_API_BASE_URL (the server's root URL, without /bot<token>)"
    )


async def test_a_rejected_token_says_to_check_it(
    answering: Callable[[int, object], Awaitable[str]], tmp_path: Path
) -> None:
    url = await answering(401, TELEGRAM_401)
    line = one_line(*await cxbot_run(url, tmp_path))
    assert "rejected the token (401 Unauthorized): check BOT_TOKEN" in line


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (taken from the system, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_closed_port_names_the_host_and_what_to_check(tmp_path: Path) -> None:
    port = closed_port()
    line = one_line(*await cxbot_run(f"http://127.0.0.1:{port}", tmp_path))
    assert line == (
        f"cxbot: cannot reach the Bot API at 127.0.0.1:{port} (Connection refused):"
        " check the network, DNS, proxy or firewall, and BOT_API_BASE_URL"
    )


async def test_a_name_that_does_not_resolve_names_the_host(tmp_path: Path) -> None:
    line = one_line(*await cxbot_run("http://cxbot-nowhere.invalid", tmp_path))
    assert line.startswith("cxbot: cannot reach the Bot API at cxbot-nowhere.invalid (")
    assert line.endswith("check the network, DNS, proxy or firewall, and BOT_API_BASE_URL")


async def test_https_to_a_plain_http_port_says_tls_failed(
    answering: Callable[[int, object], Awaitable[str]], tmp_path: Path
) -> None:
    url = await answering(404, TELEGRAM_404)
    host = url.removeprefix("http://")
    line = one_line(*await cxbot_run(f"https://{host}", tmp_path))
    assert line.startswith(f"cxbot: cannot reach the Bot API at {host} (TLS failed: ")


async def test_a_database_folder_that_cannot_be_written_stops_the_start(tmp_path: Path) -> None:
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root writes anywhere: run it without that capability
        if shutil.which("setpriv") is None:
            pytest.skip("running as root: setpriv (util-linux) is needed to drop capabilities")
        prefix = ("setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    api = BotApiStandIn(TOKEN)
    await api.start()
    try:
        result = await cxbot_run(
            api.base_url, tmp_path, database=folder / "cxbot.sqlite3", prefix=prefix
        )
    finally:
        await api.stop()
        folder.chmod(0o755)
    line = one_line(*result)
    assert line == (
        f"cxbot: cannot write the database folder {folder} (Permission denied): check DATABASE,"
        " and that the folder belongs to the user running cxbot"
    )
    assert not api.calls, "refused before anything is asked of the Bot API"


@pytest.mark.parametrize("mode", MODES)
async def test_a_web_port_in_use_stops_the_start_naming_the_address(
    tmp_path: Path, mode: str
) -> None:
    api = BotApiStandIn(TOKEN)
    await api.start()
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = webhook_env(port) if mode == "webhook" else {"WEB_PORT": str(port)}
            result = await cxbot_run(api.base_url, tmp_path, settings=settings)
    finally:
        await api.stop()
    line = one_line(*result)
    assert line.startswith(f"cxbot: the web server cannot listen on 127.0.0.1:{port} (")
    assert line.endswith(
        "check WEB_PORT and WEB_HOST (another program, or another cxbot, may hold the port)"
    )
    called = {call.method for call in api.calls}
    assert not called & {"setWebhook", "getUpdates", "setMyCommands"}, "nothing started"


async def test_a_webhook_telegram_refuses_stops_the_start(tmp_path: Path) -> None:
    api = BotApiStandIn(TOKEN)
    api.unsupported.add("setWebhook")
    await api.start()
    try:
        result = await cxbot_run(api.base_url, tmp_path, settings=webhook_env(closed_port()))
    finally:
        await api.stop()
    line = one_line(*result)
    assert line.startswith("cxbot: Telegram refused the webhook https://127.0.0.1:")
    assert "check PUBLIC_URL, and that it reaches this server over https" in line


def test_the_host_is_named_without_path_or_password() -> None:
    assert host_of("https://api.telegram.org") == "api.telegram.org"
    assert host_of("http://user:pw@proxy.local:8081/telegram") == "proxy.local:8081"
