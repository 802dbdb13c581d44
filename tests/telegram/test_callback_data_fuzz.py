"""Hostile callback data: whatever arrives, decoding never fails and never invents an action."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.callback_data import MAX_BYTES, decode, encode

PIECES = st.sampled_from(["a", "k", "b", "c", "r", "s", "l", ":", "0", "12", "yes", "-", "٣", "\n"])


@given(st.text(max_size=200))
def test_any_text_decodes_to_nothing_or_to_what_encodes_back_to_it(data: str) -> None:
    action = decode(data)
    assert action is None or encode(action) == data


@given(st.lists(PIECES, max_size=12).map("".join))
def test_near_misses_of_our_format_are_refused_or_exact(data: str) -> None:
    action = decode(data)
    assert action is None or encode(action) == data
    if action is not None:
        assert len(data.encode()) <= MAX_BYTES and data.isascii()
