"""Kiel Institute Ukraine Support Tracker: heavy weapons by donor (weapons.csv).

Each row is one donor and one category, with a count, a value in EUR and a list such as
``"Iris-T SLM air defence system (14); Patriot air defense battery (5)"``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
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
class WeaponLine:
    donor: str
    category: str
    weapon: str
    count: int
    value_cents: int


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def read_weapons(path: Path) -> Iterator[WeaponLine]:
    """One line per weapon type; the row's value is shared pro rata by count. Values and
    counts are held to the platform's maxima (``kit.amounts``), text to its rules
    (``kit.text``): a bad row is refused, naming its line."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput("weapons.csv", f"missing columns {', '.join(sorted(missing))}")
        for line_no, row in enumerate(reader, start=2):
            where = f"weapons.csv line {line_no}"
            for column in COLUMNS:
                check_text(f"{where} {column}", row[column] or "", max_length=2000)
            total_value = parse_euros(f"{where} monetary_value_eur", row["monetary_value_eur"])
            parts = []
            for piece in row["weapons_list"].split(";"):
                match = WEAPON.match(piece)
                if match:
                    count = parse_quantity(f"{where} weapons_list", match["count"])
                    parts.append((match["name"], count))
            yield from _shared(row["donor"], row["category"], parts, total_value)


def _shared(
    donor: str, category: str, parts: list[tuple[str, int]], total_value: int
) -> Iterator[WeaponLine]:
    """The row's value shared by count; the last weapon takes what rounding left."""
    total_count = sum(c for _n, c in parts)
    assigned = 0
    for index, (name, count) in enumerate(parts):
        if index == len(parts) - 1:
            value = total_value - assigned
        else:
            value = total_value * count // total_count if total_count else 0
        assigned += value
        yield WeaponLine(donor, category, name, count, value)
