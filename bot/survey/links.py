"""Deep-link payloads: which survey a link opens, and for which touchpoint or segment.

The payload is `<survey>` or `<survey>__<segment>`; survey ids never contain `__`, so the first
`__` splits. Telegram allows at most 64 characters of A-Z a-z 0-9 _ - in a start payload, and
links already printed on QR codes must keep working, so this format does not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PAYLOAD = 64
_ALLOWED = re.compile(r"[A-Za-z0-9_-]+")
SEPARATOR = "__"


class LinkError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    survey_id: str
    segment: str | None = None


def encode_payload(target: Target) -> str:
    payload = target.survey_id
    if target.segment:
        payload += SEPARATOR + target.segment
    if not _ALLOWED.fullmatch(payload):
        raise LinkError(f"{payload!r}: a link may only carry letters A-Z a-z, digits, _ and -")
    if len(payload) > MAX_PAYLOAD:
        raise LinkError(
            f"{payload!r} is {len(payload)} characters; Telegram allows {MAX_PAYLOAD}:"
            f" keep the segment within {MAX_PAYLOAD - len(target.survey_id) - len(SEPARATOR)}"
        )
    return payload


def decode_payload(payload: str) -> Target | None:
    """None for what no link of ours could carry."""
    if not payload or len(payload) > MAX_PAYLOAD or not _ALLOWED.fullmatch(payload):
        return None
    survey_id, _, segment = payload.partition(SEPARATOR)
    if not survey_id:
        return None
    return Target(survey_id=survey_id, segment=segment or None)


def deep_link(bot_username: str, target: Target) -> str:
    return f"https://t.me/{bot_username}?start={encode_payload(target)}"
