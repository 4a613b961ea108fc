"""The council's records: meetings and their agendas, attendance and minutes; proposals, the
positions taken on them (append-only: a new position supersedes, nothing is edited) and their
outcomes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base, UTCDateTime


class Meeting(Base):
    """A meeting of the council, convened by a delegation and scheduled by the chair.

    A crisis consultation carries the instant it must be held by (``hold_by``), fixed when it
    is convened; the scheduler flags it (``flagged_late_at``) once that instant passes unheld.
    """

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_state_hold_by", "state", "hold_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(40))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    convened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    hold_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # requested | scheduled | held | closed
    state: Mapped[str] = mapped_column(String(16), default="requested")
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    chair: Mapped[str] = mapped_column(String(200), default="")
    held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    minutes: Mapped[str | None] = mapped_column(Text)
    # Minutes written for the demo rather than taken from a source are marked as such.
    minutes_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    flagged_late_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sources: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="council")


class AgendaItem(Base):
    """One item of a meeting's agenda; it may bring a request or a proposal before the council.
    Closing the meeting needs an outcome for each."""

    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("assistance_request.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    """Who represented a delegation at a held meeting."""

    __tablename__ = "attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), primary_key=True)
    represented_by: Mapped[str] = mapped_column(String(200), default="")


class Proposal(Base):
    """A draft decision or statement, decided in a meeting or under the silence procedure."""

    __tablename__ = "proposal"
    __table_args__ = (Index("ix_proposal_state_deadline", "state", "silence_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # decision | statement
    tabled_by_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"), index=True)
    tabled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # in discussion | under silence | adopted | withdrawn
    state: Mapped[str] = mapped_column(String(16))
    silence_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    state_reason: Mapped[str | None] = mapped_column(Text)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    releasability: Mapped[str] = mapped_column(String(16), default="council")


class Position(Base):
    """A delegation's stance on a proposal. Append-only: the latest one counts, the earlier
    ones are its history. ``under_silence`` marks an objection that broke silence."""

    __tablename__ = "position"
    __table_args__ = (Index("ix_position_proposal_delegation", "proposal_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id"))
    stance: Mapped[str] = mapped_column(String(16))  # support | abstain | object
    reason: Mapped[str] = mapped_column(Text, default="")
    stated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stated_by: Mapped[str] = mapped_column(String(80))
    under_silence: Mapped[bool] = mapped_column(Boolean, default=False)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class Outcome(Base):
    """What the council decided on a proposal: the adopted text, how, and when to review it."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    adopted_text: Mapped[str] = mapped_column(Text)
    # in a meeting (the chair recorded consensus) | silence (no objection by the deadline)
    procedure: Mapped[str] = mapped_column(String(16))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
