"""Security guarantees: a member's (or a contributor's) instrument with the partner, its yearly
amounts by category (original currency and EUR at a dated rate), its obligations (trigger →
action → deadline), which offers fulfil it, and the partner's membership pathway."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime


class ExchangeRate(Base):
    """A dated reference rate: ``units_per_eur`` units of ``currency`` buy one euro."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "rate_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate_on: Mapped[dt.date] = mapped_column(Date)
    units_per_eur: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    source: Mapped[str] = mapped_column(Text)


class Instrument(Base):
    """A security commitment by a member (or a contributor such as the EU) to the partner.

    It runs from ``valid_from`` to ``valid_until`` (or, with ``until_accession``, until the
    partner joins the alliance); a termination notice given on ``notice_given_on`` ends it
    ``termination_notice_months`` later, never sooner.
    """

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    duration_years: Mapped[int | None] = mapped_column(BigInteger)
    until_accession: Mapped[bool] = mapped_column(Boolean, default=False)
    termination_notice_months: Mapped[int | None] = mapped_column(BigInteger)
    notice_given_on: Mapped[dt.date | None] = mapped_column(Date)
    notice_given_by_id: Mapped[int | None] = mapped_column(ForeignKey("delegation.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="council")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class InstrumentAmount(Base):
    """What the instrument promises for one year in one category, as the text states it
    (original currency, in hundredths) and in EUR cents at the dated rate ``rate_id``."""

    __tablename__ = "instrument_amount"
    __table_args__ = (UniqueConstraint("instrument_id", "year", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    year: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    eur_cents: Mapped[int] = mapped_column(BigInteger)
    rate_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_rate.id"))
    basis: Mapped[str] = mapped_column(String(200), default="")  # "military (at least)"
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class Obligation(Base):
    """A clause with a clock: when ``trigger`` happens, the member must ``action`` within
    ``within_hours`` (armed attack → consult within 24 h; year end → report)."""

    __tablename__ = "obligation"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    within_hours: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class InstrumentOffer(Base):
    """The instrument an offer fulfils, and the year: the offer's ledger entries count toward
    it (``year`` None: each entry toward the year it occurred in). The ledger itself is never
    touched; moving the link is audited."""

    __tablename__ = "instrument_offer"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    year: Mapped[int | None] = mapped_column(BigInteger)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PathwayStep(Base):
    """A milestone or condition on the partner's pathway to membership, with its status and
    evidence; the invitation question is a council proposal linked here."""

    __tablename__ = "pathway_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # milestone | condition
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # not started | in progress | met
    evidence: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="council")
