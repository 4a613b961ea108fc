"""The platform's languages and how it writes numbers, amounts and times in each.

English is the source language; French and Ukrainian come from gettext catalogues
(``src/shieldwall/locale/<lang>/LC_MESSAGES/messages.po``, kept with Babel: ``make messages``).
The language and the time zone of the exchange being served are context variables, set for each
request by ``LocaleMiddleware`` (the user's stored choice, carried in a cookie set at sign-in,
else the browser's ``Accept-Language``), and for an e-mail by ``using_locale`` with the
recipient's choice. Everything that writes text for a person asks this module, so that a page,
a message, an e-mail and a chart of one exchange agree.

Numbers and amounts are written by Babel for the locale (one format per locale, everywhere);
days are ISO 8601 in every language; times carry the viewer's time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy

LOCALES: tuple[str, ...] = ("en", "fr", "uk")
DEFAULT_LOCALE = "en"
# Each language named in itself, as a language menu shows it.
LOCALE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "uk": "Українська"}
DEFAULT_TIME_ZONE = "UTC"
CATALOGUES = Path(__file__).parent.parent / "locale"

_locale: ContextVar[str] = ContextVar("shieldwall_locale", default=DEFAULT_LOCALE)
_zone: ContextVar[str] = ContextVar("shieldwall_time_zone", default=DEFAULT_TIME_ZONE)


# ---- catalogues ----------------------------------------------------------------------------


@functools.cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The catalogue of ``locale``, compiled in memory from its ``.po`` file (no build step,
    no compiled file to go stale); English, the source, translates to itself."""
    path = CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def current_locale() -> str:
    return _locale.get()


def current_time_zone() -> str:
    return _zone.get()


@contextmanager
def using_locale(locale: str | None, time_zone: str | None = None) -> Iterator[None]:
    """Write in ``locale`` (and ``time_zone``) inside the block: an e-mail in its recipient's
    language, a CLI command in the one asked for."""
    locale_token = _locale.set(supported_locale(locale))
    zone_token = _zone.set(supported_time_zone(time_zone))
    try:
        yield
    finally:
        _locale.reset(locale_token)
        _zone.reset(zone_token)


def gettext(message: str) -> str:
    return translations(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_locale.get()).pgettext(context, message)


_ = gettext


def term(code: Any) -> str:
    """A word of the platform's vocabulary that is stored as a code — a state, a kind, a
    priority — in the viewer's language. Each feature marks its words for the catalogue with
    ``N_`` (its ``TERMS``), since a code read from a record is not seen by the extractor."""
    if code is None:
        return NOTHING
    return gettext(str(code))


def lazy_gettext(message: str) -> Any:
    """A message translated when it is written out, in the language of that moment: for
    labels and messages defined once at import time."""
    return LazyProxy(gettext, message, enable_cache=False)


def N_(message: str) -> str:
    """Marks a message for the catalogue without translating it here (it is translated where
    it is shown, with ``gettext`` over the same text)."""
    return message


# ---- choosing the language and the time zone -----------------------------------------------


def supported_locale(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    primary = locale.replace("_", "-").split("-")[0].lower()
    return primary if primary in LOCALES else DEFAULT_LOCALE


def supported_time_zone(name: str | None) -> str:
    if not name:
        return DEFAULT_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return name


def is_time_zone(name: str) -> bool:
    return name in time_zones()


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones a user may choose, sorted, UTC first."""
    named = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return (DEFAULT_TIME_ZONE, *named)


def negotiate(accept_language: str | None) -> str:
    """The best of ``LOCALES`` for a browser's ``Accept-Language`` header (q-values honoured,
    malformed parts ignored), else English."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in LOCALES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


# ---- writing numbers, amounts and times ----------------------------------------------------

NOTHING = "—"


def format_number(value: Any) -> str:
    """A whole or decimal number with the locale's separators; ``—`` for none."""
    if value is None:
        return NOTHING
    return numbers.format_decimal(value, locale=_locale.get())


def format_signed(value: Any) -> str:
    """A change with its sign, ``+150,000`` / ``−40``, in the locale's digits."""
    if value is None:
        return NOTHING
    text = numbers.format_decimal(abs(value), locale=_locale.get())
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def format_eur(value: Any) -> str:
    """Euros: in full below a million, in the locale's compact form above (``€16M``,
    ``16 M €``, ``16 млн EUR``); ``—`` for none."""
    if value is None:
        return NOTHING
    amount = Decimal(str(value))
    locale = _locale.get()
    if abs(amount) >= 1_000_000:
        return numbers.format_compact_currency(amount, "EUR", locale=locale, fraction_digits=2)
    return numbers.format_currency(
        amount.quantize(Decimal(1)),
        "EUR",
        locale=locale,
        format=_whole_currency(locale),
        currency_digits=False,
    )


@functools.cache
def _whole_currency(locale: str) -> str:
    """The locale's currency pattern without its cents (``¤#,##0``, ``#,##0 ¤``)."""
    pattern = str(Locale.parse(locale).currency_formats["standard"].pattern)
    return pattern.split(";")[0].replace(".00", "")


def format_eur_exact(value: Any) -> str:
    """Euros to the cent, for a ledger line or an audit record (never rounded)."""
    if value is None:
        return NOTHING
    return numbers.format_currency(Decimal(str(value)), "EUR", locale=_locale.get())


def format_percent(value: Any) -> str:
    if value is None:
        return NOTHING
    return numbers.format_percent(value, locale=_locale.get())


def format_day(value: dt.date | None) -> str:
    """A day, ISO 8601 in every language (``2024-07-11``)."""
    if value is None:
        return NOTHING
    if isinstance(value, dt.datetime):
        value = to_viewer_time(value).date()
    return value.isoformat()


def to_viewer_time(value: dt.datetime) -> dt.datetime:
    """A moment in the viewer's time zone (naive moments are UTC, as the platform stores)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(_zone.get()))


def format_moment(value: dt.datetime | None) -> str:
    """A moment, ISO 8601 to the minute in the viewer's time zone, with the zone's
    abbreviation (``2024-07-11 14:30 CEST``)."""
    if value is None:
        return NOTHING
    local = to_viewer_time(value)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
