"""Every string a person reads is translatable and translated: the French and Ukrainian
catalogues hold a translation of every message the source asks for (none fuzzy, every plural
form, the same named fields), and no template writes English text outside ``{% trans %}`` /
``_()`` — text between tags, and the ``title``, ``alt``, ``placeholder`` and ``aria-label``
attributes people read."""

from __future__ import annotations

import importlib
import re
from enum import Enum
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from shieldwall.kit.catalogues import extracted, placeholders, read_catalogue, untranslated

TEMPLATES = Path(__file__).parent.parent / "src" / "shieldwall" / "templates"
TRANSLATED = ("fr", "uk")

# Words that are the same in every language: the platform's name, formats' and standards' names.
SAME_IN_EVERY_LANGUAGE = {"Shieldwall", "API", "CSV", "XLSX", "JSON", "ISO", "UTC", "EUR"}
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}


def test_every_message_is_translated_in_french_and_ukrainian() -> None:
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted() if m.id}
    assert wanted, "the source asks for no translation at all"
    for locale in TRANSLATED:
        catalog = read_catalogue(locale)
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert sorted(wanted - have) == [], f"{locale}: not in the catalogue; run make messages"
        assert untranslated(catalog) == [], f"{locale}: untranslated"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_named_fields(locale: str) -> None:
    wrong = []
    for message in read_catalogue(locale):
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        fields = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            if placeholders(string) != fields:
                wrong.append((ids[0], string))
    assert wrong == []


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        self.found += [v for k, v in attrs if k in READ_ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def untranslated_text(source: str) -> list[str]:
    """The English a template writes outside ``{% trans %}`` blocks: its text between tags
    (expressions stand as ``§``) and the attributes people read."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    outside: list[str] = []
    in_trans = False
    previous = ""
    for _line, kind, value in env.lex(source):
        if kind == "name" and previous == "block_begin":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "data" and not in_trans:
            outside.append(value)
        elif kind == "variable_begin" and not in_trans:
            outside.append("§")
        if kind != "whitespace":
            previous = kind
    parser = _Text()
    parser.feed("".join(outside))
    words = []
    for text in parser.found:
        letters = [w for w in re.findall(r"[^\W\d_]+", text) if w not in SAME_IN_EVERY_LANGUAGE]
        if letters:
            words.append(text.strip())
    return words


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_template_writes_no_untranslated_text(template: str) -> None:
    assert untranslated_text((TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_the_check_finds_english_outside_trans() -> None:
    source = (
        '<p title="Needs you">{{ _("Offers") }} <b>{{ n }}</b> pending</p>'
        "{% trans %}Offered {{ n }}{% endtrans %}<button>Save</button>"
    )
    assert untranslated_text(source) == ["Needs you", "pending", "Save"]


def test_ukrainian_writes_one_apostrophe() -> None:
    """Ukrainian's apostrophe is the typographic one (зобов’язання), in every translation, so
    that one word is spelt one way on every page, in every download and e-mail."""
    ascii_inside_words = [
        m.string
        for m in read_catalogue("uk")
        if m.id and re.search(r"[\u0400-\u04ff]'[\u0400-\u04ff]", str(m.string))
    ]
    assert ascii_inside_words == []


@pytest.mark.parametrize(
    "feature", ["assistance", "council", "guarantees", "obligations", "envelope"]
)
def test_every_action_a_refusal_can_name_is_in_the_catalogue(feature: str) -> None:
    """A refusal ("… ne peut pas clore une demande") and an illegal transition name the action
    by its enum's value, which the extractor cannot see: each feature marks them (``N_``)."""
    policy = importlib.import_module(f"shieldwall.{feature}.policy")
    actions = [
        member.value
        for name, kind in vars(policy).items()
        if name.endswith("Action") and isinstance(kind, type) and issubclass(kind, Enum)
        for member in kind
        if isinstance(member.value, str)
    ]
    wanted = {m.id for m in extracted() if m.id and isinstance(m.id, str)}
    assert actions, f"{feature} declares no actions"
    assert sorted(set(actions) - wanted) == []
