"""Shapes of the obligations API."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shieldwall.access.model import Releasability
from shieldwall.kit.dates import Instant
from shieldwall.kit.text import MultiLine, SingleLine
from shieldwall.obligations.model import Standing

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8), SingleLine
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), MultiLine
]


class DeclaredKind(StrEnum):
    """The kinds of event a delegation declares (a year end is declared by the calendar)."""

    ARMED_ATTACK = "armed attack"
    THREAT_OF_ATTACK = "threat of attack"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriggerIn(Strict):
    kind: DeclaredKind
    occurred_at: Instant = Field(description="When it happened; not in the future")
    description: Description = Field(description="What happened")
    partner: Code | None = Field(
        None,
        description="The partner concerned: your own delegation, or for the chair the "
        "only partner if omitted",
    )
    exercise: StrictBool = Field(False, description="An exercise: marked as such everywhere")
    releasability: Releasability | None = Field(None, description="council unless widened")


class MetIn(Strict):
    evidence: Description = Field(description="How the obligation was met")


class DueItemOut(BaseModel):
    id: int
    member: str
    instrument_id: int
    instrument: str
    obligation_id: int
    action: str = Field(description="consult or report")
    duty: str = Field(description="What the obligation asks, in words")
    trigger: str = Field(description="What starts its clock: armed attack, year end, …")
    within_hours: int
    trigger_id: int | None = Field(
        description="The declared event that opened it; none for a year's duty, or where you "
        "may not see the event"
    )
    meeting_id: int | None = Field(
        description="The crisis consultation convened for it; none where you may not see it"
    )
    period_year: int | None = Field(description="The year a year-end item reports on")
    year: int = Field(description="The year it counts toward in compliance")
    opened_at: dt.datetime
    due_at: dt.datetime
    state: Standing
    time_left_seconds: int = Field(description="To the deadline; negative once it passed")
    met_at: dt.datetime | None
    evidence: str | None
    overdue_at: dt.datetime | None
    exercise: bool
    illustrative: bool


class Counts(BaseModel):
    open: int
    met: int
    overdue: int = Field(description="Overdue and not met")
    met_late: int


class TriggerOut(BaseModel):
    id: int
    kind: str
    partner: str
    declared_by: str
    declared_at: dt.datetime
    occurred_at: dt.datetime
    description: str
    meeting_id: int | None
    exercise: bool
    illustrative: bool
    releasability: str


class TriggerListed(TriggerOut):
    counts: Counts = Field(description="Its due items you may see, by state")


class MeetingSummary(BaseModel):
    id: int
    title: str
    state: str
    hold_by: dt.datetime | None
    starts_at: dt.datetime | None
    held_at: dt.datetime | None


class TriggerDetailOut(TriggerOut):
    due_items: list[DueItemOut] = Field(description="The obligations it opened that you may see")
    meeting: MeetingSummary | None = Field(description="The crisis consultation it convened")
