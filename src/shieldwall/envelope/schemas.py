"""Shapes of the envelope API. Readiness is a number from 0 to 1 (0.4 is 40%)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shieldwall.envelope.model import LONGEST_WINDOW_MONTHS, ComponentKind
from shieldwall.kit.amounts import Quantity
from shieldwall.kit.dates import IsoDate
from shieldwall.kit.params import RecordIdField as RecordId
from shieldwall.kit.text import MultiLine, SingleLine

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), SingleLine
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000), MultiLine]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine
]
Window = Annotated[int, Field(strict=True, ge=1, le=LONGEST_WINDOW_MONTHS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentIn(Strict):
    item: Code = Field(description="The catalogue item's code")
    kind: ComponentKind
    quantity_per_unit: Quantity = Field(description="What one unit of the package needs")
    per_month: StrictBool = Field(False, description="Needed every month (used up: interceptors)")


class PackageIn(Strict):
    code: Code = Field(description="lower-case letters, digits and hyphens: patriot-battery")
    name: Title
    area: Code = Field(description="The capability area's code")
    description: Text = ""
    units_needed: Quantity = Field(description="How many units of it the partner needs")
    sustain_window_months: Window = Field(
        3, description="A per-month component counts what was delivered in this many months"
    )
    sources: Text = ""
    illustrative: StrictBool = False
    components: list[ComponentIn] = Field(min_length=1, max_length=100)


class PackagePatch(Strict):
    name: Title | None = None
    description: Text | None = None
    units_needed: Quantity | None = None
    sustain_window_months: Window | None = None
    sources: Text | None = None
    components: list[ComponentIn] | None = Field(
        None, min_length=1, max_length=100, description="Replaces every component"
    )


class TrancheIn(Strict):
    offer_id: RecordId
    quantity: Quantity
    expected_on: IsoDate
    note: Note = ""


class TranchePatch(Strict):
    expected_on: IsoDate | None = Field(None, description="The new date (a slip)")
    quantity: Quantity | None = None
    reason: Reason = Field(description="Why the plan changes")


class LimitingOut(BaseModel):
    item: str
    item_name: str
    kind: str
    covered: int
    need: int
    per_month: bool
    words: str


class CoverOut(BaseModel):
    item: str
    item_name: str
    unit: str
    kind: str
    quantity_per_unit: int
    per_month: bool
    need: int
    covered: int
    coverage: float
    units: int


class OutstandingOut(BaseModel):
    tranche_id: int | None = Field(description="None: committed, with no tranche planned")
    offer_id: int
    member: str
    item: str
    item_name: str
    unit: str
    quantity: int
    words: str = Field(description='The quantity in words: "PAC-3 MSE interceptor, 36 missiles"')
    expected_on: dt.date | None
    overdue: bool
    time_left: str | None = Field(
        None, description='"due in 5 days", "due today", "overdue by 2 days", in words'
    )


class PackageOut(BaseModel):
    id: int
    code: str
    name: str
    area: str
    area_name: str
    description: str
    sources: str
    illustrative: bool
    units_needed: int
    sustain_window_months: int
    readiness: float
    units_ready: int
    limiting: LimitingOut | None
    components: list[CoverOut]


class PackageDetailOut(PackageOut):
    tranches: list[OutstandingOut]
    unplanned: list[OutstandingOut]


class PointOut(BaseModel):
    on: dt.date
    readiness: float
    projected: bool


class AreaOut(BaseModel):
    area: str
    name: str
    readiness: float
    packages: int
    series: list[PointOut]


class WhatIfPointOut(BaseModel):
    on: dt.date
    before: float
    after: float


class WhatIfAreaOut(BaseModel):
    area: str
    name: str
    before: float
    after: float
    series: list[WhatIfPointOut]


class WhatIfPackageOut(BaseModel):
    id: int
    code: str
    name: str
    before: float
    after: float
    limiting_before: LimitingOut | None
    limiting_after: LimitingOut | None


class WhatIfOut(BaseModel):
    tranche: OutstandingOut
    months: int
    expected_on_before: dt.date
    expected_on_after: dt.date | None
    on: dt.date
    areas: list[WhatIfAreaOut]
    packages: list[WhatIfPackageOut]


class EnvelopeOut(BaseModel):
    as_of: dt.date
    today: dt.date
    projected: bool = Field(description="as_of is after today: figures are projected")
    months_ahead: int
    areas: list[AreaOut]
    packages: list[PackageOut]
    tranches: list[OutstandingOut]
    what_if: WhatIfOut | None


class ChangeOut(BaseModel):
    area: str
    name: str
    before: float
    after: float


class PackageChangeOut(BaseModel):
    id: int
    code: str
    name: str
    before: float
    after: float


class BestDeliveryOut(OutstandingOut):
    planned: bool
    gain: float = Field(description="The envelope's gain: the sum of the areas' gains")
    areas: list[ChangeOut]
    packages: list[PackageChangeOut]


class TrancheOut(BaseModel):
    id: int
    offer_id: int
    member: str
    item: str
    item_name: str
    unit: str
    quantity: int
    outstanding: int
    expected_on: dt.date
    overdue: bool
    time_left: str | None = Field(
        None, description='"due in 5 days", "overdue by 2 days", in words; none once delivered'
    )
    note: str
    recorded_at: dt.datetime
