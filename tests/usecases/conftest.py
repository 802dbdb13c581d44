"""Use cases as every adapter calls them: a real database on each engine (the `storage` of
tests/conftest.py), the shipped surveys, no Telegram."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.storage.database import Storage
from bot.survey.model import Survey
from bot.usecases.deps import Deps
from bot.usecases.respondent import Person

ADMIN = 1000


@pytest.fixture
def wakes() -> list[str]:
    """One entry per time a use case woke the pulse runner."""
    return []


@pytest.fixture
def deps(storage: Storage, catalogue: dict[str, Survey], wakes: list[str]) -> Deps:
    config = Config.from_env({"ADMIN_IDS": str(ADMIN), "BOT_USERNAME": "cx_test_bot"})
    return Deps(config, catalogue, storage, wake_pulses=lambda: wakes.append("wake"))


@pytest.fixture
async def person(deps: Deps) -> Person:
    from bot.usecases.respondent import visit

    return await visit(deps, 42, "fr")
