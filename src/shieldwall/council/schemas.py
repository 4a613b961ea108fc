"""Shapes of the council API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shieldwall.access.model import Releasability
from shieldwall.council.model import LONGEST_CRISIS_HOURS, MeetingLevel, ProposalKind, Stance
from shieldwall.kit.dates import Instant, IsoDate
from shieldwall.kit.params import RecordIdField as RecordId
from shieldwall.kit.text import MultiLine, SingleLine

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), SingleLine
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000), MultiLine
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgendaItemIn(Strict):
    title: Title
    request_id: RecordId | None = Field(None, description="A request brought to the council")
    proposal_id: RecordId | None = Field(None, description="A proposal to be decided")


class MeetingIn(Strict):
    title: Title
    level: MeetingLevel = Field(description="The level the council meets at")
    crisis: StrictBool = Field(False, description="A crisis consultation, held within a time limit")
    reason: Reason = Field("", description="Why it is convened; required for a crisis")
    convened_by: Code | None = Field(
        None, description="The convening delegation's code; your own delegation if omitted"
    )
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=100)
    # strict: JSON's true is no number of hours (lax mode read it as 1.0)
    hold_within_hours: (
        Annotated[float, Field(strict=True, gt=0, le=LONGEST_CRISIS_HOURS)] | None
    ) = Field(
        None,
        description="A crisis consultation's time limit; the council's setting if omitted",
    )
    releasability: Releasability | None = Field(None, description="council unless widened")


class ScheduleIn(Strict):
    starts_at: Instant
    place: Title
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine] = "UTC"
    chair: Annotated[str, StringConstraints(max_length=200), SingleLine] = ""


class AttendeeIn(Strict):
    delegation: Code
    represented_by: Annotated[str, StringConstraints(max_length=200), SingleLine] = ""


class HoldIn(Strict):
    held_at: Instant | None = Field(None, description="When it was held; now if omitted")
    attendance: list[AttendeeIn] = Field(min_length=1, max_length=200)


class MinutesIn(Strict):
    minutes: Text


class ItemOutcomeIn(Strict):
    outcome: Text


class AgendaItemOut(BaseModel):
    id: int
    position: int
    title: str
    request_id: int | None
    proposal_id: int | None
    outcome: str | None


class AttendeeOut(BaseModel):
    delegation: str
    represented_by: str


class MeetingOut(BaseModel):
    id: int
    title: str
    level: str
    crisis: bool
    convened_by: str
    convened_at: dt.datetime
    reason: str
    hold_by: dt.datetime | None
    state: str
    starts_at: dt.datetime | None
    place: str
    time_zone: str
    chair: str
    held_at: dt.datetime | None
    held_in_time: bool | None
    late: bool
    flagged_late_at: dt.datetime | None
    minutes: str | None
    minutes_illustrative: bool
    closed_at: dt.datetime | None
    sources: list[str]
    illustrative: bool
    releasability: str


class MeetingDetailOut(MeetingOut):
    agenda: list[AgendaItemOut]
    attendance: list[AttendeeOut]


class ProposalIn(Strict):
    title: Title
    text: Text
    kind: ProposalKind = ProposalKind.DECISION
    tabled_by: Code | None = Field(None, description="Your own delegation if omitted")
    meeting_id: RecordId | None = Field(None, description="Put it on this meeting's agenda")
    releasability: Releasability | None = Field(None, description="council unless widened")


class PositionIn(Strict):
    stance: Stance
    reason: Reason = Field("", description="Required for an objection")


class SilenceIn(Strict):
    deadline: Instant
    text: Text | None = Field(None, description="A revised text to circulate, if any")


class ConsensusIn(Strict):
    adopted_text: Text | None = Field(None, description="The proposal's text if omitted")
    review_on: IsoDate | None = None
    meeting_id: RecordId | None = Field(None, description="The meeting where it was reached")


class WithdrawIn(Strict):
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine
    ]


class PositionOut(BaseModel):
    delegation: str
    stance: str
    reason: str
    stated_at: dt.datetime


class OutcomeOut(BaseModel):
    proposal_id: int
    adopted_text: str
    procedure: str
    meeting_id: int | None
    decided_at: dt.datetime
    review_on: dt.date | None


class OutcomeListed(OutcomeOut):
    title: str


class ProposalOut(BaseModel):
    id: int
    title: str
    text: str
    kind: str
    tabled_by: str
    tabled_at: dt.datetime
    state: str
    silence_deadline: dt.datetime | None
    state_reason: str | None
    illustrative: bool
    releasability: str


class ProposalDetailOut(ProposalOut):
    positions: list[PositionOut] = Field(description="Each delegation's current position")
    history: list[PositionOut] = Field(description="Every position stated, oldest first")
    objections: list[str] = Field(description="Delegations whose current position objects")
    awaiting: list[str] = Field(description="Seated delegations that have stated none")
    outcome: OutcomeOut | None
