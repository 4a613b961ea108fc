"""Shapes of the assistance API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shieldwall.access.model import Releasability
from shieldwall.assistance.model import AssistanceKind, EntryType, Measure, Priority
from shieldwall.kit.amounts import Euros, Quantity, QuantityDelta, SignedEuros
from shieldwall.kit.dates import IsoDate
from shieldwall.kit.params import RecordIdField as RecordId
from shieldwall.kit.text import MultiLine, SingleLine

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), SingleLine
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine
]
Note = Annotated[str, StringConstraints(max_length=2000), MultiLine]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestIn(Strict):
    partner: Code = Field(description="Code of the partner delegation filing the request")
    title: Title
    area: Code | None = Field(None, description="Capability area code (or give an item)")
    item: Code | None = Field(None, description="Catalogue item code")
    quantity: Quantity | None = Field(None, description="Units of the item; required with item")
    value_eur: Euros | None = Field(
        None,
        description="Requested value; required for a whole-area request and for an item "
        "with no reference unit value",
    )
    priority: Priority = Priority.MEDIUM
    need_by: IsoDate | None = None
    justification: Reason
    addressees: list[Code] = Field(
        default_factory=list,
        max_length=100,
        description="Member codes; empty means all members",
    )
    releasability: Releasability | None = Field(
        None, description="Who may see it; default addressees; may only widen the default"
    )


class RequestOut(BaseModel):
    id: int
    title: str
    partner: str
    area: str
    item: str | None
    unit: str | None
    quantity: int | None
    requested_eur: float
    priority: str
    need_by: dt.date | None
    justification: str
    addressees: list[str]
    to_all_members: bool
    state: str
    state_reason: str | None
    status: str = Field(description="open, partially covered, covered, withdrawn or closed")
    filed_at: dt.datetime
    illustrative: bool
    releasability: Releasability
    offered_quantity: int = Field(description="Offered by the offers you may see")
    committed_quantity: int = Field(
        description="Committed by every offer answering the request, whoever may see it"
    )
    delivered_quantity: int = Field(
        description="Delivered by every offer answering the request, whoever may see it"
    )
    offered_eur: float = Field(description="Offered by the offers you may see")
    committed_eur: float = Field(description="Committed by every offer answering the request")
    delivered_eur: float = Field(description="Delivered by every offer answering the request")
    committed_unseen_quantity: int = Field(
        description="The part of committed_quantity from offers you may not see (not named)"
    )
    committed_unseen_eur: float
    delivered_unseen_quantity: int = Field(
        description="The part of delivered_quantity from offers you may not see (not named)"
    )
    delivered_unseen_eur: float
    gap_quantity: int | None
    gap_eur: float
    coverage: float = Field(description="Committed over requested, counting every offer")
    days_left: int | None = Field(
        None,
        description="Days to the need-by date by the platform's clock (negative once passed); "
        "null without a need-by date, or once the request is delivered in full or has ended",
    )
    overdue: bool = Field(False, description="The need-by date has passed and delivery is owed")


class ReleasabilityIn(Strict):
    releasability: Releasability


class ReasonIn(Strict):
    reason: Reason


class OfferIn(Strict):
    member: Code = Field(description="Code of the member delegation making the offer")
    kind: AssistanceKind
    quantity: Quantity
    partner: Code | None = None
    request_id: RecordId | None = None
    area: Code | None = None
    item: Code | None = None
    value_eur: Euros | None = Field(
        None,
        description="Total value; defaults to quantity × the item's reference unit value "
        "(required for an item with none)",
    )
    description: Note = ""
    conditions: Note = ""
    releasability: Releasability | None = Field(
        None, description="Who may see it; default partner; may only widen the default"
    )


class OfferOut(BaseModel):
    id: int
    member: str
    member_name: str
    partner: str
    partner_name: str
    request_id: int | None
    kind: str
    area: str
    item: str | None
    item_name: str | None
    area_name: str
    unit: str | None
    need_by: dt.date | None = Field(
        None, description="The need-by date of the request it answers, if you may see it"
    )
    description: str
    quantity: int
    value_eur: float
    conditions: str
    state: str
    state_reason: str | None
    offered_at: dt.datetime
    source: str
    original_currency: str | None = Field(
        None, description="The currency the source stated it in (UN OCHA FTS)"
    )
    original_amount: float | None = Field(None, description="Its amount in that currency")
    amount_usd: float | None = Field(None, description="Its amount in US dollars, as reported")
    illustrative: bool
    releasability: Releasability
    offered_quantity: int
    committed_quantity: int
    delivered_quantity: int
    offered_eur: float
    committed_eur: float
    delivered_eur: float


class CommitIn(Strict):
    quantity: Quantity | None = Field(None, description="Defaults to all that is offered")


class DeliveryIn(Strict):
    quantity: Quantity
    delivered_on: IsoDate | None = None
    note: Note = ""


class DeliveryOut(BaseModel):
    id: int
    offer_id: int
    quantity: int
    delivered_on: dt.date
    note: str
    state: str
    state_reason: str | None
    recorded_at: dt.datetime
    settled_at: dt.datetime | None


class CorrectionIn(Strict):
    offer_id: RecordId
    measure: Measure
    quantity_delta: QuantityDelta = 0
    value_delta_eur: SignedEuros = Decimal(0)
    reason: Reason
    occurred_on: IsoDate | None = None


class EntryOut(BaseModel):
    id: int
    entry_type: EntryType
    measure: Measure
    offer_id: int
    delivery_id: int | None
    request_id: int | None
    member: str
    partner: str
    kind: str
    area: str
    item: str | None
    quantity: int
    value_eur: float
    occurred_on: dt.date
    recorded_at: dt.datetime
    reason: str | None
    source_file: str | None = Field(None, description="The imported file it came from")
    source_line: int | None = Field(None, description="Its line in that file")
    source_release: str | None = Field(None, description="The release of that file")


class SummaryRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    offered_eur: float
    committed_eur: float
    delivered_eur: float
    offered_quantity: int
    committed_quantity: int
    delivered_quantity: int


class Summary(BaseModel):
    group_by: list[str]
    rows: list[SummaryRow]


class ItemOut(BaseModel):
    code: str
    name: str
    unit: str
    reference_unit_value_eur: float | None = Field(
        description="None: the item has no reference price; its offers state their value"
    )
    price_date: dt.date | None
    tags: list[str]


class AreaOut(BaseModel):
    code: str
    name: str
    description: str
    items: list[ItemOut]


class DelegationOut(BaseModel):
    code: str
    name: str
    kind: str
    joined_on: dt.date | None
