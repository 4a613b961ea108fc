"""The deterrent envelope in the demo, as read from ``envelope.toml`` beside this module:
capability packages with their components, deliveries near the demo's present, and planned
delivery tranches of committed demo offers. All of it is invented and recorded as
illustrative; the reader is as strict as those of records.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from shieldwall.demo.records import HERE, Entry, Item, Lifecycle, load_toml, made
from shieldwall.kit.errors import InvalidInput

T = TypeVar("T")
KINDS = ("arm", "train", "equip", "sustain")


@dataclass(frozen=True)
class PackageComponent:
    item: str
    kind: str
    per_unit: int
    per_month: bool


@dataclass(frozen=True)
class DemoPackage:
    code: str
    name: str
    area: str
    units_needed: int
    sustain_window_months: int
    description: str
    components: tuple[PackageComponent, ...]


@dataclass(frozen=True)
class RecentDelivery:
    """A delivery on a committed demo offer, dated back from the demo's present; confirmed
    ``confirmed_after_days`` later, or awaiting confirmation (None)."""

    member: str
    item: str
    quantity: int
    days_before_present: int
    confirmed_after_days: int | None


@dataclass(frozen=True)
class Tranche:
    """A planned delivery of a committed demo offer, expected after the demo's present."""

    member: str
    item: str
    quantity: int
    days_after_present: int


@dataclass(frozen=True)
class EnvelopePlan:
    packages: tuple[DemoPackage, ...]
    recent_deliveries: tuple[RecentDelivery, ...]
    tranches: tuple[Tranche, ...]


def read_envelope(path: Path = HERE / "envelope.toml") -> EnvelopePlan:
    document = load_toml(path)

    def each(array: str, make: Callable[[Entry], T]) -> tuple[T, ...]:
        entries = made(path.name, lambda d: d.tables(array), document)
        return tuple(
            made(f"{path.name} {array} {n}", lambda e: e.read(make), entry)
            for n, entry in enumerate(entries, start=1)
        )

    plan = EnvelopePlan(
        each("package", _package), each("recent_delivery", _recent), each("tranche", _tranche)
    )
    made(path.name, lambda d: d.read(lambda _: None), document)  # no unknown table
    codes = [p.code for p in plan.packages]
    if len(set(codes)) != len(codes):
        raise InvalidInput(path.name, "each package needs a code of its own")
    return plan


def _package(entry: Entry) -> DemoPackage:
    package = DemoPackage(
        code=entry.need("code", str),
        name=entry.need("name", str),
        area=entry.need("area", str),
        units_needed=entry.need("units_needed", int),
        sustain_window_months=entry.need("sustain_window_months", int),
        description=entry.need("description", str),
        components=tuple(c.read(_component) for c in entry.tables("components")),
    )
    if package.units_needed < 1 or package.sustain_window_months < 1:
        raise ValueError("units_needed and sustain_window_months: 1 or more")
    items = [c.item for c in package.components]
    if not items or len(set(items)) != len(items):
        raise ValueError("components: one or more, each item once")
    if "illustrative" not in package.description.lower():
        raise ValueError("description: say that the package's numbers are illustrative")
    return package


def _component(entry: Entry) -> PackageComponent:
    component = PackageComponent(
        item=entry.need("item", str),
        kind=entry.need("kind", str),
        per_unit=entry.need("per_unit", int),
        per_month=bool(entry.get("per_month", bool)),
    )
    if component.kind not in KINDS:
        raise ValueError(f"kind: {', '.join(KINDS)}, not {component.kind!r}")
    if component.per_unit < 1:
        raise ValueError("per_unit: 1 or more")
    return component


def _recent(entry: Entry) -> RecentDelivery:
    recent = RecentDelivery(
        member=entry.need("member", str),
        item=entry.need("item", str),
        quantity=entry.need("quantity", int),
        days_before_present=entry.need("days_before_present", int),
        confirmed_after_days=entry.get("confirmed_after_days", int),
    )
    confirmed = recent.confirmed_after_days
    if recent.quantity < 1 or recent.days_before_present < 1:
        raise ValueError("quantity and days_before_present: 1 or more")
    if confirmed is not None and not 0 <= confirmed < recent.days_before_present:
        raise ValueError("confirmed_after_days: from 0, and before the present")
    return recent


def _tranche(entry: Entry) -> Tranche:
    tranche = Tranche(
        member=entry.need("member", str),
        item=entry.need("item", str),
        quantity=entry.need("quantity", int),
        days_after_present=entry.need("days_after_present", int),
    )
    if tranche.quantity < 1 or tranche.days_after_present < 1:
        raise ValueError("quantity and days_after_present: 1 or more")
    return tranche


def check_envelope(
    plan: EnvelopePlan, areas: Iterable[str], items: list[Item], lives: list[Lifecycle]
) -> None:
    """envelope.toml names areas and items of the catalogue, and committed demo offers with
    enough left to deliver for its recent deliveries and its tranches."""
    area_codes, item_codes = set(areas), {i.code for i in items}
    for n, package in enumerate(plan.packages, start=1):
        where = f"envelope.toml package {n}"
        if package.area not in area_codes:
            raise InvalidInput(where, f"no capability area {package.area!r} in areas.csv")
        for component in package.components:
            if component.item not in item_codes:
                raise InvalidInput(where, f"no item {component.item!r} in the catalogue")
    left: dict[int, int] = {}
    wanted: list[tuple[str, RecentDelivery | Tranche]] = [
        (f"recent_delivery {n}", r) for n, r in enumerate(plan.recent_deliveries, start=1)
    ]
    wanted += [(f"tranche {n}", t) for n, t in enumerate(plan.tranches, start=1)]
    for entry, want in wanted:
        where = f"envelope.toml {entry}"
        index = committed_offer(where, want.member, want.item, lives)
        if index not in left:
            life = lives[index]
            left[index] = life.quantity - sum(d.quantity for d in life.deliveries)
        left[index] -= want.quantity
        if left[index] < 0:
            raise InvalidInput(where, "more than is left to deliver on that offer")


def committed_offer(where: str, member: str, item: str, lives: list[Lifecycle]) -> int:
    """The index in ``lives`` of the one committed demo offer of ``item`` by ``member``."""
    found = [i for i, life in enumerate(lives) if (life.member, life.item) == (member, item)]
    if len(found) != 1:
        raise InvalidInput(where, f"{member}'s offers of {item!r}: {len(found)} in the demo")
    if lives[found[0]].committed_on is None:
        raise InvalidInput(where, f"{member}'s offer of {item!r} is not committed")
    return found[0]
