"""Settings from the environment (names fixed by the deployment contract; see .env.example)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from bot.survey.loader import shipped_surveys
from bot.survey.model import LANGUAGES

PUBLIC_BOT_API = "https://api.telegram.org"
WEBHOOK_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook's secret_token."""


class ConfigError(ValueError):
    """A setting that is missing or malformed: the message names the variable."""


@dataclass(frozen=True)
class Config:
    token: str | None = field(repr=False)
    """Left out of repr: a Config printed in a log or a traceback must not carry a secret."""
    api_base_url: str
    database: Path | str
    """DATABASE: a SQLite file's path (a Path), or a PostgreSQL database's postgresql:// URL
    (a str), shared by every replica."""
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
    web_port: int | None = None
    """WEB_PORT: the web server (health, webhook, Mini App) listens here; None: no server."""
    web_host: str = "127.0.0.1"
    public_url: str | None = None
    """PUBLIC_URL, https, without a trailing slash: where Telegram and browsers reach the web
    server (through a reverse proxy that ends TLS)."""
    webhook: bool = False
    """WEBHOOK=1: updates arrive at PUBLIC_URL/telegram instead of by long polling."""
    webhook_secret: str | None = field(default=None, repr=False)
    """WEBHOOK_SECRET as set; None: derived from the token (see `webhook_secret_token`)."""
    replica: str = field(default_factory=socket.gethostname)
    """REPLICA: this process's name in every log line, to tell replicas apart in logs collected
    together; by default the host name (a container's id under Docker and Kubernetes)."""

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
            database=_database(env.get("DATABASE", "")),
            admin_ids=_admin_ids(env.get("ADMIN_IDS", "")),
            surveys_dir=_optional_path(env.get("SURVEYS_DIR", "")),
            default_language=default_language,
            bot_username=env.get("BOT_USERNAME", "").strip().lstrip("@") or None,
            pulse_rate=_positive(env, "PULSE_RATE", 20.0),
            pulse_tick=_positive(env, "PULSE_TICK_SECONDS", 30.0),
            pulse_reminder_hours=_positive(env, "PULSE_REMINDER_HOURS", 72.0),
            pulse_open_hours=_positive(env, "PULSE_OPEN_HOURS", 168.0),
            retention_days=_days(env, "RETENTION_DAYS"),
            replica=_replica(env.get("REPLICA", "")),
            **_web(env),
        )

    @property
    def survey_folder(self) -> Traversable:
        """Where the surveys are read from: SURVEYS_DIR, else the shipped catalogue."""
        return shipped_surveys() if self.surveys_dir is None else self.surveys_dir

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("BOT_TOKEN is not set: get one from @BotFather")
        return self.token

    @property
    def webhook_url(self) -> str | None:
        return None if self.public_url is None else f"{self.public_url}/telegram"

    @property
    def dashboard_url(self) -> str | None:
        """The Mini App's address, opened by the admins' menu button and /dashboard."""
        return None if self.public_url is None else f"{self.public_url}/app/"

    def webhook_secret_token(self) -> str:
        """The secret Telegram sends back with every webhook request: WEBHOOK_SECRET, else an
        HMAC of the token. Derived rather than random so that every replica behind the proxy,
        and the same bot after a restart, expects the same value without sharing a file; it
        changes when the token is revoked, and whoever could compute it holds the token, which
        already lets them call setWebhook themselves."""
        if self.webhook_secret is not None:
            return self.webhook_secret
        token = self.require_token()
        return hmac.new(token.encode(), b"cxbot webhook secret", hashlib.sha256).hexdigest()


DATABASE_SCHEMES = ("postgresql", "postgres")


def _database(raw: str) -> Path | str:
    """A path, or a PostgreSQL URL checked as far as it can be without connecting (the server
    is reached at start, where a failure names the database without its password). The URL is
    never repeated in a message: it may carry the password."""
    value = raw.strip() or "data/cxbot.sqlite3"
    if "://" not in value:
        return Path(value)
    parts = urlsplit(value)
    if parts.scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"DATABASE: a {parts.scheme}:// URL is not a database cxbot can use: a SQLite"
            " file's path or a postgresql:// URL is expected"
        )
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise ConfigError("DATABASE: the URL's port is not a number from 0 to 65535") from None
    if not parts.hostname and "host=" not in parts.query:
        raise ConfigError(
            "DATABASE: the URL names no server (postgresql://user:password@host:5432/database)"
        )
    if parts.path.strip("/") == "" or "/" in parts.path.strip("/"):
        raise ConfigError(
            "DATABASE: the URL names no database, or more than one path part"
            " (postgresql://user:password@host:5432/database)"
        )
    return value


def _optional_path(raw: str) -> Path | None:
    return Path(raw.strip()) if raw.strip() else None


def _replica(raw: str) -> str:
    """REPLICA as one word of printable characters (it starts every log line: a space or a
    line break there would make lines ambiguous); unset: the host name."""
    name = raw.strip()
    if not name:
        return socket.gethostname()
    if not name.isprintable() or any(c.isspace() for c in name):
        raise ConfigError(f"REPLICA={name!r}: one word is expected (no spaces or line breaks)")
    return name


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


class _WebSettings(TypedDict):
    web_port: int | None
    web_host: str
    public_url: str | None
    webhook: bool
    webhook_secret: str | None


def _web(env: Mapping[str, str]) -> _WebSettings:
    """WEB_PORT, WEB_HOST, PUBLIC_URL, WEBHOOK and WEBHOOK_SECRET, checked together: webhook
    mode needs both the address Telegram calls and the port behind it."""
    raw_port = env.get("WEB_PORT", "").strip()
    port: int | None = None
    if raw_port:
        if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
            raise ConfigError(f"WEB_PORT={raw_port!r}: a port number from 1 to 65535 is expected")
        port = int(raw_port)
    public_url = _public_url(env.get("PUBLIC_URL", ""))
    raw_webhook = env.get("WEBHOOK", "").strip()
    if raw_webhook not in ("", "0", "1"):
        raise ConfigError(f"WEBHOOK={raw_webhook!r}: 1 (webhook) or 0 (long polling) is expected")
    webhook = raw_webhook == "1"
    if webhook and (public_url is None or port is None):
        missing = " and ".join(
            name for name, value in (("PUBLIC_URL", public_url), ("WEB_PORT", port)) if not value
        )
        raise ConfigError(
            f"WEBHOOK=1 needs {missing}: Telegram calls PUBLIC_URL/telegram, which the reverse"
            " proxy passes to the web server on WEB_PORT"
        )
    secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not WEBHOOK_SECRET_FORMAT.fullmatch(secret):
        # the value itself is not repeated: it is a secret
        raise ConfigError(
            "WEBHOOK_SECRET: 1 to 256 characters among A-Z, a-z, 0-9, _ and - are expected"
        )
    return {
        "web_port": port,
        "web_host": env.get("WEB_HOST", "").strip() or "127.0.0.1",
        "public_url": public_url,
        "webhook": webhook,
        "webhook_secret": secret,
    }


def _public_url(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            f"PUBLIC_URL={raw!r}: an https:// address is expected (Telegram calls webhooks and"
            " opens Mini Apps only over https)"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL={raw!r}: no query (?) or fragment (#) is expected")
    return raw.rstrip("/")
