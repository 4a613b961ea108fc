"""The ledger's rules in plain Python: milliseconds, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.assistance import model
from shieldwall.assistance.model import (
    Amount,
    Balances,
    OfferAction,
    OfferState,
    RequestStatus,
)
from shieldwall.kit.errors import IllegalTransition, RuleViolation


def test_transitions_follow_the_lifecycle() -> None:
    assert model.transition("offer 1", "offered", OfferAction.ACCEPT) == OfferState.ACCEPTED
    assert model.transition("offer 1", "accepted", OfferAction.COMMIT) == OfferState.COMMITTED
    assert model.transition("offer 1", "committed", OfferAction.CANCEL) == OfferState.CANCELLED
    with pytest.raises(IllegalTransition) as refused:
        model.transition("offer 1", "delivered", OfferAction.WITHDRAW)
    assert refused.value.extra == {"current_state": "delivered", "action": "withdraw"}
    terminal = {
        OfferState.DECLINED,
        OfferState.WITHDRAWN,
        OfferState.CANCELLED,
        OfferState.DELIVERED,
    }
    for action, (sources, _target) in model.OFFER_TRANSITIONS.items():
        assert not sources & terminal, f"{action} must not leave a terminal state"


@given(
    total=st.integers(0, 10**12),
    quantity=st.integers(1, 10**6),
    cuts=st.lists(st.integers(1, 10**6), max_size=20),
)
def test_pro_rata_steps_add_up_exactly(total: int, quantity: int, cuts: list[int]) -> None:
    done = 0
    paid = 0
    for cut in cuts:
        step = min(cut, quantity - done)
        paid += model.value_step(total, quantity, done, done + step)
        done += step
    paid += model.value_step(total, quantity, done, quantity)
    assert paid == total


def test_balances_refuse_disorder() -> None:
    ok = Balances(Amount(10, 100), Amount(5, 50), Amount(5, 50))
    model.check_balances(ok)
    with pytest.raises(RuleViolation):
        model.check_balances(Balances(Amount(4, 100), Amount(5, 50), Amount(0, 0)))
    with pytest.raises(RuleViolation):
        model.check_balances(Balances(Amount(10, 100), Amount(5, 50), Amount(5, 60)))
    with pytest.raises(RuleViolation, match="awaiting confirmation"):
        model.check_balances(ok, pending_quantity=1)


def test_request_status_from_coverage() -> None:
    asked = Amount(10, 1000)
    assert model.request_status("active", asked, Amount(), True) == RequestStatus.OPEN
    assert model.request_status("active", asked, Amount(4, 0), True) == (
        RequestStatus.PARTIALLY_COVERED
    )
    assert model.request_status("active", asked, Amount(10, 0), True) == RequestStatus.COVERED
    assert model.request_status("active", asked, Amount(0, 1000), False) == RequestStatus.COVERED
    assert model.request_status("withdrawn", asked, Amount(10, 0), True) == (
        RequestStatus.WITHDRAWN
    )


def test_settled_state() -> None:
    full = Balances(Amount(3, 3), Amount(3, 3), Amount(3, 3))
    part = Balances(Amount(3, 3), Amount(3, 3), Amount(1, 1))
    assert model.settled_state(OfferState.COMMITTED, full) == OfferState.DELIVERED
    assert model.settled_state(OfferState.DELIVERED, part) == OfferState.COMMITTED
    assert model.settled_state(OfferState.CANCELLED, full) == OfferState.CANCELLED
