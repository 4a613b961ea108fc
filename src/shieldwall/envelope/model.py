"""Rules of the deterrent envelope, in plain Python with no I/O.

A **capability package** is what one unit of a capability needs to be usable (a Patriot
battery: launchers and radar, interceptors every month, trained crews), and how many units the
partner needs. Each **component** names a catalogue item, a kind (arm, train, equip, sustain)
and the quantity one unit needs; a ``per_month`` component is used up (interceptors per month).

- A component's **need** is its quantity per unit times the units needed; for a per-month
  component, that much every month.
- Its **coverage** is what was delivered (and confirmed: the ledger's ``delivered`` entries)
  against that need, in [0, 1]. A per-month component counts only what was delivered in the
  package's sustain window (the ``sustain_window_months`` months up to the date) against the
  need of that many months: a battery without a steady flow of interceptors is not ready,
  however many were delivered a year ago.
- A package's **readiness** is the coverage of its least covered component, which is named:
  a delivered system without crews or munitions is not ready. Ties go to the first kind in
  ``KIND_ORDER``, then to the item code, so the same facts always name the same component.
- **Units ready** is the least, over the components, of whole units the covered quantity
  supplies (at most the units needed).
- An **area**'s readiness is the mean of its packages' readiness, each package counting
  equally; the **envelope** is readiness per area.

**Projection.** A member plans the deliveries of a committed offer in tranches: the plan
schedules what remained to be delivered when its first tranche was recorded. What is
delivered after that uses up the earliest tranches first; what is left of each, capped at
what remains committed (committed − delivered), is outstanding and is expected on its date (a
tranche whose date has passed undelivered is expected from the day after today). Readiness on
a future date counts what was delivered so far plus the outstanding tranches expected by then.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from shieldwall.assistance.words import quantity_text
from shieldwall.kit.amounts import check_quantity
from shieldwall.kit.errors import InvalidInput, RuleViolation
from shieldwall.kit.i18n import N_, format_number, ngettext
from shieldwall.kit.i18n import gettext as _


class ComponentKind(StrEnum):
    ARM = "arm"
    TRAIN = "train"
    EQUIP = "equip"
    SUSTAIN = "sustain"


# The order ties are broken in, and components are listed in: the partnership's "arm, train
# and equip", then what keeps it going.
KIND_ORDER: tuple[ComponentKind, ...] = tuple(ComponentKind)
# A component's kind in the words of "limited by …" (translated where it is written).
KIND_WORDS: dict[ComponentKind, str] = {
    ComponentKind.ARM: N_("munitions"),
    ComponentKind.TRAIN: N_("trained crews"),
    ComponentKind.EQUIP: N_("equipment"),
    ComponentKind.SUSTAIN: N_("sustainment"),
}
# The kinds as a page shows them (``term``): marked here for the catalogue.
TERMS = (N_("arm"), N_("train"), N_("equip"), N_("sustain"))
LONGEST_WINDOW_MONTHS = 36
LONGEST_SLIP_MONTHS = 120


# ---- packages and their components ----------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """What one unit of a package needs of one catalogue item."""

    item: str  # the catalogue item's code
    kind: ComponentKind
    quantity_per_unit: int
    per_month: bool = False
    item_name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Package:
    code: str
    name: str
    area: str  # the capability area's code
    units_needed: int
    window_months: int
    components: tuple[Component, ...]


def component_kind(field: str, text: str) -> ComponentKind:
    try:
        return ComponentKind(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            field, _("use one of {choices}").format(choices=", ".join(KIND_ORDER))
        ) from None


def _months_from_1_to(longest: int) -> str:
    return _("give a number of months from 1 to {longest}").format(longest=longest)


def check_units_needed(field: str, units: int) -> int:
    """A package is needed in at least one unit."""
    return check_quantity(field, units)


def check_window(field: str, months: int) -> int:
    """The sustain window: from 1 month to three years."""
    if not 1 <= months <= LONGEST_WINDOW_MONTHS:
        raise InvalidInput(field, _months_from_1_to(LONGEST_WINDOW_MONTHS))
    return months


def check_components(field: str, components: Sequence[Component]) -> None:
    """A package needs at least one component, and names each item once."""
    if not components:
        raise InvalidInput(field, _("a package needs at least one component"))
    seen: set[str] = set()
    for c in components:
        if c.item in seen:
            raise InvalidInput(
                field, _("item {item!r} is named twice: give it once").format(item=c.item)
            )
        seen.add(c.item)
        check_quantity(f"{field}.quantity_per_unit", c.quantity_per_unit)


def need(component: Component, units_needed: int) -> int:
    """What the package needs of the component: its quantity per unit times the units needed
    (per month, for a per-month component)."""
    return component.quantity_per_unit * units_needed


def counted_need(component: Component, units: int, window_months: int) -> int:
    """The need against which delivered quantity is counted: for a per-month component, the
    need of every month of the sustain window."""
    months = window_months if component.per_month else 1
    return need(component, units) * months


# ---- coverage and readiness -----------------------------------------------------------------


def coverage(covered: int, needed: int) -> Fraction:
    """How much of ``needed`` is covered, in [0, 1]: nothing below nothing, all above all. A
    need of nothing is fully covered."""
    if needed <= 0:
        return Fraction(1)
    return Fraction(min(max(covered, 0), needed), needed)


@dataclass(frozen=True)
class Delivered:
    """A quantity of an item delivered (or expected) on a day."""

    on: dt.date
    quantity: int


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier if negative), or the last day of that month
    when it is shorter: 31 May + 1 month = 30 June."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def covered_quantity(
    events: Iterable[Delivered], as_of: dt.date, window_months: int | None = None
) -> int:
    """What was delivered by ``as_of``; with a window, only in the ``window_months`` months up
    to it (after the same day that many months before, up to and including ``as_of``)."""
    start = None if window_months is None else months_after(as_of, -window_months)
    return sum(e.quantity for e in events if e.on <= as_of and (start is None or e.on > start))


@dataclass(frozen=True)
class Cover:
    """How far one component is covered on a day."""

    component: Component
    covered: int  # the quantity counted (in the window, for a per-month component)
    need: int  # what the package needs of it (× the window, for a per-month component)
    per_unit: int  # what one unit needs of it (× the window, for a per-month component)
    window_months: int | None = None  # the months a per-month component counts over

    @property
    def coverage(self) -> Fraction:
        return coverage(self.covered, self.need)

    @property
    def units(self) -> int:
        """Whole units this component supplies."""
        return max(self.covered, 0) // self.per_unit if self.per_unit > 0 else 0


def cover(
    package: Package, component: Component, events: Iterable[Delivered], on: dt.date
) -> Cover:
    window = package.window_months if component.per_month else None
    return Cover(
        component,
        covered_quantity(events, on, window),
        counted_need(component, package.units_needed, package.window_months),
        counted_need(component, 1, package.window_months),
        window,
    )


def tie_order(c: Cover) -> tuple[Fraction, int, str]:
    """The least covered first; among equals, the first kind of ``KIND_ORDER``, then the
    item code."""
    return c.coverage, KIND_ORDER.index(c.component.kind), c.component.item


def readiness(covers: Sequence[Cover]) -> tuple[Fraction, Cover | None]:
    """A package is as ready as its least covered component, which is named. A package with
    no component is not ready: nothing says what makes it usable."""
    if not covers:
        return Fraction(0), None
    limiting = min(covers, key=tie_order)
    return limiting.coverage, limiting


def units_ready(covers: Sequence[Cover], units_needed: int) -> int:
    """The whole units the least supplied component allows, at most the units needed."""
    if not covers:
        return 0
    return min(units_needed, *(c.units for c in covers))


@dataclass(frozen=True)
class Readiness:
    value: Fraction
    limiting: Cover | None
    covers: tuple[Cover, ...]
    units_ready: int


Events = Mapping[str, Sequence[Delivered]]


def package_readiness(package: Package, events: Events, on: dt.date) -> Readiness:
    """The package's readiness on ``on``, from the deliveries of each item."""
    covers = tuple(cover(package, c, events.get(c.item, ()), on) for c in package.components)
    value, limiting = readiness(covers)
    return Readiness(value, limiting, covers, units_ready(covers, package.units_needed))


def area_readiness(values: Sequence[Fraction]) -> Fraction:
    """An area is the mean of its packages' readiness, each package counting equally; an area
    without packages has none."""
    if not values:
        return Fraction(0)
    return Fraction(sum(values)) / len(values)


def envelope(packages: Sequence[Package], events: Events, on: dt.date) -> dict[str, Fraction]:
    """Readiness per capability area on ``on``."""
    by_area: dict[str, list[Fraction]] = {}
    for p in packages:
        by_area.setdefault(p.area, []).append(package_readiness(p, events, on).value)
    return {area: area_readiness(values) for area, values in by_area.items()}


def series_days(as_of: dt.date, back: int, ahead: int) -> list[dt.date]:
    """The days of a monthly series around ``as_of``: the first of each month from ``back``
    months before its month to ``ahead`` months after, and ``as_of`` itself."""
    first = as_of.replace(day=1)
    days = {months_after(first, n) for n in range(-back, ahead + 1)}
    return sorted(days | {as_of})


def limited_by(c: Cover) -> str:
    """The limiting component in words, in the language of the exchange: "limited by trained
    crews (Air-defence crew training): 2 of 6 crews"; a per-month one says over how many
    months it counts. The unit is the catalogue's word, as the catalogue writes it."""
    component = c.component
    fields = {
        "kind": _(KIND_WORDS[component.kind]),
        "item": component.item_name or component.item,
        "covered": format_number(max(c.covered, 0)),
        "need": quantity_text(c.need, component.unit or "unit"),
    }
    if c.window_months is None:
        return _("limited by {kind} ({item}): {covered} of {need}").format(**fields)
    return ngettext(
        "limited by {kind} ({item}): {covered} of {need} in the last {months} month",
        "limited by {kind} ({item}): {covered} of {need} in the last {months} months",
        c.window_months,
    ).format(months=c.window_months, **fields)


# ---- projection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tranche:
    """A planned delivery of part of a committed offer."""

    id: int
    offer_id: int
    item: str
    quantity: int
    expected_on: dt.date


@dataclass(frozen=True)
class Outstanding:
    """What is still to come of a tranche (``tranche_id``), or of an offer's commitment that
    no tranche plans (``tranche_id`` None, ``expected_on`` None)."""

    tranche_id: int | None
    offer_id: int
    item: str
    quantity: int
    expected_on: dt.date | None


def planned_order(t: Tranche) -> tuple[dt.date, int]:
    return t.expected_on, t.id


def outstanding_tranches(
    tranches: Iterable[Tranche], delivered: int, committed: int, delivered_before_plan: int = 0
) -> list[Outstanding]:
    """An offer's tranches in date order, the quantity delivered since the plan was made
    using up the earliest first, what is left capped at what remains committed (committed −
    delivered). Tranches with nothing left are left out.

    A plan schedules what remained to be delivered when it was made: what was delivered
    before its first tranche was recorded (``delivered_before_plan``) is not part of it."""
    used = max(delivered - delivered_before_plan, 0)
    room = max(committed - delivered, 0)
    left: list[Outstanding] = []
    for t in sorted(tranches, key=planned_order):
        taken = min(used, t.quantity)
        used -= taken
        quantity = min(t.quantity - taken, room)
        room -= quantity
        if quantity > 0:
            left.append(Outstanding(t.id, t.offer_id, t.item, quantity, t.expected_on))
    return left


def unplanned(committed: int, delivered: int, outstanding: Iterable[Outstanding]) -> int:
    """What remains committed that no tranche plans."""
    return max(committed - delivered - sum(o.quantity for o in outstanding), 0)


def check_plan(
    offer: str,
    committed: int,
    delivered: int,
    planned: Iterable[int],
    delivered_before_plan: int = 0,
) -> None:
    """The tranches of an offer may not plan more than remains to be delivered: their total,
    less what was delivered since the plan was made (it uses up the earliest tranches), is at
    most committed − delivered."""
    outstanding = max(sum(planned) - max(delivered - delivered_before_plan, 0), 0)
    remaining = max(committed - delivered, 0)
    if outstanding > remaining:
        raise RuleViolation(
            _(
                "{offer}: the tranches would plan {outstanding} still to come, but only "
                "{remaining} remain to be delivered (committed {committed}, delivered "
                "{delivered})"
            ).format(
                offer=offer,
                outstanding=format_number(outstanding),
                remaining=format_number(remaining),
                committed=format_number(committed),
                delivered=format_number(delivered),
            ),
            rule="planned outstanding ≤ committed − delivered",
        )


def expected_arrival(o: Outstanding, today: dt.date) -> dt.date:
    """When an outstanding tranche is expected: its date, or the day after today once that
    date has passed undelivered. Never today or before: what has arrived is in the ledger."""
    tomorrow = today + dt.timedelta(days=1)
    return max(o.expected_on or tomorrow, tomorrow)


def projected(outstanding: Iterable[Outstanding], today: dt.date) -> dict[str, list[Delivered]]:
    """The planned tranches as expected deliveries, by item (unplanned quantities have no
    date and are not projected)."""
    events: dict[str, list[Delivered]] = {}
    for o in outstanding:
        if o.tranche_id is not None:
            events.setdefault(o.item, []).append(Delivered(expected_arrival(o, today), o.quantity))
    return events


def merged(*sources: Events) -> dict[str, list[Delivered]]:
    """The deliveries of several sources, by item."""
    events: dict[str, list[Delivered]] = {}
    for source in sources:
        for item, found in source.items():
            events.setdefault(item, []).extend(found)
    return events


def check_slip(field: str, months: int) -> int:
    if not 1 <= months <= LONGEST_SLIP_MONTHS:
        raise InvalidInput(field, _months_from_1_to(LONGEST_SLIP_MONTHS))
    return months


def slipped(
    outstanding: Sequence[Outstanding], tranche_id: int, months: int, today: dt.date
) -> list[Outstanding]:
    """The outstanding tranches with one of them expected ``months`` months later than it is
    expected now: the what-if of a slipped delivery."""
    check_slip("slip_months", months)
    found = [o for o in outstanding if o.tranche_id == tranche_id]
    if not found:
        raise InvalidInput(
            "slip", _("tranche {id} has nothing outstanding to slip").format(id=tranche_id)
        )
    later = months_after(expected_arrival(found[0], today), months)
    return [replace(o, expected_on=later) if o.tranche_id == tranche_id else o for o in outstanding]


# ---- the best next delivery -----------------------------------------------------------------


@dataclass(frozen=True)
class Gain:
    """What delivering ``candidate`` now would add: to each package that needs its item, and
    to each area (its mean), in readiness (0 to 1)."""

    candidate: Outstanding
    packages: dict[str, tuple[Fraction, Fraction]]  # package code → (before, after)
    areas: dict[str, tuple[Fraction, Fraction]]  # area code → (before, after)

    @property
    def gain(self) -> Fraction:
        """The envelope's gain: the sum of the areas' gains."""
        return sum((after - before for before, after in self.areas.values()), Fraction(0))

    @property
    def best_package_gain(self) -> Fraction:
        return max((a - b for b, a in self.packages.values()), default=Fraction(0))


def gain_order(g: Gain) -> tuple[Fraction, Fraction, dt.date, int, int]:
    """The largest gain first; then the largest gain to one package, the earliest planned
    date (unplanned last), the offer and the tranche."""
    when = g.candidate.expected_on or dt.date.max
    return -g.gain, -g.best_package_gain, when, g.candidate.offer_id, g.candidate.tranche_id or 0


def delivery_gain(
    packages: Sequence[Package], events: Events, candidate: Outstanding, today: dt.date
) -> Gain:
    """Readiness today before and after ``candidate`` were delivered today."""
    after = merged(events, {candidate.item: [Delivered(today, candidate.quantity)]})
    concerned = [p for p in packages if any(c.item == candidate.item for c in p.components)]
    areas = {p.area for p in concerned}
    in_areas = [p for p in packages if p.area in areas]
    before_env, after_env = envelope(in_areas, events, today), envelope(in_areas, after, today)
    return Gain(
        candidate,
        {
            p.code: (
                package_readiness(p, events, today).value,
                package_readiness(p, after, today).value,
            )
            for p in concerned
        },
        {a: (before_env[a], after_env[a]) for a in sorted(areas)},
    )


def best_single_delivery(
    packages: Sequence[Package],
    events: Events,
    candidates: Iterable[Outstanding],
    today: dt.date,
) -> list[Gain]:
    """For every outstanding tranche (or commitment without a plan), the readiness it would
    add if it were delivered today; those that add something, the largest first."""
    gains = [delivery_gain(packages, events, c, today) for c in candidates]
    return sorted((g for g in gains if g.gain > 0), key=gain_order)
