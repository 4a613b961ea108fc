"""Shapes of the guarantees API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, WithJsonSchema

from shieldwall.access.model import Releasability
from shieldwall.guarantees.model import (
    LAST_YEAR,
    MAX_AMOUNT_MINOR,
    MAX_DURATION_YEARS,
    MAX_NOTICE_MONTHS,
    MAX_UNITS_PER_EUR,
    MAX_WITHIN_HOURS,
    Category,
    ObligationAction,
    StepKind,
    StepStatus,
    Trigger,
)
from shieldwall.kit.amounts import NotBool
from shieldwall.kit.dates import IsoDate
from shieldwall.kit.params import RecordIdField as RecordId
from shieldwall.kit.text import MultiLine, SingleLine

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), SingleLine
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), SingleLine
]
Line = Annotated[str, StringConstraints(max_length=200), SingleLine]
Text = Annotated[str, StringConstraints(max_length=5000), MultiLine]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), SingleLine
]
Sources = Annotated[list[Source], Field(max_length=50, description="Addresses of the sources")]
Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=3),
    SingleLine,
    Field(description="ISO 4217 code, like GBP"),
]
Year = Annotated[int, Field(strict=True, ge=1900, le=LAST_YEAR)]
Amount = Annotated[
    Decimal,
    NotBool,
    Field(gt=0, le=Decimal(MAX_AMOUNT_MINOR) / 100, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_AMOUNT_MINOR / 100},
                {"type": "string"},
            ],
            "description": "The amount in its original currency, at most two decimals, as a "
            'number or a string like "2500000000"',
        }
    ),
]
Rate = Annotated[
    Decimal,
    NotBool,
    Field(gt=0, lt=MAX_UNITS_PER_EUR, decimal_places=6),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "exclusiveMaximum": float(MAX_UNITS_PER_EUR),
                },
                {"type": "string"},
            ],
            "description": "Units of the currency to one euro, at most six decimals, as a "
            'number or a string like "0.8563"',
        }
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- in --------------------------------------------------------------------------------------


class InstrumentIn(Strict):
    member: Code = Field(description="The signatory: a member's or a contributor's code")
    partner: Code | None = Field(None, description="The partner; the council's only one if omitted")
    title: Title
    signed_on: IsoDate
    place: Line = ""
    valid_from: IsoDate | None = Field(None, description="The signing day if omitted")
    valid_until: IsoDate | None = Field(None, description="Its first day out of force")
    duration_years: int | None = Field(
        None, strict=True, ge=1, le=MAX_DURATION_YEARS, description="Its term from valid_from"
    )
    until_accession: StrictBool = Field(False, description="It ends when the partner joins")
    termination_notice_months: int | None = Field(None, strict=True, ge=0, le=MAX_NOTICE_MONTHS)
    notes: Text = ""
    sources: Sources = Field(default_factory=list)
    illustrative: StrictBool = False
    releasability: Releasability | None = Field(
        None, description="council if omitted; partner or wider"
    )


class AmountIn(Strict):
    year: Year
    category: Category
    amount: Amount
    currency: Currency = "EUR"
    rate_on: IsoDate | None = Field(
        None, description="The date of the recorded rate to convert at; required unless EUR"
    )
    basis: Line = Field("", description="What the amount covers, as the source says")
    sources: Sources = Field(default_factory=list)
    illustrative: StrictBool = False


class ObligationIn(Strict):
    trigger: Trigger
    action: ObligationAction
    within_hours: int = Field(strict=True, ge=1, le=MAX_WITHIN_HOURS)
    description: Text = ""
    sources: Sources = Field(default_factory=list)
    illustrative: StrictBool = False


class NoticeIn(Strict):
    given_on: IsoDate
    by: Code | None = Field(
        None, description="The party giving notice; your own delegation if omitted"
    )


class OfferLinkIn(Strict):
    instrument_id: RecordId
    year: Year | None = Field(
        None, description="The year its entries count toward; each entry's own if omitted"
    )


class RateIn(Strict):
    currency: Currency
    rate_on: IsoDate
    units_per_eur: Rate
    source: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), SingleLine
    ]


class StepIn(Strict):
    kind: StepKind
    title: Title
    partner: Code | None = None
    description: Text = ""
    status: StepStatus = StepStatus.NOT_STARTED
    due_on: IsoDate | None = None
    sources: Sources = Field(default_factory=list)
    illustrative: StrictBool = False
    releasability: Releasability | None = Field(
        None, description="council if omitted; partner or wider"
    )


class StepPatch(Strict):
    status: StepStatus | None = Field(None, description="The secretariat sets the status")
    evidence: Text | None = Field(None, description="Added, dated and signed; never replaced")


class QuestionIn(Strict):
    step_id: RecordId
    title: Title = "Invitation to join the alliance"
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000), MultiLine
    ]
    tabled_by: Code | None = Field(None, description="Your own delegation if omitted")
    meeting_id: RecordId | None = Field(None, description="Put it on this meeting's agenda")


# ---- out -------------------------------------------------------------------------------------


class RateOut(BaseModel):
    id: int
    currency: str
    rate_on: dt.date
    units_per_eur: float
    source: str


class InstrumentOut(BaseModel):
    id: int
    member: str
    member_name: str
    partner: str
    title: str
    signed_on: dt.date
    place: str
    valid_from: dt.date
    valid_until: dt.date | None
    duration_years: int | None
    until_accession: bool
    termination_notice_months: int | None
    notice_given_on: dt.date | None
    notice_given_by: str | None
    notice_takes_effect: dt.date | None
    ends_on: dt.date | None = Field(description="Its first day out of force; none if open")
    in_force: bool = Field(description="Whether it binds today")
    notes: str
    sources: list[str]
    illustrative: bool
    releasability: str


class AmountOut(BaseModel):
    id: int
    year: int
    category: str
    amount: float = Field(description="In the original currency")
    currency: str
    eur: float
    rate: RateOut | None = Field(description="The rate it was converted at; none for EUR")
    basis: str
    sources: list[str]
    illustrative: bool


class ObligationOut(BaseModel):
    id: int
    trigger: str
    action: str
    within_hours: int
    description: str
    sources: list[str]
    illustrative: bool


class LinkedOfferOut(BaseModel):
    offer_id: int
    year: int | None
    linked_at: dt.datetime
    kind: str
    description: str
    state: str
    value_eur: float
    illustrative: bool


class PromisedOut(BaseModel):
    currency: str
    amount: float


class FulfilmentOut(BaseModel):
    year: int
    promised_eur: float
    promised: list[PromisedOut] = Field(description="Per original currency")
    committed_eur: float
    delivered_eur: float
    percent_fulfilled: float | None = Field(description="Delivered of promised; none if none")


class InstrumentDetailOut(InstrumentOut):
    amounts: list[AmountOut]
    obligations: list[ObligationOut]
    offers: list[LinkedOfferOut] = Field(description="The linked offers you may see")
    fulfilment: list[FulfilmentOut]


class OfferLinkOut(BaseModel):
    offer_id: int
    instrument_id: int
    year: int | None
    linked_at: dt.datetime


class BurdenRowOut(BaseModel):
    member: str
    name: str
    kind: str
    committed_eur: float
    delivered_eur: float
    committed_share: float | None = Field(description="% of everyone's committed")
    delivered_share: float | None
    gdp_eur_billion: float | None = Field(description="Kiel's GDP; none for the EU")
    committed_pct_gdp: float | None
    delivered_pct_gdp: float | None
    promised_eur: float = Field(description="What its instruments promised")
    delivered_of_promised: float | None


class BurdenSharingOut(BaseModel):
    year: int | None
    gdp_source: str
    committed_eur: float
    delivered_eur: float
    promised_eur: float
    rows: list[BurdenRowOut]


class ProposalRef(BaseModel):
    id: int
    title: str
    state: str


class StepOut(BaseModel):
    id: int
    partner: str
    kind: str
    title: str
    description: str
    status: str
    evidence: str
    due_on: dt.date | None
    updated_at: dt.datetime
    proposal: ProposalRef | None = Field(description="The invitation question, if tabled")
    sources: list[str]
    illustrative: bool
    releasability: str
