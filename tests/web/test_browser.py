"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright, opens /app/
the way Telegram opens a Mini App (signed launch data and the theme in the URL fragment), with a
local stand-in for telegram-web-app.js and every other address outside the test server refused.
What it shows is checked against the chat's /summary text."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import zxingcpp
from aiohttp.test_utils import TestServer
from PIL import Image
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from bot.i18n import use_language
from bot.reports.export import export_csv
from bot.reports.periods import parse_period
from bot.reports.summary import build_summary
from bot.reports.text import summary_text
from bot.storage.database import Storage
from bot.survey.links import Target, deep_link
from bot.survey.model import Survey
from bot.usecases.deps import Deps
from tests.reports.conftest import Clock
from tests.reports.test_summary import People
from tests.telegram.harness import REPO
from tests.web.conftest import STRANGER, dashboard, launch, reported
from tests.web.test_api import answered, chat_headline

CHROMIUM = "/usr/bin/chromium"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
STAND_IN = Path(__file__).with_name("telegram-web-app.js").read_text()
THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
REMARKS = [
    "Quick and friendly, but the queue was long",
    "Staff knew the answer at once",
    "Had to come back a second time",
    "Clear explanation of the options",
    "Fine overall, the waiting area is cramped",
]
README_SCREENSHOT = REPO / "docs" / "dashboard.png"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and os.environ.get("BROWSER_TESTS") != "required",
    reason="Debian's chromium is not installed (.ci/run installs it, and requires these tests)",
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        await launched.close()


@pytest.fixture
async def server(deps: Deps) -> AsyncIterator[TestServer]:
    started = TestServer(dashboard(deps))
    await started.start_server()
    yield started
    await started.close()


@pytest.fixture
def people(storage: Storage, clock: Clock) -> People:
    return People(storage, clock)


class Dashboard:
    """A browser tab on the test server; `outside` lists every request that tried to leave it."""

    def __init__(self, page: Page, server: TestServer) -> None:
        self.page = page
        self.base = str(server.make_url("/")).rstrip("/")
        self.outside: list[str] = []

    async def serve_telegram_script(self, *, load: bool = True) -> None:
        async def route(route: Route) -> None:
            url = route.request.url
            if url == TELEGRAM_SCRIPT and load:
                await route.fulfill(body=STAND_IN, content_type="text/javascript")
            elif url.startswith(self.base):
                await route.continue_()
            else:
                self.outside.append(url)
                await route.abort()

        await self.page.route("**/*", route)

    async def open(self, raw: str, *, platform: str = "tdesktop") -> None:
        fragment = (
            f"tgWebAppData={quote(raw, safe='')}&tgWebAppVersion=8.0"
            f"&tgWebAppPlatform={platform}&tgWebAppThemeParams={quote(json.dumps(THEME))}"
        )
        await self.page.goto(f"{self.base}/app/#{fragment}")


async def open_dashboard(
    browser: Browser, server: TestServer, raw: str, *, width: int = 1280, load: bool = True
) -> Dashboard:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    opened = Dashboard(page, server)
    await opened.serve_telegram_script(load=load)
    await opened.open(raw)
    return opened


async def chat(storage: Storage, survey: Survey, segment: str | None = None) -> str:
    summary = await reported(storage, build_summary, survey, parse_period(None), segment)
    with use_language("en"):
        return summary_text(summary)


async def test_the_overview_shows_the_chat_s_figures_in_telegram_s_theme(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey, ces: Survey
) -> None:
    for survey in (nps, ces):
        await answered(people, survey, count=9)
    tab = await open_dashboard(browser, server, launch())
    cards = tab.page.get_by_test_id("card")
    await expect(cards).to_have_count(2)
    for survey in (nps, ces):
        card = tab.page.locator(f'[data-survey="{survey.id}"]')
        shown = await card.get_by_test_id("headline").inner_text()
        assert shown == chat_headline(await chat(storage, survey))
    background = await tab.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)", "the theme's bg_color"
    assert await tab.page.evaluate("window.__calls") == ["ready", "expand"]
    assert tab.outside == [], "no script or font from anywhere but the server"


async def test_a_survey_filtered_by_a_tapped_segment_shows_that_segment_s_figures(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-survey="nps"]').click()
    headline = tab.page.get_by_test_id("headline")
    await expect(headline).to_have_text(chat_headline(await chat(storage, nps)))
    text = await chat(storage, nps)
    margin = re.search(r"± (\S+) \(95% margin of error\)", text)
    assert margin is not None
    await expect(tab.page.get_by_test_id("margin")).to_contain_text(f"± {margin[1]}")
    await expect(tab.page.get_by_test_id("segment")).to_have_count(2)
    await expect(tab.page.locator("#chart canvas")).to_have_count(0)  # one month: no trend

    await tab.page.locator('[data-segment="desk-2"]').click()
    await expect(tab.page.get_by_test_id("filter")).to_have_text("desk-2")
    desk = await chat(storage, nps, "desk-2")
    assert chat_headline(desk) != chat_headline(text), "the filter changes the figure"
    await expect(headline).to_have_text(chat_headline(desk))
    count = re.search(r"(\d+) responses", desk)
    assert count is not None
    await expect(tab.page.get_by_test_id("count")).to_contain_text(count[1])

    await tab.page.get_by_test_id("clear-filter").click()
    await expect(headline).to_have_text(chat_headline(text))


async def test_the_trend_is_drawn_with_the_shipped_chart_library(
    browser: Browser, server: TestServer, people: People, nps: Survey
) -> None:
    for month in ("08", "09", "10", "11"):
        for value in (10, 9, 4):
            await people.finish(nps, {"recommend": str(value)}, at=f"2026-{month}-03 10:00:00.000")
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-survey="nps"]').click()
    await expect(tab.page.locator("#chart canvas")).to_have_count(1)
    assert tab.outside == []


async def test_the_compare_view_sets_segments_side_by_side(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-tab="compare"]').click()
    await tab.page.get_by_test_id("survey-picker").select_option("nps")
    await tab.page.locator('[data-compare="desk-1"]').check()
    await tab.page.locator('[data-compare="desk-2"]').check()
    columns = tab.page.get_by_test_id("compare-headline")
    await expect(columns).to_have_count(2)
    shown = await columns.all_inner_texts()
    header = await tab.page.locator('[data-testid="compare"] thead th').all_inner_texts()
    expected = [chat_headline(await chat(storage, nps, name)) for name in header[1:]]
    assert sorted(header[1:]) == ["desk-1", "desk-2"], "in the ranking's order"
    assert shown == expected


async def test_someone_not_an_admin_is_told_so_and_sees_no_figure(
    browser: Browser, server: TestServer, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    tab = await open_dashboard(browser, server, launch(STRANGER))
    await expect(tab.page.get_by_test_id("denied")).to_have_text(
        "This dashboard is for the bot's admins only."
    )
    assert await tab.page.get_by_test_id("headline").count() == 0
    assert await tab.page.locator("[data-tab]").count() == 0
    assert not re.search(r"\d", await tab.page.inner_text("body")), "no figure anywhere"


async def test_the_page_works_when_telegram_s_script_does_not_load(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    tab = await open_dashboard(browser, server, launch(), load=False)
    await expect(tab.page.get_by_test_id("headline")).to_have_text(
        chat_headline(await chat(storage, nps))
    )
    assert tab.outside == [TELEGRAM_SCRIPT]


async def test_export_hands_telegram_the_chat_s_csv(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-survey="nps"]').click()
    await tab.page.get_by_test_id("export").click()
    await tab.page.wait_for_function("window.__downloads.length > 0")
    (download,) = await tab.page.evaluate("window.__downloads")
    assert download["file_name"] == "nps-all.csv"
    response = await tab.page.request.get(download["url"])
    assert response.status == 200
    assert await response.body() == await reported(storage, export_csv, nps, parse_period(None))


@pytest.mark.parametrize("width", [360, 1280])
async def test_the_survey_view_fits_a_phone_and_a_desktop(
    browser: Browser,
    server: TestServer,
    people: People,
    catalogue: Mapping[str, Survey],
    tmp_path: Path,
    width: int,
) -> None:
    nps = catalogue["nps"]
    for step, month in enumerate(("08", "09", "10", "11")):
        await answered(people, nps, count=6 + 3 * step, month=month)
        for person in range(2 + 2 * step):
            await people.finish(
                nps,
                {
                    "recommend": str(7 + person % 4),
                    "why-passive": REMARKS[person % len(REMARKS)],
                },
                at=f"2026-{month}-1{person} 10:00:00.000",
                segment=f"desk-{3 + person % 4}",
            )
    tab = await open_dashboard(browser, server, launch(), width=width)
    await tab.page.locator('[data-survey="nps"]').click()
    await expect(tab.page.locator("#chart canvas")).to_have_count(1)
    await expect(tab.page.get_by_test_id("comment").first).to_be_visible()
    overflow = await tab.page.evaluate("document.scrollingElement.scrollWidth")
    assert overflow <= width, "nothing wider than the screen"
    shot = tmp_path / f"dashboard-{width}.png"
    await tab.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if width == 360:
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        await tab.page.screenshot(path=str(README_SCREENSHOT), full_page=True)


async def test_a_new_link_shows_a_qr_code_that_reads_as_the_link(
    browser: Browser, server: TestServer
) -> None:
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-tab="touchpoints"]').click()
    maker = tab.page.locator('[data-touchpoints="csat"]')
    await maker.get_by_test_id("new-segment").fill("desk-12")
    await maker.get_by_test_id("make-link").click()
    link = deep_link("cxbot_test_bot", Target("csat", "desk-12"))
    await expect(maker.get_by_test_id("new-link")).to_have_text(link)
    picture = maker.get_by_test_id("qr")
    await expect(picture).to_be_visible()
    shown = await picture.screenshot()
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shown)))
    assert decoded.text == link, "the QR code on the screen reads as the link"

    await maker.get_by_test_id("download-qr").click()
    await tab.page.wait_for_function("window.__downloads.length > 0")
    (download,) = await tab.page.evaluate("window.__downloads")
    assert download["file_name"] == "qr-csat-desk-12.png"
    response = await tab.page.request.get(download["url"])
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(await response.body())))
    assert decoded.text == link, "and so does the file downloaded"
    assert tab.outside == []


async def test_a_pulse_is_paused_resumed_and_sent_from_the_page(
    browser: Browser, server: TestServer, storage: Storage, clock: Clock
) -> None:
    pulse = await storage.pulses.add_pulse(
        survey_id="enps",
        team="sales",
        cadence="weekly",
        local_time="09:00",
        time_zone="Europe/Paris",
        reminder_hours=48,
        open_hours=168,
        next_at="2026-12-01 08:00:00.000",
        anchor_day=None,
    )
    await storage.touch_user(501, "en")
    await storage.pulses.join("sales", 501, most=20)
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-tab="pulses"]').click()
    row = tab.page.locator(f'[data-pulse="{pulse}"]')
    await row.locator('[data-action="pause"]').click()
    await expect(row.get_by_test_id("pulse-state")).to_have_text("paused")
    assert (await storage.pulses.pulses())[0].paused
    await row.locator('[data-action="resume"]').click()
    await expect(row.get_by_test_id("pulse-state")).to_contain_text("2026-12-01 08:00")
    await row.locator('[data-action="now"]').click()
    await expect(tab.page.get_by_test_id("notice")).to_contain_text("going out to 1 member")
    assert "confirm: Send a wave of enps to sales now?" in await tab.page.evaluate("window.__calls")
    assert len(await storage.pulses.open_waves("sales")) == 1


async def test_the_compare_view_sets_one_segment_over_two_months(
    browser: Browser, server: TestServer, storage: Storage, people: People, nps: Survey
) -> None:
    """Months as the picker offers them: this one and the one before."""
    this = datetime.now(UTC).date().replace(day=1)
    before = (this - timedelta(days=1)).replace(day=1)
    months = [this.isoformat()[:7], before.isoformat()[:7]]
    for count, month in zip((5, 9), months, strict=True):
        await answered(people, nps, count=count, month=month[5:], year=month[:4])
    tab = await open_dashboard(browser, server, launch())
    await tab.page.locator('[data-tab="compare"]').click()
    await tab.page.get_by_test_id("survey-picker").select_option("nps")
    await tab.page.locator('[data-compare="desk-1"]').check()
    for month in months:
        await tab.page.locator(f'[data-compare-period="{month}"]').check()
    columns = tab.page.get_by_test_id("compare-headline")
    await expect(columns).to_have_count(2)
    header = await tab.page.locator('[data-testid="compare"] thead th').all_inner_texts()
    assert header[1:] == [f"{month} · desk-1" for month in months]
    expected = []
    for month in months:
        summary = await reported(storage, build_summary, nps, parse_period(month), "desk-1")
        with use_language("en"):
            expected.append(chat_headline(summary_text(summary)))
    assert await columns.all_inner_texts() == expected


async def test_a_french_admin_reads_the_page_and_its_figures_in_french(
    browser: Browser, server: TestServer, storage: Storage, people: People, ces: Survey
) -> None:
    await answered(people, ces, count=9)
    tab = await open_dashboard(browser, server, launch(language="fr"))
    await expect(tab.page.locator('[data-tab="overview"]')).to_have_text("Vue d’ensemble")
    summary = await reported(storage, build_summary, ces, parse_period(None))
    with use_language("fr"):
        text = summary_text(summary)
    shown = await tab.page.locator('[data-survey="ces"]').get_by_test_id("headline").inner_text()
    assert "," in shown, "a decimal comma"
    assert f"CES\u00a0: {shown} sur 7" in text
    assert await tab.page.evaluate("document.documentElement.lang") == "fr"
