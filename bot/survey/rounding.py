"""Rounding as people expect it on a report (62.5 % shows as 63 %, 5.25 as 5.3).

Python's round() and Babel round half to even; a respondent comparing their taps with the
summary, or an admin checking a figure by hand, expects half up. Every figure shown goes
through here, so what is shown and what is compared (maturity bands) always agree.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, digits: int = 0) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def whole(value: float) -> int:
    return int(half_up(value))


def whole_percent(share: float) -> int:
    """0.625 -> 63."""
    return int(half_up(share * 100))
