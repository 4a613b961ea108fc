"""Shapes of the clearing house's API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shieldwall.kit.amounts import Quantity
from shieldwall.kit.dates import IsoDate
from shieldwall.kit.text import MultiLine, SingleLine

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), SingleLine
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AvailabilityIn(Strict):
    member: Code = Field(description="The member's code, e.g. DEU")
    item: Code = Field(description="The catalogue item's code")
    quantity: Quantity
    available_from: IsoDate
    kind: Literal["arm", "train", "equip"] = "equip"
    training_only: StrictBool = Field(
        False, description="Serves requests in the training area only"
    )
    not_before: IsoDate | None = Field(None, description="Not to arrive before this date")
    per_request: Quantity | None = Field(None, description="At most this many to one request")
    note: Note = ""
    releasability: (
        Literal["own", "partner", "addressees", "members", "council", "public"] | None
    ) = Field(None, description="Who may see it; the secretariat only (own) by default")


class AvailabilityOut(BaseModel):
    id: int
    member: str
    item: str
    item_name: str
    kind: str
    quantity: int = Field(description="Still available (confirmed proposals took theirs)")
    declared_quantity: int
    available_from: dt.date
    training_only: bool
    not_before: dt.date | None
    per_request: int | None
    note: str
    releasability: str
    withdrawn_at: dt.datetime | None = Field(
        None, description="When it was withdrawn: no longer offered to runs"
    )
    withdrawn_reason: str | None = None
    illustrative: bool = Field(False, description="Invented for the demo")


class WithdrawIn(Strict):
    reason: Note = Field("", description="Why, said to the secretariat (optional)")


class RunIn(Strict):
    # strict: JSON's true is no number of seconds (lax mode read it as 1.0)
    time_limit_seconds: Annotated[float, Field(strict=True, ge=1, le=3600)] | None = Field(
        None, description="Seconds the solver may search; the setting if omitted"
    )


class RunOut(BaseModel):
    id: int
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    stage: str = Field(description="queued, building, solving, explaining, writing, done, failed")
    progress: int = Field(description="Percent done")
    late_rule: str
    time_limit_seconds: float
    requests: int
    lines: int
    candidates: int
    outcome: str
    message: str = Field(description="The outcome in words (e.g. nothing to match)")
    solver_status: str
    objective: float | None
    bound: float | None
    gap: float | None = Field(description="The optimality gap HiGHS reported (0.001 is 0.1%)")


class ProposalOut(BaseModel):
    id: int
    run_id: int
    request_id: int
    request: str
    priority: str
    need_by: dt.date | None
    availability_id: int
    member: str
    item: str
    quantity: int
    arrives_on: dt.date
    explanation: dict[str, Any]
    why: list[str] = Field(description="The explanation in words")
    state: str
    offer_id: int | None


class UncoveredOut(BaseModel):
    request_id: int
    request: str
    priority: str
    quantity: int
    cause: str
    why: str


class RunDetailOut(RunOut):
    proposals: list[ProposalOut]
    uncovered: list[UncoveredOut]


class DeclineIn(Strict):
    reason: Reason


class SentOut(BaseModel):
    sent: int


class ConfirmedOut(BaseModel):
    offer_id: int
