"""Admin lists in pages: every page within Telegram's limit, nothing lost, headings repeated."""

from __future__ import annotations

from bot.reports.pages import MAX_LINE, clip, paginate, units


def test_a_short_list_is_one_page() -> None:
    assert paginate([("Teams:", ["a: 1 / 0", "b: 2 / 0"]), ("Pulses:", [])]) == [
        ["Teams:", "a: 1 / 0", "b: 2 / 0", "Pulses:"]
    ]


def test_an_empty_list_is_one_empty_page() -> None:
    assert paginate([]) == [[]]


def test_every_page_fits_and_every_line_is_on_one_page_with_its_heading() -> None:
    teams = [f"team-{n:03d}: 8 / 0".ljust(60, "x") for n in range(300)]
    pulses = [f"{n}. enps → team-{n:03d}: weekly".ljust(90, "y") for n in range(300)]
    pages = paginate([("Teams:", teams), ("Pulses:", pulses)], room=1000)
    assert len(pages) > 2
    assert all(units("\n".join(page)) <= 1000 for page in pages)
    flat = [line for page in pages for line in page if line not in ("Teams:", "Pulses:")]
    assert flat == teams + pulses
    for page in pages:
        first = page[0]
        assert first in ("Teams:", "Pulses:"), "a page starts with the heading of its lines"


def test_a_line_longer_than_a_page_is_cut_and_counted_as_telegram_counts() -> None:
    assert units("🙂") == 2
    long = "🙂" * 5000
    assert units(clip(long)) <= MAX_LINE and clip(long).endswith("…")
    (page,) = paginate([("Teams:", [long])])
    assert units("\n".join(page)) <= 4096
