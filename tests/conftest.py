"""The shipped survey files, loaded once for every test that reads them; and a throwaway
PostgreSQL server for the session, with a fresh database for each test that asks for one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

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
