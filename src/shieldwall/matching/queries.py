"""Reads of the clearing house: a run's input as arrays, and the lists the pages and the API
show, each filtered by its reader's releasability inside the query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance.model import Measure, RequestState, compatibility_tags
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    LedgerEntry,
    RequestAddressee,
)
from shieldwall.delegations.tables import Delegation
from shieldwall.matching.model import TRAINING_AREA
from shieldwall.matching.solver import Problem, day
from shieldwall.matching.tables import Availability, MatchingRun, MatchProposal, UncoveredNeed
from shieldwall.matching.visibility import readable_availability, readable_proposals


@dataclass(frozen=True)
class Ids:
    """The database ids behind the indices of a ``Problem``, and the names explanations use."""

    requests: list[int]
    lines: list[int]
    members: list[int]
    line_day: list[dt.date]


def _index(ids: list[int]) -> dict[int, int]:
    return {v: i for i, v in enumerate(ids)}


def _open_requests(s: Session) -> list[Any]:
    """Active requests in units with some still needed (their quantity less what is offered
    against them: declined and withdrawn offers took theirs back), in id order."""
    offered = (
        select(LedgerEntry.request_id, func.sum(LedgerEntry.quantity).label("offered"))
        .where(LedgerEntry.measure == Measure.OFFERED.value, LedgerEntry.request_id.is_not(None))
        .group_by(LedgerEntry.request_id)
        .subquery()
    )
    return list(
        s.execute(
            select(
                AssistanceRequest.id,
                AssistanceRequest.item_id,
                AssistanceRequest.area_id,
                AssistanceRequest.quantity,
                AssistanceRequest.priority,
                AssistanceRequest.need_by,
                AssistanceRequest.to_all_members,
                CapabilityArea.code,
                func.coalesce(offered.c.offered, 0),
            )
            .join(CapabilityArea, CapabilityArea.id == AssistanceRequest.area_id)
            .outerjoin(offered, offered.c.request_id == AssistanceRequest.id)
            .where(
                AssistanceRequest.state == RequestState.ACTIVE.value,
                AssistanceRequest.quantity.is_not(None),
                AssistanceRequest.quantity > func.coalesce(offered.c.offered, 0),
            )
            .order_by(AssistanceRequest.id)
        ).all()
    )


def _lines(s: Session) -> list[Any]:
    """Availability lines with units left, in id order."""
    return list(
        s.execute(
            select(
                Availability.id,
                Availability.member_id,
                Availability.item_id,
                Availability.quantity,
                Availability.available_from,
                Availability.not_before,
                Availability.training_only,
                Availability.per_request,
            )
            .where(Availability.quantity > 0, Availability.withdrawn_at.is_(None))
            .order_by(Availability.id)
        ).all()
    )


def problem(s: Session, today: dt.date) -> tuple[Problem, Ids]:
    """Open requests and availability lines with units left, as arrays in id order."""
    items = s.execute(
        select(CapabilityItem.id, CapabilityItem.area_id, CapabilityItem.tags).order_by(
            CapabilityItem.id
        )
    ).all()
    item_at = _index([i.id for i in items])
    tags = sorted({t for i in items for t in compatibility_tags(i.tags)})
    tag_at = _index_text(tags)
    tag_pairs = [(item_at[i.id], tag_at[t]) for i in items for t in compatibility_tags(i.tags)]
    requests, lines = _open_requests(s), _lines(s)
    request_at = _index([r.id for r in requests])
    addressees = s.execute(
        select(RequestAddressee.request_id, RequestAddressee.delegation_id).order_by(
            RequestAddressee.request_id, RequestAddressee.delegation_id
        )
    ).all()
    addressees = [a for a in addressees if a.request_id in request_at]
    members = sorted({ln.member_id for ln in lines} | {a.delegation_id for a in addressees})
    member_at = _index(members)
    days = [max(ln.available_from, ln.not_before or ln.available_from, today) for ln in lines]
    p = Problem(
        today=today.toordinal(),
        item_area=_ints([i.area_id for i in items]),
        tag_item=_ints([t[0] for t in tag_pairs]),
        tag_of=_ints([t[1] for t in tag_pairs]),
        request_item=_ints([item_at[r.item_id] if r.item_id else -1 for r in requests]),
        request_area=_ints([r.area_id for r in requests]),
        request_need=_ints([r.quantity - r[8] for r in requests]),
        request_quantity=_ints([r.quantity for r in requests]),
        request_priority=[r.priority for r in requests],
        request_need_by=_ints([day(r.need_by) for r in requests]),
        request_to_all=np.array([r.to_all_members for r in requests], dtype=bool),
        request_training=np.array([r.code == TRAINING_AREA for r in requests], dtype=bool),
        addressee_request=_ints([request_at[a.request_id] for a in addressees]),
        addressee_member=_ints([member_at[a.delegation_id] for a in addressees]),
        line_member=_ints([member_at[ln.member_id] for ln in lines]),
        line_item=_ints([item_at[ln.item_id] for ln in lines]),
        line_quantity=_ints([ln.quantity for ln in lines]),
        line_day=_ints([d.toordinal() for d in days]),
        line_training_only=np.array([ln.training_only for ln in lines], dtype=bool),
        line_per_request=_ints([ln.per_request or 0 for ln in lines]),
        members=max(len(members), 1),
        tags=tags,
    )
    return p, Ids([r.id for r in requests], [ln.id for ln in lines], members, days)


def _index_text(values: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def _ints(values: list[int]) -> Any:
    return np.array(values, dtype=np.int64)


def availability(s: Session, reader: Actor) -> list[dict[str, Any]]:
    """The availability lines ``reader`` may see, newest first."""
    rows = s.execute(
        select(Availability, Delegation.code, CapabilityItem.code, CapabilityItem.name)
        .join(Delegation, Delegation.id == Availability.member_id)
        .join(CapabilityItem, CapabilityItem.id == Availability.item_id)
        .where(readable_availability(reader))
        .order_by(Availability.id.desc())
    ).all()
    return [
        {
            "id": a.id,
            "member_id": a.member_id,
            "member": member,
            "item": item,
            "item_name": name,
            "kind": a.kind,
            "quantity": a.quantity,
            "declared_quantity": a.declared_quantity,
            "available_from": a.available_from,
            "training_only": a.training_only,
            "not_before": a.not_before,
            "per_request": a.per_request,
            "note": a.note,
            "releasability": a.releasability,
            "withdrawn_at": a.withdrawn_at,
            "withdrawn_reason": a.withdrawn_reason,
            "illustrative": a.illustrative,
        }
        for a, member, item, name in rows
    ]


def runs(s: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first (the secretariat's: the route says who may call)."""
    found = s.scalars(select(MatchingRun).order_by(MatchingRun.id.desc()).limit(limit))
    return [_run_row(r) for r in found]


def _run_row(run: MatchingRun) -> dict[str, Any]:
    return {c.name: getattr(run, c.name) for c in MatchingRun.__table__.columns}


def run(s: Session, run_id: int) -> dict[str, Any] | None:
    found = s.get(MatchingRun, run_id)
    return None if found is None else _run_row(found)


def proposals(
    s: Session, reader: Actor, *, run_id: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The proposals ``reader`` may see (of one run, or the latest first), with what they
    name."""
    query = (
        select(
            MatchProposal,
            Delegation.code,
            CapabilityItem.code,
            AssistanceRequest.title,
            AssistanceRequest.priority,
            AssistanceRequest.need_by,
        )
        .join(Delegation, Delegation.id == MatchProposal.member_id)
        .join(Availability, Availability.id == MatchProposal.availability_id)
        .join(CapabilityItem, CapabilityItem.id == Availability.item_id)
        .join(AssistanceRequest, AssistanceRequest.id == MatchProposal.request_id)
        .where(readable_proposals(reader))
        .order_by(MatchProposal.run_id.desc(), MatchProposal.id)
        .limit(limit)
    )
    if run_id is not None:
        query = query.where(MatchProposal.run_id == run_id)
    return [
        {
            "id": p.id,
            "run_id": p.run_id,
            "request_id": p.request_id,
            "request": title,
            "priority": priority,
            "need_by": need_by,
            "availability_id": p.availability_id,
            "member": member,
            "item": item,
            "quantity": p.quantity,
            "arrives_on": p.arrives_on,
            "explanation": p.explanation,
            "state": p.state,
            "offer_id": p.offer_id,
        }
        for p, member, item, title, priority, need_by in s.execute(query).all()
    ]


def uncovered(s: Session, run_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The needs a run left uncovered, with their cause (the secretariat's)."""
    rows = s.execute(
        select(UncoveredNeed, AssistanceRequest.title, AssistanceRequest.priority)
        .join(AssistanceRequest, AssistanceRequest.id == UncoveredNeed.request_id)
        .where(UncoveredNeed.run_id == run_id)
        .order_by(UncoveredNeed.id)
        .limit(limit)
    ).all()
    return [
        {
            "request_id": u.request_id,
            "request": title,
            "priority": priority,
            "quantity": u.quantity,
            "cause": u.cause,
        }
        for u, title, priority in rows
    ]
