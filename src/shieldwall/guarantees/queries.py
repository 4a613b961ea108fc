"""Reads of security guarantees, each inside the reader's releasability (DESIGN rule 4)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, extract, func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance.model import Measure
from shieldwall.assistance.queries import measure_sums, measure_totals
from shieldwall.assistance.tables import LedgerEntry
from shieldwall.assistance.visibility import readable_offer_ids
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees import model
from shieldwall.guarantees.tables import Instrument, InstrumentAmount, InstrumentOffer
from shieldwall.guarantees.visibility import readable_instruments


@dataclass
class Fulfilment:
    """One instrument's year: what it promised (in EUR, and per original currency) and what the
    ledger shows committed and delivered toward it."""

    instrument_id: int
    member: str
    year: int
    promised_eur_cents: int = 0
    promised_by_currency: dict[str, int] = field(default_factory=dict)  # hundredths
    committed_eur_cents: int = 0
    delivered_eur_cents: int = 0

    @property
    def percent_fulfilled(self) -> float | None:
        return model.percent_fulfilled(self.delivered_eur_cents, self.promised_eur_cents)


def _entry_year() -> ColumnElement[int]:
    """The year a ledger entry counts toward: the link's, else the year it occurred in."""
    return func.coalesce(InstrumentOffer.year, extract("year", LedgerEntry.occurred_on))


def fulfilment(
    session: Session,
    reader: Actor,
    *,
    instrument_id: int | None = None,
    member_id: int | None = None,
) -> list[Fulfilment]:
    """Per readable instrument and year: promised, committed and delivered (EUR cents), from
    the instrument's amounts and the ledger entries of the (readable) offers linked to it."""
    where = [readable_instruments(reader)]
    if instrument_id is not None:
        where.append(Instrument.id == instrument_id)
    if member_id is not None:
        where.append(Instrument.member_id == member_id)
    rows: dict[tuple[int, int], Fulfilment] = {}
    code = {
        i: c
        for i, c in session.execute(
            select(Instrument.id, Delegation.code)
            .join(Delegation, Delegation.id == Instrument.member_id)
            .where(*where)
        )
    }

    def row(i: int, year: int) -> Fulfilment:
        return rows.setdefault((i, year), Fulfilment(i, code[i], year))

    by_currency: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    promised = session.execute(
        select(
            InstrumentAmount.instrument_id,
            InstrumentAmount.year,
            InstrumentAmount.currency,
            func.sum(InstrumentAmount.amount_minor),
            func.sum(InstrumentAmount.eur_cents),
        )
        .join(Instrument, Instrument.id == InstrumentAmount.instrument_id)
        .where(*where)
        .group_by(InstrumentAmount.instrument_id, InstrumentAmount.year, InstrumentAmount.currency)
    )
    for i, year, currency, minor, cents in promised:
        r = row(i, int(year))
        r.promised_eur_cents += int(cents)
        by_currency[(i, int(year))][currency] = int(minor)
    for key, currencies in by_currency.items():
        rows[key].promised_by_currency = currencies
    entry_year = _entry_year().label("year")
    columns: list[Any] = [
        InstrumentOffer.instrument_id,
        entry_year,
        *measure_sums(session.get_bind().dialect.name),
    ]
    ledger = session.execute(
        select(*columns)
        .join(LedgerEntry, LedgerEntry.offer_id == InstrumentOffer.offer_id)
        .join(Instrument, Instrument.id == InstrumentOffer.instrument_id)
        .where(*where, LedgerEntry.offer_id.in_(readable_offer_ids(reader)))
        .group_by(InstrumentOffer.instrument_id, entry_year)
    )
    for entry in ledger:
        totals = measure_totals(entry._mapping)
        f = row(entry.instrument_id, int(entry.year))
        f.committed_eur_cents = totals[Measure.COMMITTED.value].value_cents
        f.delivered_eur_cents = totals[Measure.DELIVERED.value].value_cents
    return sorted(rows.values(), key=lambda f: (f.member, f.instrument_id, f.year))
