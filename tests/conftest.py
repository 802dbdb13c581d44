"""The shipped survey files, loaded once for every test that reads them; a throwaway
PostgreSQL server for the session, with a fresh database for each test that asks for one; and
the storage every contract test runs on, once on each engine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.database import Storage
from bot.survey.loader import load_catalogue
from bot.survey.model import Survey
from tests import postgres

SURVEYS = Path(__file__).resolve().parents[1] / "bot" / "surveys"


@pytest.fixture(scope="session")
def catalogue() -> dict[str, Survey]:
    return load_catalogue(SURVEYS)


@pytest.fixture
def nps(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["nps"]


@pytest.fixture
def enps(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["enps"]


@pytest.fixture
def csat(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["csat"]


@pytest.fixture
def ces(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["ces"]


@pytest.fixture
def five(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["five-promises"]


@pytest.fixture
def diagnostic(catalogue: dict[str, Survey]) -> Survey:
    return catalogue["cx-diagnostic"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway server for the whole session, stopped at its end: the URL of its
    maintenance database (`postgres`)."""
    try:
        cluster = postgres.start()
    except postgres.Unavailable as reason:
        postgres.missing(reason, os.environ)
    yield cluster.url()
    postgres.stop(cluster)


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A new, empty database on the session's server, dropped after the test."""
    async with postgres.database(postgres_server) as url:
        yield url


ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine a contract test runs on: every test using `storage` (or `database`) runs once
    on each."""
    return str(request.param)


@pytest.fixture
async def database(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Path | str]:
    """What DATABASE would say: a SQLite file in a temporary folder, or the URL of a new
    PostgreSQL database (the server is started only when a test asks for one)."""
    if engine == "sqlite":
        yield tmp_path / "x.sqlite3"
        return
    async with postgres.database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
async def storage(database: Path | str) -> AsyncIterator[Storage]:
    """The storage as the bot opens it, on the test's engine."""
    opened = await Storage.open(database)
    yield opened
    await opened.close()


async def sql(storage: Storage, statement: str, *params: object) -> list[tuple[Any, ...]]:
    """Raw SQL through the storage's own connection, on either engine: what a test sets up or
    checks beside the storage's methods (another program changing rows, the clock moving on)."""
    return [tuple(row) for row in await storage.db.execute_fetchall(statement, params)]
