"""The assistance ledger's rules (``assistance.model``): state transitions, balances,
pro-rata values, request status and coverage, the entries each action writes — with the
answers written out by hand. No database: milliseconds."""

from __future__ import annotations

import datetime as dt
import decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.assistance import model
from shieldwall.assistance.model import (
    Amount,
    Balances,
    EntryType,
    Measure,
    Movement,
    OfferAction,
    OfferState,
    RequestStatus,
)
from shieldwall.kit.errors import IllegalTransition, InvalidInput, RuleViolation
from shieldwall.kit.i18n import using_locale

# ---- the offer's life -----------------------------------------------------------------------

# DESIGN "Words": offered → accepted or declined by the partner → committed → delivered in
# partial deliveries; withdrawn before commitment or cancelled after it. Per action: the
# states it may start from and the state it leads to (None: decided by what is delivered).
# Every other (action, state) is refused.
# Issue 11: a figure imported from an outside tracker is "reported": no action applies to it.
STATES = (
    "offered",
    "accepted",
    "declined",
    "committed",
    "delivered",
    "withdrawn",
    "cancelled",
    "reported",
)
TRANSITIONS: dict[OfferAction, dict[str, str | None]] = {
    OfferAction.ACCEPT: {"offered": "accepted"},
    OfferAction.DECLINE: {"offered": "declined"},
    OfferAction.WITHDRAW: {"offered": "withdrawn", "accepted": "withdrawn"},
    OfferAction.COMMIT: {"accepted": "committed"},
    OfferAction.RECORD_DELIVERY: {"committed": None},
    OfferAction.CANCEL: {"committed": "cancelled"},
}


def test_the_transition_table_answers_for_every_action_and_state() -> None:
    assert set(TRANSITIONS) == set(OfferAction)
    assert set(STATES) == {s.value for s in OfferState}
    assert all(set(t) <= set(STATES) for t in TRANSITIONS.values())


@pytest.mark.parametrize("action", list(OfferAction))
@pytest.mark.parametrize("state", STATES)
def test_transition(action: OfferAction, state: str) -> None:
    if state not in TRANSITIONS[action]:
        with pytest.raises(IllegalTransition) as refused:
            model.transition("offer 12", state, action)
        assert refused.value.detail == f"cannot {action.value} offer 12: it is {state}"
        assert refused.value.extra == {"current_state": state, "action": action.value}
        return
    answer = TRANSITIONS[action][state]
    assert model.transition("offer 12", state, action) == answer


@pytest.mark.parametrize("state", STATES)
def test_only_a_reported_figure_refuses_a_correction_by_hand(state: str) -> None:
    if state != "reported":
        model.require_own_figure("offer 12", state, model.CORRECT)  # does not raise
        return
    with pytest.raises(IllegalTransition) as refused:
        model.require_own_figure("offer 12", state, model.CORRECT)
    assert refused.value.detail == "cannot correct offer 12: it is reported"


def test_a_reported_figure_answers_no_request_and_awaits_nothing() -> None:
    assert not model.answers_request("reported")
    assert not model.offer_awaits_delivery("reported")
    assert model.awaited_step("reported") is None


def test_an_unknown_state_is_not_a_state() -> None:
    with pytest.raises(ValueError):
        model.transition("offer 12", "lost", OfferAction.ACCEPT)


# Declining, withdrawing and cancelling need a reason; the others do not.
NEEDS_REASON: dict[OfferAction, bool] = {
    OfferAction.ACCEPT: False,
    OfferAction.DECLINE: True,
    OfferAction.WITHDRAW: True,
    OfferAction.COMMIT: False,
    OfferAction.RECORD_DELIVERY: False,
    OfferAction.CANCEL: True,
}


@pytest.mark.parametrize("action", list(OfferAction))
def test_needs_reason(action: OfferAction) -> None:
    assert model.needs_reason(action) is NEEDS_REASON[action]


# After a delivery or a correction: (state, committed qty, delivered qty) → state.
SETTLED: list[tuple[OfferState, int, int, OfferState]] = [
    (OfferState.COMMITTED, 3, 3, OfferState.DELIVERED),  # fully delivered
    (OfferState.COMMITTED, 3, 4, OfferState.DELIVERED),
    (OfferState.COMMITTED, 3, 2, OfferState.COMMITTED),  # partly
    (OfferState.COMMITTED, 1, 0, OfferState.COMMITTED),
    (OfferState.COMMITTED, 0, 0, OfferState.COMMITTED),  # nothing committed: not delivered
    (OfferState.DELIVERED, 3, 3, OfferState.DELIVERED),
    (OfferState.DELIVERED, 3, 2, OfferState.COMMITTED),  # a correction took a delivery back
    (OfferState.DELIVERED, 0, 0, OfferState.COMMITTED),
    (OfferState.CANCELLED, 3, 3, OfferState.CANCELLED),  # other states stay as they are
    (OfferState.OFFERED, 0, 0, OfferState.OFFERED),
    (OfferState.ACCEPTED, 3, 3, OfferState.ACCEPTED),
    (OfferState.WITHDRAWN, 0, 0, OfferState.WITHDRAWN),
    (OfferState.DECLINED, 0, 0, OfferState.DECLINED),
]


@pytest.mark.parametrize(("state", "committed", "delivered", "answer"), SETTLED)
def test_settled_state(
    state: OfferState, committed: int, delivered: int, answer: OfferState
) -> None:
    b = Balances(Amount(5, 500), Amount(committed, 100), Amount(delivered, 100))
    assert model.settled_state(state, b) == answer


# ---- amounts and balances -------------------------------------------------------------------


def test_amounts_add_and_negate() -> None:
    assert Amount(2, 300) + Amount(-1, 50) == Amount(1, 350)
    assert Amount(2, 300) + Amount() == Amount(2, 300)
    assert -Amount(2, 300) == Amount(-2, -300)
    assert -Amount(0, -7) == Amount(0, 7)
    assert Amount() == Amount(0, 0)


B = Balances(Amount(10, 1000), Amount(5, 500), Amount(2, 200))


def test_balances_of_each_measure() -> None:
    assert B.of(Measure.OFFERED) == Amount(10, 1000)
    assert B.of(Measure.COMMITTED) == Amount(5, 500)
    assert B.of(Measure.DELIVERED) == Amount(2, 200)


def test_a_movement_moves_one_balance() -> None:
    d = Amount(1, 30)
    assert B.moved(Measure.OFFERED, d) == Balances(Amount(11, 1030), B.committed, B.delivered)
    assert B.moved(Measure.COMMITTED, d) == Balances(B.offered, Amount(6, 530), B.delivered)
    assert B.moved(Measure.DELIVERED, d) == Balances(B.offered, B.committed, Amount(3, 230))
    assert B.moved(Measure.COMMITTED, -d) == Balances(B.offered, Amount(4, 470), B.delivered)


def A(q: int, v: int) -> Amount:
    return Amount(q, v)


# 0 ≤ delivered ≤ committed ≤ offered, in quantity and in value (DESIGN rule 2): balances →
# None if they keep it, else which comparison breaks.
ORDER_CASES: list[tuple[str, Balances, str | None]] = [
    ("empty", Balances(), None),
    ("in order", Balances(A(10, 100), A(5, 50), A(2, 20)), None),
    ("all equal", Balances(A(10, 100), A(10, 100), A(10, 100)), None),
    ("negative delivered quantity", Balances(A(10, 100), A(5, 50), A(-1, 0)), "delivered"),
    ("negative delivered value", Balances(A(10, 100), A(5, 50), A(0, -1)), "delivered"),
    ("delivered beyond committed", Balances(A(10, 100), A(4, 50), A(5, 50)), "committed"),
    ("delivered value beyond", Balances(A(10, 100), A(5, 49), A(5, 50)), "committed"),
    ("committed beyond offered", Balances(A(4, 100), A(5, 50), A(0, 0)), "offered"),
    ("committed value beyond", Balances(A(10, 49), A(5, 50), A(0, 0)), "offered"),
    ("offered below zero", Balances(A(-1, 0), A(0, 0), A(0, 0)), "offered"),
]


@pytest.mark.parametrize(("balances", "broken"), [(b, r) for _, b, r in ORDER_CASES])
def test_check_balances(balances: Balances, broken: str | None) -> None:
    if broken is None:
        model.check_balances(balances)  # keeps the rule: does not raise
        return
    with pytest.raises(RuleViolation) as refused:
        model.check_balances(balances)
    assert refused.value.detail.startswith(f"{broken} would fall below what it must cover (")
    assert refused.value.extra == {"rule": "delivered ≤ committed ≤ offered"}


def test_a_broken_balance_is_reported_in_full() -> None:
    """In units and in euros to the cent, as the reader writes them (they read "values in
    cents 100, 50, 7")."""
    with pytest.raises(RuleViolation) as refused:
        model.check_balances(Balances(A(4, 100), A(5, 50), A(1, 7)))
    assert refused.value.detail == (
        "offered would fall below what it must cover (offered 4, committed 5, delivered 1; "
        "in value €1.00, €0.50, €0.07)"
    )
    with using_locale("fr"), pytest.raises(RuleViolation) as refused:
        model.check_balances(Balances(A(3, 10_000), A(3, 10_000), A(180_000, 6_667)))
    assert refused.value.detail.endswith(
        "(offert 3, engagé 3, livré 180\u202f000 ; en valeur 100,00\u00a0€, 100,00\u00a0€, "
        "66,67\u00a0€)"
    )


# Deliveries awaiting confirmation must fit in the commitment too: (delivered, pending).
PENDING: list[tuple[int, int, bool]] = [
    (3, 0, True),
    (3, 2, True),  # exactly the commitment of 5
    (3, 3, False),
    (5, 0, True),
    (5, 1, False),
    (0, 5, True),
    (0, 6, False),
]


@pytest.mark.parametrize(("delivered", "pending", "fits"), PENDING)
def test_pending_deliveries_fit_the_commitment(delivered: int, pending: int, fits: bool) -> None:
    b = Balances(A(10, 1000), A(5, 500), A(delivered, 100 * delivered))
    if fits:
        model.check_balances(b, pending)  # fits: does not raise
        return
    with pytest.raises(RuleViolation) as refused:
        model.check_balances(b, pending)
    assert refused.value.detail == (
        f"deliveries would exceed the commitment: committed 5, delivered {delivered}, "
        f"awaiting confirmation {pending}"
    )
    assert refused.value.extra == {"rule": "delivered ≤ committed"}


# ---- values pro rata -------------------------------------------------------------------------

# (total cents, total quantity, quantity) → cents, rounded half to even.
PRO_RATA: list[tuple[int, int, int, int]] = [
    (1000, 10, 3, 300),
    (1000, 10, 0, 0),
    (1000, 10, 10, 1000),
    (1000, 3, 1, 333),  # 333.33…
    (1000, 3, 2, 667),  # 666.66…
    (5, 2, 1, 2),  # 2.5 → 2 (half to even)
    (15, 2, 1, 8),  # 7.5 → 8 (half to even)
    (7, 1, 1, 7),
    (7, 2, 1, 4),  # 3.5 → 4
    (1000, 0, 1, 0),  # nothing to share
    (1000, -1, 1, 0),
    (-5, 2, 1, -2),  # -2.5 → -2 (half to even, below zero too)
    (-15, 2, 1, -8),  # -7.5 → -8
    (-1000, 3, 1, -333),  # -333.33…
    # At the maxima (10^14 cents, 10^9 units): exact, no precision lost.
    (10**14 - 1, 10**9, 10**9 - 1, 99_999_999_899_999),  # …899,999.000000001
    (10**14 - 1, 2, 1, 50_000_000_000_000),  # 49,999,999,999,999.5 → even
    (10**14 - 3, 2, 1, 49_999_999_999_998),  # 49,999,999,999,998.5 → even
]


@pytest.mark.parametrize(("total", "of", "quantity", "cents"), PRO_RATA)
def test_pro_rata_cents(total: int, of: int, quantity: int, cents: int) -> None:
    assert model.pro_rata_cents(total, of, quantity) == cents


def test_pro_rata_rounds_half_to_even_whatever_the_decimal_context() -> None:
    """The rounding is the rule's, not the thread's: a caller that changed the decimal
    context (to round half up, or down) gets the same cents."""
    for rounding in (decimal.ROUND_HALF_UP, decimal.ROUND_DOWN, decimal.ROUND_CEILING):
        with decimal.localcontext(rounding=rounding):
            assert model.pro_rata_cents(5, 2, 1) == 2  # 2.5
            assert model.pro_rata_cents(15, 2, 1) == 8  # 7.5
            assert model.pro_rata_cents(1000, 3, 2) == 667  # 666.66…
            assert model.pro_rata_cents(1000, 3, 1) == 333  # 333.33…


# (total cents, total quantity, before, after) → the value of the step.
STEPS: list[tuple[int, int, int, int, int]] = [
    (1000, 3, 0, 1, 333),
    (1000, 3, 1, 2, 334),
    (1000, 3, 2, 3, 333),
    (1000, 3, 0, 3, 1000),
    (1000, 3, 1, 1, 0),
    (5, 2, 0, 1, 2),
    (5, 2, 1, 2, 3),
    (1000, 0, 0, 1, 0),
]


@pytest.mark.parametrize(("total", "of", "before", "after", "cents"), STEPS)
def test_value_step(total: int, of: int, before: int, after: int, cents: int) -> None:
    assert model.value_step(total, of, before, after) == cents


@settings(deadline=None)
@given(
    total=st.integers(0, 10**12),
    quantity=st.integers(1, 10**6),
    cuts=st.lists(st.integers(1, 10**6), max_size=20),
)
def test_commitments_and_deliveries_in_steps_add_up_exactly(
    total: int, quantity: int, cuts: list[int]
) -> None:
    """Commit an offer in steps, then deliver it in the same steps: the committed value is
    the offered value and the delivered value the committed one, to the cent."""
    b = Balances(offered=Amount(quantity, total))
    steps = [*cuts, quantity]
    for cut in steps:
        left = b.offered.quantity - b.committed.quantity
        if left == 0:
            break
        move = model.offer_movement(OfferAction.COMMIT, b, min(cut, left))
        assert move is not None
        b = b.moved(move.measure, move.delta)
        model.check_balances(b)
    assert b.committed == Amount(quantity, total)
    for cut in steps:
        left = b.committed.quantity - b.delivered.quantity
        if left == 0:
            break
        move = model.delivery_movement(b, min(cut, left))
        b = b.moved(move.measure, move.delta)
        model.check_balances(b)
    assert b.delivered == Amount(quantity, total)
    assert model.settled_state(OfferState.COMMITTED, b) == OfferState.DELIVERED


# ---- the entries each action writes ----------------------------------------------------------

OFFERED = Balances(offered=A(10, 1000))
PART_COMMITTED = Balances(offered=A(3, 1000), committed=A(1, 333))
PART_DELIVERED = Balances(offered=A(10, 1000), committed=A(6, 600), delivered=A(2, 150))

# (action, balances before, quantity) → the entry written (None: no entry).
MOVEMENTS: list[tuple[str, OfferAction, Balances, int | None, Movement | None]] = [
    ("accept", OfferAction.ACCEPT, OFFERED, None, None),
    ("record delivery", OfferAction.RECORD_DELIVERY, PART_DELIVERED, 1, None),
    (
        "decline takes back the offer",
        OfferAction.DECLINE,
        OFFERED,
        None,
        Movement(EntryType.DECLINED, Measure.OFFERED, A(-10, -1000)),
    ),
    (
        "withdraw takes back the offer",
        OfferAction.WITHDRAW,
        OFFERED,
        None,
        Movement(EntryType.WITHDRAWN, Measure.OFFERED, A(-10, -1000)),
    ),
    (
        "commit all that is offered",
        OfferAction.COMMIT,
        OFFERED,
        None,
        Movement(EntryType.COMMITTED, Measure.COMMITTED, A(10, 1000)),
    ),
    (
        "commit part",
        OfferAction.COMMIT,
        OFFERED,
        3,
        Movement(EntryType.COMMITTED, Measure.COMMITTED, A(3, 300)),
    ),
    (
        "commit exactly what is offered",
        OfferAction.COMMIT,
        OFFERED,
        10,
        Movement(EntryType.COMMITTED, Measure.COMMITTED, A(10, 1000)),
    ),
    (
        "commit the next unit pro rata",
        OfferAction.COMMIT,
        PART_COMMITTED,
        1,
        Movement(EntryType.COMMITTED, Measure.COMMITTED, A(1, 334)),
    ),
    (
        "cancel takes back what is not delivered",
        OfferAction.CANCEL,
        PART_DELIVERED,
        None,
        Movement(EntryType.CANCELLED, Measure.COMMITTED, A(-4, -450)),
    ),
]


@pytest.mark.parametrize(
    ("action", "before", "quantity", "written"),
    [m[1:] for m in MOVEMENTS],
    ids=[m[0] for m in MOVEMENTS],
)
def test_offer_movement(
    action: OfferAction, before: Balances, quantity: int | None, written: Movement | None
) -> None:
    assert model.offer_movement(action, before, quantity) == written


def test_a_commitment_must_be_of_something() -> None:
    for quantity in (0, -1):
        with pytest.raises(InvalidInput) as refused:
            model.offer_movement(OfferAction.COMMIT, OFFERED, quantity)
        assert refused.value.detail == "quantity: give at least 1"
    with pytest.raises(InvalidInput):
        model.offer_movement(OfferAction.COMMIT, Balances(), None)  # nothing offered


def test_a_commitment_may_not_exceed_the_offer() -> None:
    with pytest.raises(RuleViolation) as refused:
        model.offer_movement(OfferAction.COMMIT, OFFERED, 11)
    assert refused.value.detail == "cannot commit 11: only 10 offered"
    assert refused.value.extra == {"rule": "committed ≤ offered"}


# A confirmed delivery, valued pro rata of the commitment: (quantity) → the entry written.
COMMITTED_3 = Balances(offered=A(3, 1000), committed=A(3, 1000), delivered=A(1, 333))
DELIVERIES: list[tuple[Balances, int, Amount]] = [
    (COMMITTED_3, 1, A(1, 334)),
    (COMMITTED_3, 2, A(2, 667)),
    (Balances(offered=A(3, 1000), committed=A(3, 1000)), 1, A(1, 333)),
    (Balances(offered=A(2, 5), committed=A(2, 5)), 1, A(1, 2)),
    (Balances(offered=A(2, 5), committed=A(2, 5), delivered=A(1, 2)), 1, A(1, 3)),
]


@pytest.mark.parametrize(("before", "quantity", "delta"), DELIVERIES)
def test_delivery_movement(before: Balances, quantity: int, delta: Amount) -> None:
    written = model.delivery_movement(before, quantity)
    assert written == Movement(EntryType.DELIVERED, Measure.DELIVERED, delta)


# ---- requests -------------------------------------------------------------------------------

ASKED = A(10, 1000)
# (state, committed against it, counted by quantity?) → status.
STATUSES: list[tuple[str, Amount, bool, RequestStatus]] = [
    ("active", A(0, 0), True, RequestStatus.OPEN),
    ("active", A(-1, 0), True, RequestStatus.OPEN),  # corrections took it all back
    ("active", A(1, 0), True, RequestStatus.PARTIALLY_COVERED),
    ("active", A(9, 0), True, RequestStatus.PARTIALLY_COVERED),
    ("active", A(10, 0), True, RequestStatus.COVERED),
    ("active", A(12, 0), True, RequestStatus.COVERED),
    ("active", A(10, 0), False, RequestStatus.OPEN),  # by value: nothing yet
    ("active", A(0, 1), False, RequestStatus.PARTIALLY_COVERED),
    ("active", A(0, 999), False, RequestStatus.PARTIALLY_COVERED),
    ("active", A(0, 1000), False, RequestStatus.COVERED),
    ("withdrawn", A(10, 1000), True, RequestStatus.WITHDRAWN),
    ("withdrawn", A(0, 0), True, RequestStatus.WITHDRAWN),
    ("closed", A(0, 0), False, RequestStatus.CLOSED),
    ("closed", A(10, 1000), True, RequestStatus.CLOSED),
]


@pytest.mark.parametrize(("state", "committed", "by_quantity", "status"), STATUSES)
def test_request_status(
    state: str, committed: Amount, by_quantity: bool, status: RequestStatus
) -> None:
    assert model.request_status(state, ASKED, committed, by_quantity) == status


# (requested, committed, by quantity?) → the share covered.
COVERAGE: list[tuple[Amount, Amount, bool, float]] = [
    (A(10, 1000), A(4, 0), True, 0.4),
    (A(10, 1000), A(4, 250), False, 0.25),
    (A(10, 1000), A(15, 0), True, 1.5),
    (A(1, 0), A(1, 0), True, 1.0),
    (A(0, 1000), A(4, 0), True, 0.0),  # nothing asked in that unit
    (A(10, 0), A(4, 500), False, 0.0),
    (A(-1, 0), A(4, 0), True, 0.0),
]


@pytest.mark.parametrize(("requested", "committed", "by_quantity", "share"), COVERAGE)
def test_coverage_ratio(
    requested: Amount, committed: Amount, by_quantity: bool, share: float
) -> None:
    assert model.coverage_ratio(requested, committed, by_quantity) == share


# Open and partially covered requests wait for offers; the others do not.
AWAITS_COVER: dict[RequestStatus, bool] = {
    RequestStatus.OPEN: True,
    RequestStatus.PARTIALLY_COVERED: True,
    RequestStatus.COVERED: False,
    RequestStatus.WITHDRAWN: False,
    RequestStatus.CLOSED: False,
}


@pytest.mark.parametrize("status", list(RequestStatus))
def test_awaits_cover(status: RequestStatus) -> None:
    assert model.awaits_cover(status.value) is AWAITS_COVER[status]


# Most urgent priority first, then the earliest need-by date, a request without one last.
URGENCY: list[tuple[str, object, tuple[int, str]]] = [
    ("critical", None, (0, "9999")),
    ("high", dt.date(2024, 5, 1), (1, "2024-05-01")),
    ("medium", "2024-06-01", (2, "2024-06-01")),
    ("low", None, (3, "9999")),
]


@pytest.mark.parametrize(("priority", "need_by", "key"), URGENCY)
def test_urgency(priority: str, need_by: object, key: tuple[int, str]) -> None:
    assert model.urgency(priority, need_by) == key


def test_urgency_orders_requests() -> None:
    requests = [
        ("low", dt.date(2024, 1, 1)),
        ("high", None),
        ("high", dt.date(2024, 5, 1)),
        ("critical", dt.date(2024, 12, 31)),
        ("medium", None),
    ]
    ordered = sorted(requests, key=lambda r: model.urgency(*r))
    assert ordered == [
        ("critical", dt.date(2024, 12, 31)),
        ("high", dt.date(2024, 5, 1)),
        ("high", None),
        ("medium", None),
        ("low", dt.date(2024, 1, 1)),
    ]


# ---- input rules ----------------------------------------------------------------------------


# A quantity is a whole number from 1 to 10^9 per record; a value from 0 to €1 trillion
# (10^14 cents) per record (README, "Limits").
QUANTITIES: list[tuple[int, str | None]] = [
    (1, None),
    (7, None),
    (10**9, None),
    (0, "give at least 1"),
    (-1, "give at least 1"),
    (10**9 + 1, "1,000,000,001 is too many: the maximum is 1,000,000,000 per record"),
]


@pytest.mark.parametrize(("value", "refusal"), QUANTITIES)
def test_require_quantity(value: int, refusal: str | None) -> None:
    if refusal is None:
        try:
            model.require_quantity("quantity", value)
        except InvalidInput as wrong:  # pragma: no cover - the failure this test exists to show
            pytest.fail(f"{value} was refused: {wrong.detail}")
        return
    with pytest.raises(InvalidInput) as refused:
        model.require_quantity("quantity", value)
    assert refused.value.extra == {"errors": [{"field": "quantity", "message": refusal}]}


VALUES: list[tuple[int, bool]] = [
    (0, True),
    (1, True),
    (10**14, True),
    (-1, False),
    (-100, False),
    (10**14 + 1, False),
]


@pytest.mark.parametrize(("cents", "ok"), VALUES)
def test_require_value(cents: int, ok: bool) -> None:
    if ok:
        try:
            model.require_value("value_eur", cents)
        except InvalidInput as wrong:  # pragma: no cover - the failure this test exists to show
            pytest.fail(f"{cents} was refused: {wrong.detail}")
        return
    with pytest.raises(InvalidInput) as refused:
        model.require_value("value_eur", cents)
    message = refused.value.extra["errors"][0]["message"]
    assert refused.value.extra["errors"][0]["field"] == "value_eur"
    assert message == "must not be negative" if cents < 0 else "is too much" in message


# Declining, withdrawing, cancelling, rejecting, closing and correcting need a reason.
REASONS: list[tuple[str | None, str | None]] = [
    ("late", "late"),
    ("  late \n", "late"),
    ("a b", "a b"),
    (None, None),
    ("", None),
    ("   ", None),
    ("\t\n", None),
]


@pytest.mark.parametrize(("given_reason", "kept"), REASONS)
def test_require_reason(given_reason: str | None, kept: str | None) -> None:
    if kept is not None:
        assert model.require_reason(given_reason) == kept
        return
    with pytest.raises(InvalidInput) as refused:
        model.require_reason(given_reason)
    assert refused.value.detail == "reason: a reason is required"
    with pytest.raises(InvalidInput) as named:
        model.require_reason(given_reason, "note")
    assert named.value.extra == {"errors": [{"field": "note", "message": "a reason is required"}]}


def test_value_at_reference_price() -> None:
    assert model.value_at_reference_price(3, 350_000, "value_cents") == 1_050_000
    assert model.value_at_reference_price(0, 350_000, "value_cents") == 0
    assert model.value_at_reference_price(3, 0, "value_cents") == 0
    with pytest.raises(InvalidInput) as refused:
        model.value_at_reference_price(3, None, "value_eur")
    assert refused.value.detail == "value_eur: an offer without a catalogue item needs a value"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_a_request_without_a_justification_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.require_justification(text)
    assert refused.value.extra["errors"] == [
        {"field": "justification", "message": "say why the assistance is needed"}
    ]


@pytest.mark.parametrize("text", ["x", "  Seven batteries to protect cities.  "])
def test_a_justified_request_passes(text: str) -> None:
    try:
        model.require_justification(text)
    except InvalidInput as refused:  # pragma: no cover - the failure this test exists to show
        pytest.fail(f"a justified request was refused: {refused.detail}")


# ---- no balance above one record's maxima (README, "Limits") ---------------------------------

WITHIN: list[tuple[int, int, tuple[str, str] | None]] = [
    (10**9, 10**14, None),
    (1, 0, None),
    (
        10**9 + 1,
        0,
        (
            "quantity",
            "would bring the offered quantity to 1,000,000,001: "
            "the maximum is 1,000,000,000 per record",
        ),
    ),
    (
        1,
        10**14 + 1,
        (
            "value_eur",
            "would bring the offered value to €1,000,000,000,000.01: "
            "the maximum is €1,000,000,000,000.00 per record",
        ),
    ),
]


@pytest.mark.parametrize(("quantity", "cents", "refusal"), WITHIN)
def test_check_within_maxima(quantity: int, cents: int, refusal: tuple[str, str] | None) -> None:
    balances = Balances(offered=Amount(quantity, cents))
    if refusal is None:
        try:
            model.check_within_maxima(balances, "quantity", "value_eur")
        except InvalidInput as wrong:  # pragma: no cover - the failure this test exists to show
            pytest.fail(f"within the maxima, refused: {wrong.detail}")
        return
    with pytest.raises(InvalidInput) as refused:
        model.check_within_maxima(balances, "quantity", "value_eur")
    field, message = refusal
    assert refused.value.extra == {"errors": [{"field": field, "message": message}]}


def test_a_limit_reads_in_the_language_of_the_exchange() -> None:
    """The refusal was a French or Ukrainian sentence around English figures and an English
    clause ("the maximum is €1,000,000,000,000.00 per record"): the figures and the limit are
    written as the reader's language writes them (French: narrow no-break spaces between
    thousands, a decimal comma, the sign after a no-break space; Ukrainian: no-break spaces
    and the code EUR, as CLDR writes the euro in Ukrainian)."""
    over = Balances(offered=Amount(1, 10**14 + 1))
    expected = {
        "fr": "porterait la valeur offerte à 1\u202f000\u202f000\u202f000\u202f000,01\u00a0€ : "
        "le maximum est de 1\u202f000\u202f000\u202f000\u202f000,00\u00a0€ par enregistrement",
        "uk": "довело б запропоновану вартість до "
        "1\u00a0000\u00a0000\u00a0000\u00a0000,01\u00a0EUR: "
        "максимум — 1\u00a0000\u00a0000\u00a0000\u00a0000,00\u00a0EUR на запис",
    }
    for language, message in expected.items():
        with using_locale(language), pytest.raises(InvalidInput) as refused:
            model.check_within_maxima(over, "quantity", "value_eur")
        assert refused.value.extra["errors"][0]["message"] == message, language


def test_check_within_maxima_looks_at_the_offered_balance_only() -> None:
    """Committed and delivered never exceed offered (check_balances), so offered decides."""
    balances = Balances(offered=Amount(1, 100), committed=Amount(1, 100))
    model.check_within_maxima(balances, "q", "v")  # within: no error
    with pytest.raises(InvalidInput) as refused:
        model.check_within_maxima(Balances(offered=Amount(10**9 + 1, 0)), "q", "v")
    assert refused.value.extra["errors"][0]["field"] == "q"


REFERENCE: list[tuple[int, int | None, int | tuple[str, str]]] = [
    (3, 250_000_00, 750_000_00),
    (10**9, 100_000, 10**14),  # €1,000 each: exactly the maximum
    (1, None, ("value_eur", "an offer without a catalogue item needs a value")),
    (
        10**9,
        100_001,
        (
            "quantity",
            "1,000,000,000 at the reference unit value of €1,000.01 is worth "
            "€1,000,010,000,000.00: the maximum is €1,000,000,000,000.00 per record",
        ),
    ),
]


@pytest.mark.parametrize(("quantity", "unit", "answer"), REFERENCE)
def test_value_at_reference_price_and_its_limit(
    quantity: int, unit: int | None, answer: int | tuple[str, str]
) -> None:
    if isinstance(answer, int):
        assert model.value_at_reference_price(quantity, unit, "value_eur") == answer
        return
    with pytest.raises(InvalidInput) as refused:
        model.value_at_reference_price(quantity, unit, "value_eur")
    field, message = answer
    assert refused.value.extra == {"errors": [{"field": field, "message": message}]}


# ---- need-by dates and coverage (moved from test_assistance_pages.py) -----------------------

TODAY = dt.date(2024, 4, 2)


def test_a_past_need_by_is_refused_by_the_rule() -> None:
    with pytest.raises(InvalidInput) as refused:
        model.require_need_by_ahead(dt.date(2024, 4, 1), TODAY)
    assert refused.value.extra["errors"] == [{"field": "need_by", "message": "the date has passed"}]
    model.require_need_by_ahead(TODAY, TODAY)  # today is still ahead
    model.require_need_by_ahead(dt.date(2024, 4, 3), TODAY)
    model.require_need_by_ahead(None, TODAY)


def test_coverage_from_unseen_offers() -> None:
    # 30 committed in all, 10 of it from offers the reader sees: 20 are from unseen ones.
    assert model.coverage_unseen(Amount(30, 105_000_00), Amount(10, 35_000_00)) == Amount(
        20, 70_000_00
    )
    # A reader who sees none of the offers: all of it is unseen.
    assert model.coverage_unseen(Amount(30, 105_000_00), None) == Amount(30, 105_000_00)
    # A reader who sees them all: nothing is unseen.
    assert model.coverage_unseen(Amount(30, 105_000_00), Amount(30, 105_000_00)) == Amount(0, 0)


def test_a_need_by_counts_while_the_request_awaits_delivery() -> None:
    asked = Amount(100, 500_00)
    # Counted by quantity: 99 of 100 delivered still awaits; 100 does not.
    assert model.request_awaits_delivery("active", asked, Amount(99, 500_00), by_quantity=True)
    assert not model.request_awaits_delivery("active", asked, Amount(100, 0), by_quantity=True)
    # Counted by value: 499.99 of 500.00 delivered still awaits; 500.00 does not.
    assert model.request_awaits_delivery("active", asked, Amount(100, 499_99), by_quantity=False)
    assert not model.request_awaits_delivery("active", asked, Amount(0, 500_00), by_quantity=False)
    # A request no longer active awaits nothing, however little was delivered.
    assert not model.request_awaits_delivery("closed", asked, Amount(0, 0), by_quantity=True)
    assert not model.request_awaits_delivery("closed", asked, Amount(0, 0), by_quantity=False)


def test_days_left_to_a_need_by() -> None:
    assert model.days_left(dt.date(2024, 4, 5), TODAY) == 3
    assert model.days_left(TODAY, TODAY) == 0
    assert model.days_left(dt.date(2024, 3, 31), TODAY) == -2


@pytest.mark.parametrize(
    ("state", "awaits"),
    [
        ("offered", True),
        ("accepted", True),
        ("committed", True),
        ("declined", False),
        ("delivered", False),
        ("withdrawn", False),
        ("cancelled", False),
    ],
)
def test_an_offer_awaits_delivery_while_it_is_owed(state: str, awaits: bool) -> None:
    assert model.offer_awaits_delivery(state) is awaits


# ---- the rules the services and the table import share (issue 11) ---------------------------

DAY = dt.date(2024, 3, 10)


def test_what_is_recorded_as_done_was_done_by_today() -> None:
    model.require_not_future("delivered_on", DAY, DAY)  # today itself is fine
    model.require_not_future("delivered_on", DAY - dt.timedelta(days=1), DAY)
    with pytest.raises(InvalidInput) as refused:
        model.require_not_future("delivered_on", DAY + dt.timedelta(days=1), DAY)
    assert refused.value.extra["errors"][0]["field"] == "delivered_on"
    assert refused.value.detail == "delivered_on: the date is in the future"


def test_the_steps_of_an_offer_happen_in_order() -> None:
    model.require_in_order("accepted_on", DAY, "offered_on", DAY)  # the same day is fine
    model.require_in_order("accepted_on", DAY + dt.timedelta(days=1), "offered_on", DAY)
    with pytest.raises(InvalidInput) as refused:
        model.require_in_order("accepted_on", DAY - dt.timedelta(days=1), "offered_on", DAY)
    assert refused.value.extra["errors"][0]["field"] == "accepted_on"
    assert refused.value.detail == "accepted_on: is before offered_on (2024-03-10)"


def test_an_item_named_with_an_area_belongs_to_it() -> None:
    model.require_item_in_area("patriot", 3, "air-defence", 3)
    with pytest.raises(InvalidInput) as refused:
        model.require_item_in_area("patriot", 3, "artillery", 4)
    assert refused.value.extra["errors"][0]["field"] == "area"
    assert refused.value.detail == "area: item patriot is not in area artillery"


def test_an_offer_against_a_request_fits_it() -> None:
    model.check_offer_fits_request(7, 3, None, 3, None)  # an area request: any item of it
    model.check_offer_fits_request(7, 3, None, 3, 12)
    model.check_offer_fits_request(7, 3, 12, 3, 12)
    with pytest.raises(RuleViolation) as area:
        model.check_offer_fits_request(7, 3, None, 4, None)
    assert area.value.detail == "request 7 asks for another capability area"
    assert area.value.extra["rule"] == "an offer against a request is in the request's area"
    for offered_item in (None, 13):
        with pytest.raises(RuleViolation) as item:
            model.check_offer_fits_request(7, 3, 12, 3, offered_item)
        assert item.value.detail == "request 7 asks for a specific item"
        assert item.value.extra["rule"] == "an offer against an item request offers that item"
    # A compatible item (sharing a catalogue tag with the one asked for) fits, in its own area.
    model.check_offer_fits_request(7, 3, 12, 4, 13, compatible=True)


def test_an_item_stands_in_for_another_only_by_a_compatibility_tag() -> None:
    """Another item sharing a compatibility tag stands in for the one asked for; the same
    item, no item on either side, or only provenance tags ("illustrative", "kiel-ust") do not."""
    asked = SimpleNamespace(id=12, tags=["155mm", "illustrative"])
    assert model.stands_in_for(asked, SimpleNamespace(id=13, tags=["155mm"]))
    assert not model.stands_in_for(asked, SimpleNamespace(id=12, tags=["155mm"]))
    assert not model.stands_in_for(asked, SimpleNamespace(id=14, tags=["illustrative"]))
    assert not model.stands_in_for(asked, SimpleNamespace(id=15, tags=None))
    assert not model.stands_in_for(None, SimpleNamespace(id=13, tags=["155mm"]))
    assert not model.stands_in_for(asked, None)


def test_an_offer_answers_an_active_request_addressed_to_its_member() -> None:
    model.check_request_answerable(7, "active", True, "DEU", False)
    with pytest.raises(RuleViolation) as contributor:
        model.check_request_answerable(7, "active", True, "EUU", True)
    assert contributor.value.detail == "EUU is a contributor: requests are addressed to members"
    assert contributor.value.extra["rule"] == "a contributor's offers answer no request"
    for state in ("withdrawn", "closed"):
        with pytest.raises(IllegalTransition) as ended:
            model.check_request_answerable(7, state, True, "DEU", False)
        assert ended.value.extra == {"current_state": state, "action": "answer"}
        assert ended.value.detail == f"cannot answer request 7: it is {state}"
    with pytest.raises(RuleViolation) as elsewhere:
        model.check_request_answerable(7, "active", False, "DEU", False)
    assert elsewhere.value.detail == "request 7 is addressed to named members, not DEU"
    assert elsewhere.value.extra["rule"] == "offers answer requests addressed to the member"


def test_compatibility_tags_leave_out_where_an_item_came_from() -> None:
    # illustrative (the demo's inventions) and kiel-ust (Kiel's weapons) say nothing of what an
    # item can stand in for; the rest are sorted and counted once.
    assert model.compatibility_tags(["patriot", "illustrative", "kiel-ust", "155mm", "155mm"]) == [
        "155mm",
        "patriot",
    ]
    assert model.compatibility_tags(None) == []
    assert model.shared_compatibility_tags(["illustrative", "drones"], ["illustrative"]) == []
    assert model.shared_compatibility_tags(["kiel-ust", "155mm", "x"], ["155mm", "x"]) == [
        "155mm",
        "x",
    ]
