"""The bot's own words in the respondent's language, and numbers formatted for their locale.

The locale of the update being handled lives in a ContextVar, so concurrent updates in different
languages never see each other's. Catalogs are read from `<lang>/LC_MESSAGES/` in `LOCALES_DIR`,
else in `bot/locales/`, which ships inside the package (read with importlib.resources, so an
installed cxbot finds them wherever pip put it).

The `messages.po` there is the source translators edit; the `messages.mo` beside it is its
compiled form (`./dev extract` writes it), loaded as it is. Parsing the .po files takes Babel's
parser and its catalog objects, about 0.5 MB kept for the process's life, on every bot. The compiled catalog
names the .po it came from by its SHA-256 (an entry of its own context, which no code asks for):
a .mo missing, or left behind by an edit of the .po, is never used; the .po is compiled in
memory instead, so an edited catalog always shows.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from babel import dates, numbers
from babel.support import Translations

from bot.survey.model import LANGUAGES
from bot.survey.rounding import half_up, whole, whole_percent

DOMAIN = "messages"
_language: ContextVar[str] = ContextVar("language", default="en")


def locales_dir() -> Traversable:
    """`LOCALES_DIR` (every language's catalog in it), else the catalogs inside the package."""
    folder = os.environ.get("LOCALES_DIR", "").strip()
    return Path(folder) if folder else resources.files("bot") / "locales"


def resolve_language(code: str | None, default: str) -> str:
    """Telegram's language_code ('pt-br', 'fr', None...) to one of ours."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else default


class CatalogError(Exception):
    """A catalog that cannot be read: the message names its file and what is wrong."""


SOURCE = ("cxbot-source", "sha256")
"""The context and id of the entry that names, in a compiled catalog, the .po it came from."""


def catalog_files(
    language: str, folder: Traversable | None = None
) -> tuple[Traversable, Traversable]:
    """A language's source catalog (.po) and its compiled form (.mo)."""
    messages = (folder or locales_dir()) / language / "LC_MESSAGES"
    return messages / f"{DOMAIN}.po", messages / f"{DOMAIN}.mo"


def compile_catalog(source: bytes, language: str, name: object) -> bytes:
    """A .po's content compiled, naming its source (`SOURCE`). `name`: the file, for errors."""
    # Babel's parser, only where a catalog is compiled: a bot loading .mo files never imports it
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    try:
        catalog = read_po(io.BytesIO(source), locale=language, domain=DOMAIN, abort_invalid=True)
    except (PoFileError, ValueError) as error:  # "... on <line>", a header Babel cannot read
        raise CatalogError(f"{name}: {error}") from None
    context, key = SOURCE
    catalog.add(key, hashlib.sha256(source).hexdigest(), context=context)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    return compiled.getvalue()


def compiled_from(compiled: Translations, source: bytes) -> bool:
    """Whether the compiled catalog names this .po content as its source."""
    return compiled.pgettext(*SOURCE) == hashlib.sha256(source).hexdigest()


@cache
def translations(language: str, folder: Traversable | None = None) -> Translations:
    """A language's catalog, loaded when first used: a bot whose people all speak one language
    keeps one catalog (each is about 0.15 MB in memory)."""
    return load(language, folder)


def load(language: str, folder: Traversable | None = None) -> Translations:
    """The compiled catalog if it was compiled from the .po beside it, else the .po compiled
    now."""
    po, mo = catalog_files(language, folder)
    source = _read(po)
    if mo.is_file():
        try:
            shipped = Translations(io.BytesIO(_read(mo)), domain=DOMAIN)
        except OSError as error:  # not a compiled catalog: gettext's "Bad magic number"
            raise CatalogError(f"{mo}: {error.strerror}") from None
        if compiled_from(shipped, source):
            return shipped
    return Translations(io.BytesIO(compile_catalog(source, language, po)), domain=DOMAIN)


def _read(file: Traversable) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise CatalogError(f"{file}: {error.strerror}") from None


def write_compiled(folder: Path) -> list[Path]:
    """Every language's .mo written beside its .po in `folder` (bot/locales/ for `./dev
    extract`): the files written."""
    written = []
    for language in LANGUAGES:
        po, mo = (Path(str(file)) for file in catalog_files(language, folder))
        mo.write_bytes(compile_catalog(po.read_bytes(), language, po))
        written.append(mo)
    return written


def check_all() -> None:
    """Load every catalog once, at start, so that a broken one stops the bot before polling;
    kept are only those in use (`translations`)."""
    for language in LANGUAGES:
        load(language)


def current_language() -> str:
    return _language.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    text: str = translations(_language.get()).gettext(message)
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    text: str = translations(_language.get()).ngettext(singular, plural, n)
    return text


def format_percent(share: float) -> str:
    """0.46 -> '46%' (en), '46 %' (fr, no-break space), '46 %' (ru); whole percent, half up."""
    text: str = numbers.format_percent(Decimal(whole_percent(share)) / 100, locale=_language.get())
    return text


def format_number(value: float) -> str:
    """A whole number for the locale ('1,000', '1 000'), rounded half up."""
    return _whole_number(whole(value), _language.get())


@lru_cache(maxsize=4096)
def _whole_number(value: int, language: str) -> str:
    """Babel takes longer to format a number than a tap takes to store its answer; the same
    few numbers (positions, scores, thresholds) come back on every screen."""
    text: str = numbers.format_decimal(value, locale=language)
    return text


def format_decimal(value: float, digits: int) -> str:
    """5.43 -> '5.4' (en), '5,4' (fr, ru, pt): always `digits` decimals."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    text: str = numbers.format_decimal(
        half_up(value, digits), format=pattern, locale=_language.get()
    )
    return text


def format_day(day: date) -> str:
    """A day as the locale writes it in full: '1 January 2027', '1 janvier 2027', '1 января 2027 г.'."""
    language = _language.get()
    locale = {"en": "en_GB", "pt": "pt_PT"}.get(language, language)  # British, European
    text: str = dates.format_date(day, format="long", locale=locale)
    return text


OWN_NAMES = {"ru": "Русский", "en": "English", "fr": "Français", "pt": "Português"}
"""Each language by its own name, as Babel's data writes it (tests/test_i18n.py checks), here
so that the language picker does not load every language's locale data (about 8 MB, kept for
the rest of the process's life) to show four words."""


def language_name(language: str) -> str:
    """The language's own name ('Français', 'Русский'), for the language picker."""
    return OWN_NAMES[language]


if __name__ == "__main__":  # `./dev extract` compiles the catalogs it refreshed
    for path in write_compiled(Path(__file__).parent / "locales"):
        print(f"compiled {path}")
