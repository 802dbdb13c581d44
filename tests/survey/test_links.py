"""Deep-link payloads: `<survey>` or `<survey>__<segment>`, within Telegram's 64 characters."""

from __future__ import annotations

import pytest

from bot.survey.links import (
    SECRET_LENGTH,
    Invite,
    LinkError,
    Target,
    check_team,
    decode_payload,
    deep_link,
    encode_payload,
    invite_accepted,
    invite_link,
    invite_of,
    invite_payload,
    max_team_length,
    new_secret,
)


@pytest.mark.parametrize(
    ("target", "payload"),
    [
        (Target("nps"), "nps"),
        (Target("nps", "desk-3"), "nps__desk-3"),
        (Target("cx-maturity", "shop_12-north"), "cx-maturity__shop_12-north"),
        (Target("nps", "_lead"), "nps___lead"),
        (Target("nps", "a__b"), "nps__a__b"),
        (Target("nps", "Desk-3"), "nps__Desk-3"),
    ],
)
def test_a_payload_round_trips(target: Target, payload: str) -> None:
    assert encode_payload(target) == payload
    assert decode_payload(payload) == target


def test_an_empty_segment_is_no_segment() -> None:
    assert encode_payload(Target("nps", "")) == "nps"


@pytest.mark.parametrize("segment", ["desk 3", "caf\u00e9", "a/b", "a.b", "a+b", "ä"])
def test_a_segment_outside_the_link_alphabet_is_refused(segment: str) -> None:
    with pytest.raises(LinkError, match="only carry letters"):
        encode_payload(Target("nps", segment))


def test_a_segment_ending_in_a_newline_is_refused() -> None:
    with pytest.raises(LinkError):
        encode_payload(Target("nps", "desk\n"))


def test_a_payload_of_64_characters_is_allowed() -> None:
    segment = "s" * (64 - len("cx-maturity__"))
    assert len(encode_payload(Target("cx-maturity", segment))) == 64


def test_a_payload_over_64_characters_is_refused_saying_the_room_left() -> None:
    segment = "s" * 52  # 11 + 2 + 52 = 65
    with pytest.raises(LinkError) as caught:
        encode_payload(Target("cx-maturity", segment))
    assert "65 characters" in str(caught.value)
    assert "keep the segment within 51" in str(caught.value)


@pytest.mark.parametrize(
    "junk", ["", "n" * 65, "nps desk", "nps/../x", "caf\u00e9", "nps?start=x", "\u0663"]
)
def test_junk_decodes_to_none(junk: str) -> None:
    assert decode_payload(junk) is None


def test_a_payload_ending_in_a_newline_decodes_to_none() -> None:
    assert decode_payload("nps\n") is None


def test_a_deep_link_opens_the_bot_with_the_payload() -> None:
    assert deep_link("cxbot", Target("nps", "desk-3")) == "https://t.me/cxbot?start=nps__desk-3"
    assert deep_link("cxbot", Target("nps")) == "https://t.me/cxbot?start=nps"


def test_a_deep_link_is_refused_for_a_bad_segment() -> None:
    with pytest.raises(LinkError):
        deep_link("cxbot", Target("nps", "desk 3"))


def test_a_secret_is_random_and_carries_at_least_64_bits() -> None:
    made = {new_secret() for _ in range(1000)}
    assert len(made) == 1000
    assert all(len(s) == SECRET_LENGTH and s.isalnum() and s.isascii() for s in made)
    assert 62**SECRET_LENGTH >= 2**64


@pytest.mark.parametrize("team", ["sales", "a__b", "team_", "x-y", "t" * max_team_length("enps")])
def test_an_invite_round_trips_through_a_payload(team: str) -> None:
    invite = Invite("enps", team, new_secret())
    payload = invite_payload(invite)
    assert len(payload) <= 64
    target = decode_payload(payload)
    assert target is not None and invite_of(target) == invite


@pytest.mark.parametrize(
    "payload",
    ["enps", "enps__sales", "enps__sales__short", "enps__sales__AAAAAAAAAAA_", "enps____"],
)
def test_a_payload_without_a_well_formed_secret_is_no_invite(payload: str) -> None:
    target = decode_payload(payload)
    assert target is not None and invite_of(target) is None


def test_only_the_stored_secret_is_accepted() -> None:
    invite = Invite("enps", "sales", "A" * SECRET_LENGTH)
    assert invite_accepted(invite, "A" * SECRET_LENGTH)
    assert not invite_accepted(invite, "B" * SECRET_LENGTH)
    assert not invite_accepted(invite, None), "a team without a link"
    assert not invite_accepted(None, "A" * SECRET_LENGTH)


def test_a_team_too_long_for_an_invite_is_refused_saying_the_room_left() -> None:
    room = max_team_length("enps")
    assert room == 64 - len("enps____") - SECRET_LENGTH
    with pytest.raises(LinkError, match=f"leaves {room} for the team"):
        check_team("enps", "t" * (room + 1))
    with pytest.raises(LinkError, match="only carry letters"):
        check_team("enps", "sales team")
    with pytest.raises(LinkError):
        check_team("enps", "")


def test_an_invite_link_opens_the_bot_with_the_team_and_secret() -> None:
    link = invite_link("cxbot", Invite("enps", "sales", "abcDEF123456"))
    assert link == "https://t.me/cxbot?start=enps__sales__abcDEF123456"
