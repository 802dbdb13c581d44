"""Mini App launch data: only a fresh string signed with this bot's token names a user."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from bot.web.initdata import InitDataError, check_init_data, signature

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def signed(user_id: int = 42, *, age: timedelta = timedelta(minutes=1), token: str = TOKEN) -> str:
    fields = {
        "auth_date": str(int((NOW - age).timestamp())),
        "query_id": "AAH",
        "user": json.dumps({"id": user_id, "first_name": "Ana", "language_code": "pt"}),
    }
    fields["hash"] = signature(fields, token)
    return urlencode(fields)


def test_a_string_signed_with_the_token_names_its_user() -> None:
    data = check_init_data(signed(42), TOKEN, now=NOW)
    assert data.user.id == 42
    assert data.user.language_code == "pt"


def test_a_string_signed_with_another_token_is_refused() -> None:
    with pytest.raises(InitDataError, match="signature"):
        check_init_data(signed(42, token="999:other"), TOKEN, now=NOW)


def test_changing_the_user_breaks_the_signature() -> None:
    forged = signed(42).replace("%22id%22%3A+42", "%22id%22%3A+7")
    assert forged != signed(42)
    with pytest.raises(InitDataError, match="signature"):
        check_init_data(forged, TOKEN, now=NOW)


def test_a_string_older_than_an_hour_is_refused() -> None:
    check_init_data(signed(age=timedelta(minutes=59)), TOKEN, now=NOW)
    with pytest.raises(InitDataError, match="older"):
        check_init_data(signed(age=timedelta(minutes=61)), TOKEN, now=NOW)


@pytest.mark.parametrize("raw", ["", "hash=", "garbage", "user=1&auth_date=x&hash=00"])
def test_missing_or_malformed_data_is_refused(raw: str) -> None:
    with pytest.raises(InitDataError):
        check_init_data(raw, TOKEN, now=NOW)
