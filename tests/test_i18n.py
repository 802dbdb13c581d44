"""The bot's own words: every catalog translates every message the code uses, placeholders intact."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n import (
    OWN_NAMES,
    _,
    catalog_files,
    compiled_from,
    format_percent,
    language_name,
    locales_dir,
    ngettext,
    resolve_language,
    translations,
    use_language,
)
from bot.reports.periods import PeriodError, parse_period
from bot.survey.model import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def used_messages() -> dict[str, tuple[str, ...]]:
    """msgid -> (singular, plural?) for every message the code asks the catalog for."""
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found[forms[0]] = forms
    return found


def catalog(language: str) -> Catalog:
    with (locales_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def test_the_code_asks_for_messages() -> None:
    assert len(used_messages()) > 20


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    po = catalog(language)
    problems = []
    for msgid, forms in used_messages().items():
        entry = po.get(forms if len(forms) > 1 else msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        raw = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        strings = tuple(str(s or "") for s in raw)
        expected_forms = po.num_plurals if len(forms) > 1 else 1
        if len(strings) != expected_forms or not all(strings):
            problems.append(f"untranslated form: {msgid!r}")
        wanted = set(PLACEHOLDER.findall(msgid))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {msgid!r} -> {string!r}")
    assert problems == []


def test_russian_counts_take_three_forms() -> None:
    with use_language("ru"):
        words = [
            ngettext("{count} statement", "{count} statements", n).split()[1]
            for n in (1, 3, 5, 21, 11)
        ]
    assert words == ["утверждение", "утверждения", "утверждений", "утверждение", "утверждений"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_finds_no_error_in_any_catalog(language: str) -> None:
    """Babel's own checks (placeholders, format flags, plural forms) pass for every entry: a
    message that merely looks like a %-format ("% of 4-5") would fail them."""
    errors = [(message.id, [str(e) for e in found]) for message, found in catalog(language).check()]
    assert errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_compiled_catalog_is_that_of_the_po_beside_it(language: str) -> None:
    """Else the bot compiles the .po at every start and keeps Babel's parser: `./dev extract`."""
    po, mo = catalog_files(language)
    compiled = Translations(io.BytesIO(mo.read_bytes()))
    assert compiled_from(compiled, po.read_bytes()), f"{mo} is stale: run ./dev extract"
    for message in catalog(language):
        if isinstance(message.id, str) and message.id:
            assert compiled.gettext(message.id) == message.string
        elif isinstance(message.id, tuple) and isinstance(message.string, tuple):  # form for 1
            (singular, plural), (one, *_others) = message.id, message.string
            assert compiled.ngettext(singular, plural, 1) == one


def test_every_catalog_is_checked_at_start_but_only_those_in_use_are_kept() -> None:
    script = (
        "from bot import i18n\ni18n.check_all()\nprint(i18n.translations.cache_info().currsize)\n"
        "with i18n.use_language('fr'):\n    i18n._('Back')\n"
        "print(i18n.translations.cache_info().currsize)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert shown.stdout.split() == ["0", "1"]


def edited_french(folder: Path) -> Path:
    """The shipped catalogs copied into `folder`, one French message edited in its .po only."""
    shutil.copytree(Path(str(locales_dir())), folder, dirs_exist_ok=True)
    po = folder / "fr" / "LC_MESSAGES" / "messages.po"
    old = 'msgstr "Cette réponse ne correspond pas à la question."'
    po.write_text(po.read_text("utf-8").replace(old, 'msgstr "Hors échelle."'), "utf-8")
    return folder


def test_a_po_edited_after_its_compiled_catalog_is_what_shows(tmp_path: Path) -> None:
    folder = edited_french(tmp_path)
    assert (folder / "fr" / "LC_MESSAGES" / "messages.mo").is_file(), "the stale .mo is there"
    french = translations("fr", folder)
    assert french.gettext("This answer does not fit the question.") == "Hors échelle."


def test_a_catalog_folder_without_compiled_catalogs_is_compiled_in_memory(tmp_path: Path) -> None:
    folder = edited_french(tmp_path)
    for mo in folder.glob("*/LC_MESSAGES/messages.mo"):
        mo.unlink()
    french = translations("fr", folder)
    assert french.gettext("This answer does not fit the question.") == "Hors échelle."
    assert translations("ru", folder).ngettext("{count} response", "{count} responses", 5) == (
        "{count} ответов"
    )


def test_portuguese_counts_follow_the_european_rule() -> None:
    """pt_PT: one is singular, zero and everything else plural ("0 respostas")."""
    assert catalog("pt").num_plurals == 2
    with use_language("pt"):
        counts = [
            ngettext("{count} response", "{count} responses", n).format(count=n) for n in (0, 1, 2)
        ]
    assert counts == ["0 respostas", "1 resposta", "2 respostas"]


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("ru", "1 участнику", "2 участникам"),
        ("en", "1 member of", "2 members of"),
        ("fr", "1 membre de", "2 membres de"),
        ("pt", "1 membro de", "2 membros de"),
    ],
)
def test_a_wave_counts_its_members_with_plurals(language: str, one: str, two: str) -> None:
    singular = "Wave {wave} of {survey} is going out to {count} member of {team}."
    plural = "Wave {wave} of {survey} is going out to {count} members of {team}."
    with use_language(language):
        texts = [
            ngettext(singular, plural, n).format(wave=3, survey="enps", count=n, team="sales")
            for n in (1, 2)
        ]
    assert one in texts[0]
    assert two in texts[1]


@pytest.mark.parametrize("language", ["fr", "pt"])
def test_the_surveys_line_reads_right_with_one_finished(language: str) -> None:
    with use_language(language):
        line = _("{id}: {finished} finished, {unfinished} unfinished, last {last}").format(
            id="nps", finished=1, unfinished=1, last="—"
        )
    assert "1 terminés" not in line and "1 concluídos" not in line


def test_french_uses_typographic_apostrophes_and_no_break_spaces() -> None:
    """Inside quotation marks; "« Retour" is an arrow, not a quotation."""
    problems = []
    for message in catalog("fr"):
        raw = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for text in (str(s or "") for s in raw):
            if message.id and ("'" in text or re.search(r" [?:;!»]|« [^»]*»", text)):
                problems.append(text)
    assert problems == []


def test_percentages_follow_the_locale() -> None:
    shares = {}
    for language in LANGUAGES:
        with use_language(language):
            shares[language] = format_percent(0.46)
    assert shares == {"en": "46%", "fr": "46\u00a0%", "ru": "46\u00a0%", "pt": "46%"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_is_offered_by_its_own_name_as_babel_writes_it(language: str) -> None:
    own = Locale.parse(language).get_display_name(language)
    assert own is not None
    assert language_name(language) == own[:1].upper() + own[1:]
    assert set(OWN_NAMES) == set(LANGUAGES)


def test_the_language_in_force_is_per_context() -> None:
    with use_language("fr"):
        assert _("Skip") == "Passer"
        with use_language("ru"):
            assert _("Skip") == "Пропустить"
        assert _("Skip") == "Passer"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("pt-br", "pt"),
        ("pt-BR", "pt"),
        ("ru", "ru"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_telegram_language_codes_map_to_ours(code: str | None, expected: str) -> None:
    assert resolve_language(code, default="en") == expected


def test_admin_errors_reach_the_catalog() -> None:
    used = used_messages()
    assert "Surveys: {ids}" in used
    assert "{period}: no such month" in used
    with use_language("fr"), pytest.raises(PeriodError) as caught:
        parse_period("2026-13")
    assert str(caught.value) == "2026-13\u00a0: ce mois n’existe pas"
