"""What claiming a webhook update in the shared database can answer.

An update is acknowledged to Telegram only once it is handled, so a claim is a lease: a
process that died while handling an update must not keep its redelivery out for good.
"""

from __future__ import annotations

from enum import StrEnum

CLAIM_LEASE = 10.0
"""Seconds a claim on an update keeps other processes away while it is not handled yet: far
longer than any handling takes (a tap is milliseconds), so past it the claimer is taken for
dead. Should a live one be that slow, the second handling meets the conditional writes that
already make a double tap store one answer."""


class Claimed(StrEnum):
    TAKEN = "taken"
    """This process handles the update now (first delivery, or a claim past its lease)."""
    HANDLED = "handled"
    """Handled already, here or elsewhere: acknowledge it and drop it."""
    BUSY = "busy"
    """Another process claimed it within the lease and has not finished: let Telegram deliver
    it again later."""
