"""What a running bot loads: a bot polling on SQLite imports nothing that only another mode or
an admin's request needs (the web server, metrics, PostgreSQL's driver, charts, QR codes,
exports), so that each costs memory only where it is used."""

from __future__ import annotations

from pathlib import Path

from tests.telegram.conftest import clean
from tests.telegram.harness import BotProcess, Person
from tests.telegram.standin import BotApiStandIn

ELSEWHERE = {
    "aiohttp.web": "the web server (WEB_PORT)",
    "prometheus_client": "/metrics, served by the web server",
    "bot.web": "the web server's routes and the dashboard",
    "asyncpg": "a postgresql:// DATABASE",
    "bot.storage.postgres": "a postgresql:// DATABASE",
    "matplotlib": "a chart an admin asks for",
    "bot.reports.chart": "a chart an admin asks for",
    "segno": "a QR code an admin asks for",
    "bot.reports.qr": "a QR code an admin asks for",
    "bot.reports.export": "an export an admin asks for",
    "bot.reports.summary": "a summary an admin asks for",
    "babel.messages.pofile": "a catalog whose compiled form is missing or stale",
    "bot.telegram.admin": "an admin's command",
    "bot.storage.reports": "a report an admin asks for",
}
"""Packages a polling bot on SQLite leaves unimported, and who needs them."""


def imported(log: str) -> set[str]:
    """The modules a process imported, from what `-X importtime` wrote on its stderr."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in log.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def within(modules: set[str], package: str) -> set[str]:
    return {m for m in modules if m == package or m.startswith(package + ".")}


async def answered_once(api: BotApiStandIn, tmp_path: Path, mode: str) -> set[str]:
    """A bot's imports by the time a customer answered a question through it."""
    bot = BotProcess(api, tmp_path, mode=mode, PYTHONPROFILEIMPORTTIME="1")
    await bot.start()
    try:
        customer = Person(api, 2001, "en")
        await customer.send("/start nps__desk-3")
        await customer.tap("9")
        assert "2/2" in customer.text
    finally:
        await bot.stop()
    clean(bot)
    return imported(bot.log_text())


async def test_a_polling_bot_imports_nothing_only_other_modes_need(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    modules = await answered_once(api, tmp_path, "polling")
    assert "bot.telegram.app" in modules, "the import log was read"
    loaded = {package: why for package, why in ELSEWHERE.items() if within(modules, package)}
    assert loaded == {}


async def test_the_web_server_and_its_metrics_are_imported_in_webhook_mode(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    modules = await answered_once(api, tmp_path, "webhook")
    assert within(modules, "aiohttp.web") and within(modules, "prometheus_client")
    assert not within(modules, "asyncpg"), "PostgreSQL's driver still waits for its URL"


def test_the_admin_commands_registered_before_their_module_are_its_own() -> None:
    from bot.telegram.admin import AdminCommands
    from bot.telegram.handlers import ADMIN_COMMANDS

    assert set(ADMIN_COMMANDS) == set(AdminCommands(lambda: None).commands)  # type: ignore[arg-type, return-value]
