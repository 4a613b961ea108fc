"""JSON routes of the assistance ledger; thin: parse, call one service, read one view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response, StreamingResponse

from shieldwall.access.web import Ctx, Reader
from shieldwall.assistance import listings, queries
from shieldwall.assistance.model import (
    AssistanceKind,
    DeliveryState,
    EntryType,
    OfferState,
    RequestStatus,
)
from shieldwall.assistance.schemas import (
    AreaOut,
    CommitIn,
    CorrectionIn,
    DelegationOut,
    DeliveryIn,
    DeliveryOut,
    EntryOut,
    OfferIn,
    OfferOut,
    ReasonIn,
    ReleasabilityIn,
    RequestIn,
    RequestOut,
    Summary,
)
from shieldwall.assistance.service import AssistanceService
from shieldwall.kit.amounts import to_cents
from shieldwall.kit.dates import MONTH_PATTERN
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.exports import csv_lines
from shieldwall.kit.listing import DOWNLOAD_RESPONSES, DownloadFormat, in_euros
from shieldwall.kit.pagination import Page, page_response
from shieldwall.kit.params import IdempotencyKey, Limit, Offset, RecordId, RecordIdFilter
from shieldwall.kit.problems import problem_responses

router = APIRouter(prefix="/api/v1")
# The reads whose whole answer is given again to the same credential while the database is
# unchanged (``kit.kept_responses``): each depends on the reader's seat, its query and the
# database only — never on the clock.
KEPT_READS = (f"{router.prefix}/ledger/summary", f"{router.prefix}/offers")

Id = RecordId
Code = Annotated[str | None, Query(max_length=80)]


# ---- council and catalogue -------------------------------------------------------------------


@router.get(
    "/delegations",
    response_model=list[DelegationOut],
    tags=["council"],
    responses=problem_responses(),
)
def list_delegations(ctx: Ctx, who: Reader) -> list[dict[str, object]]:
    with ctx.reading() as s:
        return queries.list_delegations(s)


@router.get(
    "/catalogue", response_model=list[AreaOut], tags=["catalogue"], responses=problem_responses()
)
def get_catalogue(ctx: Ctx, who: Reader) -> list[dict[str, object]]:
    with ctx.reading() as s:
        return queries.catalogue(s)


# ---- requests --------------------------------------------------------------------------------


@router.get(
    "/requests", response_model=list[RequestOut], tags=["requests"], responses=problem_responses()
)
def list_requests(
    ctx: Ctx,
    who: Reader,
    status_: Annotated[
        str | None,
        Query(alias="status", max_length=40, description="open, partially covered, covered, …"),
    ] = None,
    area: Code = None,
    partner: Code = None,
    addressed_to: Code = None,
) -> list[dict[str, object]]:
    if status_ is not None and status_ not in {s.value for s in RequestStatus}:
        raise InvalidInput("status", f"use one of {', '.join(s.value for s in RequestStatus)}")
    with ctx.reading() as s:
        views = queries.list_requests(
            s, who, status=status_, area=area, partner=partner, addressed_to=addressed_to
        )
        return [v.as_dict(ctx.clock.now().date()) for v in views]


@router.post(
    "/requests",
    response_model=RequestOut,
    status_code=status.HTTP_201_CREATED,
    tags=["requests"],
    responses=problem_responses(409),
)
def file_request(body: RequestIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        request_id = AssistanceService(uow).file_request(
            who,
            partner=body.partner,
            title=body.title,
            area=body.area,
            item=body.item,
            quantity=body.quantity,
            value_cents=to_cents(body.value_eur),
            priority=body.priority.value,
            need_by=body.need_by,
            justification=body.justification,
            addressees=body.addressees,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_request(uow.session, who, request_id).as_dict(uow.clock.now().date())


@router.get(
    "/requests/{request_id}",
    response_model=RequestOut,
    tags=["requests"],
    responses=problem_responses(404),
)
def get_request(request_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_request(s, who, request_id).as_dict(ctx.clock.now().date())


@router.post(
    "/requests/{request_id}/withdraw",
    response_model=RequestOut,
    tags=["requests"],
    responses=problem_responses(404, 409),
)
def withdraw_request(request_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).withdraw_request(who, request_id, body.reason)
        return queries.get_request(uow.session, who, request_id).as_dict(uow.clock.now().date())


@router.post(
    "/requests/{request_id}/close",
    response_model=RequestOut,
    tags=["requests"],
    responses=problem_responses(404, 409),
)
def close_request(request_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).close_request(who, request_id, body.reason)
        return queries.get_request(uow.session, who, request_id).as_dict(uow.clock.now().date())


# ---- offers ----------------------------------------------------------------------------------


@router.get(
    "/offers", response_model=Page[OfferOut], tags=["offers"], responses=problem_responses()
)
def list_offers(
    ctx: Ctx,
    who: Reader,
    member: Code = None,
    state: OfferState | None = None,
    kind: AssistanceKind | None = None,
    request_id: RecordIdFilter = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Response:
    # A plain ``def`` (the thread pool): on PostgreSQL its statements wait for the server, and
    # the worker's other requests go on meanwhile (benchmarks/api_load.py measured both).
    with ctx.reading() as s:
        total, items = queries.list_offers(
            s,
            who,
            member=member,
            state=state.value if state else None,
            request_id=request_id,
            kind=kind.value if kind else None,
            offset=offset,
            limit=limit,
        )
    return page_response(OfferOut, total, offset, limit, items)


@router.post(
    "/offers",
    response_model=OfferOut,
    status_code=status.HTTP_201_CREATED,
    tags=["offers"],
    responses=problem_responses(409),
)
def make_offer(body: OfferIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        offer_id = AssistanceService(uow).make_offer(
            who,
            member=body.member,
            kind=body.kind.value,
            quantity=body.quantity,
            partner=body.partner,
            request_id=body.request_id,
            area=body.area,
            item=body.item,
            value_cents=to_cents(body.value_eur),
            description=body.description,
            conditions=body.conditions,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_offer(uow.session, who, offer_id)


@router.get(
    "/offers/{offer_id}", response_model=OfferOut, tags=["offers"], responses=problem_responses(404)
)
def get_offer(offer_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_offer(s, who, offer_id)


@router.post(
    "/offers/{offer_id}/accept",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(404, 409),
)
def accept_offer(offer_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).accept(who, offer_id)
        return queries.get_offer(uow.session, who, offer_id)


@router.post(
    "/offers/{offer_id}/decline",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(404, 409),
)
def decline_offer(offer_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).decline(who, offer_id, body.reason)
        return queries.get_offer(uow.session, who, offer_id)


@router.post(
    "/offers/{offer_id}/withdraw",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(404, 409),
)
def withdraw_offer(offer_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).withdraw(who, offer_id, body.reason)
        return queries.get_offer(uow.session, who, offer_id)


@router.post(
    "/offers/{offer_id}/commit",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(404, 409),
)
def commit_offer(offer_id: Id, ctx: Ctx, who: Reader, body: CommitIn | None = None) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).commit(who, offer_id, body.quantity if body else None)
        return queries.get_offer(uow.session, who, offer_id)


@router.post(
    "/offers/{offer_id}/cancel",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(404, 409),
)
def cancel_offer(offer_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).cancel(who, offer_id, body.reason)
        return queries.get_offer(uow.session, who, offer_id)


# ---- deliveries ------------------------------------------------------------------------------


@router.post(
    "/offers/{offer_id}/deliveries",
    response_model=DeliveryOut,
    status_code=status.HTTP_201_CREATED,
    tags=["deliveries"],
    responses=problem_responses(404, 409),
)
def record_delivery(
    offer_id: Id, body: DeliveryIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None
) -> object:
    with ctx.unit_of_work() as uow:
        delivery_id = AssistanceService(uow).record_delivery(
            who,
            offer_id,
            quantity=body.quantity,
            delivered_on=body.delivered_on,
            note=body.note,
            idempotency_key=key,
        )
        return queries.get_delivery(uow.session, who, delivery_id)


@router.get(
    "/deliveries",
    response_model=list[DeliveryOut],
    tags=["deliveries"],
    responses=problem_responses(),
)
def list_deliveries(
    ctx: Ctx,
    who: Reader,
    offer_id: RecordIdFilter = None,
    state: DeliveryState | None = None,
) -> list[dict[str, object]]:
    with ctx.reading() as s:
        return queries.list_deliveries(
            s, who, offer_id=offer_id, state=state.value if state else None
        )


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryOut,
    tags=["deliveries"],
    responses=problem_responses(404),
)
def get_delivery(delivery_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_delivery(s, who, delivery_id)


@router.post(
    "/deliveries/{delivery_id}/confirm",
    response_model=DeliveryOut,
    tags=["deliveries"],
    responses=problem_responses(404, 409),
)
def confirm_delivery(delivery_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).confirm_delivery(who, delivery_id)
        return queries.get_delivery(uow.session, who, delivery_id)


@router.post(
    "/deliveries/{delivery_id}/reject",
    response_model=DeliveryOut,
    tags=["deliveries"],
    responses=problem_responses(404, 409),
)
def reject_delivery(delivery_id: Id, body: ReasonIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).reject_delivery(who, delivery_id, body.reason)
        return queries.get_delivery(uow.session, who, delivery_id)


# ---- ledger ----------------------------------------------------------------------------------

Month = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM, from 1900-01 to 2199-12")
]


async def entry_filter(
    member: Code = None,
    kind: AssistanceKind | None = None,
    area: Code = None,
    item: Code = None,
    request_id: RecordIdFilter = None,
    offer_id: RecordIdFilter = None,
    entry_type: EntryType | None = None,
    month_from: Month = None,
    month_to: Month = None,
) -> queries.EntryFilter:
    # ``async``: it only reads its parameters (no hand-off to the thread pool per request).
    return queries.EntryFilter(
        member=member,
        kind=kind.value if kind else None,
        area=area,
        item=item,
        request_id=request_id,
        offer_id=offer_id,
        entry_type=entry_type.value if entry_type else None,
        month_from=month_from,
        month_to=month_to,
    )


Filter = Annotated[queries.EntryFilter, Depends(entry_filter)]


@router.get(
    "/ledger/entries", response_model=Page[EntryOut], tags=["ledger"], responses=problem_responses()
)
def list_entries(
    ctx: Ctx, who: Reader, where: Filter, offset: Offset = 0, limit: Limit = 100
) -> object:
    with ctx.reading() as s:
        total, items = queries.list_entries(s, who, where, offset=offset, limit=limit)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.post(
    "/ledger/corrections",
    response_model=EntryOut,
    status_code=201,
    tags=["ledger"],
    responses=problem_responses(404, 409),
)
def correct_ledger(body: CorrectionIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        entry_id = AssistanceService(uow).correct(
            who,
            body.offer_id,
            measure=body.measure.value,
            quantity_delta=body.quantity_delta,
            value_delta_cents=to_cents(body.value_delta_eur) or 0,
            reason=body.reason,
            occurred_on=body.occurred_on,
            idempotency_key=key,
        )
        return queries.get_entry(uow.session, who, entry_id)


@router.get(
    "/ledger/summary",
    response_model=Summary,
    tags=["ledger"],
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def ledger_summary(
    ctx: Ctx,
    who: Reader,
    where: Filter,
    group_by: Annotated[
        str,
        Query(
            max_length=200,
            description=f"Comma-separated keys from: {', '.join(queries.GROUP_KEYS)}",
        ),
    ] = "",
    format: DownloadFormat = None,
) -> object:
    """Offered, committed and delivered over the entries you may see, grouped by the keys;
    ``format=csv|xlsx|json`` gives the same rows as a file."""
    # A plain ``def``, as ``list_offers``: on PostgreSQL the worker's other requests go on
    # while this one waits for the server.
    keys = queries.parse_group_by(group_by)
    with ctx.reading() as s:
        rows = queries.ledger_summary(s, who, keys, where)
    if format is not None:
        return listings.ledger_summary_table(keys).download(rows, format)
    return {"group_by": keys, "rows": rows}


@router.post(
    "/requests/{request_id}/releasability",
    response_model=RequestOut,
    tags=["requests"],
    responses=problem_responses(403, 404, 409),
)
def widen_request(request_id: Id, body: ReleasabilityIn, ctx: Ctx, who: Reader) -> object:
    """Release a request more widely (never narrower)."""
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).widen(who, "request", request_id, body.releasability.value)
        return queries.get_request(uow.session, who, request_id).as_dict(uow.clock.now().date())


@router.post(
    "/offers/{offer_id}/releasability",
    response_model=OfferOut,
    tags=["offers"],
    responses=problem_responses(403, 404, 409),
)
def widen_offer(offer_id: Id, body: ReleasabilityIn, ctx: Ctx, who: Reader) -> object:
    """Release an offer more widely (never narrower)."""
    with ctx.unit_of_work() as uow:
        AssistanceService(uow).widen(who, "offer", offer_id, body.releasability.value)
        return queries.get_offer(uow.session, who, offer_id)


@router.get(
    "/ledger/export.csv",
    tags=["ledger"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The ledger entries the reader may see, as CSV",
        },
        **problem_responses(),
    },
)
def export_entries(ctx: Ctx, who: Reader, where: Filter) -> StreamingResponse:
    """Every ledger entry the reader may see (with the same filters as the list), as CSV."""
    with ctx.reading() as s:  # bad filters fail here, before the download starts
        queries.list_entries(s, who, where, offset=0, limit=1)

    def lines() -> Iterator[str]:
        with ctx.reading() as s:
            entries = in_euros(listings.ENTRY_COLUMNS, queries.iter_entries(s, who, where))
            yield from csv_lines(entries, list(queries.ENTRY_COLUMNS))

    return StreamingResponse(
        lines(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="ledger-entries.csv"'},
    )
