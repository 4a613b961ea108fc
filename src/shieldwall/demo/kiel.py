"""What the demo makes of Kiel's heavy weapons by donor: catalogue items and offers.

Counts and values are Kiel's own. Kiel gives no dates, so the demo invents them from a hash of
the donor and the weapon, the same on every build: an offer between the Vilnius summit (or the
donor's later accession) and the end of September 2024, accepted a week later, committed two
weeks after that, and delivered in two batches up to the end of 2024.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from shieldwall.demo.records import Answer, Delivery, Item, Lifecycle, Request, Seat
from shieldwall.importers.kiel import CATEGORY_AREAS, WeaponLine, slug

KIEL_WEAPONS = Path(__file__).parent.parent / "data" / "kiel-ust-r29-weapons.csv"
KIEL_SOURCE = "Kiel Institute, Ukraine Support Tracker R29 (weapons.csv); dates illustrative"
PRICE_DATE = dt.date(2026, 8, 4)  # Kiel release 29
FIRST_OFFER = dt.date(2023, 7, 15)
LAST_OFFER = dt.date(2024, 9, 30)
DEMO_ENDS = dt.date(2024, 12, 31)  # a delivery due later is not played
SPELLINGS = {"Turkiye": "TUR"}  # Kiel writes Türkiye without its diaeresis


def donor_codes(seats: list[Seat]) -> dict[str, str]:
    """Kiel's donor names of the members of the council, to their codes (Kiel also counts
    donors that are not members: they are not in this council)."""
    return {s.name: s.code for s in seats if s.kind == "member"} | SPELLINGS


def kiel_items(weapons: list[WeaponLine]) -> list[Item]:
    """One catalogue item per weapon Kiel names; its reference unit value is its total value
    over its total count, all donors together."""
    totals: dict[str, tuple[str, str, int, int]] = {}
    for w in weapons:
        if w.category not in CATEGORY_AREAS:
            continue
        area, unit = CATEGORY_AREAS[w.category]
        code = slug(w.weapon)
        _a, _u, count, value = totals.get(code, (area, unit, 0, 0))
        totals[code] = (area, unit, count + w.count, value + w.value_cents)
    names = {slug(w.weapon): w.weapon for w in weapons}
    return [
        Item(code, names[code], area, unit, value // max(count, 1), PRICE_DATE, ("kiel-ust",))
        for code, (area, unit, count, value) in sorted(totals.items())
    ]


def kiel_lifecycles(
    weapons: list[WeaponLine], seats: list[Seat], requests: list[Request]
) -> list[Lifecycle]:
    """Each member's heavy weapons as an offer, walked to deliveries on invented dates; the
    offers of an item answer the request for it that says so (``answered_by_kiel``)."""
    codes = donor_codes(seats)
    joined = {s.code: s.joined_on for s in seats}
    answering = {r.item: r.key for r in requests if r.answered_by_kiel and r.item}
    lives = []
    for w in weapons:
        member = codes.get(w.donor)
        if member is None or w.category not in CATEGORY_AREAS:
            continue
        item = slug(w.weapon)
        offered_on = spread(f"{member}-{item}", max(FIRST_OFFER, joined[member] or FIRST_OFFER))
        accepted_on = offered_on + dt.timedelta(days=7)
        committed_on = accepted_on + dt.timedelta(days=14)
        delivered = int(w.count * (0.5 + _hash(item) % 51 / 100))  # half to all of it
        lives.append(
            Lifecycle(
                member=member,
                offered_on=offered_on,
                kind="arm",
                quantity=w.count,
                item=item,
                area=None,
                value_cents=w.value_cents,
                request=answering.get(item),
                description="",
                source=KIEL_SOURCE,
                illustrative=False,  # Kiel's figures; only the dates are invented
                releasability="public",  # Kiel publishes these figures
                answer=Answer("accept", accepted_on),
                committed_on=committed_on,
                deliveries=_batches(f"{member}-{item}-{offered_on}", committed_on, delivered),
            )
        )
    return lives


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
