"""Our compact callback data: every action round-trips within 64 bytes; anything else is None."""

from __future__ import annotations

import pytest

from bot.telegram.callback_data import (
    FORGET_SECONDS,
    Action,
    Answer,
    Back,
    ChooseLanguage,
    Forget,
    Resume,
    StartSurvey,
    WaveAnswer,
    decode,
    encode,
    response_of,
)

LARGEST_RESPONSE = 2**53 - 1  # 16 digits: a JavaScript number holds it exactly
NONCE = "Ab-_9zQx0Yw7"  # secrets.token_urlsafe(9)
LARGEST_INDEX = 999  # 3 digits
LONGEST_ID = "a" * 12 + "-" + "b" * 11  # 24 characters, the longest survey or value id


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (Answer(12, 3, "yes"), "a:12:3:yes"),
        (Answer(12, 3, None), "k:12:3"),
        (Back(12, 3), "b:12:3"),
        (Answer(12, 3, "yes", NONCE), f"a:12:3:yes:{NONCE}"),
        (Answer(12, 3, None, NONCE), f"k:12:3:{NONCE}"),
        (Back(12, 3, NONCE), f"b:12:3:{NONCE}"),
        (WaveAnswer(5, 0, "9"), "w:5:0:9"),
        (WaveAnswer(5, 0, None), "w:5:0"),
        (Resume(12, restart=False), "c:12"),
        (Resume(12, restart=True), "r:12"),
        (StartSurvey("cx-maturity"), "s:cx-maturity"),
        (ChooseLanguage("pt"), "l:pt"),
        (Forget(True, 4242, 1796000000), "f:y:4242:1796000000"),
        (Forget(False, 4242, 1796000000), "f:n:4242:1796000000"),
    ],
)
def test_every_action_round_trips(action: Action, data: str) -> None:
    assert encode(action) == data
    assert decode(data) == action


@pytest.mark.parametrize(
    ("action", "size"),
    [
        (Answer(LARGEST_RESPONSE, LARGEST_INDEX, LONGEST_ID), 2 + 16 + 1 + 3 + 1 + 24),
        (
            Answer(LARGEST_RESPONSE, LARGEST_INDEX, LONGEST_ID, NONCE),
            2 + 16 + 1 + 3 + 1 + 24 + 1 + 12,
        ),
        (Answer(LARGEST_RESPONSE, LARGEST_INDEX, None, NONCE), 2 + 16 + 1 + 3 + 1 + 12),
        (Back(LARGEST_RESPONSE, LARGEST_INDEX, NONCE), 2 + 16 + 1 + 3 + 1 + 12),
        (WaveAnswer(LARGEST_RESPONSE, LARGEST_INDEX, LONGEST_ID), 2 + 16 + 1 + 3 + 1 + 24),
        (Resume(LARGEST_RESPONSE, restart=True), 2 + 16),
        (StartSurvey(LONGEST_ID), 2 + 24),
        (Forget(True, LARGEST_RESPONSE, 10**12 - 1), 2 + 2 + 16 + 1 + 12),
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
        "a:12:3:yes:more",  # extra field that is no nonce (12 characters)
        f"a:12:3:yes:{NONCE}x",  # a nonce of 13 characters
        "a:12:3:yes:Ab-_9zQx0Yw!",  # a character no nonce has
        f"c:12:{NONCE}",  # continuing is never for an anonymous response
        "w:5",  # a wave answer without its question
        f"w:5:0:9:{NONCE}",  # a first answer has no nonce yet
        "w:0:0:9",  # ids start at 1
        "a:012:3:yes",  # no leading zero: one action, one spelling
        "k:12:3:yes",  # a skip carries no value
        "b:12",  # missing index
        "c:12:3",  # extra field
        "c:-12",  # not digits
        "c:1e3",
        "a:12345678901234567:3:yes",  # 17-digit response id
        "a:12:1000:yes",  # 4-digit index
        "a:12:3:" + "v" * 25,  # value over 24
        "s:" + "s" * 25,  # survey id over 24
        "s:cx_maturity",  # underscore
        "l:eng",
        "l:PT",
        "s:caf\u00e9",  # unicode letter
        "a:12:3:" + "v" * 58,  # 65 characters
        "f:x:4242:1796000000",  # neither yes nor no
        "f:y:4242",  # no time asked
        "f:y:0:1796000000",  # user ids start at 1
        "f:y:-4242:1796000000",
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


def test_a_forget_confirmation_is_valid_only_for_its_person_for_a_few_minutes() -> None:
    asked = 1_796_000_000
    tap = Forget(True, 4242, asked)
    assert tap.valid_for(4242, asked + 1)
    assert tap.valid_for(4242, asked + FORGET_SECONDS)
    assert not tap.valid_for(4243, asked + 1), "someone else's"
    assert not tap.valid_for(4242, asked + FORGET_SECONDS + 1), "stale"
    assert not tap.valid_for(4242, asked - 60), "not asked yet"


@pytest.mark.parametrize(
    ("action", "response"),
    [
        (Answer(12, 3, "yes"), 12),
        (Answer(12, 3, None, NONCE), 12),
        (Back(13, 2), 13),
        (Resume(14, restart=True), 14),
        (WaveAnswer(5, 0, "9"), None),
        (StartSurvey("nps"), None),
        (ChooseLanguage("fr"), None),
        (Forget(True, 7, 0), None),
        (None, None),
    ],
)
def test_an_action_names_the_response_it_is_about_if_any(
    action: Action | None, response: int | None
) -> None:
    assert response_of(action) == response
