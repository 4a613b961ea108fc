"""JSON routes of the envelope; thin: parse, call one use case, read one view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from shieldwall.access.web import Ctx, Reader
from shieldwall.envelope import listings, policy, queries
from shieldwall.envelope.model import LONGEST_SLIP_MONTHS
from shieldwall.envelope.schemas import (
    BestDeliveryOut,
    ComponentIn,
    EnvelopeOut,
    PackageDetailOut,
    PackageIn,
    PackageOut,
    PackagePatch,
    TrancheIn,
    TrancheOut,
    TranchePatch,
)
from shieldwall.envelope.service import ComponentIn as Component
from shieldwall.envelope.service import EnvelopeService
from shieldwall.kit.dates import parse_day
from shieldwall.kit.listing import DOWNLOAD_RESPONSES, DownloadFormat
from shieldwall.kit.params import IdempotencyKey, RecordId, RecordIdFilter, Whole
from shieldwall.kit.problems import problem_responses

router = APIRouter(prefix="/api/v1")

Id = RecordId
Day = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; today if omitted"),
]
MonthsAhead = Annotated[
    int,
    Whole,
    Query(ge=0, le=queries.LONGEST_AHEAD_MONTHS, description="Months projected after as_of"),
]
SlipMonths = Annotated[int, Whole, Query(ge=1, le=LONGEST_SLIP_MONTHS)]
Reason = Annotated[str, Query(min_length=1, max_length=2000, description="Why it is removed")]


def _day(field: str, text: str | None) -> dt.date | None:
    return None if text is None else parse_day(field, text)


def _components(parts: list[ComponentIn] | None) -> list[Component] | None:
    if parts is None:
        return None
    return [Component(p.item, p.kind.value, p.quantity_per_unit, p.per_month) for p in parts]


# ---- the envelope ----------------------------------------------------------------------------


@router.get(
    "/envelope",
    response_model=EnvelopeOut,
    tags=["envelope"],
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def get_envelope(
    ctx: Ctx,
    who: Reader,
    as_of: Day = None,
    months_ahead: MonthsAhead = 12,
    slip: Annotated[
        int | None, Whole, Query(ge=1, le=2**62, description="A tranche to slip: the what-if")
    ] = None,
    slip_months: SlipMonths = 3,
    table: Annotated[
        Literal["readiness-areas", "readiness-packages"],
        Query(description="With format: which table to download"),
    ] = "readiness-areas",
    format: DownloadFormat = None,
) -> object:
    """Readiness per capability area and package as of a date, counting the deliveries of the
    offers you may see; a monthly series, projected from the plans after today; with
    ``slip``, readiness before and after that tranche slips ``slip_months`` months.
    ``format=csv|xlsx|json`` gives the areas' (or, with ``table=readiness-packages``, the
    packages') readiness as a file."""
    on = _day("as_of", as_of)
    with ctx.reading() as s:
        view = queries.envelope(
            s,
            who,
            today=ctx.clock.now().date(),
            as_of=on,
            months_ahead=months_ahead,
            slip=slip,
            slip_months=slip_months,
        )
    if format is not None:
        chosen = next(t for t in listings.READINESS if t.name == table)
        return chosen.download(listings.readiness_rows(chosen, view), format)
    return view


@router.get(
    "/envelope/best-deliveries",
    response_model=list[BestDeliveryOut],
    tags=["envelope"],
    responses=problem_responses(),
)
def best_deliveries(ctx: Ctx, who: Reader) -> object:
    """The single deliveries that would raise readiness most if delivered today, largest
    first (the secretariat and the partner only)."""
    policy.require_best_deliveries(who)
    with ctx.reading() as s:
        return queries.best_deliveries(s, who, ctx.clock.now().date())


# ---- capability packages ---------------------------------------------------------------------


@router.get(
    "/capability-packages",
    response_model=list[PackageOut],
    tags=["envelope"],
    responses=problem_responses(),
)
def list_packages(ctx: Ctx, who: Reader, as_of: Day = None) -> object:
    on = _day("as_of", as_of)
    with ctx.reading() as s:
        return queries.list_packages(s, who, ctx.clock.now().date(), on)


@router.post(
    "/capability-packages",
    response_model=PackageDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=["envelope"],
    responses=problem_responses(409),
)
def define_package(body: PackageIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        package_id = EnvelopeService(uow).define_package(
            who,
            code=body.code,
            name=body.name,
            area=body.area,
            description=body.description,
            units_needed=body.units_needed,
            sustain_window_months=body.sustain_window_months,
            sources=body.sources,
            illustrative=body.illustrative,
            components=_components(body.components) or [],
            idempotency_key=key,
        )
        return queries.get_package(uow.session, who, package_id, uow.clock.now().date())


@router.get(
    "/capability-packages/{package_id}",
    response_model=PackageDetailOut,
    tags=["envelope"],
    responses=problem_responses(404),
)
def get_package(package_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_package(s, who, package_id, ctx.clock.now().date())


@router.patch(
    "/capability-packages/{package_id}",
    response_model=PackageDetailOut,
    tags=["envelope"],
    responses=problem_responses(404, 409),
)
def change_package(package_id: Id, body: PackagePatch, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        EnvelopeService(uow).change_package(
            who,
            package_id,
            name=body.name,
            description=body.description,
            units_needed=body.units_needed,
            sustain_window_months=body.sustain_window_months,
            sources=body.sources,
            components=_components(body.components),
        )
        return queries.get_package(uow.session, who, package_id, uow.clock.now().date())


# ---- delivery plans --------------------------------------------------------------------------


@router.get(
    "/planned-deliveries",
    response_model=list[TrancheOut],
    tags=["envelope"],
    responses=problem_responses(),
)
def list_tranches(ctx: Ctx, who: Reader, offer_id: RecordIdFilter = None) -> object:
    with ctx.reading() as s:
        return queries.list_tranches(s, who, ctx.clock.now().date(), offer_id=offer_id)


@router.post(
    "/planned-deliveries",
    response_model=TrancheOut,
    status_code=status.HTTP_201_CREATED,
    tags=["envelope"],
    responses=problem_responses(404, 409),
)
def plan_delivery(body: TrancheIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        tranche_id = EnvelopeService(uow).plan_delivery(
            who,
            body.offer_id,
            quantity=body.quantity,
            expected_on=body.expected_on,
            note=body.note,
            idempotency_key=key,
        )
        return queries.get_tranche(uow.session, who, tranche_id, uow.clock.now().date())


@router.patch(
    "/planned-deliveries/{tranche_id}",
    response_model=TrancheOut,
    tags=["envelope"],
    responses=problem_responses(404, 409),
)
def replan_delivery(tranche_id: Id, body: TranchePatch, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        EnvelopeService(uow).replan_delivery(
            who,
            tranche_id,
            reason=body.reason,
            expected_on=body.expected_on,
            quantity=body.quantity,
        )
        return queries.get_tranche(uow.session, who, tranche_id, uow.clock.now().date())


@router.delete(
    "/planned-deliveries/{tranche_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["envelope"],
    responses=problem_responses(404, 409),
)
def remove_delivery(tranche_id: Id, reason: Reason, ctx: Ctx, who: Reader) -> Response:
    with ctx.unit_of_work() as uow:
        EnvelopeService(uow).remove_delivery(who, tranche_id, reason=reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
