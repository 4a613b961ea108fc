"""The demo builder: one function per part, fed by the data files beside it and Kiel's file.

The council is seated, its accounts opened and the catalogue filled on the second day of the
Vilnius summit; then the requests and offers, the council's real meetings and its illustrative
business are put on a timeline and played in date order, up to the demo's present (by default
the time of the build, so that a silence deadline is still ahead when the demo is served);
there a few members declare illustrative availability and the clearing house runs once.
Everything runs in one unit of work, so the demo is built whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.council.service import CouncilService
from shieldwall.delegations.service import DelegationService
from shieldwall.demo.clearing import Line as AvailableLine
from shieldwall.demo.clearing import declare_and_match, read_availability
from shieldwall.demo.council import (
    MeetingSteps,
    ProposalSteps,
    late_consultation,
    live_silence,
)
from shieldwall.demo.instruments import read_guarantee_files, schedule_guarantees
from shieldwall.demo.kiel import KIEL_WEAPONS, kiel_items, kiel_lifecycles
from shieldwall.demo.readiness import read_envelope_files, schedule_envelope
from shieldwall.demo.records import (
    Area,
    CouncilBusiness,
    CouncilMeeting,
    Item,
    Lifecycle,
    Request,
    Seat,
    check_council,
    check_requests_named,
    read_areas,
    read_council,
    read_council_meetings,
    read_items,
    read_offers,
    read_requests,
    read_seats,
)
from shieldwall.demo.timeline import FILE_AT, Desk, OfferSteps, Timeline
from shieldwall.envelope.service import EnvelopeService
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.importers.kiel import GDP_SOURCE, gdp_by_iso, read_weapons
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.uow import Platform, UnitOfWork
from shieldwall.obligations.service import ObligationsService

DEMO_PASSWORD = "shieldwall-demo"
SETUP = Actor("system:demo", system=True)
# The NATO–Ukraine Council first met at Vilnius on 12 July 2023.
COUNCIL_SEATED = dt.datetime(2023, 7, 12, 9, tzinfo=dt.UTC)


def build_demo(
    platform: Platform,
    kiel_weapons: Path = KIEL_WEAPONS,
    progress: bool = True,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Seat the council, fill the catalogue and play the history into the ledger and the
    council's record, in date order up to ``now`` (the demo's present; by default the time of
    the build), as one unit of work: the demo is built whole or not at all."""
    if not isinstance(platform.clock, FixedClock):
        raise TypeError("the demo dates its history: give the platform a FixedClock")
    # Every file is read before the database is touched: a bad one changes nothing.
    seats, areas, requests, offers = read_seats(), read_areas(), read_requests(), read_offers()
    check_requests_named(offers, requests)
    meetings, business = read_council_meetings(), read_council()
    check_council(meetings, business)
    present = _present(now, meetings)
    partner = _partner(seats)
    weapons = list(read_weapons(kiel_weapons))
    kiel = kiel_lifecycles(weapons, seats, requests)
    catalogue = [*kiel_items(weapons), *read_items()]
    guarantees = read_guarantee_files(seats, [*kiel, *offers])
    envelope = read_envelope_files([a.code for a in areas], catalogue, [*kiel, *offers])
    available = read_availability()
    with platform.unit_of_work() as uow:
        desk = Desk(
            DelegationService(uow),
            AccessService(uow),
            AssistanceService(uow),
            CouncilService(uow),
            GuaranteesService(uow),
            ObligationsService(uow),
            EnvelopeService(uow),
            partner,
        )
        platform.clock.set(COUNCIL_SEATED)
        _seat_council(desk, seats)
        _open_accounts(desk, seats)
        _fill_catalogue(desk, areas, catalogue)
        timeline = Timeline()
        filed = _file_requests(desk, timeline, requests)
        made = _make_offers(desk, timeline, kiel, filed)  # Kiel's counts and values, invented dates
        made += _make_offers(desk, timeline, offers, filed)  # invented, one in each state
        held = _record_meetings(desk, timeline, meetings, business)
        _council_business(desk, timeline, business, present)
        seated = COUNCIL_SEATED.date()
        pledged = schedule_guarantees(desk, timeline, guarantees, made, seated, present)
        pledged |= schedule_envelope(desk, timeline, envelope, made, seated, present)
        timeline.play(platform.clock, progress)
        pledged |= _match_at_present(uow, desk, seats, available)
    return pledged | {
        "requests": len(filed),
        "kiel_offers": len(kiel),
        "illustrative_offers": len(offers),
        "meetings": len(meetings),
        "meetings_held": held,
        "illustrative_consultations": 1,
        "illustrative_proposals": len(business.proposals) + 1,  # and the one under silence
        "steps": len(timeline),
    }


def _match_at_present(
    uow: UnitOfWork, desk: Desk, seats: list[Seat], available: list[AvailableLine]
) -> dict[str, int]:
    """At the present: a few members' availability and one matching run over what is open."""
    secretariat = next(s.code for s in seats if s.kind == "secretariat")
    members = {line.member: desk.actor(line.member) for line in available}
    return declare_and_match(uow, desk.actor(secretariat), members, available)


def _present(now: dt.datetime | None, meetings: list[CouncilMeeting]) -> dt.datetime:
    """The demo's present: after the last meeting of the record, to the minute."""
    present = (now or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    last = max(m.on for m in meetings)
    if present.date() <= last:
        raise InvalidInput("now", f"the demo's present must come after its last meeting ({last})")
    return present


def _partner(seats: list[Seat]) -> str:
    partners = [s.code for s in seats if s.kind == "partner"]
    if len(partners) != 1:
        raise InvalidInput(
            "delegations.csv", "seat exactly one partner: the requests and offers are for it"
        )
    return partners[0]


def _seat_council(desk: Desk, seats: list[Seat]) -> None:
    """The secretariat, the partner and the members, in the order of delegations.csv; then the
    contributors (the EU, Japan), who hold instruments but do not sit in the council."""
    gdp = gdp_by_iso()  # the shipped Kiel release's, for burden-sharing's % of GDP
    for seat in seats:
        desk.delegations.seat_delegation(
            SETUP, code=seat.code, name=seat.name, kind=seat.kind, joined_on=seat.joined_on
        )
        if seat.code in gdp:
            desk.delegations.record_gdp(SETUP, seat.code, str(gdp[seat.code]), GDP_SOURCE)


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
) -> list[OfferSteps]:
    """Put each offer on the timeline, with its answer, commitment and deliveries; the steps
    of each, in the order of ``lives`` (they learn the offer's id when it is made)."""
    steps = [OfferSteps(desk, life, filed) for life in lives]
    for offer in steps:
        offer.schedule(timeline)
    return steps


def _record_meetings(
    desk: Desk, timeline: Timeline, meetings: list[CouncilMeeting], business: CouncilBusiness
) -> int:
    """Put the council's real meetings on the timeline; how many will be recorded held."""
    requests = {r.meeting: r for r in business.requests}
    unheld = {u.meeting: u for u in business.not_held}
    for meeting in meetings:
        steps = MeetingSteps(desk, SETUP, meeting, requests.get(meeting.on), unheld.get(meeting.on))
        steps.schedule(timeline)
    return sum(1 for m in meetings if m.on not in unheld)


def _council_business(
    desk: Desk, timeline: Timeline, business: CouncilBusiness, present: dt.datetime
) -> None:
    """The council's illustrative business: the proposals with their positions, one under
    silence at the demo's present, and a crisis consultation flagged late."""
    for proposal in business.proposals:
        ProposalSteps(desk, proposal).schedule(timeline)
    live_silence(desk, timeline, business.live_silence, present)
    late_consultation(desk, timeline, business.late_consultation, present)
