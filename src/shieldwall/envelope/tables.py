"""The deterrent envelope: capability packages (what one unit of a capability needs) and the
members' planned delivery schedules, from which readiness is derived and projected."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime


class CapabilityPackage(Base):
    """A capability as a unit the partner can field (a Patriot battery, an F-16 squadron),
    and how many units of it the partner needs."""

    __tablename__ = "capability_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    units_needed: Mapped[int] = mapped_column(BigInteger)
    # A per-month component counts what was delivered in this many months before the date.
    sustain_window_months: Mapped[int] = mapped_column(BigInteger, default=3)
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PackageComponent(Base):
    """What one unit of the package needs of one catalogue item: kind arm, train, equip or
    sustain; ``per_month`` for what is used up (interceptors per month)."""

    __tablename__ = "package_component"
    __table_args__ = (UniqueConstraint("package_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("capability_package.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("capability_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity_per_unit: Mapped[int] = mapped_column(BigInteger)
    per_month: Mapped[bool] = mapped_column(Boolean, default=False)


class PlannedDelivery(Base):
    """A tranche of a committed offer the member expects to deliver on ``expected_on``. A plan,
    not a fact: re-planning (a slip) changes it, audited; delivered quantities come from the
    ledger and use up the earliest tranches first."""

    __tablename__ = "planned_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    expected_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
