"""JSON routes of the clearing house; thin: parse, call one use case, read one view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, Reader
from shieldwall.kit.errors import Forbidden, NotFound
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.params import IdempotencyKey, RecordId
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.uow import Platform
from shieldwall.matching import model, queries
from shieldwall.matching.pages import in_background
from shieldwall.matching.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    ConfirmedOut,
    DeclineIn,
    ProposalOut,
    RunDetailOut,
    RunIn,
    RunOut,
    SentOut,
    WithdrawIn,
)
from shieldwall.matching.service import MatchingService, run_matching
from shieldwall.matching.words import cause_words, explanation_words, outcome_words

router = APIRouter(prefix="/api/v1")
Wait = Annotated[
    bool, Query(description="Answer once the run is done (otherwise it runs in the background)")
]


def _secretariat(who: Actor) -> None:
    if not who.sees_everything:
        raise Forbidden(_("matching runs are for the secretariat"))


def _run_out(run: dict[str, Any]) -> dict[str, Any]:
    return {
        **run,
        "progress": model.run_progress(run["stage"]),
        "message": outcome_words(run["outcome"]),
    }


def _proposals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "why": explanation_words(p["explanation"])} for p in rows]


@router.get(
    "/availability",
    response_model=list[AvailabilityOut],
    tags=["matching"],
    responses=problem_responses(),
)
def list_availability(ctx: Ctx, who: Reader) -> object:
    """What members could give, as far as the reader may see (by default its own lines; the
    secretariat all)."""
    with ctx.reading() as s:
        return queries.availability(s, who)


@router.post(
    "/availability",
    response_model=AvailabilityOut,
    status_code=status.HTTP_201_CREATED,
    tags=["matching"],
    responses=problem_responses(404, 409),
)
def declare_availability(
    body: AvailabilityIn, ctx: Ctx, who: Reader, key: IdempotencyKey = None
) -> object:
    with ctx.unit_of_work() as uow:
        line = MatchingService(uow).declare_availability(
            who, **body.model_dump(), idempotency_key=key
        )
        return next(a for a in queries.availability(uow.session, who) if a["id"] == line)


@router.post(
    "/availability/{line_id}/withdraw",
    response_model=AvailabilityOut,
    tags=["matching"],
    responses=problem_responses(404, 409),
)
def withdraw_availability(
    line_id: RecordId, ctx: Ctx, who: Reader, body: WithdrawIn | None = None
) -> object:
    """Withdraw a line (its member, or the secretariat): no longer offered to runs; its
    proposals not yet confirmed are cancelled with the reason, in the same transaction."""
    with ctx.unit_of_work() as uow:
        MatchingService(uow).withdraw_availability(who, line_id, body.reason if body else "")
        return next(a for a in queries.availability(uow.session, who) if a["id"] == line_id)


@router.get(
    "/matching/runs", response_model=list[RunOut], tags=["matching"], responses=problem_responses()
)
def list_runs(ctx: Ctx, who: Reader) -> object:
    """The latest runs, newest first (the secretariat)."""
    _secretariat(who)
    with ctx.reading() as s:
        return [_run_out(r) for r in queries.runs(s)]


def _detail(ctx: Platform, who: Actor, run_id: int) -> dict[str, Any]:
    with ctx.reading() as s:
        run = queries.run(s, run_id)
        if run is None:
            raise NotFound(_("matching run {id} does not exist").format(id=run_id))
        return {
            **_run_out(run),
            "proposals": _proposals(queries.proposals(s, who, run_id=run_id)),
            "uncovered": [
                {**u, "why": cause_words(u["cause"])} for u in queries.uncovered(s, run_id)
            ],
        }


@router.post(
    "/matching/runs",
    response_model=RunDetailOut,
    status_code=status.HTTP_201_CREATED,
    tags=["matching"],
    responses=problem_responses(),
)
def start_run(ctx: Ctx, who: Reader, body: RunIn | None = None, wait: Wait = False) -> object:
    """Start a run over the open requests and the declared availability: in the background
    (follow it at its ``GET``), or, ``wait``, answered once done."""
    with ctx.unit_of_work() as uow:
        run_id = MatchingService(uow).start_run(
            who, time_limit_seconds=body.time_limit_seconds if body else None
        )
    if wait:
        run_matching(ctx, who, run_id)
    else:
        in_background(ctx, who, run_id)
    return _detail(ctx, who, run_id)


@router.get(
    "/matching/runs/{run_id}",
    response_model=RunDetailOut,
    tags=["matching"],
    responses=problem_responses(404),
)
def get_run(run_id: RecordId, ctx: Ctx, who: Reader) -> object:
    """A run's stage and, once done, its proposals with their explanations and the needs it
    left uncovered with their cause (the secretariat)."""
    _secretariat(who)
    return _detail(ctx, who, run_id)


@router.post(
    "/matching/runs/{run_id}/send",
    response_model=SentOut,
    tags=["matching"],
    responses=problem_responses(404),
)
def send_run(run_id: RecordId, ctx: Ctx, who: Reader) -> object:
    """Send every proposal of a run still only proposed to its member."""
    with ctx.unit_of_work() as uow:
        return {"sent": MatchingService(uow).send_run(who, run_id)}


@router.get(
    "/matching/proposals",
    response_model=list[ProposalOut],
    tags=["matching"],
    responses=problem_responses(),
)
def list_proposals(
    ctx: Ctx, who: Reader, run_id: Annotated[int | None, Query(ge=1, le=2**62)] = None
) -> object:
    """The proposals the reader may see: the secretariat all; a member those sent to it."""
    with ctx.reading() as s:
        return _proposals(queries.proposals(s, who, run_id=run_id))


@router.post(
    "/matching/proposals/{proposal_id}/send",
    response_model=ProposalOut,
    tags=["matching"],
    responses=problem_responses(404, 409),
)
def send(proposal_id: RecordId, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        MatchingService(uow).send(who, proposal_id)
        return _one(uow.session, who, proposal_id)


def _one(s: Any, who: Actor, proposal_id: int) -> dict[str, Any]:
    return next(p for p in _proposals(queries.proposals(s, who)) if p["id"] == proposal_id)


@router.post(
    "/matching/proposals/{proposal_id}/confirm",
    response_model=ConfirmedOut,
    tags=["matching"],
    responses=problem_responses(404, 409),
)
def confirm(proposal_id: RecordId, ctx: Ctx, who: Reader) -> object:
    """Confirm a proposal sent to your delegation: it becomes your offer, in one transaction."""
    with ctx.unit_of_work() as uow:
        return {"offer_id": MatchingService(uow).confirm(who, proposal_id)}


@router.post(
    "/matching/proposals/{proposal_id}/decline",
    response_model=ProposalOut,
    tags=["matching"],
    responses=problem_responses(404, 409),
)
def decline(proposal_id: RecordId, body: DeclineIn, ctx: Ctx, who: Reader) -> object:
    with ctx.unit_of_work() as uow:
        MatchingService(uow).decline(who, proposal_id, body.reason)
        return _one(uow.session, who, proposal_id)
