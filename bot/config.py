"""Settings from the environment (names fixed by the deployment contract; see .env.example)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.survey.loader import shipped_surveys
from bot.survey.model import LANGUAGES

PUBLIC_BOT_API = "https://api.telegram.org"


class ConfigError(ValueError):
    """A setting that is missing or malformed: the message names the variable."""


@dataclass(frozen=True)
class Config:
    token: str | None = field(repr=False)
    """Left out of repr: a Config printed in a log or a traceback must not carry a secret."""
    api_base_url: str
    database: Path
    admin_ids: frozenset[int]
    surveys_dir: Path | None
    """SURVEYS_DIR, replacing the shipped catalogue; None: the catalogue inside the package."""
    default_language: str
    bot_username: str | None
    pulse_rate: float = 20.0
    """Pulse messages per second in all: two thirds of Telegram's ~30 broadcast limit, so that
    the replies to people answering a wave (a third of the budget) are not refused with 429s."""
    pulse_tick: float = 30.0
    """Seconds between the pulse runner's looks at schedules, reminders and deliveries."""
    pulse_reminder_hours: float = 72.0
    pulse_open_hours: float = 168.0
    retention_days: int | None = None
    """People not seen for this many days, and answers left unfinished as long, are deleted;
    None: kept until /forget."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        default_language = env.get("DEFAULT_LANGUAGE", "en").strip().lower() or "en"
        if default_language not in LANGUAGES:
            raise ConfigError(
                f"DEFAULT_LANGUAGE={default_language!r}: must be one of {', '.join(LANGUAGES)}"
            )
        return cls(
            token=env.get("BOT_TOKEN", "").strip() or None,
            api_base_url=(env.get("BOT_API_BASE_URL", "").strip() or PUBLIC_BOT_API).rstrip("/"),
            database=Path(env.get("DATABASE", "").strip() or "data/cxbot.sqlite3"),
            admin_ids=_admin_ids(env.get("ADMIN_IDS", "")),
            surveys_dir=_optional_path(env.get("SURVEYS_DIR", "")),
            default_language=default_language,
            bot_username=env.get("BOT_USERNAME", "").strip().lstrip("@") or None,
            pulse_rate=_positive(env, "PULSE_RATE", 20.0),
            pulse_tick=_positive(env, "PULSE_TICK_SECONDS", 30.0),
            pulse_reminder_hours=_positive(env, "PULSE_REMINDER_HOURS", 72.0),
            pulse_open_hours=_positive(env, "PULSE_OPEN_HOURS", 168.0),
            retention_days=_days(env, "RETENTION_DAYS"),
        )

    @property
    def survey_folder(self) -> Traversable:
        """Where the surveys are read from: SURVEYS_DIR, else the shipped catalogue."""
        return shipped_surveys() if self.surveys_dir is None else self.surveys_dir

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("BOT_TOKEN is not set: get one from @BotFather")
        return self.token


def _optional_path(raw: str) -> Path | None:
    return Path(raw.strip()) if raw.strip() else None


def _admin_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"ADMIN_IDS: {part!r} is not a Telegram user id (a number)")
        ids.add(int(part))
    return frozenset(ids)


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: a number is expected") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r}: must be above 0")
    return value


def _days(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r}: a whole number of days, 1 or more, is expected")
    return int(raw)
