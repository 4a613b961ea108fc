"""The shipped demo: the NATO–Ukraine partnership of 2023–2024.

Public facts: the 31 members of July 2023 and Sweden's accession (7 March 2024); heavy weapons
by donor from the Kiel Institute's Ukraine Support Tracker (release 29, weapons.csv), whose
counts and values are used as they are. Everything else — the requests, their dates, the
illustrative offers and the delivery schedules — is invented and marked illustrative.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress

from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.delegations.service import DelegationService
from shieldwall.importers.kiel import CATEGORY_AREAS, read_weapons, slug
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.uow import Platform, UnitOfWork

KIEL_WEAPONS = Path(__file__).parent.parent / "data" / "kiel-ust-r29-weapons.csv"
KIEL_SOURCE = "Kiel Institute, Ukraine Support Tracker R29 (weapons.csv); dates illustrative"
DEMO_PASSWORD = "shieldwall-demo"
PRICE_DATE = dt.date(2026, 8, 4)  # Kiel release 29

MEMBERS: list[tuple[str, str, dt.date | None]] = [
    ("ALB", "Albania", None),
    ("BEL", "Belgium", None),
    ("BGR", "Bulgaria", None),
    ("CAN", "Canada", None),
    ("HRV", "Croatia", None),
    ("CZE", "Czechia", None),
    ("DNK", "Denmark", None),
    ("EST", "Estonia", None),
    ("FIN", "Finland", dt.date(2023, 4, 4)),
    ("FRA", "France", None),
    ("DEU", "Germany", None),
    ("GRC", "Greece", None),
    ("HUN", "Hungary", None),
    ("ISL", "Iceland", None),
    ("ITA", "Italy", None),
    ("LVA", "Latvia", None),
    ("LTU", "Lithuania", None),
    ("LUX", "Luxembourg", None),
    ("MNE", "Montenegro", None),
    ("NLD", "Netherlands", None),
    ("MKD", "North Macedonia", None),
    ("NOR", "Norway", None),
    ("POL", "Poland", None),
    ("PRT", "Portugal", None),
    ("ROU", "Romania", None),
    ("SVK", "Slovakia", None),
    ("SVN", "Slovenia", None),
    ("ESP", "Spain", None),
    ("TUR", "Türkiye", None),
    ("GBR", "United Kingdom", None),
    ("USA", "United States", None),
    ("SWE", "Sweden", dt.date(2024, 3, 7)),
]
NAME_TO_CODE = {name: code for code, name, _j in MEMBERS} | {"Turkiye": "TUR"}
JOINED = {code: joined for code, _n, joined in MEMBERS}

AREAS = [
    (
        "air-defence",
        "Air defence",
        "Ground-based air and missile defence: systems and interceptors",
    ),
    ("artillery", "Artillery and long-range fires", "Howitzers, rocket launchers, ammunition"),
    ("armour", "Armoured vehicles", "Tanks, infantry fighting vehicles, personnel carriers"),
    ("combat-air", "Combat air", "Combat aircraft, their weapons and sustainment"),
    ("maritime", "Maritime", "Mine countermeasures, coastal defence, naval vessels"),
    ("drones", "Drones", "Uncrewed aerial and maritime systems, counter-drone"),
    ("demining", "Demining", "Humanitarian and military demining equipment"),
    ("medical", "Medical", "Field hospitals, medical evacuation, supplies"),
    ("training", "Training", "Individual and collective training of the partner's forces"),
    ("cyber", "Cyber", "Cyber defence of networks and critical infrastructure"),
    ("financial", "Financial", "Budget support and funds for procurement"),
]

# Illustrative catalogue items (reference values are rough public orders of magnitude).
ITEMS: list[tuple[str, str, str, str, int, list[str]]] = [
    ("155mm-round", "155mm artillery round", "artillery", "round", 3_500, ["155mm", "ammunition"]),
    (
        "pac-3-interceptor",
        "PAC-3 MSE interceptor",
        "air-defence",
        "missile",
        4_000_000,
        ["interceptor", "patriot"],
    ),
    ("iris-t-missile", "IRIS-T SLM missile", "air-defence", "missile", 400_000, ["interceptor"]),
    ("f-16", "F-16 combat aircraft", "combat-air", "aircraft", 30_000_000, ["f-16"]),
    (
        "f-16-pilot-training",
        "F-16 pilot training course",
        "training",
        "pilot",
        3_000_000,
        ["f-16", "training"],
    ),
    (
        "air-defence-crew-training",
        "Air-defence crew training",
        "training",
        "crew",
        2_000_000,
        ["training", "patriot"],
    ),
    ("demining-kit", "Demining equipment set", "demining", "set", 250_000, ["demining"]),
    ("mcm-vessel", "Mine countermeasure vessel", "maritime", "vessel", 60_000_000, ["maritime"]),
    ("fpv-drone", "FPV drone", "drones", "drone", 500, ["drones"]),
    ("field-hospital", "Mobile field hospital", "medical", "hospital", 5_000_000, ["medical"]),
    ("cyber-defence-support", "Cyber defence support", "cyber", "EUR", 1, ["cyber"]),
    ("budget-support", "Budget support", "financial", "EUR", 1, ["financial"]),
]


def _spread(key: str, start: dt.date, end: dt.date) -> dt.date:
    """A deterministic date between start and end, from a hash of key (illustrative dating)."""
    span = (end - start).days
    offset = int(hashlib.sha256(key.encode()).hexdigest(), 16) % max(span, 1)
    return start + dt.timedelta(days=offset)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@dataclass(order=True)
class Step:
    at: dt.datetime
    seq: int
    action: Callable[[], None] = field(compare=False)


def build_demo(
    platform: Platform, kiel_weapons: Path = KIEL_WEAPONS, progress: bool = True
) -> dict[str, int]:
    """Seat the council, fill the catalogue and play 2023–2024 into the ledger, in date order,
    as one unit of work: the demo is built whole or not at all."""
    if not isinstance(platform.clock, FixedClock):
        raise TypeError("the demo dates its history: give the platform a FixedClock")
    with platform.unit_of_work() as uow:
        return _play(uow, platform.clock, kiel_weapons, progress)


def _play(uow: UnitOfWork, clock: FixedClock, kiel_weapons: Path, progress: bool) -> dict[str, int]:
    delegations = DelegationService(uow)
    access = AccessService(uow)
    assistance = AssistanceService(uow)
    setup = Actor("system:demo", system=True)
    clock.set(_at(dt.date(2023, 7, 12), 9))
    delegations.seat_delegation(
        setup, code="SEC", name="NATO International Staff (secretariat)", kind="secretariat"
    )
    delegations.seat_delegation(setup, code="UKR", name="Ukraine", kind="partner")
    for code, name, joined in MEMBERS:
        delegations.seat_delegation(setup, code=code, name=name, kind="member", joined_on=joined)
    # One demo account per delegation, named by its lower-case code (the chair is "sec").
    for code, name in [("SEC", "Secretariat"), ("UKR", "Ukraine")] + [
        (c, n) for c, n, _j in MEMBERS
    ]:
        access.add_user(
            setup,
            username=code.lower(),
            delegation=code,
            role="chair" if code == "SEC" else "head_of_delegation",
            password=DEMO_PASSWORD,
            display_name=f"{name} (demo account)",
        )
    for code, name, description in AREAS:
        assistance.add_area(setup, code, name, description)

    weapons = list(read_weapons(kiel_weapons))
    # Reference unit value of a Kiel item: its total value over its total count, all donors.
    totals: dict[str, tuple[str, str, int, int]] = {}
    for w in weapons:
        if w.category not in CATEGORY_AREAS:
            continue
        area, unit = CATEGORY_AREAS[w.category]
        code = slug(w.weapon)
        _a, _u, count, value = totals.get(code, (area, unit, 0, 0))
        totals[code] = (area, unit, count + w.count, value + w.value_cents)
    names = {slug(w.weapon): w.weapon for w in weapons}
    for code, (area, unit, count, value) in sorted(totals.items()):
        assistance.add_item(
            setup,
            code=code,
            name=names[code],
            area=area,
            unit=unit,
            reference_unit_value_cents=value // max(count, 1),
            price_date=PRICE_DATE,
            tags=["kiel-ust"],
        )
    for code, name, area, unit, eur, tags in ITEMS:
        assistance.add_item(
            setup,
            code=code,
            name=name,
            area=area,
            unit=unit,
            reference_unit_value_cents=eur * 100,
            price_date=dt.date(2023, 7, 1),
            tags=[*tags, "illustrative"],
        )

    ukr = access.actor_for("ukr")
    steps: list[Step] = []
    requests: dict[str, int] = {}

    def add(at: dt.datetime, action: Callable[[], None]) -> None:
        steps.append(Step(at, len(steps), action))

    def file(key: str, day: dt.date, **fields: object) -> None:
        def run() -> None:
            requests[key] = assistance.file_request(
                ukr,
                partner="UKR",
                illustrative=True,
                **fields,  # type: ignore[arg-type]
            )

        add(_at(day, 9), run)

    file(
        "patriot",
        dt.date(2023, 7, 12),
        title="Patriot batteries for the defence of cities",
        area=None,
        item="patriot-air-defense-battery",
        quantity=7,
        value_cents=None,
        priority="critical",
        need_by=dt.date(2024, 9, 1),
        justification="Seven batteries to protect cities and energy infrastructure.",
        releasability="public",  # the ask for seven Patriot systems was made in public
    )
    file(
        "shells",
        dt.date(2023, 7, 20),
        title="155mm artillery ammunition",
        area=None,
        item="155mm-round",
        quantity=1_000_000,
        value_cents=None,
        priority="critical",
        need_by=dt.date(2024, 3, 31),
        justification="Sustain counter-battery fire on the front.",
    )
    file(
        "interceptors",
        dt.date(2023, 8, 1),
        title="PAC-3 interceptors",
        area=None,
        item="pac-3-interceptor",
        quantity=120,
        value_cents=None,
        priority="high",
        need_by=dt.date(2024, 6, 30),
        addressees=["USA", "DEU", "NLD"],
        justification="Munitions for the delivered Patriot batteries.",
    )
    file(
        "pilots",
        dt.date(2023, 8, 20),
        title="F-16 pilot training",
        area=None,
        item="f-16-pilot-training",
        quantity=24,
        value_cents=None,
        priority="high",
        need_by=dt.date(2024, 12, 31),
        addressees=["DNK", "NLD", "NOR", "BEL", "USA"],
        justification="Pilots for the aircraft pledged by the F-16 coalition.",
    )
    file(
        "crews",
        dt.date(2023, 9, 5),
        title="Air-defence crews trained",
        area=None,
        item="air-defence-crew-training",
        quantity=20,
        value_cents=None,
        priority="high",
        need_by=dt.date(2024, 6, 30),
        justification="A battery without a trained crew does not fight.",
    )
    file(
        "demining",
        dt.date(2023, 9, 15),
        title="Demining equipment and training",
        area="demining",
        item=None,
        quantity=None,
        value_cents=200_000_000_00,
        priority="medium",
        need_by=dt.date(2024, 12, 31),
        justification="Clear farmland and infrastructure of mines and unexploded ordnance.",
    )
    file(
        "mcm",
        dt.date(2023, 12, 11),
        title="Mine countermeasure vessels",
        area=None,
        item="mcm-vessel",
        quantity=2,
        value_cents=None,
        priority="medium",
        need_by=dt.date(2025, 6, 30),
        addressees=["GBR", "NLD", "NOR"],
        justification="Keep the grain corridor open in the Black Sea.",
    )
    file(
        "drones",
        dt.date(2024, 2, 1),
        title="FPV drones",
        area=None,
        item="fpv-drone",
        quantity=100_000,
        value_cents=None,
        priority="high",
        need_by=dt.date(2024, 10, 31),
        justification="Reconnaissance and strike at the front.",
    )
    file(
        "medical",
        dt.date(2024, 3, 1),
        title="Field medical capacity",
        area="medical",
        item=None,
        quantity=None,
        value_cents=50_000_000_00,
        priority="medium",
        need_by=None,
        justification="Treat the wounded close to the front.",
    )
    file(
        "budget",
        dt.date(2024, 4, 15),
        title="Budget support for the defence sector",
        area="financial",
        item=None,
        quantity=None,
        value_cents=2_000_000_000_00,
        priority="high",
        need_by=dt.date(2024, 12, 31),
        justification="Pay salaries and domestic procurement.",
    )
    file(
        "cyber",
        dt.date(2024, 5, 1),
        title="Cyber defence of the energy grid",
        area="cyber",
        item=None,
        quantity=None,
        value_cents=100_000_000_00,
        priority="low",
        need_by=None,
        justification="Harden grid control systems against attack.",
    )

    counts = {"kiel_offers": 0, "illustrative_offers": 0}

    def lifecycle(
        member: str,
        day: dt.date,
        *,
        item: str | None,
        quantity: int,
        kind: str,
        request: str | None = None,
        area: str | None = None,
        value_cents: int | None = None,
        description: str = "",
        source: str = "",
        illustrative: bool = True,
        stop: str = "delivered",
        deliver_share: float = 1.0,
        releasability: str | None = None,
    ) -> None:
        """Offer on ``day``, then walk the lifecycle as far as ``stop``."""
        actor = access.actor_for(member.lower())
        state: dict[str, int] = {}
        key = f"{member}-{item or area}-{day}"

        def offer() -> None:
            state["id"] = assistance.make_offer(
                actor,
                member=member,
                kind=kind,
                quantity=quantity,
                partner="UKR",
                request_id=requests[request] if request else None,
                area=area,
                item=item,
                value_cents=value_cents,
                description=description,
                source=source,
                illustrative=illustrative,
                releasability=releasability,
            )
            counts["illustrative_offers" if illustrative else "kiel_offers"] += 1

        add(_at(day, 10), offer)
        if stop == "offered":
            return
        accept_day = day + dt.timedelta(days=7)
        if stop == "declined":
            add(
                _at(accept_day, 11),
                lambda: assistance.decline(
                    ukr, state["id"], "Not compatible with the systems in service"
                ),
            )
            return
        if stop == "withdrawn":
            add(
                _at(accept_day, 11),
                lambda: assistance.withdraw(
                    actor, state["id"], "Stocks needed for national readiness"
                ),
            )
            return
        add(_at(accept_day, 11), lambda: assistance.accept(ukr, state["id"]))
        if stop == "accepted":
            return
        commit_day = accept_day + dt.timedelta(days=14)
        add(_at(commit_day, 12), lambda: assistance.commit(actor, state["id"]))
        if stop == "committed":
            return
        delivered = int(quantity * deliver_share)
        first = delivered // 2 or delivered
        batches = [b for b in (first, delivered - first) if b > 0]
        day_n = commit_day
        for n, batch in enumerate(batches):
            day_n = day_n + dt.timedelta(
                days=30 + int(_spread(f"{key}{n}", dt.date(2000, 1, 1), dt.date(2000, 3, 1)).day)
            )
            if day_n > dt.date(2024, 12, 31):
                break
            record_day = day_n
            holder: dict[str, int] = {}

            def record(
                b: int = batch, on: dt.date = record_day, h: dict[str, int] = holder
            ) -> None:
                h["d"] = assistance.record_delivery(
                    actor,
                    state["id"],
                    quantity=b,
                    delivered_on=on,
                    note="illustrative delivery schedule",
                )

            add(_at(record_day, 13), record)
            if n == len(batches) - 1 and stop == "pending":
                break

            def confirm(h: dict[str, int] = holder) -> None:
                assistance.confirm_delivery(ukr, h["d"])

            add(_at(record_day + dt.timedelta(days=3), 14), confirm)

    # Heavy weapons from the Kiel tracker, by NATO member (non-members are not in this council).
    request_for_item = {"patriot-air-defense-battery": "patriot"}
    for w in weapons:
        donor = NAME_TO_CODE.get(w.donor)
        if donor is None or w.category not in CATEGORY_AREAS:
            continue
        code = donor
        item = slug(w.weapon)
        start = max(dt.date(2023, 7, 15), JOINED.get(code) or dt.date(2023, 7, 15))
        day = _spread(f"{code}-{item}", start, dt.date(2024, 9, 30))
        share = 0.5 + (int(hashlib.sha256(item.encode()).hexdigest(), 16) % 51) / 100
        lifecycle(
            code,
            day,
            item=item,
            quantity=w.count,
            kind="arm",
            request=request_for_item.get(item),
            value_cents=w.value_cents,
            source=KIEL_SOURCE,
            illustrative=False,
            deliver_share=share,
            releasability="public",  # Kiel publishes these figures
        )

    # Illustrative answers to the requests, in every state of the lifecycle.
    L = lifecycle
    L(
        "USA",
        dt.date(2023, 8, 20),
        item="pac-3-interceptor",
        quantity=60,
        kind="arm",
        request="interceptors",
        deliver_share=0.5,
    )
    L(
        "DEU",
        dt.date(2023, 9, 10),
        item="pac-3-interceptor",
        quantity=30,
        kind="arm",
        request="interceptors",
        stop="committed",
    )
    L(
        "NLD",
        dt.date(2024, 1, 10),
        item="pac-3-interceptor",
        quantity=10,
        kind="arm",
        request="interceptors",
        stop="offered",
    )
    for m, q, share in (
        ("FRA", 150_000, 0.6),
        ("DEU", 180_000, 0.7),
        ("GBR", 90_000, 1.0),
        ("CZE", 200_000, 0.8),
        ("POL", 60_000, 0.5),
        ("ITA", 40_000, 0.4),
    ):
        L(
            m,
            _spread(m + "shells", dt.date(2023, 8, 1), dt.date(2024, 3, 1)),
            item="155mm-round",
            quantity=q,
            kind="arm",
            request="shells",
            deliver_share=share,
        )
    L(
        "HUN",
        dt.date(2023, 10, 1),
        item="155mm-round",
        quantity=5_000,
        kind="arm",
        request="shells",
        stop="withdrawn",
    )
    for m, q, stop in (
        ("DNK", 8, "delivered"),
        ("NLD", 6, "delivered"),
        ("NOR", 4, "committed"),
        ("BEL", 3, "accepted"),
        ("USA", 6, "pending"),
    ):
        L(
            m,
            _spread(m + "pilots", dt.date(2023, 9, 1), dt.date(2024, 2, 1)),
            item="f-16-pilot-training",
            quantity=q,
            kind="train",
            request="pilots",
            stop=stop,
        )
    L(
        "DEU",
        dt.date(2023, 10, 15),
        item="air-defence-crew-training",
        quantity=8,
        kind="train",
        request="crews",
        deliver_share=1.0,
    )
    L(
        "USA",
        dt.date(2023, 10, 20),
        item="air-defence-crew-training",
        quantity=4,
        kind="train",
        request="crews",
        stop="committed",
    )
    L(
        "ESP",
        dt.date(2023, 11, 1),
        item="air-defence-crew-training",
        quantity=2,
        kind="train",
        request="crews",
        stop="declined",
    )
    L(
        "LTU",
        dt.date(2023, 10, 5),
        item="demining-kit",
        quantity=100,
        kind="equip",
        request="demining",
        deliver_share=1.0,
    )
    L(
        "BEL",
        dt.date(2023, 11, 5),
        item="demining-kit",
        quantity=80,
        kind="equip",
        request="demining",
        deliver_share=0.5,
    )
    L(
        "GBR",
        dt.date(2024, 1, 20),
        item="mcm-vessel",
        quantity=2,
        kind="equip",
        request="mcm",
        stop="committed",
    )
    L(
        "LVA",
        dt.date(2024, 2, 20),
        item="fpv-drone",
        quantity=30_000,
        kind="arm",
        request="drones",
        deliver_share=0.8,
    )
    L(
        "GBR",
        dt.date(2024, 3, 1),
        item="fpv-drone",
        quantity=10_000,
        kind="arm",
        request="drones",
        stop="pending",
        deliver_share=0.5,
    )
    L(
        "SWE",
        dt.date(2024, 3, 20),
        item="field-hospital",
        quantity=3,
        kind="equip",
        request="medical",
        deliver_share=1.0,
    )
    L(
        "CAN",
        dt.date(2024, 4, 2),
        item="field-hospital",
        quantity=2,
        kind="equip",
        request="medical",
        stop="accepted",
    )
    L(
        "NOR",
        dt.date(2024, 5, 2),
        item="budget-support",
        quantity=500_000_000,
        kind="finance",
        request="budget",
        deliver_share=1.0,
    )
    L(
        "NLD",
        dt.date(2024, 5, 20),
        item="budget-support",
        quantity=300_000_000,
        kind="finance",
        request="budget",
        deliver_share=0.5,
    )
    L(
        "EST",
        dt.date(2024, 6, 1),
        item="cyber-defence-support",
        quantity=15_000_000,
        kind="finance",
        request="cyber",
        deliver_share=1.0,
    )
    L(
        "USA",
        dt.date(2024, 6, 10),
        item="f-16",
        quantity=6,
        kind="arm",
        stop="offered",
        description="Unsolicited: aircraft from storage, subject to congressional notification",
    )

    steps.sort()
    if progress:
        with Progress(transient=True) as bar:
            task = bar.add_task("Playing 2023–2024 into the ledger", total=len(steps))
            for step in steps:
                clock.set(step.at)
                step.action()
                bar.advance(task)
    else:
        for step in steps:
            clock.set(step.at)
            step.action()
    return {"requests": len(requests), **counts, "steps": len(steps)}
