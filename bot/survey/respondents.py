"""Who a response belongs to, as stored: a Telegram user, for surveys that are not anonymous.

Anonymous responses name no one: their `respondent` is the constant 'anonymous', their buttons
carry a random nonce that proves a tap is the respondent's, and a pulse wave's participation
(kept apart from the answers) says who may still answer. No hash of a user id is stored: with
the ids in `users`, any such hash could be recomputed by whoever holds the key.
"""

from __future__ import annotations


def respondent(user_id: int) -> str:
    """The stored owner of a response that is not anonymous."""
    return f"u:{user_id}"
