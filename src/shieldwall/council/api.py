"""JSON routes of the council; thin: parse, call one use case, read one view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from shieldwall.access.web import Ctx, Reader
from shieldwall.council import queries
from shieldwall.council.model import MeetingLevel, MeetingState, ProposalState
from shieldwall.council.schemas import (
    AgendaItemIn,
    ConsensusIn,
    HoldIn,
    ItemOutcomeIn,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    OutcomeListed,
    PositionIn,
    ProposalDetailOut,
    ProposalIn,
    ProposalOut,
    ScheduleIn,
    SilenceIn,
    WithdrawIn,
)
from shieldwall.council.service import AgendaEntry, CouncilService
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import IdempotencyKey, Limit, Offset, RecordId
from shieldwall.kit.problems import problem_responses

router = APIRouter(prefix="/api/v1")

Id = RecordId


# ---- meetings --------------------------------------------------------------------------------


@router.get(
    "/meetings", response_model=Page[MeetingOut], tags=["council"], responses=problem_responses()
)
def list_meetings(
    ctx: Ctx,
    who: Reader,
    state: MeetingState | None = None,
    level: MeetingLevel | None = None,
    crisis: Annotated[bool | None, Query(description="Only crisis consultations, or none")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> dict[str, object]:
    with ctx.reading() as s:
        total, items = queries.list_meetings(
            s,
            who,
            ctx.clock.now(),
            state=state.value if state else None,
            level=level.value if level else None,
            crisis=crisis,
            offset=offset,
            limit=limit,
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.post(
    "/meetings",
    response_model=MeetingDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=["council"],
    responses=problem_responses(409),
)
def convene(body: MeetingIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        meeting_id = CouncilService(uow).convene(
            who,
            title=body.title,
            level=body.level.value,
            crisis=body.crisis,
            reason=body.reason,
            convened_by=body.convened_by,
            agenda=[AgendaEntry(a.title, a.request_id, a.proposal_id) for a in body.agenda],
            hold_within_hours=body.hold_within_hours,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.get(
    "/meetings/{meeting_id}",
    response_model=MeetingDetailOut,
    tags=["council"],
    responses=problem_responses(404),
)
def get_meeting(meeting_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_meeting(s, who, meeting_id, ctx.clock.now())


_CHANGE = {
    "response_model": MeetingDetailOut,
    "tags": ["council"],
    "responses": problem_responses(404, 409),
}


@router.post("/meetings/{meeting_id}/schedule", **_CHANGE)  # type: ignore[arg-type]
def schedule(meeting_id: Id, body: ScheduleIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).schedule(
            who,
            meeting_id,
            starts_at=body.starts_at,
            place=body.place,
            time_zone_name=body.time_zone,
            chair=body.chair,
        )
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.post("/meetings/{meeting_id}/agenda", **_CHANGE)  # type: ignore[arg-type]
def add_agenda_item(meeting_id: Id, body: AgendaItemIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).add_agenda_item(
            who, meeting_id, AgendaEntry(body.title, body.request_id, body.proposal_id)
        )
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.post("/meetings/{meeting_id}/hold", **_CHANGE)  # type: ignore[arg-type]
def hold(meeting_id: Id, body: HoldIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        attendance = {a.delegation: a.represented_by for a in body.attendance}
        CouncilService(uow).hold(who, meeting_id, attendance=attendance, held_at=body.held_at)
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.post("/meetings/{meeting_id}/minutes", **_CHANGE)  # type: ignore[arg-type]
def record_minutes(meeting_id: Id, body: MinutesIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).record_minutes(who, meeting_id, body.minutes)
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.post("/meetings/{meeting_id}/agenda/{item_id}/outcome", **_CHANGE)  # type: ignore[arg-type]
def record_item_outcome(
    meeting_id: Id, item_id: Id, body: ItemOutcomeIn, ctx: Ctx, who: Reader
) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).record_item_outcome(who, meeting_id, item_id, body.outcome)
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


@router.post("/meetings/{meeting_id}/close", **_CHANGE)  # type: ignore[arg-type]
def close(meeting_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).close(who, meeting_id)
        return queries.get_meeting(uow.session, who, meeting_id, uow.clock.now())


# ---- proposals -------------------------------------------------------------------------------


@router.get(
    "/proposals",
    response_model=Page[ProposalOut],
    tags=["council"],
    responses=problem_responses(),
)
def list_proposals(
    ctx: Ctx,
    who: Reader,
    state: ProposalState | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> dict[str, object]:
    with ctx.reading() as s:
        total, items = queries.list_proposals(
            s, who, state=state.value if state else None, offset=offset, limit=limit
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.post(
    "/proposals",
    response_model=ProposalDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=["council"],
    responses=problem_responses(404, 409),
)
def table_proposal(body: ProposalIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None) -> object:
    with ctx.unit_of_work() as uow:
        proposal_id = CouncilService(uow).table_proposal(
            who,
            title=body.title,
            text=body.text,
            kind=body.kind.value,
            tabled_by=body.tabled_by,
            meeting_id=body.meeting_id,
            releasability=body.releasability.value if body.releasability else None,
            idempotency_key=key,
        )
        return queries.get_proposal(uow.session, who, proposal_id, uow.clock.now())


@router.get(
    "/proposals/{proposal_id}",
    response_model=ProposalDetailOut,
    tags=["council"],
    responses=problem_responses(404),
)
def get_proposal(proposal_id: Id, ctx: Ctx, who: Reader) -> object:
    with ctx.reading() as s:
        return queries.get_proposal(s, who, proposal_id, ctx.clock.now())


_PROPOSAL_CHANGE = {
    "response_model": ProposalDetailOut,
    "tags": ["council"],
    "responses": problem_responses(404, 409),
}


@router.post("/proposals/{proposal_id}/positions", **_PROPOSAL_CHANGE)  # type: ignore[arg-type]
def state_position(proposal_id: Id, body: PositionIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).state_position(
            who, proposal_id, stance=body.stance.value, reason=body.reason
        )
        return queries.get_proposal(uow.session, who, proposal_id, uow.clock.now())


@router.post("/proposals/{proposal_id}/silence", **_PROPOSAL_CHANGE)  # type: ignore[arg-type]
def circulate(proposal_id: Id, body: SilenceIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).circulate(who, proposal_id, deadline=body.deadline, text=body.text)
        return queries.get_proposal(uow.session, who, proposal_id, uow.clock.now())


@router.post("/proposals/{proposal_id}/consensus", **_PROPOSAL_CHANGE)  # type: ignore[arg-type]
def record_consensus(proposal_id: Id, body: ConsensusIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).record_consensus(
            who,
            proposal_id,
            adopted_text=body.adopted_text,
            review_on=body.review_on,
            meeting_id=body.meeting_id,
        )
        return queries.get_proposal(uow.session, who, proposal_id, uow.clock.now())


@router.post("/proposals/{proposal_id}/withdraw", **_PROPOSAL_CHANGE)  # type: ignore[arg-type]
def withdraw_proposal(proposal_id: Id, body: WithdrawIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        CouncilService(uow).withdraw_proposal(who, proposal_id, body.reason)
        return queries.get_proposal(uow.session, who, proposal_id, uow.clock.now())


@router.get(
    "/outcomes",
    response_model=list[OutcomeListed],
    tags=["council"],
    responses=problem_responses(),
)
def list_outcomes(ctx: Ctx, who: Reader) -> list[dict[str, object]]:
    with ctx.reading() as s:
        return queries.list_outcomes(s, who)
