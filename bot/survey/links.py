"""Deep-link payloads: which survey a link opens, and for which touchpoint or segment.

The payload is `<survey>` or `<survey>__<segment>`; survey ids never contain `__`, so the first
`__` splits. Telegram allows at most 64 characters of A-Z a-z 0-9 _ - in a start payload, and
links already printed on QR codes must keep working, so this format does not change.

A pulse survey's invite is `<survey>__<team>__<secret>`: the secret, random and stored by the bot
for that survey and team, is what makes the link an invitation. Without it a team's name would be
enough to join, and a few accounts could lift a small team over the anonymity threshold. The
secret has no `_`, so the last `__` ends the team (teams may contain `__`).
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
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
    room = MAX_PAYLOAD - len(target.survey_id) - len(SEPARATOR)
    return _check_payload(payload, "segment", room)


def _check_payload(payload: str, room_for: str, room: int) -> str:
    """The payload if Telegram takes it; LinkError saying how long `room_for` may be."""
    if not _ALLOWED.fullmatch(payload):
        raise LinkError(f"{payload!r}: a link may only carry letters A-Z a-z, digits, _ and -")
    if len(payload) > MAX_PAYLOAD:
        raise LinkError(
            f"{payload!r} is {len(payload)} characters; Telegram allows {MAX_PAYLOAD}:"
            f" keep the {room_for} within {room}"
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


# invites to pulse surveys

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 12
"""62 ** 12 is about 2 ** 71: no one guesses it, and a team name of up to 64 - 16 - len(survey)
characters still fits Telegram's payload."""
_SECRET = re.compile(rf"[{SECRET_ALPHABET}]{{{SECRET_LENGTH}}}")


@dataclass(frozen=True)
class Invite:
    """What an invite link carries: the pulse survey, the team it joins, and the team's secret."""

    survey_id: str
    team: str
    secret: str


def new_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def max_team_length(survey_id: str) -> int:
    """The longest team name whose invite still fits in a payload."""
    return MAX_PAYLOAD - len(survey_id) - 2 * len(SEPARATOR) - SECRET_LENGTH


def check_team(survey_id: str, team: str) -> str:
    """The team if its invite link can be made; LinkError saying why not."""
    if not _ALLOWED.fullmatch(team):
        raise LinkError(f"{team!r}: a team name may only carry letters A-Z a-z, digits, _ and -")
    room = max_team_length(survey_id)
    if len(team) > room:
        raise LinkError(
            f"the team {team!r} is {len(team)} characters; Telegram allows {MAX_PAYLOAD} in a"
            f" link, and with the survey and the secret that leaves {room} for the team"
        )
    return team


def invite_payload(invite: Invite) -> str:
    check_team(invite.survey_id, invite.team)
    return f"{invite.survey_id}{SEPARATOR}{invite.team}{SEPARATOR}{invite.secret}"


def invite_of(target: Target) -> Invite | None:
    """The invite a decoded payload carries; None when it carries no well-formed secret."""
    team, separator, secret = (target.segment or "").rpartition(SEPARATOR)
    if not separator or not team or not _SECRET.fullmatch(secret):
        return None
    return Invite(target.survey_id, team, secret)


def invite_accepted(invite: Invite | None, stored_secret: str | None) -> bool:
    """The link joins only with the team's current secret (compared in constant time)."""
    if invite is None or stored_secret is None:
        return False
    return hmac.compare_digest(invite.secret.encode(), stored_secret.encode())


def invite_link(bot_username: str, invite: Invite) -> str:
    return f"https://t.me/{bot_username}?start={invite_payload(invite)}"
