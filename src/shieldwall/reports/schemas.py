"""Shapes of the reports' API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from shieldwall.guarantees.schemas import PromisedOut


class InboxLineOut(BaseModel):
    """One line of "Needs you now": something that waits for the reader's delegation."""

    kind: str = Field(description="What waits, e.g. 'offer awaiting your answer'")
    title: str = Field(description="The record in words: member, item and quantity")
    action: str = Field(
        description="What to do, e.g. 'accept or decline'; for a reader who may only read, "
        "whose delegation is to do it, marked '(you have read-only access)'"
    )
    link: str = Field(description="The page where it is done")
    record_type: str = Field(description="request, offer, delivery, …")
    record_id: int
    due_at: dt.datetime | None = Field(None, description="The deadline (UTC), if there is one")
    since: dt.datetime | None = Field(None, description="Since when it has waited (UTC)")
    time_left_seconds: int | None = Field(
        None, description="Seconds to the deadline, rounded down; negative once overdue"
    )
    overdue: bool = Field(description="The deadline has passed")


class _Compliance(BaseModel):
    member: str
    promised_eur: float
    promised: list[PromisedOut] = Field(description="What the texts state, per currency")
    committed_eur: float
    delivered_eur: float
    percent_fulfilled: float | None = Field(
        description="Delivered as a share of the promise, in percent; none without a promise"
    )
    met: int = Field(description="Obligations met in time")
    overdue: int = Field(description="Obligations whose deadline passed unmet (met late too)")
    met_late: int = Field(description="Of the overdue, those met late since")
    open: int = Field(description="Obligations still open, their deadline ahead")


class ComplianceRowOut(_Compliance):
    """One instrument's year: what it promised, what was committed and delivered toward it,
    how its obligations stand."""

    instrument_id: int
    instrument: str
    year: int


class ComplianceMemberOut(_Compliance):
    """One member over all its instruments you may see."""

    instruments: int = Field(description="How many of its instruments you may see")
