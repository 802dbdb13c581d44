"""Checking a Mini App's launch data (`Telegram.WebApp.initData`) as Telegram specifies.

The page sends initData with every API call; only a string signed with the bot's token, recent
enough, and naming a user passes. The key is HMAC-SHA256("WebAppData", token), the signed text
the sorted `key=value` lines without `hash`. Telegram puts no age limit on it: a leaked string
would open the dashboard for ever, so `auth_date` older than MAX_AGE is refused here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)


class InitDataError(ValueError):
    """Why a launch string is refused (for the log; the client only gets 401)."""


@dataclass(frozen=True)
class WebAppUser:
    id: int
    language_code: str | None
    first_name: str


@dataclass(frozen=True)
class InitData:
    user: WebAppUser
    auth_date: datetime


def secret_key(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def signature(fields: dict[str, str], token: str) -> str:
    """The `hash` Telegram computes over these fields (also used by the tests to sign)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    return hmac.new(secret_key(token), check.encode(), hashlib.sha256).hexdigest()


def check_init_data(raw: str, token: str, *, now: datetime | None = None) -> InitData:
    if not raw:
        raise InitDataError("no initData")
    try:
        fields = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise InitDataError("initData is not a query string") from None
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), signature(fields, token).encode()):
        raise InitDataError("wrong signature")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        who = WebAppUser(
            id=int(user["id"]),
            language_code=user.get("language_code"),
            first_name=str(user.get("first_name", "")),
        )
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InitDataError("auth_date or user missing or malformed") from None
    now = now or datetime.now(UTC)
    if now - auth_date > MAX_AGE:
        raise InitDataError("initData is older than an hour")
    if auth_date - now > timedelta(minutes=5):
        raise InitDataError("auth_date is in the future")
    return InitData(user=who, auth_date=auth_date)
