"""The command line as an operator or a survey author uses it: exit codes and what it prints."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.storage.database import Storage
from bot.storage.migrations import MIGRATIONS
from tests.telegram.harness import REPO, TOKEN
from tests.telegram.standin import BotApiStandIn


def cxbot(
    *args: str, stdin: str = "", cwd: Path = REPO, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "BOT_TOKEN": "", "BOT_USERNAME": "", **env},
        timeout=60,
    )


@pytest.fixture
def broken_surveys(tmp_path: Path) -> Path:
    folder = tmp_path / "surveys"
    shutil.copytree(REPO / "bot" / "surveys", folder)
    path = folder / "nps.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('scale = "comment"', 'scale = "remark"'),
        encoding="utf-8",
    )
    return folder


def test_validate_accepts_the_shipped_surveys() -> None:
    result = cxbot("validate")
    assert result.returncode == 0, result.stderr
    assert "ok  cx-maturity (32 questions)" in result.stdout
    assert "ok  nps (4 questions)" in result.stdout
    assert "ok  enps (4 questions)" in result.stdout


def test_the_shipped_surveys_and_catalogs_are_found_from_any_folder(tmp_path: Path) -> None:
    env = {"SURVEYS_DIR": "", "LOCALES_DIR": ""}
    result = cxbot("validate", cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "ok  nps (4 questions)" in result.stdout
    result = cxbot("preview", "nps", "--lang", "fr", stdin="11\n6\n\n", cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "Cette réponse ne correspond pas à la question." in result.stdout


def test_surveys_dir_replaces_the_shipped_catalogue(tmp_path: Path) -> None:
    (tmp_path / "pulse.toml").write_text(SMALL_SURVEY, encoding="utf-8")
    result = cxbot("validate", SURVEYS_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok  pulse (2 questions)\n"


def test_locales_dir_overrides_the_shipped_catalogs(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(REPO / "bot" / "locales", locales)
    french = locales / "fr" / "LC_MESSAGES" / "messages.po"
    text = french.read_text(encoding="utf-8")
    old = 'msgstr "Cette réponse ne correspond pas à la question."'
    assert old in text
    french.write_text(text.replace(old, 'msgstr "Réponse hors échelle."'), encoding="utf-8")
    result = cxbot("preview", "nps", "--lang", "fr", stdin="11\n6\n\n", LOCALES_DIR=str(locales))
    assert result.returncode == 0, result.stderr
    assert "Réponse hors échelle." in result.stdout


def test_validate_names_the_file_the_place_and_the_reason(broken_surveys: Path) -> None:
    result = cxbot("validate", str(broken_surveys / "nps.toml"))
    assert result.returncode == 1
    assert (
        f"{broken_surveys / 'nps.toml'}: sections[0].questions[1].scale:"
        " unknown scale 'remark' (declared: comment, likelihood)"
    ) in result.stderr


def test_the_bot_refuses_to_start_on_a_broken_survey_file(broken_surveys: Path) -> None:
    result = cxbot("run", BOT_TOKEN=TOKEN, SURVEYS_DIR=str(broken_surveys))
    assert result.returncode == 1
    assert "nps.toml" in result.stderr and "unknown scale 'remark'" in result.stderr


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the shipped catalogs, .po and .mo, to break."""
    folder = tmp_path / "locales"
    shutil.copytree(REPO / "bot" / "locales", folder)
    return folder


def test_a_broken_catalog_stops_the_bot_naming_its_file_and_the_fault(locales: Path) -> None:
    french = locales / "fr" / "LC_MESSAGES" / "messages.po"
    lines = french.read_text(encoding="utf-8").splitlines()
    lines[30] = 'msgtsr "NPS (−100…+100)"'  # a misspelt keyword
    french.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in ("validate", "run"):
        result = cxbot(command, BOT_TOKEN=TOKEN, LOCALES_DIR=str(locales))
        assert result.returncode == 1, result.stdout
        assert result.stderr.startswith(f"cxbot: {french}: Unknown or misformatted keyword")
        assert "Traceback" not in result.stderr


def test_a_missing_catalog_or_a_corrupt_compiled_one_is_named(locales: Path) -> None:
    (locales / "pt" / "LC_MESSAGES" / "messages.po").unlink()
    result = cxbot("validate", LOCALES_DIR=str(locales))
    assert result.returncode == 1
    assert result.stderr == (
        f"cxbot: {locales / 'pt' / 'LC_MESSAGES' / 'messages.po'}: No such file or directory\n"
    )
    shutil.rmtree(locales / "pt")
    shutil.copytree(REPO / "bot" / "locales" / "pt", locales / "pt")
    compiled = locales / "ru" / "LC_MESSAGES" / "messages.mo"
    compiled.write_bytes(b"not a catalog")
    result = cxbot("validate", LOCALES_DIR=str(locales))
    assert result.returncode == 1
    assert result.stderr == f"cxbot: {compiled}: Bad magic number\n"


def test_run_without_a_token_says_what_is_missing() -> None:
    result = cxbot("run")
    assert result.returncode == 1
    assert "BOT_TOKEN is not set" in result.stderr


def test_preview_takes_a_survey_in_the_terminal_with_the_same_summary() -> None:
    result = cxbot("preview", "nps", "--lang", "fr", stdin="11\n6\n\n")
    assert result.returncode == 0, result.stderr
    assert "0 — pas du tout probable · 10 — extrêmement probable" in result.stdout
    assert "Cette réponse ne correspond pas à la question." in result.stdout  # the 11
    assert "Votre note\u00a0: 6 sur 10." in result.stdout


def test_preview_of_cx_maturity_scores_the_choices_typed() -> None:
    answers = "\n".join(["1"] * 16 + ["2"] * 8 + ["3"] * 8) + "\n"
    result = cxbot("preview", "cx-maturity", "--lang", "en", stdin=answers)
    assert result.returncode == 0, result.stderr
    assert "Overall: 50% · Level: Advanced" in result.stdout  # 16 yes of 32


def test_link_prints_the_deep_link_with_the_segment() -> None:
    result = cxbot("link", "nps", "--segment", "desk-3", BOT_USERNAME="my_cx_bot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://t.me/my_cx_bot?start=nps__desk-3"


def test_link_refuses_a_segment_that_cannot_fit_a_start_payload() -> None:
    result = cxbot("link", "nps", "--segment", "x" * 60, BOT_USERNAME="my_cx_bot")
    assert result.returncode == 1
    assert "Telegram allows 64" in result.stderr
    result = cxbot("link", "nps", "--segment", "desk 3", BOT_USERNAME="my_cx_bot")
    assert result.returncode == 1 and "may only carry" in result.stderr


def test_link_refuses_a_pulse_survey_whose_invites_carry_a_secret() -> None:
    result = cxbot("link", "enps", "--segment", "sales", BOT_USERNAME="my_cx_bot")
    assert result.returncode == 1 and result.stdout == ""
    assert "enps is a pulse survey" in result.stderr
    assert "send /link enps <team> to the bot" in result.stderr


async def test_link_asks_the_bot_api_for_the_username_when_not_given() -> None:
    api = BotApiStandIn(TOKEN)
    await api.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "link",
            "cx-maturity",
            cwd=REPO,
            env={
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "BOT_API_BASE_URL": api.base_url,
                "BOT_USERNAME": "",
            },
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
    finally:
        await api.stop()
    assert out.decode().strip() == "https://t.me/cxbot_test_bot?start=cx-maturity"


SMALL_SURVEY = """
id = "pulse"
scoring = "nps"
score_question = "recommend"

[title]
ru = "Пульс"
en = "Pulse"
fr = "Pouls"
pt = "Pulso"

[scales.likelihood]
kind = "numeric"
min = 0
max = 10
min_label = { ru = "нет", en = "no", fr = "non", pt = "não" }
max_label = { ru = "да", en = "yes", fr = "oui", pt = "sim" }

[scales.comment]
kind = "text"

[[sections]]
id = "main"

[[sections.questions]]
id = "recommend"
scale = "likelihood"
text = { ru = "Оценка?", en = "Rating?", fr = "Note ?", pt = "Nota?" }

[[sections.questions]]
id = "why"
scale = "comment"
optional = true
when = { question = "recommend", max = 6 }
text = { ru = "Почему?", en = "Why?", fr = "Pourquoi ?", pt = "Porquê?" }
"""

BROKEN = {
    "a condition on a later question": (
        ('when = { question = "recommend", max = 6 }', 'when = { question = "later", max = 6 }'),
        "sections[0].questions[1].when.question: 'later' is not a question asked before this one",
    ),
    "a duplicate id": (
        ('id = "why"', 'id = "recommend"'),
        "sections[0].questions[1].id: question id 'recommend' is used twice"
        " (first at sections[0].questions[0])",
    ),
    "a missing translation": (
        (', pt = "Porquê?" }', " }"),
        "sections[0].questions[1].text.pt: a required key is missing",
    ),
    "an unknown scale": (
        ('scale = "comment"', 'scale = "essay"'),
        "sections[0].questions[1].scale: unknown scale 'essay' (declared: comment, likelihood)",
    ),
    "a TOML syntax error": (
        ('id = "main"', 'id = "main'),
        "line 23, column 11: Illegal character",
    ),
    "an unknown scale kind": (
        ('kind = "text"', 'kind = "slider"'),
        "scales.comment.kind: 'slider' is not one of the kinds choice, numeric, text",
    ),
}


def test_the_small_survey_used_below_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "pulse.toml"
    path.write_text(SMALL_SURVEY, encoding="utf-8")
    assert cxbot("validate", str(path)).returncode == 0


@pytest.mark.parametrize("case", BROKEN)
def test_validate_refuses_a_broken_file_with_file_place_and_reason(
    tmp_path: Path, case: str
) -> None:
    (old, new), expected = BROKEN[case]
    assert old in SMALL_SURVEY
    path = tmp_path / "pulse.toml"
    path.write_text(SMALL_SURVEY.replace(old, new, 1), encoding="utf-8")
    result = cxbot("validate", str(path))
    assert result.returncode == 1
    assert f"{path}: {expected}" in result.stderr


async def answered_nps(database: Path, ratings: list[int]) -> None:
    """Finished nps responses, written through the bot's own storage."""
    async with await Storage.open(database) as storage:
        for user, rating in enumerate(ratings, start=1):
            await storage.touch_user(user, "en")
            response = await storage.start_response(
                survey_id="nps",
                respondent=f"u:{user}",
                user_id=user,
                segment="desk-1",
                language="en",
            )
            await storage.record_answer(
                response, "recommend", str(rating), cursor=None, finished=True
            )


async def test_summary_prints_what_admins_get(tmp_path: Path) -> None:
    database = tmp_path / "cx.sqlite3"
    await answered_nps(database, [10, 9, 8, 3])
    result = await asyncio.to_thread(
        cxbot, "summary", "nps", "30d", "--chart", str(tmp_path / "c.png"), DATABASE=str(database)
    )
    assert result.returncode == 0, result.stderr
    # 2 promoters, 1 passive, 1 detractor of 4: (2 - 1) / 4 = +25
    assert "4 responses" in result.stdout and "NPS: +25" in result.stdout
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")


async def test_export_writes_the_csv(tmp_path: Path) -> None:
    database = tmp_path / "cx.sqlite3"
    await answered_nps(database, [7, 2])
    out = tmp_path / "nps.csv"
    result = await asyncio.to_thread(cxbot, "export", "nps", "-o", str(out), DATABASE=str(database))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["segment"], r["recommend"]) for r in rows] == [("desk-1", "7"), ("desk-1", "2")]


async def test_the_csv_and_the_chart_are_written_for_their_owner_only(tmp_path: Path) -> None:
    """Results taken out of the database keep its protection, whatever the umask says."""
    database = tmp_path / "cx.sqlite3"
    await answered_nps(database, [7, 2])
    out, chart = tmp_path / "nps.csv", tmp_path / "nps.png"
    out.write_bytes(b"an older export, readable by all")
    out.chmod(0o644)
    previous = os.umask(0o022)
    try:
        exported = await asyncio.to_thread(
            cxbot, "export", "nps", "-o", str(out), DATABASE=str(database)
        )
        summed = await asyncio.to_thread(
            cxbot, "summary", "nps", "--chart", str(chart), DATABASE=str(database)
        )
    finally:
        os.umask(previous)
    assert exported.returncode == 0 and summed.returncode == 0, exported.stderr + summed.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(chart.stat().st_mode) == 0o600
    assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("command", ["summary", "export"])
def test_reports_on_the_command_line_never_migrate_or_create_the_live_database(
    command: str, tmp_path: Path
) -> None:
    """The bot may be running on the file: only the bot migrates it, and a report only reads."""
    database = tmp_path / "cx.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
    result = cxbot(command, "nps", DATABASE=str(database))
    assert result.returncode == 1
    assert f"is at schema 1, and this cxbot reads schema {len(MIGRATIONS)}" in result.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,), "left as it was"
    missing = tmp_path / "none.sqlite3"
    result = cxbot(command, "nps", DATABASE=str(missing))
    assert result.returncode == 1 and "no database at" in result.stderr
    assert not missing.exists()


def test_link_writes_a_qr_code_that_decodes_to_the_link(tmp_path: Path) -> None:
    qr = tmp_path / "qr.png"
    result = cxbot("link", "csat", "--segment", "desk-3", "--qr", str(qr), BOT_USERNAME="my_cx_bot")
    assert result.returncode == 0, result.stderr
    (decoded,) = zxingcpp.read_barcodes(Image.open(qr))
    assert decoded.text == "https://t.me/my_cx_bot?start=csat__desk-3" == result.stdout.strip()


def test_a_bad_period_is_refused_with_what_is_accepted() -> None:
    result = cxbot("summary", "nps", "2026-13")
    assert result.returncode == 1 and "2026-13: no such month" in result.stderr


@pytest.mark.parametrize("command", ["summary", "export"])
def test_an_anonymous_survey_refuses_a_window_of_days_on_the_command_line_too(
    command: str, tmp_path: Path
) -> None:
    result = cxbot(command, "enps", "30d", DATABASE=str(tmp_path / "x.sqlite3"))
    assert result.returncode == 1
    assert "30d: answers to this survey are anonymous" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists(), "refused before anything is opened"
