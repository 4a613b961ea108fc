"""How the audit page names the features' records: "offer #67 (IRIS-T SLM, 40 missiles)",
linked to its page. The audit layer sits below the features and cannot read them; this layer
reads them and registers one describer per record type with ``audit.story`` (``install``, called
once by the app). Each describer names a page's worth of records in one query; it is read by
the secretariat only (the audit log is theirs), so it applies no releasability."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    Delivery,
    ImportedFile,
    Offer,
)
from shieldwall.assistance.words import quantity_of, quantity_text
from shieldwall.audit.story import Subject, describe_records
from shieldwall.council.tables import AgendaItem, Meeting, Proposal
from shieldwall.delegations.tables import Delegation
from shieldwall.envelope.tables import CapabilityPackage, PlannedDelivery
from shieldwall.guarantees.tables import Instrument
from shieldwall.kit.i18n import format_day, format_eur_exact, format_number, term
from shieldwall.obligations.tables import DueItem, TriggerEvent


def _ints(ids: Sequence[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def _counter(unit: str | None) -> Callable[[int], str]:
    """How a quantity of an item reads ("40 missiles"); a sum in euros reads as euros."""

    def count(n: int) -> str:
        if unit is None:
            return format_number(n)
        if unit.upper() == "EUR":
            return format_eur_exact(n)
        return quantity_text(n, unit)

    return count


def _offers(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(Offer.id, Offer.quantity, Delegation.name, CapabilityItem.name, CapabilityItem.unit,
               CapabilityArea.name)
        .join(Delegation, Delegation.id == Offer.member_id)
        .join(CapabilityArea, CapabilityArea.id == Offer.area_id)
        .outerjoin(CapabilityItem, CapabilityItem.id == Offer.item_id)
        .where(Offer.id.in_(_ints(ids)))
    )  # fmt: skip
    out = {}
    for offer_id, quantity, member, item, unit, area in rows:
        what = quantity_of(quantity, item or area, unit if item else None)
        out[str(offer_id)] = Subject(
            f"{member}: {what}", f"/offers/{offer_id}", _counter(unit if item else None)
        )
    return out


def _deliveries(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(Delivery.id, Delivery.offer_id, Delegation.name, CapabilityItem.name,
               CapabilityItem.unit)
        .join(Offer, Offer.id == Delivery.offer_id)
        .join(Delegation, Delegation.id == Offer.member_id)
        .outerjoin(CapabilityItem, CapabilityItem.id == Offer.item_id)
        .where(Delivery.id.in_(_ints(ids)))
    )  # fmt: skip
    return {
        str(delivery_id): Subject(
            f"{member}: {item or ''}".rstrip(": "),
            f"/offers/{offer_id}",
            _counter(unit),
        )
        for delivery_id, offer_id, member, item, unit in rows
    }


def _requests(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(AssistanceRequest.id, AssistanceRequest.title, CapabilityItem.unit)
        .outerjoin(CapabilityItem, CapabilityItem.id == AssistanceRequest.item_id)
        .where(AssistanceRequest.id.in_(_ints(ids)))
    )
    return {str(i): Subject(t, f"/requests/{i}", _counter(u)) for i, t, u in rows}


def _imported_files(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(ImportedFile.id, ImportedFile.file_name).where(ImportedFile.id.in_(_ints(ids)))
    )
    return {str(i): Subject(name, f"/imports/{i}") for i, name in rows}


def _titled(
    table: type[Meeting] | type[Proposal] | type[Instrument], path: str
) -> Callable[[Session, Sequence[str]], Mapping[str, Subject]]:
    def describe(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
        rows = session.execute(select(table.id, table.title).where(table.id.in_(_ints(ids))))
        return {str(i): Subject(t, f"{path}/{i}") for i, t in rows}

    return describe


def _agenda_items(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(AgendaItem.id, AgendaItem.meeting_id, Meeting.title)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.id.in_(_ints(ids)))
    )
    return {str(i): Subject(t, f"/meetings/{m}") for i, m, t in rows}


def _due_items(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(DueItem.id, Delegation.name, DueItem.due_at)
        .join(Delegation, Delegation.id == DueItem.member_id)
        .where(DueItem.id.in_(_ints(ids)))
    )
    return {
        str(i): Subject(f"{member}, {format_day(due)}", f"/obligations/{i}")
        for i, member, due in rows
    }


def _triggers(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(TriggerEvent.id, TriggerEvent.kind, TriggerEvent.occurred_at).where(
            TriggerEvent.id.in_(_ints(ids))
        )
    )
    return {str(i): Subject(f"{term(k)}, {format_day(at)}", f"/triggers/{i}") for i, k, at in rows}


def _packages(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(CapabilityPackage.id, CapabilityPackage.name).where(
            CapabilityPackage.id.in_(_ints(ids))
        )
    )
    return {str(i): Subject(n, f"/capability-packages/{i}") for i, n in rows}


def _tranches(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(PlannedDelivery.id, PlannedDelivery.offer_id, CapabilityItem.name,
               CapabilityItem.unit)
        .join(Offer, Offer.id == PlannedDelivery.offer_id)
        .outerjoin(CapabilityItem, CapabilityItem.id == Offer.item_id)
        .where(PlannedDelivery.id.in_(_ints(ids)))
    )  # fmt: skip
    return {
        str(i): Subject(item, f"/offers/{offer_id}", _counter(unit))
        for i, offer_id, item, unit in rows
    }


def _catalogue(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(CapabilityItem.id, CapabilityItem.name).where(CapabilityItem.id.in_(_ints(ids)))
    )
    return {str(i): Subject(n) for i, n in rows}


def _areas(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(CapabilityArea.id, CapabilityArea.name).where(CapabilityArea.id.in_(_ints(ids)))
    )
    return {str(i): Subject(n) for i, n in rows}


def _delegations(session: Session, ids: Sequence[str]) -> Mapping[str, Subject]:
    rows = session.execute(
        select(Delegation.id, Delegation.name).where(Delegation.id.in_(_ints(ids)))
    )
    return {str(i): Subject(n) for i, n in rows}


def install() -> None:
    """Register every describer with the audit page (idempotent)."""
    describe_records("offer", _offers)
    describe_records("delivery", _deliveries)
    describe_records("request", _requests)
    describe_records("meeting", _titled(Meeting, "/meetings"))
    describe_records("proposal", _titled(Proposal, "/proposals"))
    describe_records("instrument", _titled(Instrument, "/instruments"))
    describe_records("agenda_item", _agenda_items)
    describe_records("due_item", _due_items)
    describe_records("trigger_event", _triggers)
    describe_records("capability_package", _packages)
    describe_records("planned_delivery", _tranches)
    describe_records("capability_item", _catalogue)
    describe_records("capability_area", _areas)
    describe_records("delegation", _delegations)
    describe_records("imported_file", _imported_files)
