"""Reports read on a connection of their own that cannot write, one report at a time, on both
engines."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from bot.storage.database import Storage


async def test_the_report_connection_cannot_write(storage: Storage) -> None:
    async with storage.report() as reports:
        connection = reports._db
        refused = (sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)
        with pytest.raises(refused, match=r"readonly|read-only"):
            await connection.execute(
                "INSERT INTO users (id, created_at) VALUES (1, '2026-01-01 10:00:00.000')"
            )
    assert await storage.user(1) is None


async def test_answers_are_written_while_a_report_reads(storage: Storage) -> None:
    """A report's read transaction takes no lock a write needs: a tap is not held up by it."""
    async with storage.report() as reports:
        await reports.activity()
        await asyncio.wait_for(storage.touch_user(5, "en"), 1)
        assert await reports.activity() == [], "the report keeps its own snapshot"
    assert await storage.user(5) is not None


async def test_a_second_report_waits_for_the_first(storage: Storage) -> None:
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def report(name: str, hold: bool) -> None:
        async with storage.report():
            order.append(f"{name} in")
            if hold:
                first_in.set()
                await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(report("first", True))
    await first_in.wait()
    assert storage.report_running
    second = asyncio.create_task(report("second", False))
    await asyncio.sleep(0.05)
    assert order == ["first in"], "the second waits its turn"
    release.set()
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]
    assert not storage.report_running
