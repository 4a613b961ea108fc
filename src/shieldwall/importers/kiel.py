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
    """One line per weapon type; the row's value is shared pro rata by count. Text is held
    to the platform's rules (``kit.text``): a bad row is refused, naming its line."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput("weapons.csv", f"missing columns {', '.join(sorted(missing))}")
        for line_no, row in enumerate(reader, start=2):
            for column in COLUMNS:
                check_text(
                    f"weapons.csv line {line_no} {column}", row[column] or "", max_length=2000
                )
            try:
                total_value = round(float(row["monetary_value_eur"]) * 100)
            except ValueError:
                raise InvalidInput(
                    f"weapons.csv line {line_no}", "monetary_value_eur is not a number"
                ) from None
            parts = []
            for piece in row["weapons_list"].split(";"):
                match = WEAPON.match(piece)
                if match:
                    parts.append((match["name"], int(match["count"])))
            total_count = sum(c for _n, c in parts)
            assigned = 0
            for index, (name, count) in enumerate(parts):
                if index == len(parts) - 1:
                    value = total_value - assigned
                else:
                    value = total_value * count // total_count if total_count else 0
                assigned += value
                yield WeaponLine(row["donor"], row["category"], name, count, value)
