"""The demo builder: one function per part, fed by the data files beside it and Kiel's file.

The council is seated, its accounts opened and the catalogue filled on the second day of the
Vilnius summit; then the requests and offers are put on a timeline and played in date order.
Everything runs in one unit of work, so the demo is built whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.delegations.service import DelegationService
from shieldwall.demo.kiel import KIEL_WEAPONS, kiel_items, kiel_lifecycles
from shieldwall.demo.records import (
    Area,
    Item,
    Lifecycle,
    Request,
    Seat,
    check_requests_named,
    read_areas,
    read_items,
    read_offers,
    read_requests,
    read_seats,
)
from shieldwall.demo.timeline import FILE_AT, Desk, OfferSteps, Timeline
from shieldwall.importers.kiel import read_weapons
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.uow import Platform

DEMO_PASSWORD = "shieldwall-demo"
SETUP = Actor("system:demo", system=True)
# The NATO–Ukraine Council first met at Vilnius on 12 July 2023.
COUNCIL_SEATED = dt.datetime(2023, 7, 12, 9, tzinfo=dt.UTC)


def build_demo(
    platform: Platform, kiel_weapons: Path = KIEL_WEAPONS, progress: bool = True
) -> dict[str, int]:
    """Seat the council, fill the catalogue and play 2023–2024 into the ledger, in date order,
    as one unit of work: the demo is built whole or not at all."""
    if not isinstance(platform.clock, FixedClock):
        raise TypeError("the demo dates its history: give the platform a FixedClock")
    # Every file is read before the database is touched: a bad one changes nothing.
    seats, areas, requests, offers = read_seats(), read_areas(), read_requests(), read_offers()
    check_requests_named(offers, requests)
    partner = _partner(seats)
    weapons = list(read_weapons(kiel_weapons))
    kiel = kiel_lifecycles(weapons, seats, requests)
    catalogue = [*kiel_items(weapons), *read_items()]
    with platform.unit_of_work() as uow:
        desk = Desk(DelegationService(uow), AccessService(uow), AssistanceService(uow), partner)
        platform.clock.set(COUNCIL_SEATED)
        _seat_council(desk, seats)
        _open_accounts(desk, seats)
        _fill_catalogue(desk, areas, catalogue)
        timeline = Timeline()
        filed = _file_requests(desk, timeline, requests)
        _make_offers(desk, timeline, kiel, filed)  # Kiel's counts and values, invented dates
        _make_offers(desk, timeline, offers, filed)  # invented, one in each state (offers.toml)
        timeline.play(platform.clock, progress)
    return {
        "requests": len(filed),
        "kiel_offers": len(kiel),
        "illustrative_offers": len(offers),
        "steps": len(timeline),
    }


def _partner(seats: list[Seat]) -> str:
    partners = [s.code for s in seats if s.kind == "partner"]
    if len(partners) != 1:
        raise InvalidInput(
            "delegations.csv", "seat exactly one partner: the requests and offers are for it"
        )
    return partners[0]


def _seat_council(desk: Desk, seats: list[Seat]) -> None:
    """The secretariat, the partner and the members, in the order of delegations.csv."""
    for seat in seats:
        desk.delegations.seat_delegation(
            SETUP, code=seat.code, name=seat.name, kind=seat.kind, joined_on=seat.joined_on
        )


def _open_accounts(desk: Desk, seats: list[Seat]) -> None:
    """One demo account per delegation, named by its lower-case code: the chair for the
    secretariat, a head of delegation for the others."""
    for seat in seats:
        chair = seat.kind == "secretariat"
        desk.access.add_user(
            SETUP,
            username=seat.code.lower(),
            delegation=seat.code,
            role="chair" if chair else "head_of_delegation",
            password=DEMO_PASSWORD,
            display_name=f"{'Secretariat' if chair else seat.name} (demo account)",
        )


def _fill_catalogue(desk: Desk, areas: list[Area], items: list[Item]) -> None:
    for area in areas:
        desk.assistance.add_area(SETUP, area.code, area.name, area.description)
    for item in items:
        desk.assistance.add_item(
            SETUP,
            code=item.code,
            name=item.name,
            area=item.area,
            unit=item.unit,
            reference_unit_value_cents=item.reference_unit_value_cents,
            price_date=item.price_date,
            tags=list(item.tags),
        )


def _file_requests(desk: Desk, timeline: Timeline, requests: list[Request]) -> dict[str, int]:
    """Put the partner's requests on the timeline; the ids they get, by key, once played."""
    filed: dict[str, int] = {}
    for request in requests:
        timeline.add(request.filed_on, FILE_AT, partial(_file, desk, request, filed))
    return filed


def _file(desk: Desk, request: Request, filed: dict[str, int]) -> None:
    filed[request.key] = desk.assistance.file_request(
        desk.actor(desk.partner),
        partner=desk.partner,
        title=request.title,
        area=request.area,
        item=request.item,
        quantity=request.quantity,
        value_cents=request.value_cents,
        priority=request.priority,
        need_by=request.need_by,
        justification=request.justification,
        addressees=list(request.addressees),
        illustrative=True,  # every request in the demo is invented
        releasability=request.releasability,
    )


def _make_offers(
    desk: Desk, timeline: Timeline, lives: list[Lifecycle], filed: dict[str, int]
) -> None:
    """Put each offer on the timeline, with its answer, commitment and deliveries."""
    for life in lives:
        OfferSteps(desk, life, filed).schedule(timeline)
