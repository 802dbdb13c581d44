"""The throwaway PostgreSQL server of the tests: which binaries it starts, and what a machine
without them does to the PostgreSQL tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import postgres


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
