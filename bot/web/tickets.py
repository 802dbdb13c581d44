"""Download tickets: a file's URL that works for a few minutes, for one admin, and for that file
only.

Telegram's `downloadFile` fetches a bare URL, with no header of ours. Putting the launch data
in that URL would write a credential good for an hour into every proxy's and server's access
log; a ticket instead names the user, their language and an expiry, signed under a key derived
from the bot token, and covers the path and query it was issued for, so it opens nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.web.initdata import InitDataError

LIFETIME = timedelta(minutes=5)
FIELDS = ("user", "lang", "expires", "ticket")


@dataclass(frozen=True)
class Holder:
    user_id: int
    language: str


def _key(token: str) -> bytes:
    return hmac.new(b"cxbot download ticket", token.encode(), hashlib.sha256).digest()


def _mac(token: str, path: str, query: Iterable[tuple[str, str]], fields: dict[str, str]) -> str:
    own = urlencode([(k, v) for k, v in query if k not in FIELDS])
    text = "\n".join([path, own, fields["user"], fields["lang"], fields["expires"]])
    return hmac.new(_key(token), text.encode(), hashlib.sha256).hexdigest()


def issue(target: str, holder: Holder, token: str, *, now: datetime | None = None) -> str:
    """`target` ('/api/export/nps?period=all') with the ticket's fields added to its query."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    expires = (now or datetime.now(UTC)) + LIFETIME
    fields = {
        "user": str(holder.user_id),
        "lang": holder.language,
        "expires": str(int(expires.timestamp())),
    }
    fields["ticket"] = _mac(token, parts.path, query, fields)
    return f"{parts.path}?{urlencode([*query, *fields.items()])}"


def check(
    path: str, query: Iterable[tuple[str, str]], token: str, *, now: datetime | None = None
) -> Holder:
    """Who the ticket in this request's query was issued to; InitDataError when there is none,
    it is forged, issued for another file, or out of date."""
    items = list(query)
    fields = {k: v for k, v in items if k in FIELDS}
    if set(fields) != set(FIELDS):
        raise InitDataError("no download ticket")
    expected = _mac(token, path, items, fields)
    if not hmac.compare_digest(fields["ticket"].encode(), expected.encode()):
        raise InitDataError("wrong download ticket")
    try:
        expires = datetime.fromtimestamp(int(fields["expires"]), UTC)
        user_id = int(fields["user"])
    except (ValueError, OverflowError):
        raise InitDataError("malformed download ticket") from None
    moment = now or datetime.now(UTC)
    if moment > expires or expires - moment > LIFETIME:
        raise InitDataError("download ticket out of date")
    return Holder(user_id, fields["lang"])
