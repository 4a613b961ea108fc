"""The clearing house's rules and its optimiser, on cases small enough to solve by hand. Each
expected allocation is worked out in the comments from the issue's words (coverage weighted by
priority first, then earliest delivery, then fewest donors per request), never by asking the
solver; the property test holds every proposal to the addressee and compatibility rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.access.model import Actor, Role, Scope
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import Forbidden, IllegalTransition, InvalidInput
from shieldwall.matching import model, policy, solver
from shieldwall.matching.model import Cause, Compatibility, LateRule, Limit, ProposalAction

D = dt.date
FORBID, DISCOUNT = LateRule.FORBID, LateRule.DISCOUNT


# ---- the rules, one by one -------------------------------------------------------------------


def test_items_are_compatible_when_the_same_or_sharing_a_tag() -> None:
    t155, patriot = frozenset({"155mm"}), frozenset({"patriot"})
    assert model.compatibility(1, t155, 7, 1, t155, 7) == (Compatibility.SAME_ITEM, "")
    assert model.compatibility(1, t155, 7, 1, frozenset(), 7) == (Compatibility.SAME_ITEM, "")
    assert model.compatibility(1, t155, 7, 2, t155 | patriot, 8) == (
        Compatibility.SHARED_TAG,
        "155mm",
    )
    # The first shared tag by name explains it.
    both = frozenset({"nato", "155mm"})
    assert model.compatibility(1, both, 7, 2, both, 7) == (Compatibility.SHARED_TAG, "155mm")
    assert model.compatibility(1, t155, 7, 2, patriot, 7) is None
    assert model.compatibility(1, frozenset(), 7, 2, frozenset(), 7) is None
    # A request for a whole area: any item of that area.
    assert model.compatibility(None, frozenset(), 7, 2, patriot, 7) == (Compatibility.IN_AREA, "")
    assert model.compatibility(None, frozenset(), 7, 2, patriot, 8) is None


def test_a_line_arrives_when_available_not_before_the_members_date_and_never_in_the_past() -> None:
    today = D(2024, 4, 2)
    assert model.delivery_day(D(2024, 5, 1), None, today) == D(2024, 5, 1)
    assert model.delivery_day(D(2024, 5, 1), D(2024, 6, 1), today) == D(2024, 6, 1)
    assert model.delivery_day(D(2024, 3, 1), None, today) == today
    assert model.delivery_day(D(2024, 3, 1), D(2024, 3, 5), today) == today
    # A not-before date earlier than the available-from date (refused on input) changes nothing.
    assert model.delivery_day(D(2024, 5, 1), D(2024, 4, 20), today) == D(2024, 5, 1)


def test_days_late_and_what_the_setting_admits() -> None:
    assert model.days_late(D(2024, 5, 3), D(2024, 5, 1)) == 2
    assert model.days_late(D(2024, 5, 1), D(2024, 5, 1)) == 0
    assert model.days_late(D(2024, 4, 1), D(2024, 5, 1)) == 0
    assert model.days_late(D(2030, 1, 1), None) == 0
    assert model.date_admits(0, FORBID) and model.date_admits(0, DISCOUNT)
    assert not model.date_admits(1, FORBID)
    assert model.date_admits(1, DISCOUNT)
    assert model.late_rule(" Discount ") == DISCOUNT
    with pytest.raises(InvalidInput) as bad:
        model.late_rule("maybe")
    assert bad.value.extra["errors"][0]["field"] == "SHIELDWALL_MATCHING_LATE"
    assert bad.value.detail == "SHIELDWALL_MATCHING_LATE: must be forbid or discount, not 'maybe'"


def test_conditions_and_addressees_admit() -> None:
    assert model.conditions_admit(False, "artillery")
    assert model.conditions_admit(True, "training")
    assert not model.conditions_admit(True, "artillery")
    assert model.addressee_admits(True, 3, frozenset())
    assert model.addressee_admits(False, 3, frozenset({3, 4}))
    assert not model.addressee_admits(False, 5, frozenset({3, 4}))


def test_coverage_points_weigh_priority_by_the_share_of_the_request() -> None:
    # critical 8 × 10**6 / 10 units = 800 000 a unit; low 1 × 10**6 / 4 = 250 000.
    assert model.coverage_points("critical", 10, late=False) == 800_000
    assert model.coverage_points("low", 4, late=False) == 250_000
    assert model.coverage_points("high", 3, late=False) == 1_333_333
    assert model.coverage_points("medium", 1, late=True) == 1_000_000  # 2 × 10**6 halved
    assert model.coverage_points("low", 10**9, late=False) == 1  # never nothing


def test_tie_break_weights_keep_the_order_of_the_aims() -> None:
    # 10 days at most, 7 units at most, 3 pairs: ε2 = 1/71, ε3 = ε2/4.
    eps2, eps3 = model.tie_break_weights(10, 7, 3)
    assert eps2 == pytest.approx(1 / 71) and eps3 == pytest.approx(1 / 284)
    assert eps2 * 10 * 7 < 1  # all the waiting there is costs less than one coverage point
    assert eps3 * 3 < eps2  # all the donors there are cost less than one unit-day
    assert model.tie_break_weights(0, 0, 0) == (1.0, 1.0)
    # Nothing to wait for, or no units: no delivery term to outweigh; ε3 = 1 / (pairs + 1).
    assert model.tie_break_weights(0, 7, 3) == (1.0, 0.25)
    assert model.tie_break_weights(10, 0, 3) == (1.0, 0.25)


def test_what_limited_a_proposal() -> None:
    assert model.limits(5, 0, 3, None, 0) == [Limit.QUANTITY]
    assert model.limits(5, 2, 0, None, 0) == [Limit.NEED]
    assert model.limits(3, 2, 4, 3, 0) == [Limit.CONDITION]
    assert model.limits(2, 2, 4, 3, 0) == []
    assert model.limits(2, 2, 4, None, 1) == [Limit.DATE]
    assert model.limits(3, 0, 0, 3, 4) == [Limit.QUANTITY, Limit.CONDITION, Limit.DATE]


def test_why_a_need_is_left_uncovered() -> None:
    assert model.uncovered_cause(0, 0, 0, 0) == Cause.NO_COMPATIBLE_ITEM
    assert model.uncovered_cause(2, 0, 0, 0) == Cause.NO_ADDRESSEE_HAS_IT
    assert model.uncovered_cause(2, 1, 0, 0) == Cause.CONDITIONS
    assert model.uncovered_cause(2, 1, 1, 0) == Cause.DATES
    assert model.uncovered_cause(2, 1, 1, 1) == Cause.NOT_ENOUGH_QUANTITY


def test_a_proposal_is_sent_then_confirmed_or_declined() -> None:
    assert model.proposal_step(1, "proposed", ProposalAction.SEND) == "sent"
    assert model.proposal_step(1, "sent", ProposalAction.CONFIRM) == "confirmed"
    assert model.proposal_step(1, "sent", ProposalAction.DECLINE) == "declined"
    for state, action in (
        ("proposed", ProposalAction.CONFIRM),
        ("proposed", ProposalAction.DECLINE),
        ("sent", ProposalAction.SEND),
        ("confirmed", ProposalAction.DECLINE),
        ("declined", ProposalAction.CONFIRM),
    ):
        with pytest.raises(IllegalTransition) as bad:
            model.proposal_step(4, state, action)
        assert bad.value.extra == {"current_state": state, "action": action.value}
        assert bad.value.detail == f"cannot {action.value} proposal 4: it is {state}"


def test_a_runs_progress_by_stage() -> None:
    assert [
        model.run_progress(s)
        for s in ("queued", "building", "solving", "explaining", "writing", "done")
    ] == [
        0,
        0,
        25,
        50,
        75,
        100,
    ]
    assert model.run_progress("failed") == 0


def test_input_checks_name_their_field() -> None:
    assert model.check_per_request("per_request", None) is None
    assert model.check_per_request("per_request", 1) == 1
    with pytest.raises(InvalidInput) as zero:
        model.check_per_request("per_request", 0)
    assert zero.value.detail == "per_request: give at least 1, or leave it empty"
    model.check_not_before("not_before", None, D(2024, 5, 1))
    model.check_not_before("not_before", D(2024, 5, 1), D(2024, 5, 1))
    with pytest.raises(InvalidInput) as early:
        model.check_not_before("not_before", D(2024, 4, 30), D(2024, 5, 1))
    assert (
        early.value.detail
        == "not_before: is before the available-from date 2024-05-01: leave it empty"
    )
    model.check_can_give(5, 5, 9)
    with pytest.raises(InvalidInput) as short:
        model.check_can_give(4, 5, 9)
    assert short.value.detail == "quantity: availability line 9 holds 4, not the 5 proposed"


def _actor(kind: DelegationKind, delegation_id: int, role: Role = Role.OFFICER) -> Actor:
    return Actor("u", "X", delegation_id, kind, role)


def test_who_may_do_what() -> None:
    sec = _actor(DelegationKind.SECRETARIAT, 1, Role.CHAIR)
    deu = _actor(DelegationKind.MEMBER, 3)
    viewer = _actor(DelegationKind.MEMBER, 3, Role.VIEWER)
    ukr = _actor(DelegationKind.PARTNER, 2)
    assert policy.may_run(sec) and not policy.may_run(deu) and not policy.may_run(ukr)
    assert policy.may_declare(deu) and policy.may_declare(sec) and not policy.may_declare(viewer)
    assert policy.allowed(deu, policy.Action.ANSWER_PROPOSAL, 3)
    assert not policy.allowed(deu, policy.Action.ANSWER_PROPOSAL, 4)
    assert not policy.allowed(sec, policy.Action.ANSWER_PROPOSAL, 3)
    assert policy.allowed(sec, policy.Action.SEND_PROPOSAL)
    with pytest.raises(Forbidden) as refused:
        policy.require(deu, policy.Action.RUN_MATCHING)
    assert refused.value.detail == "X may not run the clearing house: only the secretariat may"
    ro = Actor("u", "X", 3, DelegationKind.MEMBER, Role.OFFICER, scopes=frozenset({Scope.READ}))
    assert not policy.may_declare(ro)


# ---- the optimiser on hand-solved cases ------------------------------------------------------


@dataclass
class Scene:
    """A small problem in words: items (area, tags), requests, lines; members by index."""

    items: list[tuple[int, list[str]]]
    requests: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    members: int = 3
    today: int = 0
    tags: list[str] = field(default_factory=list)

    def problem(self) -> solver.Problem:
        tags = sorted({t for _, ts in self.items for t in ts})
        pairs = [(i, tags.index(t)) for i, (_, ts) in enumerate(self.items) for t in sorted(ts)]
        r, ln = self.requests, self.lines
        named = [(i, m) for i, q in enumerate(r) for m in q.get("to", [])]

        def ints(values: list[Any]) -> solver.Ints:
            return np.array(values, dtype=np.int64)

        return solver.Problem(
            today=self.today,
            item_area=ints([a for a, _ in self.items]),
            tag_item=ints([p[0] for p in pairs]),
            tag_of=ints([p[1] for p in pairs]),
            request_item=ints([q.get("item", -1) for q in r]),
            request_area=ints(
                [q.get("area", self.items[q["item"]][0] if "item" in q else 0) for q in r]
            ),
            request_need=ints([q["need"] for q in r]),
            request_quantity=ints([q.get("quantity", q["need"]) for q in r]),
            request_priority=[str(q.get("priority", "high")) for q in r],
            request_need_by=ints([q.get("by", solver.NO_DATE) for q in r]),
            request_to_all=np.array(["to" not in q for q in r], dtype=bool),
            request_training=np.array([bool(q.get("training", False)) for q in r], dtype=bool),
            addressee_request=ints([n[0] for n in named]),
            addressee_member=ints([n[1] for n in named]),
            line_member=ints([a["member"] for a in ln]),
            line_item=ints([a["item"] for a in ln]),
            line_quantity=ints([a["quantity"] for a in ln]),
            line_day=ints([a.get("day", 0) for a in ln]),
            line_training_only=np.array(
                [bool(a.get("training_only", False)) for a in ln], dtype=bool
            ),
            line_per_request=ints([a.get("per_request", 0) for a in ln]),
            members=self.members,
            tags=tags,
        )


def allocate(scene: Scene, rule: LateRule = FORBID) -> dict[tuple[int, int], int]:
    """(request, line) → units, as the optimiser proposes them."""
    p = scene.problem()
    c = solver.candidates(p, rule)
    sol = solver.solve(solver.programme(p, c), 10)
    return {
        (int(c.request[e]), int(c.line[e])): int(sol.units[e]) for e in np.flatnonzero(sol.units)
    }


# Items: 0 and 1 are 155mm rounds of two makes (area 0, tag 155mm); 2 a Patriot (area 1).
ITEMS = [(0, ["155mm"]), (0, ["155mm"]), (1, ["patriot"])]


def test_priority_weighted_coverage_comes_first() -> None:
    # One line of 10 rounds; a critical and a low request of 10 each: the critical one gets
    # all 10 (8 × 10**6 points against 1 × 10**6).
    scene = Scene(
        ITEMS,
        [
            {"item": 0, "need": 10, "priority": "low"},
            {"item": 0, "need": 10, "priority": "critical"},
        ],
        [{"member": 0, "item": 0, "quantity": 10}],
    )
    assert allocate(scene) == {(1, 0): 10}


def test_a_compatible_item_frees_the_only_addressee_for_the_request_that_needs_it() -> None:
    # Request 0 (critical, to all) needs 10 rounds of make 0; request 1 (high) needs 10 rounds
    # of make 0 but is addressed to member 0 only. Member 0 has 10 of make 0 (early, day 1);
    # member 1 has 10 of make 1 (day 5), compatible by the tag 155mm. Greedy serves request 0
    # first from its earliest donor, member 0, and leaves request 1 with nothing; the optimum
    # gives member 1's rounds to request 0 and member 0's to request 1: both covered.
    scene = Scene(
        ITEMS,
        [
            {"item": 0, "need": 10, "priority": "critical"},
            {"item": 0, "need": 10, "priority": "high", "to": [0]},
        ],
        [
            {"member": 0, "item": 0, "quantity": 10, "day": 1},
            {"member": 1, "item": 1, "quantity": 10, "day": 5},
        ],
    )
    assert allocate(scene) == {(0, 1): 10, (1, 0): 10}
    p = scene.problem()
    c = solver.candidates(p, FORBID)
    greedy = solver.greedy(p, c)
    assert {
        (int(c.request[e]), int(c.line[e])): int(greedy[e]) for e in np.flatnonzero(greedy)
    } == {(0, 0): 10}


def test_then_the_earliest_delivery() -> None:
    # One request of 5; two lines of 5, from different members, arriving on days 30 and 10:
    # the same coverage either way, so the one arriving on day 10.
    scene = Scene(
        ITEMS,
        [{"item": 0, "need": 5}],
        [
            {"member": 0, "item": 0, "quantity": 5, "day": 30},
            {"member": 1, "item": 0, "quantity": 5, "day": 10},
        ],
    )
    assert allocate(scene) == {(0, 1): 5}


def test_then_the_fewest_donors() -> None:
    # A request of 10, all lines arriving the same day: 6 + 4 from two members, or 10 from a
    # third: the same coverage and the same unit-days, so one donor.
    scene = Scene(
        ITEMS,
        [{"item": 0, "need": 10}],
        [
            {"member": 0, "item": 0, "quantity": 6, "day": 3},
            {"member": 1, "item": 1, "quantity": 4, "day": 3},
            {"member": 2, "item": 0, "quantity": 10, "day": 3},
        ],
    )
    assert allocate(scene) == {(0, 2): 10}


def test_late_lines_are_forbidden_or_discounted_by_the_setting() -> None:
    # Need by day 10; the only line arrives on day 20 (10 days late).
    scene = Scene(
        ITEMS,
        [{"item": 0, "need": 4, "by": 10}],
        [{"member": 0, "item": 0, "quantity": 4, "day": 20}],
    )
    assert allocate(scene, FORBID) == {}
    assert allocate(scene, DISCOUNT) == {(0, 0): 4}
    p = scene.problem()
    c = solver.candidates(p, DISCOUNT)
    assert c.late.tolist() == [10]
    assert solver.points(p, c).tolist() == [500_000]  # high 4 × 10**6 / 4 units, halved
    forbidden = solver.candidates(p, FORBID)
    ex = solver.explain(p, forbidden, np.zeros(0, np.int64))
    assert ex.causes == [Cause.DATES] and ex.uncovered_units.tolist() == [4]
    assert solver.explain(p, c, np.array([4])).limits == [[Limit.QUANTITY, Limit.DATE]]


def test_conditions_the_member_set() -> None:
    # A training-only line does not serve an artillery request; a line "at most 3 to one
    # request" gives 3 of the 10 needed, and the other 7 are short for lack of quantity.
    scene = Scene(
        ITEMS,
        [{"item": 0, "need": 10}],
        [{"member": 0, "item": 0, "quantity": 10, "training_only": True}],
    )
    assert allocate(scene) == {}
    p = scene.problem()
    c = solver.candidates(p, FORBID)
    assert solver.explain(p, c, np.zeros(0, np.int64)).causes == [Cause.CONDITIONS]
    capped = Scene(
        ITEMS,
        [{"item": 0, "need": 10}],
        [{"member": 0, "item": 0, "quantity": 10, "per_request": 3}],
    )
    assert allocate(capped) == {(0, 0): 3}
    p = capped.problem()
    c = solver.candidates(p, FORBID)
    ex = solver.explain(p, c, np.array([3]))
    assert ex.limits == [[Limit.CONDITION]]
    assert ex.causes == [Cause.NOT_ENOUGH_QUANTITY] and ex.uncovered_units.tolist() == [7]


def test_uncovered_causes_in_a_run() -> None:
    # Request 0 asks for a Patriot nobody has; request 1 for rounds only member 2 is asked
    # for, who has none; request 2 for a whole area (0): member 0's rounds of make 1 serve it.
    scene = Scene(
        ITEMS,
        [{"item": 2, "need": 1}, {"item": 0, "need": 5, "to": [2]}, {"area": 0, "need": 3}],
        [{"member": 0, "item": 1, "quantity": 3}],
    )
    assert allocate(scene) == {(2, 0): 3}
    p = scene.problem()
    c = solver.candidates(p, FORBID)
    assert solver.compatibility_of(c, 0) == Compatibility.IN_AREA
    ex = solver.explain(p, c, np.array([3]))
    assert ex.uncovered_requests.tolist() == [0, 1]
    assert ex.causes == [Cause.NO_COMPATIBLE_ITEM, Cause.NO_ADDRESSEE_HAS_IT]


# ---- a property: the rules are never broken ------------------------------------------------


@st.composite
def scenes(draw: st.DrawFn) -> Scene:
    tagsets = draw(
        st.lists(st.sets(st.sampled_from(["a", "b", "c"]), max_size=2), min_size=1, max_size=5)
    )
    items = [(draw(st.integers(0, 1)), sorted(t)) for t in tagsets]
    item = st.integers(0, len(items) - 1)
    requests = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "item": item,
                    "need": st.integers(1, 9),
                    "priority": st.sampled_from(list(model.PRIORITY_WEIGHT)),
                },
                optional={
                    "to": st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True),
                    "by": st.integers(0, 9),
                },
            ),
            min_size=1,
            max_size=6,
        )
    )
    lines = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "member": st.integers(0, 2),
                    "item": item,
                    "quantity": st.integers(1, 9),
                    "day": st.integers(0, 9),
                },
                optional={"per_request": st.integers(1, 5)},
            ),
            min_size=1,
            max_size=8,
        )
    )
    return Scene(items, requests, lines)


@settings(max_examples=40, deadline=None)
@given(scenes(), st.sampled_from([FORBID, DISCOUNT]))
def test_no_proposal_breaks_addressee_compatibility_quantity_or_date(
    scene: Scene, rule: LateRule
) -> None:
    given_to: dict[int, int] = {}
    taken: dict[int, int] = {}
    for (r, a), units in allocate(scene, rule).items():
        q, line = scene.requests[r], scene.lines[a]
        ri, li = int(q["item"]), int(line["item"])
        assert model.compatibility(
            ri,
            frozenset(scene.items[ri][1]),
            scene.items[ri][0],
            li,
            frozenset(scene.items[li][1]),
            scene.items[li][0],
        ), (q, line)
        assert model.addressee_admits(
            "to" not in q, int(line["member"]), frozenset(q.get("to", []))
        )
        late = max(int(line["day"]) - int(q.get("by", solver.NO_DATE)), 0)
        assert model.date_admits(late, rule)
        assert units <= int(line.get("per_request", units))
        given_to[r] = given_to.get(r, 0) + units
        taken[a] = taken.get(a, 0) + units
    assert all(given_to[r] <= int(scene.requests[r]["need"]) for r in given_to)
    assert all(taken[a] <= int(scene.lines[a]["quantity"]) for a in taken)


def test_the_objective_of_an_allocation() -> None:
    # test_then_the_fewest_donors' scene: 10 units at 400 000 points each (high 4 × 10**6 /
    # 10), 3 days' wait each; one pair used (member 2) or two (members 0 and 1).
    scene = Scene(
        ITEMS,
        [{"item": 0, "need": 10}],
        [
            {"member": 0, "item": 0, "quantity": 6, "day": 3},
            {"member": 1, "item": 1, "quantity": 4, "day": 3},
            {"member": 2, "item": 0, "quantity": 10, "day": 3},
        ],
    )
    p = scene.problem()
    prog = solver.programme(p, solver.candidates(p, FORBID))
    eps2, eps3 = prog.eps
    one = solver.objective(prog, np.array([0, 0, 10]))
    two = solver.objective(prog, np.array([6, 4, 0]))
    assert one == pytest.approx(4_000_000 - eps2 * 30 - eps3, abs=1e-6)
    assert two < one and one - two == pytest.approx(eps3, rel=1e-3)
