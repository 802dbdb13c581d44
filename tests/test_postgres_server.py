"""The throwaway PostgreSQL server of the tests: which binaries it starts, what a machine
without them does to the PostgreSQL tests, and that no server outlives the test process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import postgres

ROOT = Path(__file__).resolve().parents[1]


def install(root: Path, version: str, *programs: str) -> Path:
    folder = root / version / "bin"
    folder.mkdir(parents=True)
    for program in programs:
        (folder / program).write_text("#!/bin/sh\n")
    return folder


def test_the_newest_version_with_initdb_and_pg_ctl_is_used(tmp_path: Path) -> None:
    install(tmp_path, "9.6", "initdb", "pg_ctl")
    newest_complete = install(tmp_path, "15", "initdb", "pg_ctl")
    install(tmp_path, "16", "pg_ctl")  # a client-only install: no initdb

    assert postgres.binaries(tmp_path) == newest_complete


@pytest.mark.parametrize("installed", ["empty", "absent"])
def test_no_binaries_is_unavailable(tmp_path: Path, installed: str) -> None:
    root = tmp_path if installed == "empty" else tmp_path / "postgresql"

    with pytest.raises(postgres.Unavailable, match="no initdb and pg_ctl"):
        postgres.binaries(root)


def test_missing_binaries_skip_the_tests_unless_they_are_required() -> None:
    reason = postgres.Unavailable("no initdb and pg_ctl under /nowhere")

    with pytest.raises(pytest.skip.Exception, match="/nowhere"):
        postgres.missing(reason, {})
    with pytest.raises(pytest.fail.Exception, match=r"POSTGRES_TESTS=required.*/nowhere"):
        postgres.missing(reason, {"POSTGRES_TESTS": "required"})


TEST_PROCESS = """
import sys, time
from tests import postgres
try:
    cluster = postgres.start()
except postgres.Unavailable as reason:
    print("unavailable", reason, flush=True)
    sys.exit(0)
print(cluster.port, cluster.folder, flush=True)
time.sleep(600)
"""


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_server_does_not_outlive_a_test_process_killed_with_sigkill() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", TEST_PROCESS], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        words = process.stdout.readline().split(maxsplit=1)
        if words[0] == "unavailable":
            postgres.missing(postgres.Unavailable(words[1]), os.environ)
        port, folder = int(words[0]), Path(words[1].strip())
        assert listening(port)
        assert folder.is_dir()
    finally:
        process.kill()
        process.wait()

    deadline = time.monotonic() + 30
    while (listening(port) or folder.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not listening(port)
    assert not folder.exists()
