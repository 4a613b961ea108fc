"""Use cases of the clearing house, each audited, each run in the unit of work it is given.

A member declares availability, and may withdraw a line (its pending proposals are
cancelled with it). The secretariat starts a run (``start_run``, audited); the
run reads its input, builds and solves the programme and explains the answer outside any
transaction, reporting its stage (``record_stage``: progress, not a state of the record); then
``finish_run`` writes the run's outcome, its proposals and the needs it left uncovered in one
unit of work, audited. The secretariat sends proposals; the member confirms one — the offer is
made through the assistance use case (``AssistanceService.make_offer``) in the same unit of
work, and the availability line is reduced — or declines it.

Locks (PostgreSQL; SQLite's unit of work holds the write lock from its start): answering a
proposal locks it (``FOR UPDATE``), then its availability line, before the offer's own locks
(the request, shared; the idempotency key) are taken by ``make_offer``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from shieldwall.access.model import Actor, Releasability, widened
from shieldwall.assistance.model import AssistanceKind, require_reason
from shieldwall.assistance.service import AssistanceService, item_by_code
from shieldwall.assistance.tables import CapabilityItem
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.service import delegation_by_code
from shieldwall.delegations.tables import Delegation
from shieldwall.kit import idempotency
from shieldwall.kit.amounts import check_quantity
from shieldwall.kit.dates import check_day
from shieldwall.kit.errors import IllegalTransition, InvalidInput, NotFound
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform, UnitOfWork
from shieldwall.matching import model, queries, solver
from shieldwall.matching.model import ProposalAction, ProposalState, RunStage
from shieldwall.matching.policy import Action, require
from shieldwall.matching.tables import Availability, MatchingRun, MatchProposal, UncoveredNeed
from shieldwall.matching.visibility import readable_availability, readable_proposals

AVAILABILITY_DEFAULT = Releasability.OWN
# What a run says when it proposes nothing (``MatchingRun.outcome``).
NOTHING_TO_MATCH = "nothing-to-match"
NO_CANDIDATES = "no-candidates"
SOLVER_FAILED = "solver-failed"
TIME_LIMIT_GREEDY = "time-limit-greedy"
GAP = 1e-3  # the optimality gap a run asks of the solver (0.1 %)
MATCHED = "matched"


def _snapshot(line: Availability) -> dict[str, Any]:
    return {
        "member_id": line.member_id,
        "item_id": line.item_id,
        "kind": line.kind,
        "quantity": line.quantity,
        "available_from": line.available_from.isoformat(),
        "training_only": line.training_only,
        "not_before": line.not_before.isoformat() if line.not_before else None,
        "per_request": line.per_request,
        "releasability": line.releasability,
        "withdrawn_at": line.withdrawn_at.isoformat() if line.withdrawn_at else None,
        "withdrawn_reason": line.withdrawn_reason,
        "illustrative": line.illustrative,
    }


def conditions_text(line: Availability) -> str:
    """The member's conditions in words, carried onto the offer a proposal becomes."""
    said = []
    if line.training_only:
        said.append(_("training only"))
    if line.not_before:
        said.append(_("not before {day}").format(day=line.not_before.isoformat()))
    if line.per_request:
        said.append(_("at most {n} to one request").format(n=line.per_request))
    return "; ".join(said)


def _kind(kind: str) -> AssistanceKind:
    """What a line would give: arms, training or equipment (money is not matched by item)."""
    try:
        kind_v = AssistanceKind(kind)
    except ValueError:
        kind_v = AssistanceKind.FINANCE
    if kind_v == AssistanceKind.FINANCE:
        raise InvalidInput("kind", _("use one of {choices}").format(choices="arm, train, equip"))
    return kind_v


class MatchingService:
    """Use cases of the clearing house; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s = uow.session

    # ---- availability ----------------------------------------------------------------------

    def declare_availability(
        self,
        actor: Actor,
        *,
        member: str,
        item: str,
        quantity: int,
        available_from: dt.date,
        kind: str = AssistanceKind.EQUIP.value,
        training_only: bool = False,
        not_before: dt.date | None = None,
        per_request: int | None = None,
        note: str = "",
        releasability: str | None = None,
        idempotency_key: str | None = None,
        illustrative: bool = False,
    ) -> int:
        """A line the member could give, declared without offering it (``illustrative``: invented
        for the demo)."""
        payload = idempotency.payload_of(locals())
        level = widened("releasability", AVAILABILITY_DEFAULT, releasability)
        member_d = delegation_by_code(self.s, member.strip(), "member")
        if member_d.kind != DelegationKind.MEMBER:
            raise InvalidInput("member", _("{code} is not a member").format(code=member_d.code))
        require(actor, Action.DECLARE_AVAILABILITY, owner_id=member_d.id)
        again = idempotency.replayed(self.s, actor.name, "availability", idempotency_key, payload)
        if again is not None:
            return again
        item_row = item_by_code(self.s, item.strip())
        kind_v = _kind(kind)
        check_quantity("quantity", quantity)
        check_day("available_from", available_from)
        if not_before is not None:
            check_day("not_before", not_before)
        model.check_not_before("not_before", not_before, available_from)
        now = self.uow.clock.now()
        line = Availability(
            member_id=member_d.id,
            item_id=item_row.id,
            kind=kind_v.value,
            quantity=quantity,
            declared_quantity=quantity,
            available_from=available_from,
            training_only=training_only,
            not_before=not_before,
            per_request=model.check_per_request("per_request", per_request),
            note=check_text("note", note.strip(), multiline=True, max_length=2000),
            releasability=level.value,
            illustrative=illustrative,
            declared_at=now,
        )
        self.s.add(line)
        self.s.flush()
        idempotency.remember(
            self.s, actor.name, "availability", idempotency_key, payload, line.id, now
        )
        self.uow.audit(
            actor, now, "availability.declare", "availability", line.id, None, _snapshot(line)
        )
        return line.id

    def withdraw_availability(self, actor: Actor, line_id: int, reason: str = "") -> int:
        """The member (or the secretariat) withdraws a line: no longer offered to runs, and
        its proposals not yet confirmed are cancelled with the reason, all in this unit of
        work. How many proposals were cancelled."""
        # Visibility before permission: a line the actor may not see does not exist for it.
        line = self.s.scalar(
            select(Availability)
            .where(Availability.id == line_id, readable_availability(actor))
            .with_for_update()
        )
        if line is None:
            raise NotFound(_("availability line {id} does not exist").format(id=line_id))
        require(
            actor,
            Action.WITHDRAW_AVAILABILITY,
            owner_id=line.member_id,
            record=f"availability line {line.id}",
        )
        if line.withdrawn_at is not None:
            raise IllegalTransition(f"availability line {line.id}", N_("withdrawn"), N_("withdraw"))
        said = check_text("reason", reason.strip(), multiline=True, max_length=2000)
        now = self.uow.clock.now()
        before = _snapshot(line)
        line.withdrawn_at, line.withdrawn_reason = now, said or None
        pending = self.s.scalars(
            select(MatchProposal)
            .where(
                MatchProposal.availability_id == line.id,
                MatchProposal.state.in_([s.value for s in model.PENDING]),
            )
            .order_by(MatchProposal.id)
            .with_for_update()
        ).all()
        for p in pending:
            self._step(actor, p, ProposalAction.CANCEL, said or None)
        self.uow.audit(
            actor, now, "availability.withdraw", "availability", line.id, before, _snapshot(line)
        )
        return len(pending)

    # ---- runs ------------------------------------------------------------------------------

    def start_run(
        self,
        actor: Actor,
        *,
        time_limit_seconds: float | None = None,
        late_rule: str | None = None,
    ) -> int:
        """A run, queued: its settings (the late rule, the time limit) are fixed now; each is
        the platform's setting unless given for this run."""
        require(actor, Action.RUN_MATCHING)
        settings = self.uow.settings
        rule = model.late_rule(settings.matching_late if late_rule is None else late_rule)
        limit = (
            settings.matching_time_limit_seconds
            if time_limit_seconds is None
            else time_limit_seconds
        )
        if not 1 <= limit <= 3600:
            raise InvalidInput("time_limit_seconds", _("give between 1 and 3600 seconds"))
        now = self.uow.clock.now()
        run = MatchingRun(
            started_by=actor.name,
            started_at=now,
            stage=RunStage.QUEUED.value,
            late_rule=rule.value,
            time_limit_seconds=float(limit),
        )
        self.s.add(run)
        self.s.flush()
        after = {"late_rule": rule.value, "time_limit_seconds": float(limit)}
        self.uow.audit(actor, now, "matching.start", "matching_run", run.id, None, after)
        return run.id

    def record_stage(self, run_id: int, stage: RunStage) -> None:
        """Progress of a run, for whoever watches it (not a change of any record's rules)."""
        run = self._run(run_id)
        run.stage = stage.value

    def _run(self, run_id: int) -> MatchingRun:
        run = self.s.scalar(select(MatchingRun).where(MatchingRun.id == run_id).with_for_update())
        if run is None:
            raise NotFound(_("matching run {id} does not exist").format(id=run_id))
        return run

    def finish_run(self, actor: Actor, run_id: int, result: RunResult) -> None:
        """The run's outcome, its proposals and its uncovered needs, written as one."""
        run = self._run(run_id)
        now = self.uow.clock.now()
        run.stage = (
            RunStage.DONE.value if result.outcome != SOLVER_FAILED else RunStage.FAILED.value
        )
        run.finished_at = now
        for name in ("requests", "lines", "candidates", "outcome", "solver_status", "objective"):
            setattr(run, name, getattr(result, name))
        run.bound, run.gap, run.coverage_points = result.bound, result.gap, result.coverage_points
        if result.proposals:
            self.s.execute(
                insert(MatchProposal), [{**p, "run_id": run_id} for p in result.proposals]
            )
        if result.uncovered:
            self.s.execute(
                insert(UncoveredNeed), [{**u, "run_id": run_id} for u in result.uncovered]
            )
        after = {
            "outcome": result.outcome,
            "proposals": len(result.proposals),
            "uncovered": len(result.uncovered),
            "objective": result.objective,
            "gap": result.gap,
        }
        self.uow.audit(actor, now, "matching.run", "matching_run", run_id, None, after)

    # ---- proposals -------------------------------------------------------------------------

    def _proposal(self, actor: Actor, proposal_id: int) -> MatchProposal:
        found = self.s.scalar(
            select(MatchProposal)
            .where(MatchProposal.id == proposal_id, readable_proposals(actor))
            .with_for_update()
        )
        if found is None:
            raise NotFound(_("proposal {id} does not exist").format(id=proposal_id))
        return found

    def _step(
        self, actor: Actor, p: MatchProposal, action: ProposalAction, reason: str | None = None
    ) -> tuple[ProposalState, dt.datetime]:
        to = model.proposal_step(p.id, p.state, action)
        now = self.uow.clock.now()
        before = {"state": p.state}
        p.state = to.value
        if action != ProposalAction.SEND:
            p.decided_at, p.reason = now, reason
        after = {"state": p.state, "offer_id": p.offer_id, "reason": reason}
        self.uow.audit(
            actor, now, f"proposal.{action.value}", "match_proposal", p.id, before, after
        )
        return to, now

    def send(self, actor: Actor, proposal_id: int) -> None:
        """The secretariat sends a proposal to its member."""
        # Visibility before permission: a proposal the actor may not see is not found (404),
        # so that its existence is not revealed; one it sees but may not send, 403.
        p = self._proposal(actor, proposal_id)
        require(actor, Action.SEND_PROPOSAL, record=f"proposal {p.id}")
        self._step(actor, p, ProposalAction.SEND)

    def send_run(self, actor: Actor, run_id: int) -> int:
        """Send every proposal of a run still only proposed; how many were sent."""
        require(actor, Action.SEND_PROPOSAL)
        self._run(run_id)
        pending = self.s.scalars(
            select(MatchProposal.id)
            .where(
                MatchProposal.run_id == run_id, MatchProposal.state == ProposalState.PROPOSED.value
            )
            .order_by(MatchProposal.id)
        ).all()
        for pid in pending:
            self.send(actor, pid)
        return len(pending)

    def _answerable(self, actor: Actor, proposal_id: int) -> MatchProposal:
        """The proposal, locked, if the actor may see it — 404 otherwise (another member's, or
        its own not yet sent), so that its existence is not revealed — and then only if the
        actor is its member (403 naming who may answer)."""
        found = self._proposal(actor, proposal_id)
        require(
            actor, Action.ANSWER_PROPOSAL, owner_id=found.member_id, record=f"proposal {found.id}"
        )
        return found

    def confirm(self, actor: Actor, proposal_id: int) -> int:
        """The member confirms: the proposal becomes its offer against the request (the
        assistance use case, in this unit of work) and the availability line is reduced."""
        p = self._answerable(actor, proposal_id)
        model.proposal_step(p.id, p.state, ProposalAction.CONFIRM)
        line = self.s.scalar(
            select(Availability).where(Availability.id == p.availability_id).with_for_update()
        )
        assert line is not None  # a proposal's line is never deleted (foreign key)
        model.check_can_give(line.quantity, p.quantity, line.id)
        member = self.s.get(Delegation, p.member_id)
        assert member is not None
        before = _snapshot(line)
        offer_id = AssistanceService(self.uow).make_offer(
            actor,
            member=member.code,
            kind=line.kind,
            quantity=p.quantity,
            request_id=p.request_id,
            item=self._item_code(line.item_id),
            conditions=conditions_text(line),
            source=f"matching run {p.run_id}",
        )
        line.quantity -= p.quantity
        p.offer_id = offer_id
        _, now = self._step(actor, p, ProposalAction.CONFIRM)
        self.uow.audit(
            actor, now, "availability.reduce", "availability", line.id, before, _snapshot(line)
        )
        return offer_id

    def _item_code(self, item_id: int) -> str:
        item = self.s.get(CapabilityItem, item_id)
        assert item is not None
        return item.code

    def decline(self, actor: Actor, proposal_id: int, reason: str) -> None:
        """The member declines, with its reason."""
        p = self._answerable(actor, proposal_id)
        self._step(actor, p, ProposalAction.DECLINE, require_reason(reason))


@dataclass
class RunResult:
    """What a run found, ready to be written as one."""

    outcome: str
    requests: int = 0
    lines: int = 0
    candidates: int = 0
    solver_status: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    coverage_points: int = 0
    proposals: list[dict[str, Any]] = field(default_factory=list)
    uncovered: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[RunStage], None]


def _rows(
    p: solver.Problem, ids: queries.Ids, c: solver.Candidates, units: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The proposals and uncovered needs of a solution, as rows to write, with their
    explanations (``solver.explain``)."""
    ex = solver.explain(p, c, units)
    proposals = [
        {
            "request_id": ids.requests[int(c.request[e])],
            "availability_id": ids.lines[int(c.line[e])],
            "member_id": ids.members[int(p.line_member[c.line[e]])],
            "quantity": int(units[e]),
            "arrives_on": ids.line_day[int(c.line[e])],
            "explanation": {
                "compatibility": solver.compatibility_of(c, int(e)).value,
                "tag": p.tags[int(c.tag[e])] if c.tag[e] >= 0 else "",
                "late_days": int(c.late[e]),
                "limits": [x.value for x in lim],
            },
            "state": ProposalState.PROPOSED.value,
        }
        for e, lim in zip(ex.edges.tolist(), ex.limits, strict=True)
    ]
    uncovered = [
        {"request_id": ids.requests[r], "quantity": int(q), "cause": cause.value}
        for r, q, cause in zip(
            ex.uncovered_requests.tolist(), ex.uncovered_units.tolist(), ex.causes, strict=True
        )
    ]
    return proposals, uncovered


def compute(
    p: solver.Problem, ids: queries.Ids, rule: model.LateRule, time_limit: float, stage: Progress
) -> RunResult:
    """Build, solve and explain (no I/O): the result ``finish_run`` writes."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    greedy_won = False
    if p.requests == 0 or p.lines == 0:
        return RunResult(
            NOTHING_TO_MATCH, p.requests, p.lines, proposals=[], uncovered=[], seconds=seconds
        )
    stage(RunStage.BUILDING)
    c = solver.candidates(p, rule)
    prog = solver.programme(p, c) if c.edges else None
    seconds["building"] = time.perf_counter() - started
    stage(RunStage.SOLVING)
    if prog is None:
        units = np.zeros(0, np.int64)
        sol = None
    else:
        sol = solver.solve(prog, time_limit)
        units = sol.units
        if sol.gap is None or sol.gap > GAP:
            # Stopped by the time limit short of the optimum: if greedy allocates better (by
            # the same objective), its allocation is proposed, and the run says so.
            fallback = solver.greedy(p, c)
            if solver.objective(prog, fallback) > solver.objective(prog, units):
                units, greedy_won = fallback, True
    seconds["solving"] = time.perf_counter() - started - seconds["building"]
    stage(RunStage.EXPLAINING)
    mark = time.perf_counter()
    proposals, uncovered = _rows(p, ids, c, units)
    seconds["explaining"] = time.perf_counter() - mark
    return RunResult(
        TIME_LIMIT_GREEDY if greedy_won else (MATCHED if c.edges else NO_CANDIDATES),
        p.requests,
        p.lines,
        c.edges,
        sol.message if sol else "",
        sol.objective if sol else None,
        sol.bound if sol else None,
        sol.gap if sol else None,
        int((units * prog.points).sum()) if prog is not None else 0,
        proposals,
        uncovered,
        seconds,
    )


def run_matching(
    platform: Platform, actor: Actor, run_id: int, on_stage: Progress | None = None
) -> RunResult:
    """Carry out a started run: each stage recorded as it begins; the results in one unit of
    work. A failure is recorded as the run's outcome, never left as a run that seems alive."""

    def stage(s: RunStage) -> None:
        with platform.unit_of_work() as uow:
            MatchingService(uow).record_stage(run_id, s)
        if on_stage is not None:
            on_stage(s)

    with platform.reading() as s:
        run = queries.run(s, run_id)
        if run is None:
            raise NotFound(_("matching run {id} does not exist").format(id=run_id))
        rule, limit = model.LateRule(run["late_rule"]), run["time_limit_seconds"]
        p, ids = queries.problem(s, platform.clock.now().date())
    try:
        result = compute(p, ids, rule, limit, stage)
    except Exception:
        with platform.unit_of_work() as uow:
            MatchingService(uow).finish_run(actor, run_id, RunResult(SOLVER_FAILED))
        raise
    stage(RunStage.WRITING)
    mark = time.perf_counter()
    with platform.unit_of_work() as uow:
        MatchingService(uow).finish_run(actor, run_id, result)
    result.seconds["writing"] = time.perf_counter() - mark
    if on_stage is not None:
        on_stage(RunStage.DONE)
    return result
