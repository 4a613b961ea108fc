"""The French and Ukrainian catalogues, kept with Babel.

- ``python tools/messages.py`` (``make messages``): bring both up to date with the source and
  say how many messages each still lacks (``tests/test_catalogues.py`` fails until none does).
- ``python tools/messages.py fill LOCALE FILE.json``: take translations from a JSON object
  ``{"English message": "translation"}`` (a list of forms for a plural message).
- ``python tools/messages.py untranslated LOCALE``: print the messages still to translate, as
  such a JSON object with empty translations, ready to fill.
- ``python tools/messages.py merge LOCALE OTHER.po``: take every translation OTHER has and
  this one lacks (two branches' catalogues brought together).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from shieldwall.kit.catalogues import (
    catalogue_path,
    read_catalogue,
    untranslated,
    update_catalogues,
    write_catalogue,
)


def fill(locale: str, translations: dict[str, str | list[str]]) -> int:
    catalog = read_catalogue(locale)
    filled = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.id and key in translations:
            given = translations[key]
            message.string = tuple(given) if isinstance(given, list) else given
            message.flags.discard("fuzzy")
            filled += 1
    write_catalogue(catalog, locale)
    return filled


def _complete(string: object) -> bool:
    """A translation with every form filled (a plural message's tuple too)."""
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def merge(locale: str, other: Path) -> int:
    with other.open("rb") as f:
        theirs = read_po(f, locale=locale)
    known: dict[str, str | list[str]] = {}
    for message in theirs:
        if message.id and _complete(message.string) and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            string = message.string
            known[key] = list(string) if isinstance(string, tuple | list) else str(string)
    mine = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in read_catalogue(locale)
        if m.id and _complete(m.string) and not m.fuzzy
    }
    return fill(locale, {k: v for k, v in known.items() if k not in mine})


def main(argv: list[str]) -> int:
    if argv[:1] == ["fill"] and len(argv) == 3:
        translations = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        print(f"{fill(argv[1], translations)} message(s) filled in {catalogue_path(argv[1])}")
        return 0
    if argv[:1] == ["merge"] and len(argv) == 3:
        update_catalogues()
        print(f"{merge(argv[1], Path(argv[2]))} translation(s) taken from {argv[2]}")
        return 0
    if argv[:1] == ["untranslated"] and len(argv) == 2:
        gaps = untranslated(read_catalogue(argv[1]))
        print(json.dumps(dict.fromkeys(gaps, ""), ensure_ascii=False, indent=1))
        return 0
    if argv:
        print(__doc__)
        return 2
    missing = update_catalogues()
    for locale, count in missing.items():
        print(f"{catalogue_path(locale)}: {count} message(s) to translate")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
