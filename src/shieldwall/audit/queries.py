"""Reading the audit log: the secretariat's view, filtered in the query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.errors import Forbidden
from shieldwall.kit.i18n import N_
from shieldwall.kit.listing import Column, Filter, FilterKind, Listing


@dataclass
class AuditFilter:
    actor: str | None = None
    delegation: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def require_secretariat(reader: Actor) -> None:
    if not reader.sees_everything:
        raise Forbidden("the audit log is for the secretariat")


# The audit page's list: filters (a day range among them), search over the stored record,
# sort by number or time, and downloads of exactly the filtered view (kit/listing.py). The
# choices of the delegation, action and record-type filters are given by the page.
AUDIT_LISTING = Listing(
    path="/audit",
    name="audit",
    tiebreak=AuditRecord.id,
    columns=(
        Column("id", N_("Number"), AuditRecord.id, numeric=True),
        Column("at", N_("When"), AuditRecord.at),
        Column("what", N_("What happened")),
        Column("changes", N_("What changed"), shown=False),
        Column("actor", N_("User"), shown=False),
        Column("delegation", N_("Delegation"), shown=False),
        Column("action", N_("Action code"), shown=False),
        Column("record_type", N_("Record type"), shown=False),
        Column("record_id", N_("Record number"), shown=False),
        Column("before", N_("Before (as stored)"), shown=False),
        Column("after", N_("After (as stored)"), shown=False),
    ),
    filters=(
        Filter("from", N_("From (day)"), AuditRecord.at, FilterKind.DATE_FROM),
        Filter("to", N_("To (day, included)"), AuditRecord.at, FilterKind.DATE_TO),
        Filter("delegation", N_("Delegation"), AuditRecord.delegation),
        Filter("actor", N_("User"), AuditRecord.actor, FilterKind.TEXT),
        Filter("action", N_("Action"), AuditRecord.action),
        Filter("record_type", N_("Record type"), AuditRecord.record_type),
        Filter(
            "record_id",
            N_("Record number"),
            kind=FilterKind.TEXT,
            where=lambda text: AuditRecord.record_id == text,
        ),
    ),
    search=(
        AuditRecord.actor,
        AuditRecord.action,
        AuditRecord.before_state,
        AuditRecord.after_state,
    ),
    search_label=N_("Search the stored records"),
    default_sort="-id",
)


def record_dict(r: AuditRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at,
        "actor": r.actor,
        "delegation": r.delegation,
        "action": r.action,
        "record_type": r.record_type,
        "record_id": r.record_id,
        "before_state": r.before_state,
        "after_state": r.after_state,
        "hash": r.hash,
    }


def audit_statement(reader: Actor, where: AuditFilter) -> Select[AuditRecord]:
    """The log as the secretariat reads it, with the API's filters (the page adds its own)."""
    require_secretariat(reader)
    return _filtered(where)


def _filtered(where: AuditFilter) -> Select[AuditRecord]:
    stmt = select(AuditRecord)
    if where.actor:
        stmt = stmt.where(AuditRecord.actor == where.actor)
    if where.delegation:
        stmt = stmt.where(AuditRecord.delegation == where.delegation.upper())
    if where.action:
        stmt = stmt.where(AuditRecord.action == where.action)
    if where.record_type:
        stmt = stmt.where(AuditRecord.record_type == where.record_type)
    if where.record_id:
        stmt = stmt.where(AuditRecord.record_id == where.record_id)
    if where.since:
        stmt = stmt.where(AuditRecord.at >= where.since)
    if where.until:
        stmt = stmt.where(AuditRecord.at < where.until)
    return stmt


def count_audit(session: Session, reader: Actor, where: AuditFilter) -> int:
    """How many records the filter finds (secretariat only)."""
    require_secretariat(reader)
    stmt = _filtered(where)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def list_audit(
    session: Session, reader: Actor, where: AuditFilter, *, offset: int = 0, limit: int = 100
) -> tuple[int, list[dict[str, Any]]]:
    total = count_audit(session, reader, where)
    stmt = _filtered(where)
    rows = session.scalars(stmt.order_by(AuditRecord.id.desc()).offset(offset).limit(limit))
    return int(total), [record_dict(r) for r in rows]
