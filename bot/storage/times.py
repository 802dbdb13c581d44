"""Timestamps as stored: UTC text that SQLite's date functions read and that sorts in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def stamp(moment: datetime) -> str:
    """'2026-11-29 04:12:33.125': to the millisecond, so that order is kept."""
    return moment.astimezone(UTC).isoformat(sep=" ", timespec="milliseconds")[:23]


def utcnow() -> str:
    return stamp(datetime.now(UTC))


def after(hours: float) -> str:
    return stamp(datetime.now(UTC) + timedelta(hours=hours))


def to_the_hour(timestamp: str) -> str:
    """Nothing finer than the hour (when a user was first seen, when a response was closed)."""
    return timestamp[:13] + ":00:00.000"


def to_the_day(timestamp: str) -> str:
    """What an anonymous response keeps of a time: the day, shared by everyone answering it."""
    return timestamp[:10] + " 00:00:00.000"
