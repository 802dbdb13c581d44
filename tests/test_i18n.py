"""The bot's own words: every catalog translates every message the code uses, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import (
    _,
    format_percent,
    locales_dir,
    ngettext,
    resolve_language,
    use_language,
)
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
    singular = "“{answer}”: {count} statement of {total}. Finding out is a first step."
    plural = "“{answer}”: {count} statements of {total}. Finding out is a first step."
    with use_language("ru"):
        words = [ngettext(singular, plural, n).split()[2] for n in (1, 3, 5, 21, 11)]
    assert words == ["утверждение", "утверждения", "утверждений", "утверждение", "утверждений"]


def test_percentages_follow_the_locale() -> None:
    shares = {}
    for language in LANGUAGES:
        with use_language(language):
            shares[language] = format_percent(0.46)
    assert shares == {"en": "46%", "fr": "46\u00a0%", "ru": "46\u00a0%", "pt": "46%"}


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
