"""Which requests, offers, deliveries and ledger entries a reader may see, as SQL conditions.

Built on the releasability ladder (``access.ladder``); put inside every query (DESIGN rule 4).
Deliveries and ledger entries inherit the releasability of their offer.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from shieldwall.access.ladder import readable
from shieldwall.access.model import Actor
from shieldwall.assistance.tables import AssistanceRequest, Offer, RequestAddressee, ledger_rollup
from shieldwall.delegations.model import DelegationKind


def _named_requests(reader: Actor) -> Any:
    """Ids of the requests that name the reader's delegation as an addressee.

    Uncorrelated, so that the database hashes it once rather than probing it per row.
    """
    return select(RequestAddressee.request_id).where(
        RequestAddressee.delegation_id == reader.delegation_id
    )


def _addressed_request(reader: Actor) -> ColumnElement[bool]:
    """The reader is among the addressees of the request being read."""
    return or_(
        AssistanceRequest.to_all_members.is_(True),
        AssistanceRequest.id.in_(_named_requests(reader)),
    )


def _addressed_offer(reader: Actor) -> ColumnElement[bool]:
    """The reader is among the addressees of the request the offer answers."""
    to_all = select(AssistanceRequest.id).where(AssistanceRequest.to_all_members.is_(True))
    return or_(Offer.request_id.in_(to_all), Offer.request_id.in_(_named_requests(reader)))


def readable_requests(reader: Actor) -> ColumnElement[bool]:
    return _readable_requests(_seat(reader))


def readable_offers(reader: Actor) -> ColumnElement[bool]:
    return _readable_offers(_seat(reader))


def readable_offer_ids(reader: Actor) -> Any:
    """A subquery of the offers ``reader`` may see; entries and deliveries inherit it."""
    return _readable_offer_ids(_seat(reader))


def readable_rollups(reader: Actor) -> ColumnElement[bool]:
    """The roll-up rows ``reader`` may see: each is keyed by what decides its entries'
    visibility (their offer's level, member, partner and request), so the ladder applies to
    the roll-up's own columns exactly as ``readable_offers`` applies it to the offers."""
    return _readable_rollups(_seat(reader))


# The conditions depend only on where the reader sits (its delegation, the delegation's kind,
# whether it sees everything), and SQL expressions never change once built: each is built once
# per seat and reused, rather than rebuilt several times in every request (benchmarks/api_load.py).
Seat = tuple[int | None, DelegationKind | None, bool]


def seat(reader: Actor) -> Seat:
    """Where ``reader`` sits: all that decides what it may see (a key for statements built
    once per seat)."""
    return (reader.delegation_id, reader.delegation_kind, reader.sees_everything)


_seat = seat


def seated(seat: Seat) -> Actor:
    """An actor sitting at ``seat``: all that the ladder reads of a reader."""
    return _reader(seat)


def _reader(seat: Seat) -> Actor:
    """An actor sitting at ``seat``: all that the ladder reads of a reader."""
    delegation_id, kind, everything = seat
    return Actor("seat", delegation_id=delegation_id, delegation_kind=kind, system=everything)


@functools.lru_cache(maxsize=1024)
def _readable_requests(seat: Seat) -> ColumnElement[bool]:
    reader = _reader(seat)
    return readable(
        reader,
        level=AssistanceRequest.releasability,
        owner=AssistanceRequest.partner_id,
        partner=AssistanceRequest.partner_id,
        addressed=_addressed_request(reader),
    )


@functools.lru_cache(maxsize=1024)
def _readable_offers(seat: Seat) -> ColumnElement[bool]:
    reader = _reader(seat)
    return readable(
        reader,
        level=Offer.releasability,
        owner=Offer.member_id,
        partner=Offer.partner_id,
        addressed=_addressed_offer(reader),
    )


@functools.lru_cache(maxsize=1024)
def _readable_offer_ids(seat: Seat) -> Any:
    return select(Offer.id).where(_readable_offers(seat))


@functools.lru_cache(maxsize=1024)
def _readable_rollups(seat: Seat) -> ColumnElement[bool]:
    reader = _reader(seat)
    r = ledger_rollup.c
    to_all = select(AssistanceRequest.id).where(AssistanceRequest.to_all_members.is_(True))
    return readable(
        reader,
        level=r.releasability,
        owner=r.member_id,
        partner=r.partner_id,
        addressed=or_(r.request_id.in_(to_all), r.request_id.in_(_named_requests(reader))),
    )
