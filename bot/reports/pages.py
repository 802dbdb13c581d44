"""Long admin lists cut into messages that Telegram accepts (4096 characters each).

A list that grows with what people do (teams, schedules) must never make the answer unsendable:
Telegram refuses a longer message outright, and the admin would get nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_MESSAGE = 4096
"""Telegram's limit for one message, counted in UTF-16 code units."""
FOOTER_ROOM = 200
"""Kept free on every page for the line that says which page it is and how to get the next."""
MAX_LINE = 400
"""A longer line (a team name typed at length) is cut, so that one line always fits a page."""

Section = tuple[str, Sequence[str]]
"""A heading and its lines; a page that starts inside a section repeats the heading."""


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def clip(line: str, most: int = MAX_LINE) -> str:
    if units(line) <= most:
        return line
    while units(line) > most - 1:
        line = line[:-1]
    return line + "…"


def paginate(sections: Sequence[Section], room: int = MAX_MESSAGE - FOOTER_ROOM) -> list[list[str]]:
    """The lines of each page, in order, each page within `room` once joined by newlines.
    There is always at least one page, even for an empty list."""
    pages: list[list[str]] = []
    page: list[str] = []
    used = 0
    for heading, lines in sections:
        heading = clip(heading)
        shown = False  # the heading is on the current page
        clipped: list[str | None] = [clip(line) for line in lines]
        for line in clipped or [None]:
            wanted = ([] if shown else [heading]) + ([] if line is None else [line])
            cost = sum(units(text) + 1 for text in wanted)
            if page and used + cost > room:
                pages.append(page)
                page, used = [], 0
                wanted = [heading] + ([] if line is None else [line])
                cost = sum(units(text) + 1 for text in wanted)
            page += wanted
            used += cost
            shown = True
    if page or not pages:
        pages.append(page)
    return pages
