"""Settings from the environment."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.config import WEBHOOK_SECRET_FORMAT, Config, ConfigError

TELEGRAM_BROADCAST_LIMIT = 30
"""Messages a second Telegram takes from one bot in all."""


def test_the_default_pulse_rate_leaves_a_third_of_telegrams_limit_to_people_answering() -> None:
    config = Config.from_env({})
    assert config.pulse_rate == 20
    assert TELEGRAM_BROADCAST_LIMIT - config.pulse_rate >= TELEGRAM_BROADCAST_LIMIT / 3


def test_the_pulse_rate_can_be_set() -> None:
    assert Config.from_env({"PULSE_RATE": "5"}).pulse_rate == 5


WEBHOOK_ENV = {
    "BOT_TOKEN": "123:abc",
    "WEB_PORT": "8080",
    "PUBLIC_URL": "https://bot.example.org/",
    "WEBHOOK": "1",
}


def test_without_web_settings_there_is_no_web_server_and_updates_are_polled() -> None:
    config = Config.from_env({})
    assert config.web_port is None
    assert config.web_host == "127.0.0.1", "only this machine, until the operator says otherwise"
    assert config.public_url is None
    assert not config.webhook


def test_webhook_mode_takes_the_public_address_without_its_trailing_slash() -> None:
    config = Config.from_env(WEBHOOK_ENV)
    assert config.webhook and config.web_port == 8080
    assert config.webhook_url == "https://bot.example.org/telegram"
    assert config.dashboard_url == "https://bot.example.org/app/"


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1", "80.5"])
def test_a_web_port_that_is_no_port_is_refused_by_name(port: str) -> None:
    with pytest.raises(ConfigError, match=r"^WEB_PORT="):
        Config.from_env({"WEB_PORT": port})


@pytest.mark.parametrize(
    "url", ["http://bot.example.org", "bot.example.org", "https://", "ftp://bot.example.org"]
)
def test_a_public_url_that_is_not_https_is_refused_by_name(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^PUBLIC_URL=.*https"):
        Config.from_env({"PUBLIC_URL": url})


@pytest.mark.parametrize("missing", ["PUBLIC_URL", "WEB_PORT"])
def test_webhook_mode_without_an_address_or_a_port_is_refused_naming_what_is_missing(
    missing: str,
) -> None:
    env = {k: v for k, v in WEBHOOK_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=rf"^WEBHOOK=1 needs {missing}"):
        Config.from_env(env)


def test_webhook_takes_only_0_or_1() -> None:
    assert not Config.from_env({**WEBHOOK_ENV, "WEBHOOK": "0"}).webhook
    with pytest.raises(ConfigError, match=r"^WEBHOOK="):
        Config.from_env({**WEBHOOK_ENV, "WEBHOOK": "yes"})


def test_the_derived_webhook_secret_is_the_same_for_every_replica_and_telegram_accepts_it() -> None:
    one, other = Config.from_env(WEBHOOK_ENV), Config.from_env(dict(WEBHOOK_ENV))
    secret = one.webhook_secret_token()
    assert secret == other.webhook_secret_token()
    assert WEBHOOK_SECRET_FORMAT.fullmatch(secret)
    assert "abc" not in secret
    rotated = Config.from_env({**WEBHOOK_ENV, "BOT_TOKEN": "123:new"})
    assert rotated.webhook_secret_token() != secret, "a new token, a new secret"


def test_a_webhook_secret_set_by_the_operator_is_used_and_never_shown() -> None:
    config = Config.from_env({**WEBHOOK_ENV, "WEBHOOK_SECRET": "s3cret_-value"})
    assert config.webhook_secret_token() == "s3cret_-value"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "é"])
def test_a_webhook_secret_telegram_would_refuse_is_refused_without_repeating_it(
    secret: str,
) -> None:
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET:") as refused:
        Config.from_env({**WEBHOOK_ENV, "WEBHOOK_SECRET": secret})
    assert secret not in str(refused.value)


def test_the_replica_is_named_after_the_host_unless_set() -> None:
    assert Config.from_env({}).replica == socket.gethostname()
    assert Config.from_env({"REPLICA": " cx-2 "}).replica == "cx-2"


@pytest.mark.parametrize("name", ["cx 2", "cx\n2026-11-30 INFO forged line", "cx\x1b[31m"])
def test_a_replica_name_that_would_blur_log_lines_is_refused_by_name(name: str) -> None:
    with pytest.raises(ConfigError, match="REPLICA="):
        Config.from_env({"REPLICA": name})


def test_the_database_is_a_sqlite_file_unless_a_postgresql_url_is_given() -> None:
    assert Config.from_env({}).database == Path("data/cxbot.sqlite3")
    assert Config.from_env({"DATABASE": "/srv/cx.sqlite3"}).database == Path("/srv/cx.sqlite3")
    for url in ("postgresql://cx:secret@db:5432/cxbot", "postgres://cx@db/cxbot"):
        assert Config.from_env({"DATABASE": url}).database == url


@pytest.mark.parametrize(
    "url",
    [
        "mysql://cx:s3cr3t-pw@db/cxbot",
        "postgresql://cx:s3cr3t-pw@db:port/cxbot",
        "postgresql://cx:s3cr3t-pw@:5432/cxbot",
        "postgresql://cx:s3cr3t-pw@db:5432",
    ],
)
def test_a_database_url_cxbot_cannot_use_is_refused_by_name_without_its_password(
    url: str,
) -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE:") as refused:
        Config.from_env({"DATABASE": url})
    assert "s3cr3t-pw" not in str(refused.value)
