"""Settings from the environment."""

from __future__ import annotations

from bot.config import Config

TELEGRAM_BROADCAST_LIMIT = 30
"""Messages a second Telegram takes from one bot in all."""


def test_the_default_pulse_rate_leaves_a_third_of_telegrams_limit_to_people_answering() -> None:
    config = Config.from_env({})
    assert config.pulse_rate == 20
    assert TELEGRAM_BROADCAST_LIMIT - config.pulse_rate >= TELEGRAM_BROADCAST_LIMIT / 3


def test_the_pulse_rate_can_be_set() -> None:
    assert Config.from_env({"PULSE_RATE": "5"}).pulse_rate == 5
