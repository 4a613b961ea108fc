"""Instruments and their obligations for the obligations' tests, written straight into the
tables: the guarantees feature's service (which creates them, audited, with its own rules) is
built beside this one. When it lands, these helpers are the one place to swap for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees.tables import Instrument, InstrumentAmount, InstrumentOffer, Obligation
from shieldwall.kit.uow import Platform

# An obligation as a text states it: (trigger, action, within hours).
Clause = tuple[str, str, int]
CONSULT_24H: Clause = ("armed attack", "consult", 24)


def _delegation_id(platform: Platform, code: str) -> int:
    with platform.reading() as s:
        found = s.scalar(select(Delegation.id).where(Delegation.code == code))
    assert found is not None, code
    return found


def instrument_with_obligation(
    platform: Platform,
    member: str,
    *,
    title: str | None = None,
    partner: str = "UKR",
    valid_from: dt.date = dt.date(2024, 1, 12),
    valid_until: dt.date | None = dt.date(2034, 1, 12),
    notice_given_on: dt.date | None = None,
    notice_months: int | None = 6,
    clauses: Sequence[Clause] = (CONSULT_24H,),
    releasability: str = "council",
) -> tuple[int, list[int]]:
    """A member's instrument with the partner and its obligations; (instrument, obligations)."""
    member_id, partner_id = _delegation_id(platform, member), _delegation_id(platform, partner)
    with platform.unit_of_work() as uow:
        instrument = Instrument(
            member_id=member_id,
            partner_id=partner_id,
            title=title or f"Agreement on security cooperation between {partner} and {member}",
            signed_on=valid_from,
            valid_from=valid_from,
            valid_until=valid_until,
            termination_notice_months=notice_months,
            notice_given_on=notice_given_on,
            releasability=releasability,
            created_at=uow.clock.now(),
        )
        uow.session.add(instrument)
        uow.session.flush()
        obligations = [
            Obligation(
                instrument_id=instrument.id, trigger=trigger, action=action, within_hours=hours
            )
            for trigger, action, hours in clauses
        ]
        uow.session.add_all(obligations)
        uow.session.flush()
        return instrument.id, [o.id for o in obligations]


def promise(
    platform: Platform,
    instrument_id: int,
    year: int,
    *,
    amount_minor: int,
    currency: str,
    eur_cents: int,
    category: str = "not broken down",
) -> None:
    """What the instrument promises for a year in one category (original currency, EUR)."""
    with platform.unit_of_work() as uow:
        uow.session.add(
            InstrumentAmount(
                instrument_id=instrument_id,
                year=year,
                category=category,
                amount_minor=amount_minor,
                currency=currency,
                eur_cents=eur_cents,
            )
        )


def link_offer(platform: Platform, offer_id: int, instrument_id: int, year: int | None) -> None:
    """The offer's ledger entries count toward the instrument (and year)."""
    with platform.unit_of_work() as uow:
        uow.session.add(
            InstrumentOffer(
                offer_id=offer_id,
                instrument_id=instrument_id,
                year=year,
                linked_at=uow.clock.now(),
            )
        )
