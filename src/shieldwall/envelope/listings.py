"""The list of planned deliveries people can search (``kit.listing``): every tranche the reader
may see, filtered by member, capability package, capability area, the offer's state and the
expected date, searched by item, member and note, sorted by its columns, paged in the query,
and downloaded as exactly that view.

What is still outstanding of a tranche is not a column of the table: it is worked out per
offer (``model.outstanding_tranches``: what was delivered uses up the earliest tranches), so it
is shown and exported for the rows read, and is not a sort key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from shieldwall.access.model import Actor
from shieldwall.assistance.listings import area_options, member_options
from shieldwall.assistance.model import OfferState
from shieldwall.assistance.tables import CapabilityArea, CapabilityItem, Offer
from shieldwall.delegations.tables import Delegation
from shieldwall.envelope import queries
from shieldwall.envelope.tables import CapabilityPackage, PackageComponent, PlannedDelivery
from shieldwall.envelope.visibility import readable_tranches
from shieldwall.kit.i18n import N_, term
from shieldwall.kit.inbox import days_left_text
from shieldwall.kit.listing import (
    Column,
    Filter,
    FilterKind,
    Listing,
    Option,
    SummaryTable,
    in_batches,
)

Member = aliased(Delegation)


def _in_package(package_id: Any) -> Any:
    """The tranches of an item the package needs."""
    items = select(PackageComponent.item_id).where(PackageComponent.package_id == package_id)
    return Offer.item_id.in_(items)


TRANCHES = Listing(
    path="/planned-deliveries",
    name="planned-deliveries",
    tiebreak=PlannedDelivery.id,
    default_sort="expected_on",
    columns=(
        Column("id", N_("Tranche"), PlannedDelivery.id, numeric=True),
        Column("member", N_("Member"), Member.name),
        Column("member_code", N_("Member code"), shown=False),
        Column("item", N_("Item"), CapabilityItem.name),
        Column("area", N_("Capability area"), CapabilityArea.name, shown=False),
        Column("expected_on", N_("Expected on"), PlannedDelivery.expected_on),
        Column("quantity", N_("Planned"), PlannedDelivery.quantity, numeric=True),
        Column("outstanding", N_("Outstanding"), numeric=True),
        Column("time_left", N_("Due"), shown=False),
        Column("state", N_("Offer state"), Offer.state),
        Column("offer", N_("Offer"), PlannedDelivery.offer_id, numeric=True),
        Column("note", N_("Note")),
    ),
    filters=(
        Filter("member", N_("Member"), Offer.member_id),
        Filter("package", N_("Capability package"), where=_in_package),
        Filter("area", N_("Capability area"), Offer.area_id),
        Filter("state", N_("Offer state"), Offer.state),
        Filter("from", N_("Expected from"), PlannedDelivery.expected_on, FilterKind.DATE_FROM),
        Filter("to", N_("Expected until"), PlannedDelivery.expected_on, FilterKind.DATE_TO),
    ),
    search=(CapabilityItem.name, Member.name, PlannedDelivery.note),
    search_label=N_("Search items, members and notes"),
)


def tranches_statement(reader: Actor) -> Select[Any]:
    """The tranches ``reader`` may see, with the names they are shown with."""
    return cast(
        Select[Any],
        select(
            PlannedDelivery,
            Offer.state.label("state"),
            Member.name.label("member_name"),
            Member.code.label("member_code"),
            CapabilityItem.name.label("item_name"),
            CapabilityArea.name.label("area_name"),
        )
        .join(Offer, Offer.id == PlannedDelivery.offer_id)
        .join(Member, Member.id == Offer.member_id)
        .join(CapabilityArea, CapabilityArea.id == Offer.area_id)
        .outerjoin(CapabilityItem, CapabilityItem.id == Offer.item_id)
        .where(readable_tranches(reader)),
    )


def options(session: Session) -> dict[str, list[Option]]:
    """The choices of the list's filters, in the viewer's language."""
    packages = session.execute(
        select(CapabilityPackage.id, CapabilityPackage.code, CapabilityPackage.name).order_by(
            CapabilityPackage.name
        )
    )
    return {
        "member": member_options(session),
        "package": [Option(code, name, package_id) for package_id, code, name in packages],
        "area": area_options(session),
        "state": [Option(s.value, term(s.value)) for s in OfferState],
    }


def tranche_rows(
    session: Session, reader: Actor, rows: list[Any], today: dt.date
) -> list[dict[str, Any]]:
    """The tranches read, as the page shows them and the download writes them: each with
    what is still outstanding of it and how its date reads ("due in 5 days")."""
    offer_ids = sorted({r[0].offer_id for r in rows})
    left: dict[int, int] = {}
    if offer_ids:
        codes = {
            r.id: r.code for r in session.execute(select(CapabilityItem.id, CapabilityItem.code))
        }
        plans = queries.offer_plans(session, reader, codes, offer_ids)
        for r in rows:
            if r.state == OfferState.COMMITTED and r[0].offer_id in plans:
                for o in plans[r[0].offer_id].outstanding:
                    left[o.tranche_id or 0] = o.quantity
    shaped = []
    for r in rows:
        t: PlannedDelivery = r[0]
        outstanding = left.get(t.id, 0)
        shaped.append(
            {
                "id": t.id,
                "member": r.member_name,
                "member_code": r.member_code,
                "item": r.item_name or r.area_name,
                "area": r.area_name,
                "expected_on": t.expected_on,
                "quantity": t.quantity,
                "outstanding": outstanding,
                "overdue": outstanding > 0 and t.expected_on < today,
                "time_left": days_left_text(t.expected_on, today) if outstanding else None,
                "state": term(r.state),
                "state_code": r.state,
                "offer": t.offer_id,
                "note": t.note,
            }
        )
    return shaped


def export_rows(
    session: Session, reader: Actor, rows: Iterator[Any], today: dt.date
) -> Iterator[dict[str, Any]]:
    """Every row of a download, shaped a batch at a time."""
    return in_batches(rows, lambda batch: tranche_rows(session, reader, batch, today))


# ---- readiness as tables to download ---------------------------------------------------------

READINESS_AREAS = SummaryTable(
    "readiness-areas",
    (
        Column("area", N_("Code")),
        Column("name", N_("Area")),
        Column("packages", N_("Packages"), numeric=True),
        Column("readiness", N_("Readiness"), numeric=True),
        Column("as_of", N_("As of")),
    ),
)
READINESS_PACKAGES = SummaryTable(
    "readiness-packages",
    (
        Column("code", N_("Code")),
        Column("name", N_("Package")),
        Column("area_name", N_("Area")),
        Column("readiness", N_("Readiness"), numeric=True),
        Column("units_ready", N_("Units ready"), numeric=True),
        Column("units_needed", N_("Units needed"), numeric=True),
        Column("limited_by", N_("Limited by")),
        Column("as_of", N_("As of")),
    ),
)
READINESS = (READINESS_AREAS, READINESS_PACKAGES)


def readiness_rows(table: SummaryTable, envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one of the envelope's tables (``queries.envelope``), as its page shows
    them: readiness as a fraction, what limits a package in words, the day they hold on."""
    on = envelope["as_of"]
    if table is READINESS_AREAS:
        return [{**a, "as_of": on} for a in envelope["areas"]]
    return [
        {
            **p,
            "limited_by": p["limiting"]["words"] if p["limiting"] else None,
            "as_of": on,
        }
        for p in envelope["packages"]
    ]
