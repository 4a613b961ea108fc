"""The clearing house: what members could give (availability), matching runs, the proposals
a run makes and the needs it leaves uncovered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime


class Availability(Base):
    """A line a member could give, declared without offering it: releasable to the secretariat
    only by default (``own``: the member and the secretariat). ``quantity`` is what is still
    available: confirming a proposal turns part of it into an offer and takes it off."""

    __tablename__ = "availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("capability_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(BigInteger)
    declared_quantity: Mapped[int] = mapped_column(BigInteger)
    available_from: Mapped[dt.date] = mapped_column(Date)
    # The member's conditions, as data the solver reads.
    training_only: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[dt.date | None] = mapped_column(Date)
    per_request: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    releasability: Mapped[str] = mapped_column(String(16), default="own")
    # Invented for the demo, and marked so wherever it is shown.
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Withdrawn by its member (or the secretariat): no longer offered to runs.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class MatchingRun(Base):
    """One run of the clearing house: its settings, its progress through the stages, and
    what the solver reported."""

    __tablename__ = "matching_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(16))
    late_rule: Mapped[str] = mapped_column(String(16))
    time_limit_seconds: Mapped[float] = mapped_column(Float)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    candidates: Mapped[int] = mapped_column(BigInteger, default=0)
    # A run with nothing to match, or whose solver failed, says why here (a message code).
    outcome: Mapped[str] = mapped_column(String(32), default="")
    solver_status: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    coverage_points: Mapped[int] = mapped_column(BigInteger, default=0)


class MatchProposal(Base):
    """Units of one availability line proposed for one request, with why (``explanation``:
    how the items are compatible, when it arrives, what limited it)."""

    __tablename__ = "match_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_run.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_request.id"), index=True)
    availability_id: Mapped[int] = mapped_column(ForeignKey("availability.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    arrives_on: Mapped[dt.date] = mapped_column(Date)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class UncoveredNeed(Base):
    """What a run could not cover of a request, and why."""

    __tablename__ = "uncovered_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_run.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_request.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(32))
