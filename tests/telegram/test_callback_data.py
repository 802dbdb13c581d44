"""Our compact callback data: every action round-trips within 64 bytes; anything else is None."""

from __future__ import annotations

import pytest

from bot.telegram.callback_data import (
    Action,
    Answer,
    Back,
    ChooseLanguage,
    Resume,
    StartSurvey,
    decode,
    encode,
)

LARGEST_RESPONSE = 999_999_999_999  # 12 digits
LARGEST_INDEX = 999  # 3 digits
LONGEST_ID = "a" * 12 + "-" + "b" * 11  # 24 characters, the longest survey or value id


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (Answer(12, 3, "yes"), "a:12:3:yes"),
        (Answer(12, 3, None), "k:12:3"),
        (Back(12, 3), "b:12:3"),
        (Resume(12, restart=False), "c:12"),
        (Resume(12, restart=True), "r:12"),
        (StartSurvey("cx-maturity"), "s:cx-maturity"),
        (ChooseLanguage("pt"), "l:pt"),
    ],
)
def test_every_action_round_trips(action: Action, data: str) -> None:
    assert encode(action) == data
    assert decode(data) == action


@pytest.mark.parametrize(
    ("action", "size"),
    [
        (Answer(LARGEST_RESPONSE, LARGEST_INDEX, LONGEST_ID), 2 + 12 + 1 + 3 + 1 + 24),
        (Answer(LARGEST_RESPONSE, LARGEST_INDEX, None), 2 + 12 + 1 + 3),
        (Back(LARGEST_RESPONSE, LARGEST_INDEX), 2 + 12 + 1 + 3),
        (Resume(LARGEST_RESPONSE, restart=True), 2 + 12),
        (StartSurvey(LONGEST_ID), 2 + 24),
    ],
)
def test_the_largest_ids_stay_within_64_bytes(action: Action, size: int) -> None:
    data = encode(action)
    assert len(data.encode()) == size <= 64
    assert decode(data) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x:12",  # unknown prefix
        "A:12:3:yes",  # prefix is lowercase
        "a:12:3:",  # no value
        "a:12:3:Yes",  # values are lowercase
        "a:12:3:yes:more",  # extra field
        "k:12:3:yes",  # a skip carries no value
        "b:12",  # missing index
        "c:12:3",  # extra field
        "c:-12",  # not digits
        "c:1e3",
        "a:1234567890123:3:yes",  # 13-digit response id
        "a:12:1000:yes",  # 4-digit index
        "a:12:3:" + "v" * 25,  # value over 24
        "s:" + "s" * 25,  # survey id over 24
        "s:cx_maturity",  # underscore
        "l:eng",
        "l:PT",
        "s:caf\u00e9",  # unicode letter
        "a:12:3:" + "v" * 58,  # 65 characters
    ],
)
def test_forged_or_garbled_data_decodes_to_none(data: str | None) -> None:
    assert decode(data) is None


@pytest.mark.parametrize("data", ["c:\u0661\u0662", "k:12:\u0663", "a:\u0661:3:yes"])
def test_non_ascii_digits_decode_to_none(data: str) -> None:
    assert decode(data) is None


@pytest.mark.parametrize("data", ["c:12\n", "a:12:3:yes\n", "l:ru\n"])
def test_data_with_a_trailing_newline_decodes_to_none(data: str) -> None:
    assert decode(data) is None
