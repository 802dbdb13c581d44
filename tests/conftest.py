"""The shipped survey files, loaded once for every test that reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.loader import load_catalogue
from bot.survey.model import Survey

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
