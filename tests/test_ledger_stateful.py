"""Random sequences of ledger operations, valid and invalid, against the ledger's invariants.

After every step: per offer 0 ≤ delivered ≤ committed ≤ offered (quantity and value); the
consolidated summary equals the sum of the entries; and a refused operation changed nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeAlias, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import Engine, func, select, text

from shieldwall.access.model import Actor
from shieldwall.assistance import queries
from shieldwall.assistance.tables import Delivery, LedgerEntry, Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import DomainError
from tests.conftest import NOW, SETUP
from tests.pgcluster import Cluster
from tests.platform import open_test_platform

# Valid members (some twice, to be drawn more often), the partner, and QQQ, which no one has.
MEMBERS = ["DEU", "USA", "FRA", "POL", "NOR", "SWE", "DEU", "USA", "UKR", "QQQ"]
ITEMS = ["patriot", "155mm-round", "demining-kit", None]
quantities = st.integers(min_value=-2, max_value=40)
reasons = st.sampled_from(["changed priorities", "changed priorities", "", "   "])
unknown_ids = st.integers(min_value=1000, max_value=1010)

P = ParamSpec("P")
T = TypeVar("T")
# A fresh seeded database: its URL, and how to remove it (a string: staticmethod is generic only
# to type checkers).
NewDatabase: TypeAlias = "staticmethod[[], tuple[str, Callable[[], None]]]"


OFFERS = Bundle("offers")
DELIVERIES = Bundle("deliveries")


def offer_ids() -> st.SearchStrategy[int]:
    """Mostly offers that exist, sometimes ids that do not."""
    return st.one_of(OFFERS, OFFERS, unknown_ids)


class LedgerMachine(RuleBasedStateMachine):
    new_database: ClassVar[NewDatabase]
    offers = OFFERS
    deliveries = DELIVERIES

    @initialize()
    def open_database(self) -> None:
        url, self.cleanup = self.new_database()
        self.ctx = open_test_platform(url, FixedClock(NOW))
        self.refusals = 0

    def teardown(self) -> None:
        if hasattr(self, "ctx"):
            self.ctx.engine.dispose()
            self.cleanup()

    # -- the fingerprint of everything an operation could change --

    def fingerprint(self) -> tuple[Any, ...]:
        with self.ctx.reading() as s:
            return (
                tuple(
                    s.execute(
                        select(Offer.id, Offer.state, Offer.state_reason).order_by(Offer.id)
                    ).all()
                ),
                tuple(s.execute(select(Delivery.id, Delivery.state).order_by(Delivery.id)).all()),
                tuple(
                    s.execute(
                        select(
                            LedgerEntry.id, LedgerEntry.quantity, LedgerEntry.value_cents
                        ).order_by(LedgerEntry.id)
                    ).all()
                ),
                s.scalar(select(func.count()).select_from(AuditRecord)),
            )

    def attempt(
        self, operation: Callable[Concatenate[Actor, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        before = self.fingerprint()
        try:
            return operation(SETUP, *args, **kwargs)
        except (DomainError, ValueError):
            self.refusals += 1
            assert self.fingerprint() == before, "a refused operation changed something"
            return None

    # -- operations --

    @rule(
        target=OFFERS,
        member=st.sampled_from(MEMBERS),
        item=st.sampled_from(ITEMS),
        quantity=quantities,
        kind=st.sampled_from(["arm", "train", "equip", "finance", "arm", "bribe"]),
        value=st.one_of(st.none(), st.none(), st.integers(min_value=-5, max_value=10**9)),
    )
    def make_offer(
        self, member: str, item: str | None, quantity: int, kind: str, value: int | None
    ) -> MultipleResults[int]:
        created = self.attempt(
            self.ctx.assistance.make_offer,
            member=member,
            kind=kind,
            quantity=quantity,
            item=item,
            area=None if item else "demining",
            value_cents=value,
        )
        return multiple() if created is None else multiple(created)

    @rule(offer_id=offer_ids())
    def accept(self, offer_id: int) -> None:
        self.attempt(self.ctx.assistance.accept, offer_id)

    @rule(offer_id=offer_ids(), reason=reasons)
    def decline(self, offer_id: int, reason: str) -> None:
        self.attempt(self.ctx.assistance.decline, offer_id, reason)

    @rule(offer_id=offer_ids(), reason=reasons)
    def withdraw(self, offer_id: int, reason: str) -> None:
        self.attempt(self.ctx.assistance.withdraw, offer_id, reason)

    @rule(offer_id=offer_ids(), quantity=st.one_of(st.none(), quantities))
    def commit(self, offer_id: int, quantity: int | None) -> None:
        self.attempt(self.ctx.assistance.commit, offer_id, quantity)

    @rule(offer_id=offer_ids(), reason=reasons)
    def cancel(self, offer_id: int, reason: str) -> None:
        self.attempt(self.ctx.assistance.cancel, offer_id, reason)

    @rule(
        target=DELIVERIES,
        offer_id=offer_ids(),
        quantity=st.integers(-1, 15),
        days_ago=st.integers(-2, 30),
    )
    def deliver(self, offer_id: int, quantity: int, days_ago: int) -> MultipleResults[int]:
        created = self.attempt(
            self.ctx.assistance.record_delivery,
            offer_id,
            quantity=quantity,
            delivered_on=NOW.date() - dt.timedelta(days=days_ago),
        )
        return multiple() if created is None else multiple(created)

    @rule(delivery_id=st.one_of(DELIVERIES, DELIVERIES, unknown_ids))
    def confirm(self, delivery_id: int) -> None:
        self.attempt(self.ctx.assistance.confirm_delivery, delivery_id)

    @rule(delivery_id=st.one_of(DELIVERIES, unknown_ids), reason=reasons)
    def reject(self, delivery_id: int, reason: str) -> None:
        self.attempt(self.ctx.assistance.reject_delivery, delivery_id, reason)

    @rule(
        offer_id=offer_ids(),
        measure=st.sampled_from(["offered", "committed", "delivered"]),
        quantity=st.integers(-20, 20),
        value=st.integers(-(10**6), 10**6),
        reason=reasons,
    )
    def correct(self, offer_id: int, measure: str, quantity: int, value: int, reason: str) -> None:
        self.attempt(
            self.ctx.assistance.correct,
            offer_id,
            measure=measure,
            quantity_delta=quantity,
            value_delta_cents=value,
            reason=reason,
        )

    # -- invariants --

    @invariant()
    def balances_are_ordered(self) -> None:
        if not hasattr(self, "ctx"):
            return
        with self.ctx.reading() as s:
            _n, offers = queries.list_offers(s, SETUP, limit=1000)
            pending = dict(
                s.execute(
                    select(Delivery.offer_id, func.sum(Delivery.quantity))
                    .where(Delivery.state == "recorded")
                    .group_by(Delivery.offer_id)
                ).all()
            )
        for o in offers:
            assert 0 <= o["delivered_quantity"] <= o["committed_quantity"] <= o["offered_quantity"]
            assert 0 <= o["delivered_eur"] <= o["committed_eur"] <= o["offered_eur"]
            assert o["delivered_quantity"] + (pending.get(o["id"]) or 0) <= o["committed_quantity"]
            if o["state"] == "delivered":
                assert o["delivered_quantity"] == o["committed_quantity"] > 0

    @invariant()
    def summary_equals_entries(self) -> None:
        if not hasattr(self, "ctx"):
            return
        with self.ctx.reading() as s:
            raw = {
                m: (q, v)
                for m, q, v in s.execute(
                    select(
                        LedgerEntry.measure,
                        func.sum(LedgerEntry.quantity),
                        func.sum(LedgerEntry.value_cents),
                    ).group_by(LedgerEntry.measure)
                )
            }
            grouped = queries.ledger_summary(s, SETUP, ["member", "kind", "area", "item"])
        for measure in ("offered", "committed", "delivered"):
            q, v = raw.get(measure, (0, 0))
            assert sum(r[f"{measure}_quantity"] for r in grouped) == (q or 0)
            assert round(sum(r[f"{measure}_eur"] for r in grouped) * 100) == (v or 0)


RUN = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_ledger_invariants_on_sqlite(seeded_sqlite_template: Path, tmp_path: Path) -> None:
    counter = itertools.count()

    def new_database() -> tuple[str, Callable[[], None]]:
        path = tmp_path / f"machine-{next(counter)}.db"
        shutil.copy(seeded_sqlite_template, path)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)

    LedgerMachine.new_database = staticmethod(new_database)
    LedgerMachine.TestCase.settings = RUN
    LedgerMachine.TestCase().runTest()


@pytest.mark.postgres
def test_ledger_invariants_on_postgresql(pg_admin: Engine, pg_cluster: Cluster) -> None:
    counter = itertools.count()

    def new_database() -> tuple[str, Callable[[], None]]:
        name = f"sw_machine_{next(counter)}"
        with pg_admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE sw_seeded"))

        def drop() -> None:
            with pg_admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))

        return pg_cluster.url(name), drop

    LedgerMachine.new_database = staticmethod(new_database)
    LedgerMachine.TestCase.settings = settings(RUN, max_examples=8)
    LedgerMachine.TestCase().runTest()


def test_a_fixed_sequence_reaches_every_state(seeded_sqlite_url: str) -> None:
    """A sanity anchor for the machine: the valid path exists and is not always refused."""
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    a = ctx.assistance
    offer = a.make_offer(SETUP, member="DEU", kind="arm", quantity=10, item="155mm-round")
    a.accept(SETUP, offer)
    a.commit(SETUP, offer, 8)
    d = a.record_delivery(SETUP, offer, quantity=8)
    a.confirm_delivery(SETUP, d)
    with ctx.reading() as s:
        assert queries.get_offer(s, SETUP, offer)["state"] == "delivered"
    ctx.engine.dispose()
