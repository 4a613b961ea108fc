"""JSON routes of security guarantees; thin: parse, call one use case, read one view.

``PUT /instruments/{id}/amounts`` sets one year's amount in one category: it adds it, or
replaces the amount stated before for that year and category (the audit keeps both).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shieldwall.access.web import Ctx, Reader
from shieldwall.guarantees import queries
from shieldwall.guarantees.schemas import (
    AmountIn,
    BurdenSharingOut,
    Currency,
    InstrumentDetailOut,
    InstrumentIn,
    InstrumentOut,
    NoticeIn,
    ObligationIn,
    OfferLinkIn,
    OfferLinkOut,
    QuestionIn,
    RateIn,
    RateOut,
    StepIn,
    StepOut,
    StepPatch,
)
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.guarantees.summaries import BURDEN
from shieldwall.kit.dates import parse_day
from shieldwall.kit.listing import DOWNLOAD_RESPONSES, DownloadFormat
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import IdempotencyKey, Limit, Offset, RecordId, Whole
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.text import SingleLine

router = APIRouter(prefix="/api/v1")
TAG: list[str | Enum] = ["guarantees"]
CodeFilter = Annotated[str | None, Query(max_length=8), SingleLine]


@router.get(
    "/instruments", response_model=Page[InstrumentOut], tags=TAG, responses=problem_responses()
)
def list_instruments(
    ctx: Ctx,
    who: Reader,
    member: CodeFilter = None,
    partner: CodeFilter = None,
    in_force_on: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Only those binding that day"),
    ] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> dict[str, object]:
    with ctx.reading() as s:
        total, items = queries.list_instruments(
            s,
            who,
            ctx.clock.now().date(),
            member=member,
            partner=partner,
            in_force_on=parse_day("in_force_on", in_force_on) if in_force_on else None,
            offset=offset,
            limit=limit,
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.post(
    "/instruments",
    response_model=InstrumentDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=TAG,
    responses=problem_responses(409),
)
def create_instrument(
    body: InstrumentIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None
) -> object:
    with ctx.unit_of_work() as uow:
        instrument_id = GuaranteesService(uow).create_instrument(
            who,
            member=body.member,
            partner=body.partner,
            title=body.title,
            signed_on=body.signed_on,
            place=body.place,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            duration_years=body.duration_years,
            until_accession=body.until_accession,
            termination_notice_months=body.termination_notice_months,
            notes=body.notes,
            sources=" ".join(body.sources),
            illustrative=body.illustrative,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_instrument(uow.session, who, instrument_id, uow.clock.now().date())


@router.get(
    "/instruments/{instrument_id}",
    response_model=InstrumentDetailOut,
    tags=TAG,
    responses=problem_responses(404),
)
def get_instrument(instrument_id: RecordId, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_instrument(s, who, instrument_id, ctx.clock.now().date())


_CHANGE = {
    "response_model": InstrumentDetailOut,
    "tags": TAG,
    "responses": problem_responses(404, 409),
}


@router.put("/instruments/{instrument_id}/amounts", **_CHANGE)  # type: ignore[arg-type]
def set_amount(instrument_id: RecordId, body: AmountIn, ctx: Ctx, who: Reader) -> object:
    """Set one year's amount in one category: added, or replacing the one stated before."""
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).set_amount(
            who,
            instrument_id,
            year=body.year,
            category=body.category.value,
            amount=body.amount,
            currency=body.currency,
            rate_on=body.rate_on,
            basis=body.basis,
            sources=" ".join(body.sources),
            illustrative=body.illustrative,
        )
        return queries.get_instrument(uow.session, who, instrument_id, uow.clock.now().date())


@router.post(
    "/instruments/{instrument_id}/obligations",
    status_code=status.HTTP_201_CREATED,
    **_CHANGE,  # type: ignore[arg-type]
)
def add_obligation(instrument_id: RecordId, body: ObligationIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).add_obligation(
            who,
            instrument_id,
            trigger=body.trigger.value,
            action=body.action.value,
            within_hours=body.within_hours,
            description=body.description,
            sources=" ".join(body.sources),
            illustrative=body.illustrative,
        )
        return queries.get_instrument(uow.session, who, instrument_id, uow.clock.now().date())


@router.post("/instruments/{instrument_id}/notice", **_CHANGE)  # type: ignore[arg-type]
def give_notice(instrument_id: RecordId, body: NoticeIn, ctx: Ctx, who: Reader) -> object:
    """Give notice to terminate (either party, for itself), or record it (the secretariat)."""
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).give_notice(who, instrument_id, given_on=body.given_on, by=body.by)
        return queries.get_instrument(uow.session, who, instrument_id, uow.clock.now().date())


@router.put(
    "/offers/{offer_id}/instrument",
    response_model=OfferLinkOut,
    tags=TAG,
    responses=problem_responses(404, 409),
)
def link_offer(offer_id: RecordId, body: OfferLinkIn, ctx: Ctx, who: Reader) -> object:
    """The instrument (and year) the offer fulfils; a link elsewhere is moved."""
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).link_offer(who, offer_id, body.instrument_id, body.year)
        return queries.offer_link(uow.session, who, offer_id)


@router.delete(
    "/offers/{offer_id}/instrument",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=TAG,
    responses=problem_responses(404, 409),
)
def unlink_offer(offer_id: RecordId, ctx: Ctx, who: Reader) -> Response:
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).unlink_offer(who, offer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/exchange-rates", response_model=list[RateOut], tags=TAG, responses=problem_responses()
)
def list_rates(
    ctx: Ctx, who: Reader, currency: Annotated[Currency | None, Query()] = None
) -> object:
    with ctx.reading() as s:
        return queries.list_rates(s, currency)


@router.post(
    "/exchange-rates",
    response_model=RateOut,
    status_code=status.HTTP_201_CREATED,
    tags=TAG,
    responses=problem_responses(409),
)
def record_rate(body: RateIn, ctx: Ctx, who: Reader) -> object:
    """Record a dated rate (the secretariat); the same rate again answers the one recorded."""
    with ctx.unit_of_work() as uow:
        rate_id = GuaranteesService(uow).record_rate(
            who,
            currency=body.currency,
            rate_on=body.rate_on,
            units_per_eur=body.units_per_eur,
            source=body.source,
        )
        return next(r for r in queries.list_rates(uow.session) if r["id"] == rate_id)


@router.get(
    "/burden-sharing",
    response_model=BurdenSharingOut,
    tags=TAG,
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def burden_sharing(
    ctx: Ctx,
    who: Reader,
    year: Annotated[
        int | None, Whole, Query(ge=1900, le=2199, description="Only this year")
    ] = None,
    format: DownloadFormat = None,
) -> object:
    """Per member and contributor: committed and delivered, shares, % of GDP (Kiel's, with its
    source), and what its instruments promised; over the offers and instruments you may see.
    ``format=csv|xlsx|json`` gives the rows as a file."""
    with ctx.reading() as s:
        shared = queries.burden_sharing(s, who, year=year).as_dict()
    if format is not None:
        return BURDEN.download(shared["rows"], format)
    return shared


@router.get("/pathway", response_model=list[StepOut], tags=TAG, responses=problem_responses())
def list_pathway(ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.list_pathway(s, who)


@router.post(
    "/pathway",
    response_model=StepOut,
    status_code=status.HTTP_201_CREATED,
    tags=TAG,
    responses=problem_responses(409),
)
def add_step(body: StepIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        step_id = GuaranteesService(uow).add_step(
            who,
            kind=body.kind.value,
            title=body.title,
            partner=body.partner,
            description=body.description,
            status=body.status.value,
            due_on=body.due_on,
            sources=" ".join(body.sources),
            illustrative=body.illustrative,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_step(uow.session, who, step_id)


@router.patch(
    "/pathway/{step_id}", response_model=StepOut, tags=TAG, responses=problem_responses(404)
)
def update_step(step_id: RecordId, body: StepPatch, ctx: Ctx, who: Reader) -> object:
    """Set the status (the secretariat) and/or add evidence (the partner or the secretariat)."""
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).update_step(
            who,
            step_id,
            status=body.status.value if body.status else None,
            evidence=body.evidence,
        )
        return queries.get_step(uow.session, who, step_id)


@router.post(
    "/pathway/invitation-question",
    response_model=StepOut,
    status_code=status.HTTP_201_CREATED,
    tags=TAG,
    responses=problem_responses(404, 409),
)
def table_invitation_question(
    body: QuestionIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None
) -> object:
    """Table the invitation question as a council proposal, linked to the pathway step."""
    with ctx.unit_of_work() as uow:
        GuaranteesService(uow).table_invitation_question(
            who,
            body.step_id,
            text=body.text,
            title=body.title,
            tabled_by=body.tabled_by,
            meeting_id=body.meeting_id,
            idempotency_key=key,
        )
        return queries.get_step(uow.session, who, body.step_id)
