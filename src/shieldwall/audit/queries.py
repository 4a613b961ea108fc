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
    return int(total), [
        {
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
        for r in rows
    ]
