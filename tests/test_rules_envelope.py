"""The envelope's rules, held to answers written out by hand from the README's words: a
package is as ready as its least covered component, which is named; a per-month component
counts only what arrived in the sustain window; delivered quantities use up the earliest
tranches first; the projection moves when a tranche slips; the best next delivery is the one
that raises readiness most. Percentages below are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.access.model import Actor, Role, Scope
from shieldwall.delegations.model import DelegationKind
from shieldwall.envelope import model, policy
from shieldwall.envelope.model import (
    Component,
    ComponentKind,
    Delivered,
    Outstanding,
    Package,
    Tranche,
)
from shieldwall.envelope.policy import Action
from shieldwall.kit.errors import Forbidden, InvalidInput, RuleViolation

ARM, TRAIN, EQUIP, SUSTAIN = (
    ComponentKind.ARM,
    ComponentKind.TRAIN,
    ComponentKind.EQUIP,
    ComponentKind.SUSTAIN,
)
D = dt.date
LAUNCHER = Component("launcher", EQUIP, 6, False, "Patriot launcher", "launcher")
RADAR = Component("radar", EQUIP, 1, False, "Patriot radar", "radar")
INTERCEPTOR = Component("pac-3", ARM, 10, True, "PAC-3 MSE interceptor", "missile")
CREW = Component("crew", TRAIN, 3, False, "Air-defence crew training", "crew")
# Two batteries needed; interceptors counted over the last three months.
PATRIOT = Package(
    "patriot", "Patriot battery", "air-defence", 2, 3, (LAUNCHER, RADAR, INTERCEPTOR, CREW)
)
ON = D(2024, 3, 1)


def _at(day: dt.date, quantity: int) -> list[Delivered]:
    return [Delivered(day, quantity)]


# ---- readiness names the limiting component -------------------------------------------------


def test_readiness_is_the_least_covered_component_and_names_it() -> None:
    # Needs: launchers 6 × 2 = 12, radar 1 × 2 = 2, interceptors 10 × 2 = 20 a month, so 60
    # over 3 months, crews 3 × 2 = 6. Delivered: 12 launchers (100%), 2 radars (100%), 24
    # interceptors in the window (24/60 = 40%), 3 crews (3/6 = 50%): readiness 40%, limited by
    # the interceptors.
    events = {
        "launcher": _at(D(2023, 9, 1), 12),
        "radar": _at(D(2023, 9, 1), 2),
        "pac-3": _at(D(2024, 1, 15), 24),
        "crew": _at(D(2023, 12, 1), 3),
    }
    ready = model.package_readiness(PATRIOT, events, ON)
    assert ready.value == Fraction(2, 5)
    assert ready.limiting is not None and ready.limiting.component == INTERCEPTOR
    assert [c.coverage for c in ready.covers] == [1, 1, Fraction(2, 5), Fraction(1, 2)]
    assert [(c.covered, c.need) for c in ready.covers] == [(12, 12), (2, 2), (24, 60), (3, 6)]
    assert model.limited_by(ready.limiting) == (
        "limited by munitions (PAC-3 MSE interceptor): 24 of 60 missiles in the last 3 months"
    )
    # Units ready: launchers 12 // 6 = 2, radar 2 // 1 = 2, interceptors 24 // 30 = 0,
    # crews 3 // 3 = 1: none is ready to fight.
    assert ready.units_ready == 0


def test_a_delivered_system_without_crews_is_not_ready() -> None:
    events = {
        "launcher": _at(D(2023, 9, 1), 12),
        "radar": _at(D(2023, 9, 1), 2),
        "pac-3": _at(D(2024, 2, 1), 60),
    }
    ready = model.package_readiness(PATRIOT, events, ON)
    assert ready.value == 0
    assert ready.limiting is not None and ready.limiting.component == CREW
    assert model.limited_by(ready.limiting) == (
        "limited by trained crews (Air-defence crew training): 0 of 6 crews"
    )


def test_the_limiting_component_in_words_counts_its_units() -> None:
    # One unit needed of one radar, a unit no shipped catalogue counts in: "1 × radar", in
    # any language (the catalogue's units are counted in the reader's: "6 crews", "6 екіпажів");
    # a component counted in no named unit counts "units"; a one-month window is "1 month".
    one = Package("p", "P", "a", 1, 1, (RADAR,))
    limiting = model.package_readiness(one, {}, ON).limiting
    assert limiting is not None
    assert model.limited_by(limiting) == "limited by equipment (Patriot radar): 0 of 1 × radar"
    fuel = Package("p", "P", "a", 1, 1, (Component("fuel", SUSTAIN, 2, True),))
    limiting = model.package_readiness(fuel, {"fuel": _at(D(2024, 2, 1), 5)}, ON).limiting
    assert limiting is not None
    assert model.limited_by(limiting) == (
        "limited by sustainment (fuel): 0 of 2 units in the last 1 month"
    )


def test_units_ready_is_the_least_number_of_whole_units() -> None:
    # Crews 5 // 3 = 1 unit; everything else supplies both: 1 of 2 units; readiness is the
    # crews' 5/6.
    events = {
        "launcher": _at(D(2023, 9, 1), 13),
        "radar": _at(D(2023, 9, 1), 2),
        "pac-3": _at(D(2024, 2, 1), 65),
        "crew": _at(D(2023, 12, 1), 5),
    }
    ready = model.package_readiness(PATRIOT, events, ON)
    assert (ready.value, ready.units_ready) == (Fraction(5, 6), 1)
    # More than needed: at most the units needed, and coverage at most 100%.
    events["crew"] = _at(D(2023, 12, 1), 30)
    ready = model.package_readiness(PATRIOT, events, ON)
    assert (ready.value, ready.units_ready) == (Fraction(1), 2)


def test_ties_go_to_the_first_kind_then_the_item_code() -> None:
    # Every component covered 50%: arm comes before train and equip.
    package = Package(
        "p",
        "P",
        "a",
        1,
        1,
        (Component("b", EQUIP, 2), Component("z", ARM, 2), Component("a", TRAIN, 2)),
    )
    events = {"b": _at(ON, 1), "z": _at(ON, 1), "a": _at(ON, 1)}
    limiting = model.package_readiness(package, events, ON).limiting
    assert limiting is not None and limiting.component.item == "z"
    # Two of one kind: the item code decides.
    package = Package("p", "P", "a", 1, 1, (Component("b", EQUIP, 2), Component("a", EQUIP, 2)))
    limiting = model.package_readiness(package, {"a": _at(ON, 1), "b": _at(ON, 1)}, ON).limiting
    assert limiting is not None and limiting.component.item == "a"
    assert model.KIND_ORDER == (ARM, TRAIN, EQUIP, SUSTAIN)


def test_a_package_without_components_is_not_ready() -> None:
    assert model.readiness([]) == (Fraction(0), None)
    assert model.units_ready([], 3) == 0


# ---- coverage and the per-month window ------------------------------------------------------


@pytest.mark.parametrize(
    ("covered", "need", "expected"),
    [
        (0, 10, Fraction(0)),
        (4, 10, Fraction(2, 5)),
        (10, 10, Fraction(1)),
        (15, 10, Fraction(1)),  # more than needed: all of it
        (-3, 10, Fraction(0)),  # a correction below nothing: nothing
        (0, 1, Fraction(0)),
        (1, 1, Fraction(1)),
        (0, 0, Fraction(1)),  # nothing needed: fully covered
        (5, 0, Fraction(1)),
    ],
)
def test_coverage(covered: int, need: int, expected: Fraction) -> None:
    assert model.coverage(covered, need) == expected


def test_a_per_month_component_counts_only_its_window() -> None:
    # As of 1 March 2024, three months back: after 1 December 2023, up to 1 March 2024.
    events = [
        Delivered(D(2023, 12, 1), 1),  # out: the window starts after it
        Delivered(D(2023, 12, 2), 10),
        Delivered(D(2024, 3, 1), 100),
        Delivered(D(2024, 3, 2), 1000),  # out: after the date
    ]
    assert model.covered_quantity(events, ON, 3) == 110
    assert model.covered_quantity(events, ON) == 111  # no window: everything by the date
    assert model.covered_quantity(events, ON, 1) == 100  # after 1 February


def test_a_battery_without_a_steady_flow_of_interceptors_is_not_ready() -> None:
    # 200 interceptors delivered a year ago: none in the last 3 months.
    package = Package("p", "P", "air-defence", 2, 3, (INTERCEPTOR,))
    ready = model.package_readiness(package, {"pac-3": _at(D(2023, 3, 1), 200)}, ON)
    assert ready.value == 0
    # 20 a month for 3 months against 20 × 3 = 60: ready.
    flow = [
        Delivered(D(2023, 12, 15), 20),
        Delivered(D(2024, 1, 15), 20),
        Delivered(D(2024, 2, 15), 20),
    ]
    assert model.package_readiness(package, {"pac-3": flow}, ON).value == 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # a leap year's February
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2024, 1, 15), -1, D(2023, 12, 15)),
        (D(2024, 5, 31), 3, D(2024, 8, 31)),
        (D(2024, 5, 10), 0, D(2024, 5, 10)),
        (D(2024, 11, 30), 14, D(2026, 1, 30)),
    ],
)
def test_months_after(day: dt.date, months: int, expected: dt.date) -> None:
    assert model.months_after(day, months) == expected


def test_needs() -> None:
    assert model.need(CREW, 4) == 12
    assert model.counted_need(CREW, 4, 3) == 12
    assert model.counted_need(INTERCEPTOR, 4, 3) == 120


def test_series_days_are_the_first_of_each_month_and_the_date() -> None:
    assert model.series_days(D(2024, 4, 2), 2, 1) == [
        D(2024, 2, 1),
        D(2024, 3, 1),
        D(2024, 4, 1),
        D(2024, 4, 2),
        D(2024, 5, 1),
    ]
    assert model.series_days(D(2024, 4, 1), 0, 0) == [D(2024, 4, 1)]


# ---- areas ----------------------------------------------------------------------------------


def test_an_area_is_the_mean_of_its_packages() -> None:
    assert model.area_readiness([Fraction(4, 5), Fraction(3, 5)]) == Fraction(7, 10)
    assert model.area_readiness([Fraction(1, 2)]) == Fraction(1, 2)
    assert model.area_readiness([]) == 0


def test_the_envelope_is_readiness_per_area() -> None:
    crews = Package("a", "A", "air-defence", 1, 1, (Component("crew", TRAIN, 4),))
    kits = Package("d", "D", "demining", 1, 1, (Component("kit", EQUIP, 10),))
    more = Package("b", "B", "air-defence", 1, 1, (Component("crew", TRAIN, 2),))
    events = {"crew": _at(D(2024, 1, 1), 2), "kit": _at(D(2024, 1, 1), 3)}
    # Air defence: (2/4 + 2/2) / 2 = 3/4; demining: 3/10.
    assert model.envelope([crews, kits, more], events, ON) == {
        "air-defence": Fraction(3, 4),
        "demining": Fraction(3, 10),
    }


# ---- packages as defined --------------------------------------------------------------------


def test_a_package_names_each_item_once_and_needs_one() -> None:
    with pytest.raises(InvalidInput, match="components: a package needs at least one"):
        model.check_components("components", [])
    with pytest.raises(InvalidInput, match="item 'crew' is named twice") as twice:
        model.check_components("components", [CREW, Component("crew", ARM, 1)])
    assert twice.value.extra["errors"] == [
        {"field": "components", "message": "item 'crew' is named twice: give it once"}
    ]
    with pytest.raises(InvalidInput, match=r"components\.quantity_per_unit: give at least 1"):
        model.check_components("components", [Component("crew", ARM, 0)])
    model.check_components("components", [CREW, RADAR])


@pytest.mark.parametrize(("months", "ok"), [(0, False), (1, True), (36, True), (37, False)])
def test_the_sustain_window_runs_from_one_month_to_three_years(months: int, ok: bool) -> None:
    if ok:
        assert model.check_window("w", months) == months
    else:
        with pytest.raises(InvalidInput, match="w: give a number of months from 1 to 36"):
            model.check_window("w", months)


def test_units_needed_and_kinds() -> None:
    assert model.check_units_needed("units_needed", 1) == 1
    with pytest.raises(InvalidInput, match="units_needed: give at least 1"):
        model.check_units_needed("units_needed", 0)
    assert model.component_kind("kind", " Sustain ") == SUSTAIN
    with pytest.raises(InvalidInput, match="kind: use one of arm, train, equip, sustain"):
        model.component_kind("kind", "finance")


# ---- projection: tranches, first in first out -----------------------------------------------


def _tranches() -> list[Tranche]:
    # Committed 10 of item "crew": 4 on 10 January, 3 on 1 March, 3 on 1 February.
    return [
        Tranche(1, 7, "crew", 4, D(2024, 1, 10)),
        Tranche(2, 7, "crew", 3, D(2024, 3, 1)),
        Tranche(3, 7, "crew", 3, D(2024, 2, 1)),
    ]


def test_delivered_quantity_uses_up_the_earliest_tranches_first() -> None:
    # 5 delivered: tranche 1 (4, January) is used up, and 1 of tranche 3 (February); left:
    # 2 in February and all 3 of March.
    assert model.outstanding_tranches(_tranches(), delivered=5, committed=10) == [
        Outstanding(3, 7, "crew", 2, D(2024, 2, 1)),
        Outstanding(2, 7, "crew", 3, D(2024, 3, 1)),
    ]
    # Nothing delivered: all of it, in date order.
    assert [o.quantity for o in model.outstanding_tranches(_tranches(), 0, 10)] == [4, 3, 3]
    # Everything delivered: nothing outstanding.
    assert model.outstanding_tranches(_tranches(), 10, 10) == []


def test_outstanding_tranches_are_capped_at_what_remains_committed() -> None:
    # The commitment was cut to 8 (a correction): 3 remain after 5 delivered, so February's 2
    # and only 1 of March's 3.
    assert [(o.tranche_id, o.quantity) for o in model.outstanding_tranches(_tranches(), 5, 8)] == [
        (3, 2),
        (2, 1),
    ]
    # Delivered beyond the commitment (it was cut after): nothing outstanding.
    assert model.outstanding_tranches(_tranches(), 9, 8) == []


def test_what_was_delivered_before_the_plan_is_not_part_of_it() -> None:
    # 6 of 10 delivered before any tranche was planned; the plan is "the rest": 4 in May.
    rest = [Tranche(1, 7, "crew", 4, D(2024, 5, 1))]
    assert model.outstanding_tranches(rest, 6, 10, delivered_before_plan=6) == [
        Outstanding(1, 7, "crew", 4, D(2024, 5, 1))
    ]
    # Had the plan been made before those 6 were delivered, they would have used it up.
    assert model.outstanding_tranches(rest, 6, 10) == []
    # 2 delivered since the plan use up 2 of its tranche.
    assert model.outstanding_tranches(rest, 8, 10, delivered_before_plan=6) == [
        Outstanding(1, 7, "crew", 2, D(2024, 5, 1))
    ]
    # The rule for planning counts the same way: 4 may be planned, not 5.
    model.check_plan("offer 7", 10, 6, [4], delivered_before_plan=6)
    with pytest.raises(RuleViolation, match="would plan 5 still to come, but only 4 remain"):
        model.check_plan("offer 7", 10, 6, [5], delivered_before_plan=6)
    # 8 delivered, 6 of them before the plan of 4 and 1: 2 used, 3 to come of the 2 remaining.
    with pytest.raises(RuleViolation, match="would plan 3 still to come, but only 2 remain"):
        model.check_plan("offer 7", 10, 8, [4, 1], delivered_before_plan=6)
    model.check_plan("offer 7", 10, 8, [4], delivered_before_plan=6)


def test_tranches_on_the_same_day_go_in_the_order_they_were_planned() -> None:
    same = [Tranche(9, 7, "crew", 2, D(2024, 2, 1)), Tranche(4, 7, "crew", 2, D(2024, 2, 1))]
    assert [o.tranche_id for o in model.outstanding_tranches(same, 1, 4)] == [4, 9]
    assert [o.quantity for o in model.outstanding_tranches(same, 1, 4)] == [1, 2]


def test_unplanned_is_what_remains_committed_without_a_tranche() -> None:
    outstanding = model.outstanding_tranches(_tranches()[:1], delivered=1, committed=10)
    assert outstanding == [Outstanding(1, 7, "crew", 3, D(2024, 1, 10))]
    assert model.unplanned(10, 1, outstanding) == 6  # 10 − 1 delivered − 3 planned
    assert model.unplanned(10, 10, []) == 0
    assert model.unplanned(8, 9, []) == 0


def test_a_plan_may_not_plan_more_than_remains_to_be_delivered() -> None:
    model.check_plan("offer 7", committed=10, delivered=6, planned=[4, 6])  # 10 − 6 = 4 ≤ 4
    model.check_plan("offer 7", committed=10, delivered=6, planned=[2])  # all used up
    model.check_plan("offer 7", committed=10, delivered=10, planned=[2])  # all delivered
    with pytest.raises(RuleViolation, match="would plan 1 still to come, but only 0 remain"):
        model.check_plan("offer 7", committed=10, delivered=10, planned=[11])
    with pytest.raises(RuleViolation, match="would plan 5 still to come") as refused:
        model.check_plan("offer 7", committed=10, delivered=6, planned=[4, 6, 1])
    assert refused.value.detail == (
        "offer 7: the tranches would plan 5 still to come, but only 4 remain to be delivered "
        "(committed 10, delivered 6)"
    )
    assert refused.value.extra["rule"] == "planned outstanding ≤ committed − delivered"


def test_an_overdue_tranche_is_expected_from_tomorrow() -> None:
    today = D(2024, 4, 2)
    late = Outstanding(1, 7, "crew", 2, D(2024, 3, 1))
    due_today = Outstanding(2, 7, "crew", 2, today)
    ahead = Outstanding(3, 7, "crew", 2, D(2024, 5, 1))
    unplanned = Outstanding(None, 7, "crew", 2, None)
    assert model.expected_arrival(late, today) == D(2024, 4, 3)
    assert model.expected_arrival(due_today, today) == D(2024, 4, 3)
    assert model.expected_arrival(ahead, today) == D(2024, 5, 1)
    assert model.projected([late, ahead, unplanned], today) == {
        "crew": [Delivered(D(2024, 4, 3), 2), Delivered(D(2024, 5, 1), 2)]
    }


# ---- the projection moves when a schedule slips ---------------------------------------------

TODAY = D(2024, 1, 15)
PATRIOT_CREWS = Package("patriot", "Patriot", "air-defence", 1, 3, (Component("crew", TRAIN, 10),))
IRIS_CREWS = Package("iris-t", "IRIS-T", "air-defence", 1, 3, (Component("iris-crew", TRAIN, 5),))


def test_the_projection_moves_when_a_tranche_slips() -> None:
    # Patriot: 10 crews needed, 3 trained; 5 more expected on 10 February. IRIS-T: 5 needed, 3
    # trained. On 1 March: Patriot (3 + 5)/10 = 80%, IRIS-T 3/5 = 60%: air defence 70%. If the
    # tranche slips three months (to 10 May), Patriot is 3/10 = 30% on 1 March: air defence
    # (30 + 60)/2 = 45%. By 1 June it has arrived either way: back to 70%.
    actual = {"crew": _at(D(2023, 12, 1), 3), "iris-crew": _at(D(2023, 12, 1), 3)}
    # The offer's plan: 3 in November (delivered: that tranche is used up), 5 in February.
    tranches = [Tranche(1, 7, "crew", 3, D(2023, 11, 20)), Tranche(2, 7, "crew", 5, D(2024, 2, 10))]
    plan = model.outstanding_tranches(tranches, delivered=3, committed=8)
    assert plan == [Outstanding(2, 7, "crew", 5, D(2024, 2, 10))]
    packages = [PATRIOT_CREWS, IRIS_CREWS]
    before = model.merged(actual, model.projected(plan, TODAY))
    slipped = model.slipped(plan, 2, 3, TODAY)
    assert slipped == [Outstanding(2, 7, "crew", 5, D(2024, 5, 10))]
    after = model.merged(actual, model.projected(slipped, TODAY))
    assert model.envelope(packages, before, ON) == {"air-defence": Fraction(7, 10)}
    assert model.envelope(packages, after, ON) == {"air-defence": Fraction(9, 20)}
    assert model.envelope(packages, after, D(2024, 6, 1)) == {"air-defence": Fraction(7, 10)}
    # Today the slip changes nothing: what has arrived is in the ledger.
    assert model.envelope(packages, after, TODAY) == model.envelope(packages, before, TODAY)


def test_an_overdue_tranche_slips_from_tomorrow() -> None:
    plan = [Outstanding(1, 7, "crew", 5, D(2023, 12, 1))]  # due before today, not delivered
    assert model.slipped(plan, 1, 2, TODAY) == [Outstanding(1, 7, "crew", 5, D(2024, 3, 16))]


def test_only_an_outstanding_tranche_slips_and_by_whole_months() -> None:
    plan = [
        Outstanding(1, 7, "crew", 5, D(2024, 2, 10)),
        Outstanding(2, 7, "crew", 1, D(2024, 3, 1)),
    ]
    assert model.slipped(plan, 2, 1, TODAY) == [
        plan[0],
        Outstanding(2, 7, "crew", 1, D(2024, 4, 1)),
    ]
    with pytest.raises(InvalidInput, match="slip: tranche 3 has nothing outstanding to slip"):
        model.slipped(plan, 3, 3, TODAY)
    with pytest.raises(InvalidInput, match="slip_months: give a number of months from 1 to 120"):
        model.slipped(plan, 1, 0, TODAY)
    with pytest.raises(InvalidInput, match="slip_months"):
        model.slipped(plan, 1, 121, TODAY)
    assert model.slipped(plan, 1, 120, TODAY)[0].expected_on == D(2034, 2, 10)


def test_a_per_month_tranche_that_slips_can_count_later_in_a_window() -> None:
    # Interceptors counted over 3 months: 30 expected on 10 February count on 1 March and are
    # out of the window by 1 June; slipped to 10 May they count on 1 June instead. Slipping
    # lowers readiness before the new date, and may raise it after: a later flow is fresher.
    package = Package("p", "P", "air-defence", 1, 3, (Component("pac-3", ARM, 10, True),))
    plan = [Outstanding(1, 7, "pac-3", 30, D(2024, 2, 10))]
    before = model.projected(plan, TODAY)
    after = model.projected(model.slipped(plan, 1, 3, TODAY), TODAY)
    assert model.package_readiness(package, before, ON).value == 1
    assert model.package_readiness(package, after, ON).value == 0
    assert model.package_readiness(package, before, D(2024, 6, 1)).value == 0
    assert model.package_readiness(package, after, D(2024, 6, 1)).value == 1


# ---- the best next delivery -----------------------------------------------------------------


def test_the_best_single_delivery_raises_the_limiting_component() -> None:
    # Patriot (air defence) limited by its crews (3 of 6 = 50%, launchers 12 of 12); demining
    # 4 kits of 10 = 40%. Candidates: 3 crews planned for May (Patriot 50% → 100%: air defence
    # +50 points), 6 launchers (not limiting: nothing), 2 kits not yet planned (40% → 60%:
    # +20 points).
    patriot = Package("patriot", "Patriot", "air-defence", 2, 3, (LAUNCHER, CREW))
    kits = Package("kits", "Demining", "demining", 1, 3, (Component("kit", EQUIP, 10),))
    events = {
        "launcher": _at(D(2023, 9, 1), 12),
        "crew": _at(D(2023, 9, 1), 3),
        "kit": _at(D(2023, 9, 1), 4),
    }
    crews = Outstanding(1, 7, "crew", 3, D(2024, 5, 1))
    launchers = Outstanding(2, 8, "launcher", 6, D(2024, 4, 1))
    kit = Outstanding(None, 9, "kit", 2, None)
    gains = model.best_single_delivery([patriot, kits], events, [kit, launchers, crews], TODAY)
    assert [g.candidate for g in gains] == [crews, kit]
    assert gains[0].packages == {"patriot": (Fraction(1, 2), Fraction(1))}
    assert gains[0].areas == {"air-defence": (Fraction(1, 2), Fraction(1))}
    assert (gains[0].gain, gains[1].gain) == (Fraction(1, 2), Fraction(1, 5))


def test_gains_are_to_areas_and_ties_go_to_the_bigger_package_gain_then_the_earliest() -> None:
    # Two packages in one area: a gain of 40 points to one package is 20 to the area.
    a = Package("a", "A", "x", 1, 1, (Component("i", EQUIP, 10),))
    b = Package("b", "B", "x", 1, 1, (Component("j", EQUIP, 5),))
    c = Package("c", "C", "y", 1, 1, (Component("k", EQUIP, 10), Component("l", EQUIP, 10)))
    events: model.Events = {"l": _at(ON, 10)}
    four_i = Outstanding(1, 1, "i", 4, D(2024, 6, 1))  # A +40: area x +20
    two_j = Outstanding(2, 2, "j", 2, D(2024, 5, 1))  # B +40: area x +20
    two_k = Outstanding(3, 3, "k", 2, D(2024, 7, 1))  # C +20: area y +20
    also_i = Outstanding(4, 4, "i", 4, D(2024, 4, 1))  # as four_i, earlier
    gains = model.best_single_delivery([a, b, c], events, [two_k, four_i, two_j, also_i], ON)
    assert [g.candidate.tranche_id for g in gains] == [4, 2, 1, 3]
    assert [g.gain for g in gains] == [Fraction(1, 5)] * 4
    assert [g.best_package_gain for g in gains] == [Fraction(2, 5)] * 3 + [Fraction(1, 5)]
    # The same offer, the same day: the tranche planned first comes first.
    seventh = Outstanding(7, 9, "i", 4, D(2024, 4, 1))
    eighth = Outstanding(8, 9, "i", 4, D(2024, 4, 1))
    tied = model.best_single_delivery([a], {}, [eighth, seventh], ON)
    assert [g.candidate for g in tied] == [seventh, eighth]
    # Unplanned comes after planned; then the offer, then the tranche.
    late = Outstanding(None, 1, "i", 4, None)
    same_day = Outstanding(6, 5, "i", 4, D(2024, 4, 1))
    order = model.best_single_delivery([a], {}, [late, same_day, also_i], ON)
    assert [g.candidate for g in order] == [also_i, same_day, late]


# ---- properties -----------------------------------------------------------------------------

KINDS = st.sampled_from(list(ComponentKind))
DAYS = st.dates(min_value=D(2023, 1, 1), max_value=D(2025, 12, 31))


@st.composite
def packages(draw: st.DrawFn) -> Package:
    count = draw(st.integers(min_value=1, max_value=4))
    components = tuple(
        Component(f"i{n}", draw(KINDS), draw(st.integers(1, 20)), draw(st.booleans()))
        for n in range(count)
    )
    return Package("p", "P", "a", draw(st.integers(1, 5)), draw(st.integers(1, 6)), components)


@st.composite
def deliveries(draw: st.DrawFn, package: Package) -> dict[str, list[Delivered]]:
    return {
        c.item: draw(st.lists(st.builds(Delivered, DAYS, st.integers(0, 50)), max_size=5))
        for c in package.components
    }


@given(st.data())
def test_readiness_lies_between_nothing_and_all(data: st.DataObject) -> None:
    package = data.draw(packages())
    events = data.draw(deliveries(package))
    ready = model.package_readiness(package, events, data.draw(DAYS))
    assert 0 <= ready.value <= 1
    assert 0 <= ready.units_ready <= package.units_needed


@given(st.data())
def test_readiness_is_the_limiting_components_coverage(data: st.DataObject) -> None:
    package = data.draw(packages())
    ready = model.package_readiness(package, data.draw(deliveries(package)), data.draw(DAYS))
    assert ready.limiting is not None
    assert ready.value == ready.limiting.coverage == min(c.coverage for c in ready.covers)


@given(st.data())
def test_another_delivery_never_lowers_readiness(data: st.DataObject) -> None:
    package = data.draw(packages())
    events = data.draw(deliveries(package))
    on = data.draw(DAYS)
    item = data.draw(st.sampled_from([c.item for c in package.components]))
    more = model.merged(events, {item: [Delivered(data.draw(DAYS), data.draw(st.integers(1, 50)))]})
    before = model.package_readiness(package, events, on)
    after = model.package_readiness(package, more, on)
    assert after.value >= before.value
    assert after.units_ready >= before.units_ready


@given(st.data())
def test_a_slip_never_raises_readiness_before_the_new_date(data: st.DataObject) -> None:
    """For every package: on any day before the slipped tranche's new date. For a package
    whose components are all counted whole (none per month): on every day."""
    package = data.draw(packages())
    item = data.draw(st.sampled_from([c.item for c in package.components]))
    today = data.draw(DAYS)
    plan = [
        Outstanding(n, 1, item, data.draw(st.integers(1, 50)), data.draw(DAYS)) for n in range(1, 4)
    ]
    actual = data.draw(deliveries(package))
    slipped = model.slipped(plan, 2, data.draw(st.integers(1, 24)), today)
    before = model.merged(actual, model.projected(plan, today))
    after = model.merged(actual, model.projected(slipped, today))
    on = data.draw(st.dates(min_value=D(2023, 1, 1), max_value=D(2028, 12, 31)))
    cumulative = not any(c.per_month for c in package.components)
    new_date = slipped[1].expected_on
    assert new_date is not None
    if cumulative or on < new_date:
        was = model.package_readiness(package, before, on).value
        assert model.package_readiness(package, after, on).value <= was


@given(
    st.lists(st.integers(1, 20), max_size=6),
    st.integers(0, 40),
    st.integers(0, 60),
    st.integers(0, 40),
)
def test_outstanding_never_exceeds_what_remains(
    planned: list[int], delivered: int, extra: int, before: int
) -> None:
    committed, before = delivered + extra, min(before, delivered)
    tranches = [
        Tranche(n, 1, "i", q, D(2024, 1, 1) + dt.timedelta(days=n)) for n, q in enumerate(planned)
    ]
    left = model.outstanding_tranches(tranches, delivered, committed, before)
    assert sum(o.quantity for o in left) == min(max(sum(planned) - (delivered - before), 0), extra)
    assert all(o.quantity > 0 for o in left)
    assert sum(o.quantity for o in left) + model.unplanned(committed, delivered, left) == extra


# ---- who may do what ------------------------------------------------------------------------

SEC, UKR, DEU, USA = 1, 2, 3, 4


def _actor(
    kind: DelegationKind, delegation_id: int, role: Role, scopes: frozenset[Scope] | None = None
) -> Actor:
    return Actor(
        "user",
        delegation="X",
        delegation_id=delegation_id,
        delegation_kind=kind,
        role=role,
        scopes=scopes if scopes is not None else frozenset(Scope),
    )


CHAIR = _actor(DelegationKind.SECRETARIAT, SEC, Role.CHAIR)
STAFF = _actor(DelegationKind.SECRETARIAT, SEC, Role.STAFF)
ADMIN = _actor(DelegationKind.SECRETARIAT, SEC, Role.ADMIN)
PARTNER = _actor(DelegationKind.PARTNER, UKR, Role.HEAD_OF_DELEGATION)
PARTNER_OFFICER = _actor(DelegationKind.PARTNER, UKR, Role.OFFICER)
PARTNER_VIEWER = _actor(DelegationKind.PARTNER, UKR, Role.VIEWER)
PARTNER_READ_TOKEN = _actor(
    DelegationKind.PARTNER, UKR, Role.HEAD_OF_DELEGATION, frozenset({Scope.READ})
)
MEMBER = _actor(DelegationKind.MEMBER, DEU, Role.HEAD_OF_DELEGATION)
MEMBER_VIEWER = _actor(DelegationKind.MEMBER, DEU, Role.VIEWER)
OTHER_MEMBER = _actor(DelegationKind.MEMBER, USA, Role.OFFICER)
PUBLIC = Actor("public", scopes=frozenset({Scope.READ}))

# (actor, defines packages, plans DEU's offers, sees the best deliveries), by hand from the
# README: the partner and the secretariat define packages; the member whose offer it is, or
# the secretariat, plans its deliveries; viewers, read-only tokens and the secretariat's admin
# change nothing; the secretariat and the partner (any role) see the best deliveries.
# fmt: off
WHO_MAY = [
    (CHAIR,              True,  True,  True),
    (STAFF,              True,  True,  True),
    (ADMIN,              False, False, True),
    (PARTNER,            True,  False, True),
    (PARTNER_OFFICER,    True,  False, True),
    (PARTNER_VIEWER,     False, False, True),
    (PARTNER_READ_TOKEN, False, False, True),
    (MEMBER,             False, True,  False),
    (MEMBER_VIEWER,      False, False, False),
    (OTHER_MEMBER,       False, False, False),
    (PUBLIC,             False, False, False),
]
# fmt: on


@pytest.mark.parametrize(("who", "defines", "plans", "sees_best"), WHO_MAY)
def test_who_may_do_what(who: Actor, defines: bool, plans: bool, sees_best: bool) -> None:
    assert policy.may_define_packages(who) is defines
    assert policy.may_plan(who, DEU) is plans
    assert policy.may_see_best_deliveries(who) is sees_best
    if defines:
        policy.require(who, Action.DEFINE_PACKAGE)
    else:
        with pytest.raises(Forbidden, match="may not define or change a capability package"):
            policy.require(who, Action.DEFINE_PACKAGE, record="package 3")
    if sees_best:
        policy.require_best_deliveries(who)
    else:
        with pytest.raises(
            Forbidden, match="may not see which deliveries would raise readiness most"
        ):
            policy.require_best_deliveries(who)


def test_refusals_say_who_may() -> None:
    with pytest.raises(Forbidden) as refused:
        policy.require(MEMBER, Action.DEFINE_PACKAGE, record="package 3")
    assert refused.value.detail == (
        "X may not define or change a capability package (package 3): only the partner "
        "concerned or the secretariat may"
    )
    with pytest.raises(Forbidden) as refused:
        policy.require(OTHER_MEMBER, Action.PLAN_DELIVERY, owner_id=DEU, record="offer 7")
    assert refused.value.detail == (
        "X may not plan an offer's deliveries (offer 7): only the delegation the record "
        "belongs to or the secretariat may"
    )
    with pytest.raises(Forbidden) as refused:
        policy.require(PARTNER_VIEWER, Action.DEFINE_PACKAGE)
    assert refused.value.detail == (
        "X may not define or change a capability package: user has read-only access"
    )
    with pytest.raises(Forbidden) as refused:
        policy.require_best_deliveries(MEMBER)
    assert refused.value.detail == (
        "X may not see which deliveries would raise readiness most: only the partner and "
        "the secretariat may"
    )
    policy.require(MEMBER, Action.PLAN_DELIVERY, owner_id=DEU)
    assert policy.partner_of(PARTNER) == UKR
    assert policy.partner_of(MEMBER) is None
    assert policy.partner_of(CHAIR) is None
