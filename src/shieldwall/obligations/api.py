"""JSON routes of obligation clocks; thin: parse, call one use case, read one view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from shieldwall.access.web import Ctx, Reader
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import IdempotencyKey, Limit, Offset, RecordId, RecordIdFilter
from shieldwall.kit.problems import problem_responses
from shieldwall.obligations import queries
from shieldwall.obligations.model import Standing
from shieldwall.obligations.schemas import (
    DeclaredKind,
    DueItemOut,
    MetIn,
    TriggerDetailOut,
    TriggerIn,
    TriggerListed,
)
from shieldwall.obligations.service import ObligationsService

router = APIRouter(prefix="/api/v1")

MemberFilter = Annotated[str | None, Query(max_length=80, description="A member's code: DEU")]


@router.post(
    "/triggers",
    response_model=TriggerDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=["obligations"],
    responses=problem_responses(409),
)
def declare_trigger(body: TriggerIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    """Declare an event (the partner for itself, or the chair): it opens a due item for every
    matching obligation of every instrument in force, and convenes a crisis consultation."""
    with ctx.unit_of_work() as uow:
        trigger_id = ObligationsService(uow).declare_trigger(
            who,
            kind=body.kind.value,
            occurred_at=body.occurred_at,
            description=body.description,
            partner=body.partner,
            exercise=body.exercise,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_trigger(uow.session, who, trigger_id, uow.clock.now())


@router.get(
    "/triggers",
    response_model=Page[TriggerListed],
    tags=["obligations"],
    responses=problem_responses(),
)
def list_triggers(
    ctx: Ctx, who: Reader, kind: DeclaredKind | None = None, offset: Offset = 0, limit: Limit = 100
) -> dict[str, object]:
    with ctx.reading() as s:
        total, items = queries.list_triggers(
            s, who, kind=kind.value if kind else None, offset=offset, limit=limit
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.get(
    "/triggers/{trigger_id}",
    response_model=TriggerDetailOut,
    tags=["obligations"],
    responses=problem_responses(404),
)
def get_trigger(trigger_id: RecordId, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_trigger(s, who, trigger_id, ctx.clock.now())


@router.get(
    "/obligations",
    response_model=Page[DueItemOut],
    tags=["obligations"],
    responses=problem_responses(),
)
def list_obligations(
    ctx: Ctx,
    who: Reader,
    state: Standing | None = None,
    member: MemberFilter = None,
    instrument_id: RecordIdFilter = None,
    trigger_id: RecordIdFilter = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> dict[str, object]:
    """The obligations' due items you may see: overdue first, then open, then met."""
    with ctx.reading() as s:
        total, items = queries.list_due_items(
            s,
            who,
            ctx.clock.now(),
            state=state.value if state else None,
            member=member,
            instrument_id=instrument_id,
            trigger_id=trigger_id,
            offset=offset,
            limit=limit,
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.get(
    "/obligations/{due_item_id}",
    response_model=DueItemOut,
    tags=["obligations"],
    responses=problem_responses(404),
)
def get_obligation(due_item_id: RecordId, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_due_item(s, who, due_item_id, ctx.clock.now())


@router.post(
    "/obligations/{due_item_id}/met",
    response_model=DueItemOut,
    tags=["obligations"],
    responses=problem_responses(404, 409),
)
def record_met(due_item_id: RecordId, body: MetIn, ctx: Ctx, who: Reader) -> object:
    """Record a duty to report as met, with evidence (the member, or the secretariat)."""
    with ctx.unit_of_work() as uow:
        ObligationsService(uow).record_met(who, due_item_id, body.evidence)
        return queries.get_due_item(uow.session, who, due_item_id, uow.clock.now())
