"""Releasability as SQL: reads are filtered inside the query, never after loading (rule 4).

Mirrors ``model.may_see``; tests hold the two to the same answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from shieldwall.access.model import Actor, Releasability
from shieldwall.assistance.tables import AssistanceRequest, Offer, RequestAddressee


def _at_least(column: Any, level: Releasability) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.in_(
        [lvl.value for lvl in Releasability if lvl.rank >= level.rank]
    )
    return result


def _ladder(
    reader: Actor, level: Any, owner: Any, partner: Any, addressed: ColumnElement[bool]
) -> ColumnElement[bool]:
    if reader.sees_everything:
        return true()
    public: ColumnElement[bool] = level == Releasability.PUBLIC.value
    d = reader.delegation_id
    if d is None:
        return public
    clauses = [
        public,
        owner == d,
        and_(partner == d, _at_least(level, Releasability.PARTNER)),
        and_(addressed, _at_least(level, Releasability.ADDRESSEES)),
        _at_least(level, Releasability.COUNCIL),
    ]
    if reader.delegation_kind == "member":
        clauses.append(_at_least(level, Releasability.MEMBERS))
    return or_(*clauses)


def _named_requests(reader: Actor) -> Any:
    """Ids of the requests that name the reader's delegation as an addressee.

    Uncorrelated, so that the database hashes it once rather than probing it per row.
    """
    return select(RequestAddressee.request_id).where(
        RequestAddressee.delegation_id == reader.delegation_id
    )


def _addressed_request(reader: Actor) -> ColumnElement[bool]:
    """The reader is among the addressees of the request being read."""
    if reader.delegation_id is None or reader.delegation_kind != "member":
        return false()
    return or_(
        AssistanceRequest.to_all_members.is_(True),
        AssistanceRequest.id.in_(_named_requests(reader)),
    )


def _addressed_offer(reader: Actor) -> ColumnElement[bool]:
    """The reader is among the addressees of the request the offer answers."""
    if reader.delegation_id is None or reader.delegation_kind != "member":
        return false()
    to_all = select(AssistanceRequest.id).where(AssistanceRequest.to_all_members.is_(True))
    return or_(Offer.request_id.in_(to_all), Offer.request_id.in_(_named_requests(reader)))


def visible_requests(reader: Actor) -> ColumnElement[bool]:
    return _ladder(
        reader,
        AssistanceRequest.releasability,
        AssistanceRequest.partner_id,
        AssistanceRequest.partner_id,
        _addressed_request(reader),
    )


def visible_offers(reader: Actor) -> ColumnElement[bool]:
    return _ladder(
        reader,
        Offer.releasability,
        Offer.member_id,
        Offer.partner_id,
        _addressed_offer(reader),
    )


def visible_offer_ids(reader: Actor) -> Any:
    """A subquery of the offers ``reader`` may see; entries and deliveries inherit it."""
    return select(Offer.id).where(visible_offers(reader))
