"""Who a response belongs to, as stored: a Telegram user, or a keyed hash for anonymous surveys.

An anonymous response must still be resumable and counted once, so it carries
HMAC(secret, survey:user): stable for one person and survey, unlinkable to the Telegram id
without the secret (which lives in the environment, never in the database), and different
for each survey so that answers to two anonymous surveys cannot be joined.
"""

from __future__ import annotations

import hashlib
import hmac

from bot.survey.model import Survey


def respondent(survey: Survey, user_id: int, secret: str, wave_id: int | None = None) -> str:
    """Pulses add the wave: one response per wave, and two waves cannot be joined either."""
    if not survey.anonymous:
        return f"u:{user_id}"
    scope = survey.id if wave_id is None else f"{survey.id}:wave{wave_id}"
    digest = hmac.new(secret.encode(), f"{scope}:{user_id}".encode(), hashlib.sha256)
    return f"a:{digest.hexdigest()[:32]}"
