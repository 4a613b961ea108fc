"""What the demo makes of Kiel's heavy weapons by donor: catalogue items and offers.

Kiel's counts and values are its own, and each stays where Kiel put it. A row of weapons.csv is
one donor's weapons of one category — a count, one value in EUR for the whole row, and the
weapons it lists with their counts (``importers.kiel.WeaponRow``) — so:

- each weapon Kiel names is a catalogue item with **no reference unit value** (Kiel prices no
  weapon; an offer of such an item states its value);
- a row that lists **one** weapon is one offer of that item: Kiel's count, Kiel's value;
- a row that lists **several** weapons is one offer per weapon, with Kiel's count and no value
  of its own (€0: Kiel gives none), and one offer of the row's category (its capability area,
  no item) that carries Kiel's value and Kiel's count, its description the weapons list, and
  is delivered as its weapons are.

The per-weapon offers keep what counts items working — the requests whose item Kiel's offers
answer (``answered_by_kiel``), a request's coverage, the envelope's readiness — while the
value is only ever Kiel's, on the row it belongs to: the Kiel offers' values sum to Kiel's
total, and no weapon is given a value. The price of this shape: a row with several weapons
counts its weapons twice where quantities of different offers are added up (the weapons'
offers and the category's), never within an item.

Kiel gives no dates, so the demo invents them from a hash of the donor and the weapon, the same
on every build: an offer between the Vilnius summit (or the donor's later accession) and the end
of September 2024, accepted a week later, committed two weeks after that, and delivered in two
batches up to the end of 2024.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from shieldwall.demo.records import Answer, Delivery, Item, Lifecycle, Request, Seat
from shieldwall.importers.kiel import CATEGORY_AREAS, WeaponRow, slug

KIEL_WEAPONS = Path(__file__).parent.parent / "data" / "kiel-ust-r29-weapons.csv"
KIEL_SOURCE = "Kiel Institute, Ukraine Support Tracker R29 (weapons.csv); dates illustrative"
FIRST_OFFER = dt.date(2023, 7, 15)
LAST_OFFER = dt.date(2024, 9, 30)
DEMO_ENDS = dt.date(2024, 12, 31)  # a delivery due later is not played
SPELLINGS = {"Turkiye": "TUR"}  # Kiel writes Türkiye without its diaeresis


def donor_codes(seats: list[Seat]) -> dict[str, str]:
    """Kiel's donor names of the members of the council, to their codes (Kiel also counts
    donors that are not members: they are not in this council)."""
    return {s.name: s.code for s in seats if s.kind == "member"} | SPELLINGS


def kiel_items(rows: list[WeaponRow]) -> list[Item]:
    """One catalogue item per weapon Kiel names, with no reference unit value: Kiel values a
    donor's category, not a weapon."""
    found: dict[str, Item] = {}
    for row in rows:
        if row.category not in CATEGORY_AREAS:
            continue
        area, unit = CATEGORY_AREAS[row.category]
        for name, _count in row.weapons:
            code = slug(name)
            found.setdefault(code, Item(code, name, area, unit, None, None, ("kiel-ust",)))
    return [found[code] for code in sorted(found)]


def kiel_lifecycles(
    rows: list[WeaponRow], seats: list[Seat], requests: list[Request]
) -> list[Lifecycle]:
    """Each member's heavy weapons as offers walked to deliveries on invented dates (see the
    module's words for their shape); the offers of an item answer the request for it that
    says so (``answered_by_kiel``)."""
    codes = donor_codes(seats)
    joined = {s.code: s.joined_on for s in seats}
    answering = {r.item: r.key for r in requests if r.answered_by_kiel and r.item}
    lives = []
    for row in rows:
        member = codes.get(row.donor)
        if member is None or row.category not in CATEGORY_AREAS:
            continue
        first = max(FIRST_OFFER, joined[member] or FIRST_OFFER)
        if len(row.weapons) == 1:
            name, count = row.weapons[0]
            lives.append(_weapon(member, first, name, count, row.value_cents, "", answering))
            continue
        together = f"Kiel values {row.donor}'s {row.category} as one: see the offer of the category"
        weapons = [_weapon(member, first, n, c, 0, together, answering) for n, c in row.weapons]
        lives += [*weapons, _category(member, row, weapons, first)]
    return lives


def _weapon(
    member: str,
    first: dt.date,
    name: str,
    count: int,
    value_cents: int,
    description: str,
    answering: dict[str, str],
) -> Lifecycle:
    """One weapon's offer, on days picked by a hash of the donor and the weapon."""
    item = slug(name)
    offered_on = spread(f"{member}-{item}", first)
    accepted_on = offered_on + dt.timedelta(days=7)
    committed_on = accepted_on + dt.timedelta(days=14)
    delivered = int(count * (0.5 + _hash(item) % 51 / 100))  # half to all of it
    return Lifecycle(
        member=member,
        offered_on=offered_on,
        kind="arm",
        quantity=count,
        item=item,
        area=None,
        value_cents=value_cents,
        request=answering.get(item),
        description=description,
        source=KIEL_SOURCE,
        illustrative=False,  # Kiel's figures; only the dates are invented
        releasability="public",  # Kiel publishes these figures
        answer=Answer("accept", accepted_on),
        committed_on=committed_on,
        deliveries=_batches(f"{member}-{item}-{offered_on}", committed_on, delivered),
    )


def _category(member: str, row: WeaponRow, weapons: list[Lifecycle], first: dt.date) -> Lifecycle:
    """The offer that carries Kiel's value of a row that lists several weapons (or none that
    can be read): its category's area, Kiel's count and value, offered with its first weapon
    and delivered as they are."""
    alone = spread(f"{member}-{slug(row.category)}", first)
    offered_on = min((w.offered_on for w in weapons), default=alone)
    accepted_on = offered_on + dt.timedelta(days=7)
    listed = "; ".join(f"{name} ({count:,})" for name, count in row.weapons)
    return Lifecycle(
        member=member,
        offered_on=offered_on,
        kind="arm",
        quantity=row.count,
        item=None,
        area=CATEGORY_AREAS[row.category][0],
        value_cents=row.value_cents,
        request=None,
        description=f"{row.category} (Kiel): {listed}",
        source=KIEL_SOURCE,
        illustrative=False,
        releasability="public",
        answer=Answer("accept", accepted_on),
        committed_on=accepted_on + dt.timedelta(days=14),
        deliveries=tuple(sorted((d for w in weapons for d in w.deliveries), key=_delivered_on)),
        kiel_category=row.category,
    )


def _delivered_on(d: Delivery) -> dt.date:
    return d.delivered_on


def _batches(key: str, committed_on: dt.date, delivered: int) -> tuple[Delivery, ...]:
    """``delivered`` in two halves, each one to two months after the one before, confirmed
    three days later; a batch due after the demo ends is not delivered."""
    first = delivered // 2 or delivered
    batches = []
    day = committed_on
    for n, quantity in enumerate(b for b in (first, delivered - first) if b > 0):
        # The day of the month of a hash-picked date in January–February 2000: 1 to 31.
        wait = spread(f"{key}{n}", dt.date(2000, 1, 1), dt.date(2000, 3, 1)).day
        day += dt.timedelta(days=30 + wait)
        if day > DEMO_ENDS:
            break
        batches.append(Delivery(quantity, day, day + dt.timedelta(days=3)))
    return tuple(batches)


def spread(key: str, start: dt.date, end: dt.date = LAST_OFFER) -> dt.date:
    """A date between start and end picked by a hash of ``key``: invented, but the same on
    every build."""
    span = (end - start).days
    return start + dt.timedelta(days=_hash(key) % max(span, 1))


def _hash(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16)
