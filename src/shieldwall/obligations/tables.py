"""Obligation clocks: a trigger declared by the partner or the chair, and the due items it
opens, one per matching obligation, each met or overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime


class TriggerEvent(Base):
    """An event declared by the partner (or the chair) that starts obligations' clocks; the
    crisis consultation it convened is ``meeting_id``."""

    __tablename__ = "trigger_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="council")


class DueItem(Base):
    """One obligation's clock for one trigger (or one year): open until met, or overdue once
    ``due_at`` passes unmet."""

    __tablename__ = "due_item"
    __table_args__ = (
        UniqueConstraint("obligation_id", "trigger_event_id", name="uq_due_item_trigger"),
        UniqueConstraint("obligation_id", "period_year", name="uq_due_item_year"),
        Index("ix_due_item_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligation.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    trigger_event_id: Mapped[int | None] = mapped_column(ForeignKey("trigger_event.id"), index=True)
    period_year: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | met | overdue
    met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[str | None] = mapped_column(Text)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
