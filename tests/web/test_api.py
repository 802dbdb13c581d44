"""The dashboard's JSON API, over HTTP on a real SQLite file: who gets an answer, and that every
figure it gives is the one the chat's /summary gives."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import zxingcpp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.i18n import use_language
from bot.reports.export import export_csv
from bot.reports.periods import parse_period
from bot.reports.summary import build_summary
from bot.reports.text import summary_text
from bot.storage.database import Storage
from bot.survey.links import Target, deep_link
from bot.survey.model import ChoiceScale, NumericScale, Survey
from bot.usecases.deps import Deps
from tests.reports.conftest import Clock
from tests.reports.test_disclosure import Company, sales_and_legal
from tests.reports.test_summary import People
from tests.web.conftest import ADMIN, STRANGER, auth, dashboard, launch, reported

Client = TestClient[web.Request, web.Application]

ENDPOINTS = [
    "/api/me",
    "/api/overview",
    "/api/survey/nps",
    "/api/compare/nps?segments=desk-1,desk-2",
    "/api/touchpoints",
    "/api/pulses",
    "/api/export/nps",
    "/api/link/nps?segment=desk-1",
    "/api/qr/nps?segment=desk-1",
    "/api/download?target=%2Fapi%2Fexport%2Fnps",
]


def answers_for(survey: Survey, person: int) -> dict[str, str | None]:
    """A complete, valid response that differs from one person to the next."""
    given: dict[str, str | None] = {}
    for q in survey.questions:
        scale = q.scale
        if isinstance(scale, NumericScale):
            span = scale.max - scale.min + 1
            given[q.id] = str(scale.min + (person * 3 + q.index) % span)
        elif isinstance(scale, ChoiceScale):
            given[q.id] = scale.options[(person + q.index) % len(scale.options)].value
        else:
            given[q.id] = f"comment {person} on {q.id}"
    return given


async def answered(
    people: People, survey: Survey, count: int = 7, month: str = "11", year: str = "2026"
) -> None:
    """`count` people answer in that month (November 2026 by default), at two desks."""
    for person in range(count):
        await people.finish(
            survey,
            answers_for(survey, person),
            at=f"{year}-{month}-{3 + person % 5:02d} 10:00:00.000",
            segment=f"desk-{1 + person % 2}",
        )


@pytest.fixture
def people(storage: Storage, clock: Clock) -> People:
    return People(storage, clock)


@pytest.fixture
def company(storage: Storage, clock: Clock, enps: Survey) -> Company:
    return Company(storage, clock, enps)


async def get(client: Client, path: str, raw: str | None = None) -> tuple[int, Any]:
    response = await client.get(path, headers=auth(raw if raw is not None else launch()))
    return response.status, await response.json()


# who gets an answer


async def test_an_admin_gets_the_page_words_in_their_language(client: Client) -> None:
    status, me = await get(client, "/api/me", launch(language="pt-BR"))
    assert status == 200
    assert me["language"] == "pt"
    with use_language("pt"):
        from bot.web.strings import page_strings

        assert me["strings"] == page_strings()
    assert me["strings"]["overview"] != "Overview", "translated, not the msgid"


async def test_an_unknown_language_falls_back_to_the_default_one(client: Client) -> None:
    _status, me = await get(client, "/api/me", launch(language="de"))
    assert me["language"] == "fr"
    _status, me = await get(client, "/api/me", launch(language=None))
    assert me["language"] == "fr"


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_signed_user_who_is_not_an_admin_gets_403_and_no_data(
    client: Client, people: People, nps: Survey, path: str
) -> None:
    await answered(people, nps)
    status, body = await get(client, path, launch(STRANGER, language="ru"))
    assert status == 403
    assert set(body) == {"error"}
    with use_language("ru"):
        from bot.i18n import _

        assert body["error"] == _("This dashboard is for the bot's admins only.")


def forged() -> str:
    """An admin's launch data with the user swapped after signing."""
    honest = launch(STRANGER)
    return honest.replace(f"%22id%22%3A{STRANGER}", f"%22id%22%3A{ADMIN}")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("forged", id="forged hash"),
        pytest.param("expired", id="expired auth_date"),
        pytest.param("other token", id="another bot's"),
    ],
)
@pytest.mark.parametrize("path", ENDPOINTS)
async def test_missing_forged_or_stale_launch_data_gets_401_and_no_data(
    client: Client, people: People, nps: Survey, raw: str | None, path: str
) -> None:
    await answered(people, nps)
    headers = {}
    if raw == "forged":
        assert forged() != launch(STRANGER)
        headers = auth(forged())
    elif raw == "expired":
        headers = auth(launch(age=timedelta(hours=1, minutes=1)))
    elif raw == "other token":
        headers = auth(launch(token="654321:another-bot"))
    elif raw == "":
        headers = {"Authorization": "tma "}
    response = await client.get(path, headers=headers)
    assert response.status == 401
    assert set(await response.json()) == {"error"}


async def test_the_same_launch_data_an_hour_old_still_passes(client: Client) -> None:
    status, _body = await get(client, "/api/me", launch(age=timedelta(minutes=59)))
    assert status == 200


# the chat and the dashboard never disagree

HEADLINE = re.compile(r"^(?:e?NPS|CSAT|CES|Index|Mean share of “yes”): (\S+)", re.MULTILINE)


def chat_headline(text: str) -> str:
    found = HEADLINE.search(text)
    assert found is not None, text
    return found[1]


def number(text: str) -> float:
    return float(text.replace("−", "-").replace("%", "").replace(",", ""))


async def chat_and_dashboard(
    client: Client, storage: Storage, survey: Survey, period: str, segment: str | None = None
) -> tuple[str, dict[str, Any]]:
    path = f"/api/survey/{survey.id}?period={period}" + (f"&segment={segment}" if segment else "")
    status, view = await get(client, path)
    assert status == 200, view
    summary = await reported(
        storage, build_summary, survey, parse_period(period, anonymous=survey.anonymous), segment
    )
    with use_language("en"):
        return summary_text(summary), view


async def test_every_survey_kind_shows_the_chat_s_headline_count_and_margin(
    client: Client,
    storage: Storage,
    people: People,
    company: Company,
    catalogue: Mapping[str, Survey],
) -> None:
    await sales_and_legal(company)
    for survey in catalogue.values():
        if not survey.anonymous:
            await answered(people, survey)
    for survey in catalogue.values():
        period = "2026-10" if survey.anonymous else "all"
        text, view = await chat_and_dashboard(client, storage, survey, period)
        assert view["headline"] is not None, survey.id
        shown = chat_headline(text)
        assert view["headline"]["text"] == shown.rstrip("%") + ("%" if "%" in shown else "")
        digits = 1 if survey.scoring == "ces" else 0
        assert round(view["headline"]["value"], digits) == pytest.approx(number(shown)), survey.id
        assert f"{view['n_text']} responses" in text
        if view["margin"] is not None:
            assert f"± {view['margin']['text']} (95% margin of error)" in text


async def test_a_segment_and_a_month_agree_with_the_chat_too(
    client: Client, storage: Storage, people: People, nps: Survey, csat: Survey
) -> None:
    for survey in (nps, csat):
        await answered(people, survey, count=9)
        text, view = await chat_and_dashboard(client, storage, survey, "2026-11", "desk-2")
        assert view["segment"] == "desk-2"
        assert view["headline"]["text"] == chat_headline(text)
        assert f"{view['n_text']} responses" in text
        assert view["segments"] == [], "filtered to one segment: no ranking"


async def test_segments_are_ranked_as_in_the_chat(
    client: Client, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    text, view = await chat_and_dashboard(client, storage, nps, "all")
    ranked = [(s["name"], s["figure"]["text"], s["figure"]["n"]) for s in view["segments"]]
    assert len(ranked) == 2
    for place, (name, figure, n) in enumerate(ranked, start=1):
        assert f"{place}. {name}: {figure} (n={n})" in text


async def test_figures_are_formatted_in_the_admin_s_language(
    client: Client, storage: Storage, people: People, ces: Survey
) -> None:
    await answered(people, ces)
    _status, english = await get(client, "/api/survey/ces")
    _status, french = await get(client, "/api/survey/ces", launch(language="fr"))
    summary = await reported(storage, build_summary, ces, parse_period(None))
    with use_language("fr"):
        assert f"CES\u00a0: {french['headline']['text']} sur 7" in summary_text(summary)
    assert english["headline"]["text"].replace(".", ",") == french["headline"]["text"]


async def test_the_compare_view_gives_each_segment_s_own_summary(
    client: Client, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps, count=9)
    status, compared = await get(client, "/api/compare/nps?period=all&segments=desk-2,desk-1")
    assert status == 200
    assert [column["segment"] for column in compared["columns"]] == ["desk-2", "desk-1"]
    for column in compared["columns"]:
        text, alone = await chat_and_dashboard(client, storage, nps, "all", column["segment"])
        assert column["headline"] == alone["headline"]
        assert column["headline"]["text"] == chat_headline(text)
        assert column["breakdown"] == alone["breakdown"]


async def test_the_compare_view_sets_one_desk_over_several_months(
    client: Client, storage: Storage, people: People, nps: Survey
) -> None:
    for month in ("09", "10", "11"):
        await answered(people, nps, count=4 + int(month) % 3, month=month)
    path = "/api/compare/nps?periods=2026-09,2026-11,2026-10&segments=desk-1"
    status, compared = await get(client, path)
    assert status == 200
    columns = compared["columns"]
    assert [(c["period"], c["segment"]) for c in columns] == [
        ("2026-09", "desk-1"),
        ("2026-11", "desk-1"),
        ("2026-10", "desk-1"),
    ]
    for column in columns:
        text, alone = await chat_and_dashboard(
            client, storage, nps, column["period"], column["segment"]
        )
        assert column["headline"] == alone["headline"]
        assert column["headline"]["text"] == chat_headline(text)
    status, body = await get(client, "/api/compare/enps?periods=2026-10,30d")
    assert status == 400 and "30d" in body["error"], "each period as the chat reads it"


async def test_the_overview_lists_surveys_with_responses_and_their_change(
    client: Client, people: People, nps: Survey, csat: Survey
) -> None:
    await answered(people, nps, count=5)  # November
    for person in range(3):  # October, all promoters
        await people.finish(
            nps, {"recommend": "10"}, at=f"2026-10-0{person + 1} 10:00:00.000", segment="desk-1"
        )
    status, overview = await get(client, "/api/overview?period=2026-11")
    assert status == 200
    assert overview["previous"] == "2026-10"
    (card,) = overview["surveys"]
    assert card["survey"]["id"] == "nps"
    _status, november = await get(client, "/api/survey/nps?period=2026-11")
    _status, october = await get(client, "/api/survey/nps?period=2026-10")
    assert card["headline"] == november["headline"]
    assert october["headline"]["value"] == 100
    assert card["change"]["value"] == pytest.approx(november["headline"]["value"] - 100)
    _status, everything = await get(client, "/api/overview")
    assert everything["previous"] is None and everything["surveys"][0]["change"] is None
    assert len(everything["surveys"][0]["spark"]) == 2, "one point a month"


async def test_a_period_the_chat_refuses_is_refused_with_the_chat_s_reason(
    client: Client, company: Company
) -> None:
    await sales_and_legal(company)
    status, body = await get(client, "/api/survey/enps?period=30d", launch(language="pt"))
    assert status == 400
    with use_language("pt"):
        from bot.reports.periods import PeriodError

        with pytest.raises(PeriodError) as refused:
            parse_period("30d", anonymous=True)
    assert body == {"error": str(refused.value)}
    status, _body = await get(client, "/api/survey/nps?period=45d")
    assert status == 200, "a window of days is fine for a survey that is not anonymous"
    status, _body = await get(client, "/api/survey/nope")
    assert status == 404


# anonymous surveys: the dashboard tells nothing the chat does not


async def test_overall_minus_a_team_gives_nothing_through_the_api(
    client: Client, company: Company, storage: Storage
) -> None:
    """Sales (6) and legal (1) in October: every view, combined, gives sales's six answers and
    never legal's one, nor its comment, nor even its count."""
    await sales_and_legal(company)
    _status, overall = await get(client, "/api/survey/enps?period=2026-10")
    _status, sales = await get(client, "/api/survey/enps?period=2026-10&segment=sales")
    _status, legal = await get(client, "/api/survey/enps?period=2026-10&segment=legal")
    _status, compared = await get(client, "/api/compare/enps?period=2026-10&segments=sales,legal")
    _status, overview = await get(client, "/api/overview?period=2026-10")
    _status, pulses = await get(client, "/api/pulses")
    _status, touchpoints = await get(client, "/api/touchpoints")
    export = await client.get("/api/export/enps?period=2026-10", headers=auth(launch()))

    assert overall["n"] == sales["n"] == 6
    assert overall["breakdown"] == sales["breakdown"], "overall minus sales is empty"
    assert legal["hidden"] and "n" not in legal and "headline" not in legal
    assert [s["name"] for s in overall["segments"]] == ["sales"], "legal is not even listed"
    legal_column = compared["columns"][1]
    assert legal_column["hidden"] and legal_column["n"] is None
    assert legal_column["headline"] is None
    (card,) = overview["surveys"]
    assert card["headline"]["n"] == 6
    legal_waves = [w for w in pulses["waves"] if w["team"] == "legal"]
    assert legal_waves and all(w["figure"] is None and "finished" not in w for w in legal_waves), (
        "a hidden wave shows no count"
    )
    everything = [overall, sales, legal, compared, overview, pulses, touchpoints]
    assert all("legal is unhappy" not in repr(body) for body in everything)
    assert "legal is unhappy" not in await export.text()
    # and each figure is the chat's
    summary = await reported(storage, build_summary, company.survey, parse_period("2026-10"))
    with use_language("en"):
        assert f"eNPS: {overall['headline']['text']} ±" in summary_text(summary)


async def test_a_team_too_small_for_a_month_is_hidden_in_the_survey_view(
    client: Client, company: Company
) -> None:
    await sales_and_legal(company)
    status, legal = await get(client, "/api/survey/enps?period=all&segment=legal")
    assert status == 200
    assert legal == {
        "survey": legal["survey"],
        "period": "all",
        "segment": "legal",
        "hidden": True,
        "threshold": company.survey.anonymity_threshold,
        "waves": legal["waves"],
    }


# export


async def test_the_export_is_the_chat_s_csv(
    client: Client, storage: Storage, people: People, nps: Survey
) -> None:
    await answered(people, nps)
    response = await client.get("/api/export/nps?period=2026-11", headers=auth(launch()))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="nps-2026-11.csv"' in response.headers["Content-Disposition"]
    body = await response.read()
    assert body == await reported(storage, export_csv, nps, parse_period("2026-11"))
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 1 + 7


async def ticket(client: Client, target: str, raw: str | None = None) -> tuple[int, Any]:
    return await get(client, f"/api/download?target={quote(target, safe='')}", raw)


async def test_a_download_ticket_opens_its_file_without_the_launch_data(
    client: Client, storage: Storage, people: People, nps: Survey
) -> None:
    """Telegram's downloadFile fetches a bare URL: a ticket in its query stands for the admin,
    and the launch data never appears in a URL."""
    await answered(people, nps)
    status, issued = await ticket(client, "/api/export/nps?period=2026-11")
    assert status == 200
    assert "hash" not in issued["url"] and "auth_date" not in issued["url"]
    opened = await client.get(issued["url"])
    assert opened.status == 200
    assert await opened.read() == await reported(storage, export_csv, nps, parse_period("2026-11"))


async def test_a_ticket_opens_nothing_but_its_own_file(
    client: Client, people: People, nps: Survey
) -> None:
    await answered(people, nps)
    _status, issued = await ticket(client, "/api/export/nps?period=2026-11")
    url = issued["url"]
    other_period = url.replace("period=2026-11", "period=all")
    assert (await client.get(other_period)).status == 401
    other_file = url.replace("/api/export/nps", "/api/export/csat")
    assert (await client.get(other_file)).status == 401
    assert (await client.get(url.replace("/api/export/", "/api/survey/"))).status == 401
    other_user = url.replace(f"user={ADMIN}", f"user={ADMIN + 1}")
    assert (await client.get(other_user)).status == 401


async def test_tickets_are_given_to_admins_and_for_files_only(client: Client) -> None:
    status, _body = await ticket(client, "/api/export/nps", launch(STRANGER))
    assert status == 403
    status, _body = await ticket(client, "/api/survey/nps")
    assert status == 400


async def test_an_anonymous_export_with_nothing_to_show_says_why(
    client: Client, company: Company
) -> None:
    await sales_and_legal(company)
    status, body = await get(client, "/api/export/enps?period=2026-11")
    assert status == 409
    assert "5" in body["error"] and "anonymous" in body["error"]


# touchpoints and pulses


async def test_touchpoints_list_the_segments_with_their_links(
    client: Client, people: People, nps: Survey
) -> None:
    await answered(people, nps)
    _status, touchpoints = await get(client, "/api/touchpoints")
    (entry,) = [s for s in touchpoints["surveys"] if s["id"] == "nps"]
    assert entry["link"] == "https://t.me/cxbot_test_bot?start=nps"
    assert {s["name"] for s in entry["segments"]} == {"desk-1", "desk-2"}
    assert all(
        s["link"].startswith("https://t.me/cxbot_test_bot?start=nps") for s in entry["segments"]
    )


async def test_pulses_show_schedules_teams_and_waves(client: Client, company: Company) -> None:
    await sales_and_legal(company)
    await scheduled(company)
    _status, pulses = await get(client, "/api/pulses")
    (pulse,) = pulses["pulses"]
    assert (pulse["team"], pulse["paused"], pulse["next"]) == ("sales", False, "2026-12-01 09:00")
    assert {t["name"] for t in pulses["teams"]} == {"sales", "legal"}
    sales_wave = next(w for w in pulses["waves"] if w["team"] == "sales")
    assert sales_wave["figure"]["n"] == 6 and sales_wave["finished"] == 6


# the page


async def test_the_page_and_its_files_are_served_gzipped(client: Client) -> None:
    page = await client.get("/app/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert page.headers["Content-Encoding"] == "gzip"
    assert "telegram-web-app.js" in await page.text()
    assert (await client.get("/app/app.js")).headers["Content-Type"].startswith("text/javascript")
    assert (await client.get("/app/vendor/uPlot.iife.min.js")).status == 200
    assert (await client.get("/app/nothing.js")).status == 404
    assert (await client.get("/app/../api.py")).status == 404
    assert (await client.get("/app/%2e%2e/api.py")).status == 404
    moved = await client.get("/app", allow_redirects=False)
    assert moved.status == 302 and moved.headers["Location"] == "/app/"


FIRST_VIEW_BUDGET = 200 * 1024


async def test_the_first_view_of_the_overview_sends_under_200_kb_compressed(
    deps: Deps, people: People, catalogue: Mapping[str, Survey]
) -> None:
    for survey in catalogue.values():
        if not survey.anonymous:
            await answered(people, survey, count=20)
    first_view = [
        "/app/",
        "/app/vendor/uPlot.min.css",
        "/app/app.css",
        "/app/vendor/uPlot.iife.min.js",
        "/app/app.js",
        "/api/me",
        "/api/overview",
    ]
    sizes = {}
    async with TestClient(TestServer(dashboard(deps)), auto_decompress=False) as raw:
        for path in first_view:
            response = await raw.get(
                path, headers={"Accept-Encoding": "gzip, deflate, br", **auth(launch())}
            )
            assert response.status == 200, path
            sizes[path] = len(body := await response.read())
            if path == "/api/overview":
                encoding = response.headers["Content-Encoding"]
                assert encoding in ("gzip", "deflate"), encoding
                cards = json.loads(zlib.decompress(body, wbits=47))["surveys"]
                assert len(cards) == len(catalogue) - 1, "every survey but the anonymous one"
    total = sum(sizes.values())
    print(f"\nfirst view of the overview: {total / 1024:.1f} KB compressed in all: {sizes}")
    assert total <= FIRST_VIEW_BUDGET


async def test_the_overview_is_empty_before_any_answer(client: Client) -> None:
    status, overview = await get(client, "/api/overview")
    assert status == 200 and overview["surveys"] == []


def test_launch_data_is_fresh_for_these_tests() -> None:
    """The helper signs at the real clock, as the server checks against it."""
    raw = launch()
    stamp = int(re.search(r"auth_date=(\d+)", raw)[1])  # type: ignore[index]
    assert abs(stamp - datetime.now(UTC).timestamp()) < 120


# a new link for a touchpoint


async def test_a_new_link_and_its_qr_code_are_the_ones_link_makes(client: Client) -> None:
    status, made = await get(client, "/api/link/nps?segment=desk-9")
    assert status == 200
    assert made["link"] == deep_link("cxbot_test_bot", Target("nps", "desk-9"))
    picture = await client.get(made["qr"], headers=auth(launch()))
    assert picture.status == 200
    assert picture.headers["Content-Type"] == "image/png"
    assert 'filename="qr-nps-desk-9.png"' in picture.headers["Content-Disposition"]
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(await picture.read())))
    assert decoded.text == made["link"]
    _status, issued = await ticket(client, made["qr"])
    downloaded = await client.get(issued["url"])
    assert await downloaded.read() == await picture.read()


async def test_a_link_telegram_would_refuse_is_refused_with_the_reason(client: Client) -> None:
    status, body = await get(client, "/api/link/nps?segment=desk 9")
    assert status == 400 and "letters" in body["error"]
    status, body = await get(client, "/api/link/enps")
    assert status == 400, "a pulse survey's link is a team's"


async def test_a_pulse_surveys_link_is_the_teams_invite_the_chat_gives(client: Client) -> None:
    status, made = await get(client, "/api/link/enps?segment=sales")
    assert status == 200
    payload = made["link"].rsplit("start=", 1)[1]
    survey, team, secret = payload.split("__")
    assert (survey, team) == ("enps", "sales") and len(secret) >= 12
    again = await get(client, "/api/link/enps?segment=sales")
    assert again == (200, made), "the same invite until /link enps sales new replaces it"
    picture = await client.get(made["qr"], headers=auth(launch()))
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(await picture.read())))
    assert decoded.text == made["link"]


# pulse controls


async def scheduled(company: Company) -> int:
    return await company.storage.pulses.add_pulse(
        survey_id="enps",
        team="sales",
        cadence="monthly",
        local_time="09:00",
        time_zone="Europe/Lisbon",
        reminder_hours=48,
        open_hours=168,
        next_at="2026-12-01 09:00:00.000",
        anchor_day=1,
    )


async def test_a_pulse_is_paused_and_resumed_as_with_pulse_pause(
    client: Client, company: Company
) -> None:
    pulse = await scheduled(company)
    paused = await client.post(f"/api/pulses/{pulse}/pause", headers=auth(launch()))
    assert paused.status == 200
    assert (await company.storage.pulses.pulses())[0].paused
    resumed = await client.post(f"/api/pulses/{pulse}/resume", headers=auth(launch()))
    assert resumed.status == 200 and (await resumed.json())["message"] == "Done."
    assert not (await company.storage.pulses.pulses())[0].paused
    missing = await client.post("/api/pulses/999/pause", headers=auth(launch()))
    assert missing.status == 404 and (await missing.json())["error"] == "No pulse 999."


async def test_send_now_opens_a_wave_for_the_team_and_wakes_the_runner(
    storage: Storage, deps: Deps, company: Company
) -> None:
    woken: list[bool] = []
    awake = Deps(deps.config, deps.surveys, storage, wake_pulses=lambda: woken.append(True))
    pulse = await scheduled(company)
    for member in (501, 502, 503):
        await storage.touch_user(member, "en")
        await storage.pulses.join("sales", member, most=20)
    async with TestClient(TestServer(dashboard(awake))) as client:
        sent = await client.post(f"/api/pulses/{pulse}/now", headers=auth(launch()))
        assert sent.status == 200
        answer = await sent.json()
    (wave,) = await storage.pulses.open_waves("sales")
    assert answer["message"] == f"Wave {wave.id} of enps is going out to 3 members of sales."
    assert len(await storage.pulses.to_send(100)) == 3
    assert woken == [True]
    assert (await storage.pulses.pulses())[0].next_at == "2026-12-01 09:00:00.000"


async def test_pulse_controls_refuse_strangers_and_launch_data_in_the_query(
    client: Client, company: Company
) -> None:
    pulse = await scheduled(company)
    stranger = await client.post(f"/api/pulses/{pulse}/now", headers=auth(launch(STRANGER)))
    assert stranger.status == 403
    _status, issued = await ticket(client, "/api/export/enps")
    query = issued["url"].partition("?")[2]
    with_ticket = await client.post(f"/api/pulses/{pulse}/pause?{query}")
    assert with_ticket.status == 401, "a change takes the header only"
    assert await company.storage.pulses.open_waves("sales") == []
    assert not (await company.storage.pulses.pulses())[0].paused
    assert (await client.get(f"/api/pulses/{pulse}/pause", headers=auth(launch()))).status == 405


async def test_a_window_of_days_leaves_anonymous_surveys_out_of_the_overview_and_says_so(
    client: Client, company: Company, people: People, nps: Survey
) -> None:
    await sales_and_legal(company)
    await answered(people, nps)
    _status, overview = await get(client, "/api/overview?period=3660d")
    assert [card["survey"]["id"] for card in overview["surveys"]] == ["nps"]
    assert [survey["id"] for survey in overview["calendar_only"]] == ["enps"]
    _status, october = await get(client, "/api/overview?period=2026-10")
    assert [card["survey"]["id"] for card in october["surveys"]] == ["enps"]
