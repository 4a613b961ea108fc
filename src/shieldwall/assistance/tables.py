from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime

# Money is stored in euro cents as integers: sums are exact on every database.


class CapabilityArea(Base):
    __tablename__ = "capability_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


class CapabilityItem(Base):
    __tablename__ = "capability_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id"), index=True)
    unit: Mapped[str] = mapped_column(String(40))
    # None: no reference price (Kiel values a donor's category, not a weapon); an offer or
    # request of the item then states its value.
    reference_unit_value_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class AssistanceRequest(Base):
    """The partner's request for assistance, to all members or to named members."""

    __tablename__ = "assistance_request"
    __table_args__ = (Index("ix_assistance_request_external_key", "external_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("capability_item.id"))
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    value_cents: Mapped[int] = mapped_column(BigInteger)
    priority: Mapped[str] = mapped_column(String(16))
    need_by: Mapped[dt.date | None] = mapped_column(Date)
    justification: Mapped[str] = mapped_column(Text)
    to_all_members: Mapped[bool] = mapped_column(Boolean)
    # active | withdrawn | closed; open / partially covered / covered is derived from coverage.
    state: Mapped[str] = mapped_column(String(16), default="active")
    state_reason: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="addressees")
    # The key the record has in the file it was imported from (``importers``): importing the
    # same file again finds it instead of creating it twice.
    external_key: Mapped[str | None] = mapped_column(String(160))


class RequestAddressee(Base):
    __tablename__ = "request_addressee"

    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_request.id"), primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), primary_key=True)


class Offer(Base):
    """A member's offer to arm, train, equip or finance the partner, tracked to delivery."""

    __tablename__ = "offer"
    __table_args__ = (Index("ix_offer_external_key", "external_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("assistance_request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("capability_item.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(BigInteger)
    value_cents: Mapped[int] = mapped_column(BigInteger)
    conditions: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str | None] = mapped_column(Text)
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(80), default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="partner")
    external_key: Mapped[str | None] = mapped_column(String(160))
    # An amount first stated in another currency (UN OCHA FTS), kept as its source gave it:
    # the original amount in its currency's cents, and its value in US dollar cents.
    original_currency: Mapped[str | None] = mapped_column(String(3))
    original_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    amount_usd_cents: Mapped[int | None] = mapped_column(BigInteger)


class Delivery(Base):
    """A partial delivery recorded by the member and confirmed (or rejected) by the partner."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_external_key", "external_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    delivered_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # recorded | confirmed | rejected
    state_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    external_key: Mapped[str | None] = mapped_column(String(160))


class LedgerEntry(Base):
    """One immutable, dated fact about quantities and value. Never updated, never deleted.

    ``measure`` is the balance the entry moves (offered, committed or delivered); quantity and
    value are signed deltas. The dimensions of the offer are copied onto the entry so that the
    consolidated views aggregate one table.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_member_kind", "member_id", "kind"),
        Index("ix_ledger_entry_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # 64-bit, as every id (kit.db.ID)
    entry_type: Mapped[str] = mapped_column(String(16))
    measure: Mapped[str] = mapped_column(String(16))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("assistance_request.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"))
    kind: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("capability_item.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    value_cents: Mapped[int] = mapped_column(BigInteger)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[str] = mapped_column(String(7))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    # Provenance of an imported entry: the file (and its release) and the line it came from.
    imported_file_id: Mapped[int | None] = mapped_column(ForeignKey("imported_file.id"))
    source_line: Mapped[int | None] = mapped_column(BigInteger)


class ImportedFile(Base):
    """A file whose rows were written to the ledger: where they came from, once per import
    that changed something (an import that changes nothing leaves no row)."""

    __tablename__ = "imported_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # kiel | fts | table
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    release: Mapped[str | None] = mapped_column(String(120))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(120))
    rows_read: Mapped[int] = mapped_column(BigInteger)
    rows_applied: Mapped[int] = mapped_column(BigInteger)
    rows_rejected: Mapped[int] = mapped_column(BigInteger)


# ---- maintained balances (derived from the ledger; `shieldwall ledger rebuild` recomputes) ----

MEASURE_NAMES = ("offered", "committed", "delivered")


def _measure_columns() -> list[Column[Any]]:
    """Per measure, the sum of quantities and of cents, the cents as two halves
    (``kit.amounts.cents_sums``) so that summing any number of rows cannot overflow 64 bits on
    either database."""
    parts = ("quantity", "cents_hi", "cents_lo")
    return [
        Column(f"{m}_{p}", BigInteger, nullable=False, server_default="0")
        for m in MEASURE_NAMES
        for p in parts
    ]


# The ledger summed by every key the summaries group or filter by, and by the keys that decide
# who may read it (member, partner, request, the offer's releasability), at three grains: every
# key (``grain`` 0), without the item (1), without the item and the month (2). ``item_id`` and
# ``request_id`` 0 and ``month`` '' stand for none, so that the primary key holds every row.
ledger_rollup = Table(
    "ledger_rollup",
    Base.metadata,
    Column("grain", SmallInteger, primary_key=True),
    Column("member_id", BigInteger, primary_key=True),
    Column("partner_id", BigInteger, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("area_id", BigInteger, primary_key=True),
    Column("item_id", BigInteger, primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("request_id", BigInteger, primary_key=True),
    Column("releasability", String(16), primary_key=True),
    *_measure_columns(),
)

# Each offer's balances (the same halves: the rules keep an offer within one record's maxima,
# but an offer's balances are read exactly even past them, as its entries would give them).
offer_balance = Table(
    "offer_balance",
    Base.metadata,
    Column("offer_id", ForeignKey("offer.id"), primary_key=True, autoincrement=False),
    *_measure_columns(),
)
