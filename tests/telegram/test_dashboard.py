"""The admins' ways into the dashboard: a menu button in each admin's chat and /dashboard;
anyone else sees neither."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.web.initdata import signature
from tests.telegram.harness import ADMIN, TOKEN, BotProcess, Person
from tests.telegram.standin import BotApiStandIn

PUBLIC_URL = "https://cx.example.org"
DASHBOARD = f"{PUBLIC_URL}/app/"
OTHER_ADMIN = 7


@pytest.fixture
async def published(api: BotApiStandIn, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """A bot with its public address set (polling; the address is only what buttons open)."""
    process = BotProcess(api, tmp_path, PUBLIC_URL=PUBLIC_URL, ADMIN_IDS=f"{ADMIN},{OTHER_ADMIN}")
    await process.start()
    yield process
    await process.stop()
    log = process.log_text()
    assert "Traceback" not in log, log
    assert TOKEN not in log


def launch_header(user_id: int, token: str) -> dict[str, str]:
    """What the page sends: the launch data Telegram signed for this user."""
    fields = {"auth_date": str(int(time.time())), "user": json.dumps({"id": user_id})}
    fields["hash"] = signature(fields, token)
    return {"Authorization": f"tma {urlencode(fields)}"}


async def dashboard_get(http: aiohttp.ClientSession, url: str, user_id: int) -> Any:
    async with http.get(url, headers=launch_header(user_id, TOKEN)) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def unknown_answer(api: BotApiStandIn, user_id: int) -> str:
    someone = Person(api, user_id, "en")
    await someone.send("/no-such-command")
    return someone.text


async def test_each_admin_gets_the_dashboard_in_the_menu_button_and_no_one_else(
    api: BotApiStandIn, published: BotProcess
) -> None:
    await api.wait_for(lambda: {ADMIN, OTHER_ADMIN} <= set(api.menu_buttons))
    for admin in (ADMIN, OTHER_ADMIN):
        button = api.menu_buttons[admin]
        assert button["type"] == "web_app"
        assert button["web_app"] == {"url": DASHBOARD}
        assert button["text"] == "Dashboard"
    customer = Person(api, 4301, "en")
    await customer.send("/start")
    assert set(api.menu_buttons) == {ADMIN, OTHER_ADMIN}, "set per admin chat, never for all"
    calls = [c for c in api.calls if c.method == "setChatMenuButton"]
    assert all("chat_id" in c.params for c in calls)


async def test_dashboard_gives_an_admin_a_button_that_opens_it(
    api: BotApiStandIn, published: BotProcess
) -> None:
    admin = Person(api, ADMIN, "fr")
    await admin.send("/dashboard")
    [[button]] = admin.last["reply_markup"]["inline_keyboard"]
    assert button["web_app"] == {"url": DASHBOARD}
    assert button["text"] == "Ouvrir le tableau de bord"


async def test_dashboard_answers_anyone_else_as_an_unknown_command(
    api: BotApiStandIn, published: BotProcess
) -> None:
    stranger = Person(api, 4302, "en")
    await stranger.send("/dashboard")
    assert stranger.text == await unknown_answer(api, 4303)
    assert "reply_markup" not in stranger.last
    assert 4302 not in api.menu_buttons


async def test_without_a_public_address_there_is_no_menu_button_and_admins_are_told_why(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    admin = Person(api, ADMIN, "en")
    await admin.send("/dashboard")
    assert "PUBLIC_URL" in admin.text
    assert "reply_markup" not in admin.last
    assert not any(c.method == "setChatMenuButton" for c in api.calls)
    stranger = Person(api, 4304, "en")
    await stranger.send("/dashboard")
    assert stranger.text == await unknown_answer(api, 4305)


async def test_a_menu_button_telegram_refuses_is_logged_and_the_bot_runs_on(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    api.unsupported.add("setChatMenuButton")
    process = BotProcess(api, tmp_path, PUBLIC_URL=PUBLIC_URL)
    await process.start()
    try:
        await api.wait_for(lambda: any(c.method == "setChatMenuButton" for c in api.calls))
        customer = Person(api, 4306, "en")
        await customer.send("/start nps")
        assert customer.buttons()[:2] == ["0", "1"]
    finally:
        await process.stop()
    assert f"could not set the dashboard menu button for admin {ADMIN}" in process.log_text()


async def test_cxbot_run_serves_the_dashboard_with_the_figures_the_chat_gives(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """The dashboard as `cxbot run` serves it with WEB_PORT: the page, its API on the running
    bot's storage, health; the admin's figure equal to /summary's, a customer refused."""
    process = BotProcess(api, tmp_path, mode="webhook")
    await process.start()
    try:
        for user_id, score in ((5001, "10"), (5002, "9"), (5003, "2")):
            customer = Person(api, user_id, "en")
            await customer.send("/start nps__desk-1")
            await customer.tap(score)
            await customer.tap("Skip")
        admin = Person(api, ADMIN, "en")
        await admin.send("/summary nps")
        chat = admin.text
        base = process.env["PUBLIC_URL"].replace("https://", "http://")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as health:
                assert health.status == 200
            async with http.get(f"{base}/app/") as page:
                assert page.status == 200 and "telegram-web-app.js" in await page.text()
            shown = await dashboard_get(http, f"{base}/api/survey/nps", ADMIN)
            assert shown["n"] == 3
            assert shown["headline"]["text"] in chat, (shown["headline"], chat)
            async with http.get(
                f"{base}/api/survey/nps", headers=launch_header(5001, TOKEN)
            ) as refused:
                assert refused.status == 403
                assert set(await refused.json()) == {"error"}
    finally:
        await process.stop()
    assert "Traceback" not in process.log_text()
