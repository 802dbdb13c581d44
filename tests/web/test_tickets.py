"""Download tickets: the URL Telegram's downloadFile fetches stands for one admin, one file and
five minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.web.initdata import InitDataError
from bot.web.tickets import LIFETIME, Holder, check, issue

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ANA = Holder(42, "pt")


def presented(url: str, *, at: datetime = NOW, token: str = TOKEN) -> Holder:
    parts = urlsplit(url)
    return check(parts.path, parse_qsl(parts.query), token, now=at)


def test_a_ticket_names_its_holder_and_keeps_the_file_s_own_query() -> None:
    url = issue("/api/export/nps?period=2026-Q4", ANA, TOKEN, now=NOW)
    assert url.startswith("/api/export/nps?period=2026-Q4&")
    assert presented(url) == ANA


def test_a_ticket_lasts_five_minutes() -> None:
    url = issue("/api/qr/nps", ANA, TOKEN, now=NOW)
    assert presented(url, at=NOW + LIFETIME) == ANA
    with pytest.raises(InitDataError, match="out of date"):
        presented(url, at=NOW + LIFETIME + timedelta(seconds=1))
    with pytest.raises(InitDataError, match="out of date"):  # as if issued in the future
        presented(url, at=NOW - timedelta(minutes=1))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("period=2026-Q4", "period=all"),
        ("/nps?", "/csat?"),
        ("user=42", "user=43"),
        ("lang=pt", "lang=en"),
        ("?period=2026-Q4", "?period=2026-Q4&period=all"),
    ],
)
def test_changing_anything_in_it_breaks_the_ticket(before: str, after: str) -> None:
    url = issue("/api/export/nps?period=2026-Q4", ANA, TOKEN, now=NOW)
    assert before in url
    with pytest.raises(InitDataError, match="wrong"):
        presented(url.replace(before, after, 1))


def test_a_ticket_from_another_bot_or_none_at_all_is_refused() -> None:
    url = issue("/api/export/nps", ANA, "999:other", now=NOW)
    with pytest.raises(InitDataError, match="wrong"):
        presented(url)
    with pytest.raises(InitDataError, match="no download ticket"):
        presented("/api/export/nps?period=all")
