"""Kiel Institute Ukraine Support Tracker: heavy weapons by donor (weapons.csv), each donor's
aid by month and its GDP (data_explorer.csv), and the release (release_info.csv).

Each row of weapons.csv is one donor and one category, with a count, a value in EUR and a list
such as ``"Iris-T SLM air defence system (14); Patriot air defense battery (5)"``. Kiel's value
belongs to the row, not to the weapons it lists: it is read as such (``WeaponRow``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from shieldwall.delegations.model import EUROPEAN_UNION
from shieldwall.importers.common import csv_rows
from shieldwall.kit.amounts import parse_euros, parse_quantity
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.text import check_text

WEAPON = re.compile(r"^\s*(?P<name>.+?)\s*\((?P<count>\d+)\)\s*$")
COLUMNS = {"donor", "category", "number_of_weapons", "monetary_value_eur", "weapons_list"}

# Kiel's donor codes that are not the alpha-3 codes delegations go by, to those codes.
DONOR_CODES = {"EU": EUROPEAN_UNION}


def donor_code(iso: str) -> str:
    """The delegation code of a donor Kiel names by ``iso``: its ISO code, but EUU for the EU."""
    return DONOR_CODES.get(iso, iso)


# Kiel category → (capability area code, unit)
CATEGORY_AREAS: dict[str, tuple[str, str]] = {
    "Air Defense": ("air-defence", "system"),
    "Howitzers": ("artillery", "howitzer"),
    "MLRS": ("artillery", "launcher"),
    "Tanks": ("armour", "tank"),
    "IFV": ("armour", "vehicle"),
}


@dataclass(frozen=True)
class WeaponRow:
    """One row of weapons.csv as Kiel gives it: a donor's weapons of one category, their count
    and their value in EUR cents — one value for the whole row, not a price per weapon — and
    the weapons it lists with their counts."""

    line: int
    donor: str
    category: str
    count: int
    value_cents: int
    weapons: tuple[tuple[str, int], ...]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def read_weapons(path: Path) -> Iterator[WeaponRow]:
    """One record per row, Kiel's value kept on the row: nothing shares it out over the
    weapons listed, so no weapon gets a price Kiel does not state. Values and counts are held
    to the platform's maxima (``kit.amounts``), text to its rules (``kit.text``): a bad row
    is refused, naming its line."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput("weapons.csv", f"missing columns {', '.join(sorted(missing))}")
        for line_no, row in enumerate(reader, start=2):
            where = f"weapons.csv line {line_no}"
            for column in COLUMNS:
                check_text(f"{where} {column}", row[column] or "", max_length=2000)
            value = parse_euros(f"{where} monetary_value_eur", row["monetary_value_eur"])
            count = parse_quantity(f"{where} number_of_weapons", row["number_of_weapons"])
            weapons = []
            for piece in row["weapons_list"].split(";"):
                match = WEAPON.match(piece)
                if match:
                    named = parse_quantity(f"{where} weapons_list", match["count"])
                    weapons.append((match["name"], named))
            yield WeaponRow(line_no, row["donor"], row["category"], count, value, tuple(weapons))


# Kiel's data explorer (release 29), shipped unmodified beside the weapons file.
KIEL_DATA_EXPLORER = (
    Path(__file__).resolve().parent.parent / "data" / ("kiel-ust-r29-data-explorer.csv")
)
GDP_SOURCE = "Kiel Institute, Ukraine Support Tracker, Release 29 (04/2026), column gdp"


def read_gdp(path: Path) -> dict[str, Decimal]:
    """Each donor's GDP in EUR billion, by its ISO code, from Kiel's data_explorer.csv (one
    row per donor and month, the same GDP on each). A donor with two different values is
    refused, naming the line. A GDP of 0 — Kiel's row for the EU — is no GDP: left out."""
    name = path.name
    found: dict[str, Decimal] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"iso", "gdp"} - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput(name, f"missing columns {', '.join(sorted(missing))}")
        for line_no, row in enumerate(reader, start=2):
            where = f"{name} line {line_no}"
            iso = donor_code(check_text(f"{where} iso", row["iso"] or "", max_length=8).strip())
            gdp = _billions(f"{where} gdp", row["gdp"] or "")
            if found.setdefault(iso, gdp) != gdp:
                raise InvalidInput(f"{where} gdp", f"{iso} has two values, {found[iso]} and {gdp}")
    return {iso: gdp for iso, gdp in found.items() if gdp > 0}


def _billions(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(field, f"{text[:20]!r} is not a number of EUR billion") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(field, f"{text[:20]!r} is not a number of EUR billion")
    return value


@cache
def gdp_by_iso() -> Mapping[str, Decimal]:
    """The shipped release's GDP by ISO code (EUR billion), read once."""
    return read_gdp(KIEL_DATA_EXPLORER)


# ---- the data explorer: each donor's aid by month ------------------------------------------

RELEASE_COLUMNS = ("release", "period", "date", "label")
EXPLORER_COLUMNS = (
    "country",
    "iso",
    "year",
    "month",
    "total",
    "financial",
    "humanitarian",
    "military",
    "commitments",
    "to_be_allocated",
    "gdp",
    "pct_gdp",
)
# Kiel's allocations by area, the columns an import keeps apart (their sum is ``total``).
ALLOCATION_COLUMNS = ("military", "financial", "humanitarian")
CENTS_PER_BILLION = Decimal(10) ** 11


@dataclass(frozen=True)
class KielRelease:
    """release_info.csv: the release's number, the period its data run to, and its label."""

    number: str
    period: str
    date: str
    label: str

    @property
    def source(self) -> str:
        """How the platform names the release: "Kiel Institute, Ukraine Support Tracker,
        Release 29 (04/2026)"."""
        return f"Kiel Institute, {self.label}"

    @property
    def short(self) -> str:
        return f"Kiel Release {self.number}"


@dataclass(frozen=True)
class KielMonth:
    """One row of data_explorer.csv: a donor's aid in one month, in EUR billion as written."""

    line: int
    country: str
    iso: str  # the donor's delegation code (``donor_code``: EUU where Kiel writes EU)
    month: dt.date  # its first day
    values: Mapping[str, Decimal]  # military, financial, humanitarian, to_be_allocated, …
    gdp: str  # as written (a decimal string), "0" where Kiel has none (the EU)


def read_release(path: Path) -> KielRelease:
    """The one row of release_info.csv."""
    rows = list(csv_rows(path, RELEASE_COLUMNS))
    if len(rows) != 1:
        raise InvalidInput(path.name, _("expected one release, found {n} rows").format(n=len(rows)))
    line, row = rows[0]
    for column in RELEASE_COLUMNS:
        check_text(f"{path.name} line {line} {column}", row[column], max_length=100)
    if not row["release"].strip() or not row["label"].strip():
        raise InvalidInput(f"{path.name} line {line}", _("the release and its label are required"))
    return KielRelease(*(row[c].strip() for c in RELEASE_COLUMNS))


def read_months(path: Path) -> Iterator[KielMonth]:
    """Each donor-month of data_explorer.csv, streamed and checked: a missing column, a bad
    number or month, or a donor-month seen twice stops the reading with the file and line."""
    name = path.name
    seen: dict[tuple[str, dt.date], int] = {}
    for line, row in csv_rows(path, EXPLORER_COLUMNS):
        where = f"{name} line {line}"
        iso = row["iso"].strip()
        if not (iso.isalpha() and iso.isascii() and 2 <= len(iso) <= 8):
            raise InvalidInput(
                f"{where} iso", _("{text!r} is not an ISO code").format(text=iso[:20])
            )
        country = check_text(f"{where} country", row["country"], max_length=120).strip()
        month = _month(where, row["year"], row["month"])
        first = seen.setdefault((iso, month), line)
        if first != line:
            raise InvalidInput(
                where,
                _("{donor} {month} appears twice (first on line {line})").format(
                    donor=iso, month=f"{month:%Y-%m}", line=first
                ),
            )
        values = {
            c: _amount(f"{where} {c}", row[c])
            for c in (*ALLOCATION_COLUMNS, "to_be_allocated", "total", "commitments")
        }
        gdp = row["gdp"].strip()
        _billions(f"{where} gdp", gdp)
        yield KielMonth(line, country, donor_code(iso.upper()), month, values, gdp)


def _month(where: str, year: str, month: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput(
            f"{where} month",
            _("{year!r}-{month!r} is not a year and a month").format(
                year=year[:8], month=month[:8]
            ),
        ) from None


def _amount(field: str, text: str) -> Decimal:
    """A signed amount in EUR billion (Kiel's to_be_allocated is often negative)."""
    problem = _("{text!r} is not a number of EUR billion").format(text=text[:20])
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(field, problem) from None
    if not value.is_finite() or abs(value) > 1000:
        raise InvalidInput(field, problem)
    return value


def billions_to_cents(value: Decimal) -> tuple[int, bool]:
    """EUR billion → EUR cents, exactly (× 10¹¹); a value with digits below the cent is
    rounded half to even, and says so (the second element)."""
    exact = value * CENTS_PER_BILLION
    cents = exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(cents), cents != exact
