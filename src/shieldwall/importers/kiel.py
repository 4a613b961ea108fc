"""Kiel Institute Ukraine Support Tracker: heavy weapons by donor (weapons.csv), and each
donor's GDP (data_explorer.csv, column ``gdp``).

Each row of weapons.csv is one donor and one category, with a count, a value in EUR and a list
such as ``"Iris-T SLM air defence system (14); Patriot air defense battery (5)"``. Kiel's value
belongs to the row, not to the weapons it lists: it is read as such (``WeaponRow``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from shieldwall.kit.amounts import parse_euros, parse_quantity
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.text import check_text

WEAPON = re.compile(r"^\s*(?P<name>.+?)\s*\((?P<count>\d+)\)\s*$")
COLUMNS = {"donor", "category", "number_of_weapons", "monetary_value_eur", "weapons_list"}

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
            iso = check_text(f"{where} iso", row["iso"] or "", max_length=8).strip()
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
