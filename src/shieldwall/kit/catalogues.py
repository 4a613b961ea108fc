"""The gettext catalogues: what the source asks to translate, and how a catalogue is brought up
to date with it (``make messages``; ``tests/test_catalogues.py`` fails on any message without a
translation). Babel extracts the Python sources and the Jinja2 templates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from shieldwall.kit.i18n import CATALOGUES, DEFAULT_LOCALE, LOCALES

PACKAGE = Path(__file__).parent.parent
CREATED = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
DOMAIN = "messages"
# gettext's usual names, and this package's lazy one.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_gettext": None,
    "N_": None,
}
METHODS = [
    ("migrations/**.py", "ignore"),
    ("demo/**.py", "python"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def extracted() -> Catalog:
    """Every message the package asks to translate, with where it is asked."""
    # A fixed date: the catalogues change only when their messages do (no churn in the diff).
    template = Catalog(
        project="shieldwall", charset="utf-8", fuzzy=False, creation_date=CREATED, version="1"
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def catalogue_path(locale: str) -> Path:
    return CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    path = catalogue_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="shieldwall", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def write_catalogue(catalog: Catalog, locale: str) -> None:
    path = catalogue_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, ignore_obsolete=True, omit_header=False)


def update_catalogues() -> dict[str, int]:
    """Bring each translated language's catalogue up to date with the source: new messages are
    added untranslated, vanished ones dropped. Answers how many are left untranslated in each."""
    template = extracted()
    missing: dict[str, int] = {}
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        catalog = read_catalogue(locale)
        catalog.update(template, no_fuzzy_matching=True)
        write_catalogue(catalog, locale)
        missing[locale] = len(untranslated(catalog))
    return missing


def untranslated(catalog: Catalog) -> list[str]:
    """The messages of ``catalog`` without a complete, non-fuzzy translation."""
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(strings):
            gaps.append(str(message.id if isinstance(message.id, str) else message.id[0]))
    return gaps


PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}|%\((\w+)\)[sd]")


def placeholders(text: str) -> set[str]:
    """The named fields of a message (``{count}``, ``%(name)s``), which its translation keeps."""
    return {a or b for a, b in PLACEHOLDER.findall(text)}
