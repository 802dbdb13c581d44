"""A throwaway PostgreSQL server for the tests, from the machine's own binaries.

Debian's `postgresql` package puts `initdb` and `pg_ctl` in /usr/lib/postgresql/<version>/bin,
off the PATH; the newest version there is used. The cluster lives in a temporary folder (data,
log and Unix socket), listens on 127.0.0.1 only, on a free port, with trust authentication, and
trades durability for speed (no fsync): nothing in it outlives the test session. `initdb` and
`pg_ctl` refuse to run as root, so as root they run as the `postgres` system user (which the
package creates), in a folder that user owns under its home (/var/lib/postgresql): the temporary
folder of root may be closed to other users.

The server is stopped (`pg_ctl stop -m immediate`) and its folder removed by a watchdog process
of its own session, when the test process closes the pipe to it: at the end of the test
session, or when the test process dies, however it dies (a SIGKILL or a SIGTERM runs no
teardown), so that no server outlives the tests.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import asyncpg
import pytest

INSTALLED = Path("/usr/lib/postgresql")
SERVICE_USER = "postgres"
SUPERUSER = "postgres"
SPEED_OVER_DURABILITY = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class Unavailable(Exception):
    """No PostgreSQL binaries on this machine (Debian's `postgresql` package is not installed)."""


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in folder.name.split(".") if part.isdigit())


def binaries(installed: Path = INSTALLED) -> Path:
    """The bin folder of the newest PostgreSQL that has both `initdb` and `pg_ctl`."""
    found = [
        version / "bin"
        for version in (installed.iterdir() if installed.is_dir() else ())
        if (version / "bin" / "initdb").is_file() and (version / "bin" / "pg_ctl").is_file()
    ]
    if not found:
        raise Unavailable(f"no initdb and pg_ctl under {installed}/<version>/bin")
    return max(found, key=lambda bin_folder: _version(bin_folder.parent))


def missing(reason: Unavailable, environ: Mapping[str, str]) -> NoReturn:
    """Skip the PostgreSQL tests where the binaries are missing, unless POSTGRES_TESTS=required
    (CI sets it): there their absence fails the run rather than hiding half of the tests."""
    if environ.get("POSTGRES_TESTS") == "required":
        pytest.fail(f"POSTGRES_TESTS=required, and {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def free_port() -> int:
    """A port nobody listens on now (the server may still lose it to another; start retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


WATCHDOG = """
import pathlib, shutil, subprocess, sys
sys.stdin.buffer.read()  # returns once the test process closed the pipe or is gone
folder, *stop = sys.argv[1:]
if (pathlib.Path(folder) / "data" / "postmaster.pid").exists():
    subprocess.run(stop, capture_output=True, timeout=120, check=False)
shutil.rmtree(folder, ignore_errors=True)
"""


@dataclass(frozen=True)
class Cluster:
    bin: Path
    folder: Path
    port: int
    owner: str | None
    """The system user the server runs as; None: the user running the tests."""
    watchdog: subprocess.Popen[bytes] = field(compare=False, repr=False)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def with_database(url: str, database: str) -> str:
    """The same server's URL for another database."""
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@asynccontextmanager
async def database(server: str) -> AsyncIterator[str]:
    """A new, empty database on the server at `server` (its URL), dropped on the way out."""
    name = f"test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield with_database(server, name)
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        finally:
            await admin.close()


def _as(owner: str | None, command: list[str]) -> list[str]:
    return command if owner is None else ["runuser", "-u", owner, "--", *command]


def _run(command: list[str], owner: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _as(owner, command), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _watch(folder: Path, bin_folder: Path, owner: str | None) -> subprocess.Popen[bytes]:
    """The watchdog of a cluster in `folder` (see the module's docstring). Its own session:
    a signal to the test process's group does not reach it. The pipe's end stays in this
    process only (Python opens it non-inheritable), so the bots the tests start do not hold
    it open."""
    stop = [str(bin_folder / "pg_ctl"), "stop", "--pgdata", str(folder / "data")]
    stop += ["--mode", "immediate", "--wait"]
    return subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(folder), *_as(owner, stop)],
        stdin=subprocess.PIPE,
        cwd=folder,
        start_new_session=True,
    )


def _failed(what: str, result: subprocess.CompletedProcess[str], log: Path) -> RuntimeError:
    tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
    return RuntimeError(
        f"{what} failed ({result.returncode}): {result.stderr}{result.stdout}{tail}"
    )


def start(attempts: int = 5) -> Cluster:
    """initdb a new cluster in a temporary folder and start it; raises Unavailable when the
    binaries are missing, RuntimeError (with the server's log) when it does not come up."""
    bin_folder = binaries()
    owner = SERVICE_USER if os.geteuid() == 0 else None
    try:
        account = pwd.getpwnam(owner) if owner is not None else None
    except KeyError:
        raise RuntimeError(
            f"initdb refuses root, and there is no {owner!r} user to run it as:"
            " install Debian's postgresql package, which creates it"
        ) from None
    base = account.pw_dir if account is not None and Path(account.pw_dir).is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="cxbot-pg-", dir=base))
    watchdog = _watch(folder, bin_folder, owner)
    cluster = Cluster(bin_folder, folder, 0, owner, watchdog)
    try:
        if account is not None:
            os.chown(folder, account.pw_uid, account.pw_gid)
        initdb = [str(bin_folder / "initdb"), "--pgdata", str(cluster.data)]
        initdb += ["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8"]
        initdb += ["--locale", "C", "--no-sync", "--no-instructions"]
        result = _run(initdb, owner, folder)
        if result.returncode != 0:
            raise _failed("initdb", result, cluster.log)
        for _ in range(attempts):  # another program may take the free port before the server
            cluster = Cluster(bin_folder, folder, free_port(), owner, watchdog)
            settings = [f"-p {cluster.port}", f"-k {folder}", "-c listen_addresses=127.0.0.1"]
            settings += [f"-c {setting}" for setting in SPEED_OVER_DURABILITY]
            pg_ctl = [str(bin_folder / "pg_ctl"), "start", "--pgdata", str(cluster.data)]
            pg_ctl += ["--log", str(cluster.log), "--wait", "--timeout", "60"]
            pg_ctl += ["--options", " ".join(settings)]
            result = _run(pg_ctl, owner, folder)
            if result.returncode == 0:
                return cluster
        raise _failed("pg_ctl start", result, cluster.log)
    except BaseException:
        stop(cluster)
        raise


def stop(cluster: Cluster) -> None:
    """Stop at once (nothing in it is kept) and remove the folder: the watchdog does both
    when its pipe closes."""
    assert cluster.watchdog.stdin is not None
    cluster.watchdog.stdin.close()
    cluster.watchdog.wait(timeout=120)
