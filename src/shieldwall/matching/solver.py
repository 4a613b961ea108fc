"""The clearing house's optimisation: availability lines to requests, as a mixed-integer
programme solved by HiGHS (``scipy.optimize.milp``), built from whole arrays at once.

The rules are ``model``'s, applied to arrays: candidate pairs (request, line) come from joining
the requests' keys (their item, the item's tags, or their area) to the lines' keys, then the
addressee, condition and date rules filter them — no Python loop per pair. Every ordering is a
stable sort on ids, so the same input gives the same model and the same answer.

Variables: x[e] ≥ 0, the units of line a(e) proposed for request r(e) (continuous: for fixed
donors the constraints are those of a transportation problem with integral right-hand sides,
whose vertices are integral); y[p] ∈ {0, 1} for each (request, member) pair, 1 if that member
gives to that request. Constraints: Σ_a x ≤ need of each request; Σ_r x ≤ quantity of each
line; x[e] ≤ u[e]·y[p(e)] (u: the most the pair could carry, capped by the member's
at-most-per-request condition). Objective: ``model.tie_break_weights``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from shieldwall.matching import model
from shieldwall.matching.model import Cause, Compatibility, LateRule, Limit

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
GAP = 1e-3  # the optimality gap asked of HiGHS (0.1 %)
NO_DATE = 10**7  # a need-by day beyond any date: a request without one is never late
_KIND_OF = (Compatibility.SAME_ITEM, Compatibility.SHARED_TAG, Compatibility.IN_AREA)


@dataclass(frozen=True)
class Problem:
    """A run's input as arrays (indices, not ids, in the arrays that link rows).

    Items: ``item_area`` per item index; ``tag_item``/``tag_of`` pairs (item index, tag index).
    Requests: item index (−1: a whole area), area, need (units still needed), the request's
    quantity, priority weight index, need-by day (ordinal, NO_DATE if none), to all members,
    in the training area; ``addressee_request``/``addressee_member`` pairs.
    Lines: member index, item index, quantity, delivery day (ordinal), training only,
    at most per request (0: no limit)."""

    today: int
    item_area: Ints
    tag_item: Ints
    tag_of: Ints
    request_item: Ints
    request_area: Ints
    request_need: Ints
    request_quantity: Ints
    request_priority: list[str]
    request_need_by: Ints
    request_to_all: Bools
    request_training: Bools
    addressee_request: Ints
    addressee_member: Ints
    line_member: Ints
    line_item: Ints
    line_quantity: Ints
    line_day: Ints
    line_training_only: Bools
    line_per_request: Ints
    members: int
    tags: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.request_need)

    @property
    def lines(self) -> int:
        return len(self.line_quantity)


@dataclass(frozen=True)
class Candidates:
    """The admissible (request, line) pairs, sorted by request then line, with why they are
    compatible, how late they arrive, and how many lines each request kept after each rule."""

    request: Ints
    line: Ints
    kind: Ints  # index into _KIND_OF
    tag: Ints  # the shared tag's index, or −1
    late: Ints  # days late (0 on time)
    compatible: Ints  # per request: lines compatible
    addressed: Ints  # … and of an addressee
    allowed: Ints  # … and allowed by the member's conditions
    in_time: Ints  # … and admitted by the date rule

    @property
    def edges(self) -> int:
        return len(self.request)


@dataclass
class Solution:
    """Units per candidate pair, and what the solver said."""

    units: Ints
    status: int
    message: str
    objective: float | None
    bound: float | None
    gap: float | None
    coverage_points: int
    seconds: float = 0.0


def _join(left: Ints, right: Ints) -> tuple[Ints, Ints]:
    """All index pairs (i, j) with left[i] == right[j], ordered by i then j (a sort-merge join
    on arrays)."""
    order = np.argsort(right, kind="stable")
    sorted_right = right[order]
    lo = np.searchsorted(sorted_right, left, side="left")
    hi = np.searchsorted(sorted_right, left, side="right")
    counts = hi - lo
    total = int(counts.sum())
    li = np.repeat(np.arange(len(left), dtype=np.int64), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    ri = order[np.arange(total, dtype=np.int64) + starts]
    return li, ri.astype(np.int64)


def _keys_of_items(p: Problem, items: Ints, owner: Ints) -> tuple[Ints, Ints, Ints, Ints]:
    """Keys (kind-coded) of each owner's item: the item itself and each of its tags; with the
    owner, the key's kind and its tag (−1 for the item key)."""
    ti, tj = _join(items, p.tag_item)
    own = np.concatenate([owner, owner[ti]])
    keys = np.concatenate([items * 3, p.tag_of[tj] * 3 + 1])
    kinds = np.concatenate([np.zeros(len(items), np.int64), np.ones(len(ti), np.int64)])
    tags = np.concatenate([np.full(len(items), -1, np.int64), p.tag_of[tj]])
    return own, keys, kinds, tags


def candidates(p: Problem, rule: LateRule) -> Candidates:
    """The pairs the rules admit (``model.compatibility``, ``addressee_admits``,
    ``conditions_admit``, ``date_admits``), joined on arrays."""
    n_req, n_lines = p.requests, p.lines
    by_item = np.flatnonzero(p.request_item >= 0)
    by_area = np.flatnonzero(p.request_item < 0)
    r_own, r_keys, r_kind, _r_tag = _keys_of_items(p, p.request_item[by_item], by_item)
    r_own = np.concatenate([r_own, by_area])
    r_keys = np.concatenate([r_keys, p.request_area[by_area] * 3 + 2])
    r_kind = np.concatenate([r_kind, np.full(len(by_area), 2, np.int64)])
    lines = np.arange(n_lines, dtype=np.int64)
    l_own, l_keys, _l_kind, l_tag = _keys_of_items(p, p.line_item, lines)
    l_own = np.concatenate([l_own, lines])
    l_keys = np.concatenate([l_keys, p.item_area[p.line_item] * 3 + 2])
    l_tag = np.concatenate([l_tag, np.full(n_lines, -1, np.int64)])
    ri, li = _join(r_keys, l_keys)
    req, line, kind, tag = r_own[ri], l_own[li], r_kind[ri], l_tag[li]
    # One pair per (request, line), with its best reason (lowest kind, then lowest tag name).
    tag_rank = np.full(len(p.tags) + 1, 0, np.int64)
    if p.tags:
        tag_rank[:-1] = np.argsort(np.argsort(np.array(p.tags, dtype=object), kind="stable"))
    pair = req * max(n_lines, 1) + line
    order = np.lexsort((tag_rank[tag], kind, pair))
    pair, kind, tag = pair[order], kind[order], tag[order]
    _, first = np.unique(pair, return_index=True)
    pair, kind, tag = pair[first], kind[first], tag[first]
    req, line = pair // max(n_lines, 1), pair % max(n_lines, 1)
    compatible = np.bincount(req, minlength=n_req)
    keep = p.request_to_all[req] | np.isin(
        req * p.members + p.line_member[line],
        p.addressee_request * p.members + p.addressee_member,
    )
    req, line, kind, tag = req[keep], line[keep], kind[keep], tag[keep]
    addressed = np.bincount(req, minlength=n_req)
    keep = ~p.line_training_only[line] | p.request_training[req]
    req, line, kind, tag = req[keep], line[keep], kind[keep], tag[keep]
    allowed = np.bincount(req, minlength=n_req)
    late = np.maximum(p.line_day[line] - p.request_need_by[req], 0)
    keep = (late == 0) | (rule == LateRule.DISCOUNT)
    req, line, kind, tag, late = req[keep], line[keep], kind[keep], tag[keep], late[keep]
    in_time = np.bincount(req, minlength=n_req)
    return Candidates(req, line, kind, tag, late, compatible, addressed, allowed, in_time)


def points(p: Problem, c: Candidates) -> Ints:
    """``model.coverage_points`` of one unit on each pair, vectorised: per priority weight
    and lateness, weight × scale / quantity (halved when late), rounded, at least 1."""
    weight = np.array([model.PRIORITY_WEIGHT[x] for x in p.request_priority], np.int64)
    exact = weight[c.request] * model.COVERAGE_SCALE / p.request_quantity[c.request]
    late = c.late > 0
    exact = np.where(late, exact * float(model.LATE_DISCOUNT), exact)
    return np.maximum(1, np.rint(exact)).astype(np.int64)


@dataclass(frozen=True)
class Programme:
    """The milp's arrays, ready to solve (or relax)."""

    cost: Floats
    integrality: npt.NDArray[np.int8]
    bounds: Bounds
    constraints: LinearConstraint
    edges: int
    points: Ints
    eps: tuple[float, float]
    pair_of: Ints  # the (request, donor) pair of each edge


def _capacity(p: Problem, c: Candidates) -> Ints:
    cap = np.minimum(p.line_quantity[c.line], p.request_need[c.request])
    per = p.line_per_request[c.line]
    return np.where(per > 0, np.minimum(cap, per), cap)


def programme(p: Problem, c: Candidates) -> Programme:
    """The mixed-integer programme of the candidates, built as sparse matrices."""
    e = c.edges
    pair_key = c.request * p.members + p.line_member[c.line]
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    n_pairs = len(pairs)
    cap = _capacity(p, c)
    wait = np.maximum(p.line_day[c.line] - p.today, 0)
    most_units = int(min(p.request_need.sum(), p.line_quantity.sum()))
    eps2, eps3 = model.tie_break_weights(int(wait.max(initial=0)), most_units, n_pairs)
    pts = points(p, c)
    # milp minimises: the negated coverage points, plus the tie-breaks.
    cost = np.concatenate([-pts + eps2 * wait, np.full(n_pairs, eps3)])
    # Rows: each request's need, each line's quantity, and each pair's link
    # Σ_{e in p} x[e] ≤ u[p]·y[p], u[p] the most the pair could carry: one row per pair, not
    # per edge (a valid big-M; the donors' count weighs ε3, so a looser relaxation of y
    # costs no coverage and keeps the programme small).
    pair_cap = np.minimum(
        np.bincount(pair_of, weights=cap, minlength=n_pairs),
        p.request_need[pairs // p.members],
    )
    edge = np.arange(e, dtype=np.int64)
    n_fixed = p.requests + p.lines
    rows = np.concatenate(
        [c.request, p.requests + c.line, n_fixed + pair_of, n_fixed + np.arange(n_pairs)]
    )
    cols = np.concatenate([edge, edge, edge, e + np.arange(n_pairs)])
    vals = np.concatenate([np.ones(3 * e), -pair_cap.astype(np.float64)])
    n_rows = n_fixed + n_pairs
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(n_rows, e + n_pairs))
    upper = np.concatenate([p.request_need, p.line_quantity, np.zeros(n_pairs)]).astype(np.float64)
    lower = np.full(n_rows, -np.inf)
    integrality = np.concatenate([np.zeros(e, np.int8), np.ones(n_pairs, np.int8)])
    bounds = Bounds(
        np.zeros(e + n_pairs), np.concatenate([cap, np.ones(n_pairs)]).astype(np.float64)
    )
    return Programme(
        cost,
        integrality,
        bounds,
        LinearConstraint(matrix, lower, upper),
        e,
        pts,
        (eps2, eps3),
        pair_of.astype(np.int64),
    )


def solve(prog: Programme, time_limit: float, *, relax: bool = False) -> Solution:
    """Solve (or, ``relax``, solve the LP relaxation of) the programme; units rounded down to
    integers (the x of a vertex are integral; rounding down never breaks a ≤ constraint)."""
    if prog.edges == 0:  # no admissible pair: nothing to allocate, nothing to search
        return Solution(np.zeros(0, np.int64), 0, "no candidates", 0.0, 0.0, 0.0, 0)
    started = time.perf_counter()
    res = milp(
        prog.cost,
        integrality=np.zeros_like(prog.integrality) if relax else prog.integrality,
        bounds=prog.bounds,
        constraints=prog.constraints,
        options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": GAP, "presolve": True},
    )
    seconds = time.perf_counter() - started
    if res.x is None:
        return Solution(
            np.zeros(prog.edges, np.int64), res.status, res.message, None, None, None, 0, seconds
        )
    units = np.floor(res.x[: prog.edges] + 1e-6).astype(np.int64)
    gap = getattr(res, "mip_gap", None) if not relax else 0.0
    bound = getattr(res, "mip_dual_bound", None) if not relax else res.fun
    return Solution(
        units,
        res.status,
        res.message,
        -float(res.fun),
        None if bound is None else -float(bound),
        None if gap is None else float(gap),
        int((units * prog.points).sum()),
        seconds,
    )


def objective(prog: Programme, units: Ints) -> float:
    """The objective (maximised) of an allocation: coverage points, less the tie-breaks of
    its delivery days and of the (request, donor) pairs it uses."""
    e = prog.edges
    pairs = np.unique(prog.pair_of[units > 0]).size
    return float(-(prog.cost[:e] * units).sum() - prog.eps[1] * pairs)


def greedy(p: Problem, c: Candidates) -> Ints:
    """The baseline a staff cell would follow: requests in priority order (then need-by, then
    as given), each taking from its first compatible donors (earliest delivery, then as
    given) until covered."""
    rank = np.array([model.PRIORITY_WEIGHT[x] for x in p.request_priority], np.int64)
    order_r = np.lexsort((np.arange(p.requests), p.request_need_by, -rank))
    pos = np.empty(p.requests, np.int64)
    pos[order_r] = np.arange(p.requests)
    order_e = np.lexsort((c.line, p.line_day[c.line], pos[c.request]))
    left = p.line_quantity.copy()
    need = p.request_need.copy()
    cap = _capacity(p, c)
    units = np.zeros(c.edges, np.int64)
    for e in order_e.tolist():
        r, a = int(c.request[e]), int(c.line[e])
        give = min(int(need[r]), int(left[a]), int(cap[e]))
        if give > 0:
            units[e] = give
            need[r] -= give
            left[a] -= give
    return units


@dataclass(frozen=True)
class Explained:
    """Proposals (candidate pairs given units) with their limits, and uncovered needs with
    their cause."""

    edges: Ints
    limits: list[list[Limit]]
    uncovered_requests: Ints
    uncovered_units: Ints
    causes: list[Cause]


def explain(p: Problem, c: Candidates, units: Ints) -> Explained:
    """Why each proposal is what it is (``model.limits``) and why each need is left
    (``model.uncovered_cause``), from the arrays of the solution."""
    used = units > 0
    edges = np.flatnonzero(used)
    line_left = p.line_quantity - np.bincount(c.line, weights=units, minlength=p.lines).astype(
        np.int64
    )
    given = np.bincount(c.request, weights=units, minlength=p.requests).astype(np.int64)
    need_left = p.request_need - given
    per = p.line_per_request[c.line]
    found = [
        model.limits(q, ll, nl, pr if pr > 0 else None, lt)
        for q, ll, nl, pr, lt in zip(
            units[edges].tolist(),
            line_left[c.line[edges]].tolist(),
            need_left[c.request[edges]].tolist(),
            per[edges].tolist(),
            c.late[edges].tolist(),
            strict=True,
        )
    ]
    short = np.flatnonzero(need_left > 0)
    causes = [
        model.uncovered_cause(
            int(c.compatible[r]), int(c.addressed[r]), int(c.allowed[r]), int(c.in_time[r])
        )
        for r in short.tolist()
    ]
    return Explained(edges, found, short, need_left[short], causes)


def compatibility_of(c: Candidates, e: int) -> Compatibility:
    return _KIND_OF[int(c.kind[e])]


Progress = Callable[[str], Any]


def day(d: dt.date | None) -> int:
    return NO_DATE if d is None else d.toordinal()
