"""Report tests on both engines (the `storage` of tests/conftest.py), written at times the
test chooses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.storage import database, pulses


class Clock:
    """Stands in for the database's clock: every write (answers, waves, deliveries) happens at
    `now`, a UTC stamp."""

    def __init__(self) -> None:
        self.now = "2026-11-02 10:00:00.000"

    def __call__(self) -> str:
        return self.now

    def after(self, hours: float) -> str:
        moment = datetime.fromisoformat(self.now) + timedelta(hours=hours)
        return moment.strftime("%Y-%m-%d %H:%M:%S.000")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stand_in = Clock()
    monkeypatch.setattr(database, "utcnow", stand_in)
    monkeypatch.setattr(pulses, "utcnow", stand_in)
    monkeypatch.setattr(pulses, "after", stand_in.after)
    return stand_in
