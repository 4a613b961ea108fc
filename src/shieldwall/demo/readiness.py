"""The deterrent envelope in the demo, put on the timeline from envelope.toml (all of it
illustrative): the partner defines the capability packages on the council's first day; near
the demo's present, members deliver on committed offers (the partner confirms all but one) and
plan the tranches still to come.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from shieldwall.demo.envelope_records import (
    EnvelopePlan,
    RecentDelivery,
    Tranche,
    check_envelope,
    committed_offer,
    read_envelope,
)
from shieldwall.demo.records import Item, Lifecycle
from shieldwall.demo.timeline import Desk, OfferSteps, Timeline
from shieldwall.envelope.service import ComponentIn

DEFINE_AT = 15  # on the council's first day, after its meeting
DELIVERY_NOTE = "illustrative delivery near the demo's present"
TRANCHE_NOTE = "Illustrative: a delivery schedule invented for the demo"
PLANNED_DAYS_BEFORE_PRESENT = 7


@dataclass(frozen=True)
class EnvelopeFiles:
    """envelope.toml, read and checked before the database is touched; the index, in the
    demo's offers, of the offer each recent delivery and each tranche is for."""

    plan: EnvelopePlan
    delivered_on: list[int]
    planned_on: list[int]


def read_envelope_files(
    areas: list[str], items: list[Item], lives: list[Lifecycle]
) -> EnvelopeFiles:
    plan = read_envelope()
    check_envelope(plan, areas, items, lives)

    def offer_of(array: str, wanted: tuple[RecentDelivery | Tranche, ...]) -> list[int]:
        return [
            committed_offer(f"envelope.toml {array} {n}", w.member, w.item, lives)
            for n, w in enumerate(wanted, start=1)
        ]

    return EnvelopeFiles(
        plan,
        offer_of("recent_delivery", plan.recent_deliveries),
        offer_of("tranche", plan.tranches),
    )


def schedule_envelope(
    desk: Desk,
    timeline: Timeline,
    files: EnvelopeFiles,
    offers: list[OfferSteps],
    seated: dt.date,
    present: dt.datetime,
) -> dict[str, int]:
    """Put the envelope on the timeline; what it will record, counted."""
    plan = files.plan
    timeline.add(seated, DEFINE_AT, partial(define_packages, desk, plan))
    for n, recent in enumerate(plan.recent_deliveries):
        deliver(desk, timeline, recent, offers[files.delivered_on[n]], present)
    planned_at = present - dt.timedelta(days=PLANNED_DAYS_BEFORE_PRESENT)
    for n, tranche in enumerate(plan.tranches):
        expected_on = (present + dt.timedelta(days=tranche.days_after_present)).date()
        step = partial(plan_tranche, desk, tranche, offers[files.planned_on[n]], expected_on)
        timeline.add_at(planned_at, step)
    return {
        "capability_packages": len(plan.packages),
        "planned_tranches": len(plan.tranches),
        "recent_deliveries": len(plan.recent_deliveries),
    }


def define_packages(desk: Desk, plan: EnvelopePlan) -> None:
    """The partner says what one unit of each capability needs, and how many it needs."""
    partner = desk.actor(desk.partner)
    for package in plan.packages:
        desk.envelope.define_package(
            partner,
            code=package.code,
            name=package.name,
            area=package.area,
            units_needed=package.units_needed,
            components=[
                ComponentIn(c.item, c.kind, c.per_unit, c.per_month) for c in package.components
            ],
            description=package.description,
            sustain_window_months=package.sustain_window_months,
            illustrative=True,
        )


def deliver(
    desk: Desk, timeline: Timeline, recent: RecentDelivery, offer: OfferSteps, present: dt.datetime
) -> None:
    """A delivery dated back from the present, confirmed by the partner if the file says so."""
    delivered_at = present - dt.timedelta(days=recent.days_before_present)
    delivery_id: list[int] = []

    def record() -> None:
        delivery_id.append(
            desk.assistance.record_delivery(
                desk.actor(recent.member),
                offer.offer_id,
                quantity=recent.quantity,
                delivered_on=delivered_at.date(),
                note=DELIVERY_NOTE,
            )
        )

    def confirm() -> None:
        desk.assistance.confirm_delivery(desk.actor(desk.partner), delivery_id[0])

    timeline.add_at(delivered_at, record)
    if recent.confirmed_after_days is not None:
        timeline.add_at(delivered_at + dt.timedelta(days=recent.confirmed_after_days), confirm)


def plan_tranche(desk: Desk, tranche: Tranche, offer: OfferSteps, expected_on: dt.date) -> None:
    desk.envelope.plan_delivery(
        desk.actor(tranche.member),
        offer.offer_id,
        quantity=tranche.quantity,
        expected_on=expected_on,
        note=TRANCHE_NOTE,
    )
