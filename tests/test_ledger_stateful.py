"""Random sequences of ledger operations, valid and invalid, against the ledger's invariants.

After every step: per offer 0 ≤ delivered ≤ committed ≤ offered (quantity and value); the
consolidated summary equals the sum of the entries; a refused operation changed nothing; and
the maintained roll-ups and offer balances (issue 13) equal a GROUP BY over the entries written
here. The operations include requests, releasability widened, table imports and bursts of
writers in threads on separate connections; at random points a reader's summary is compared
with a GROUP BY, written here, over the entries that reader may see (DESIGN's releasability),
and its offers list with one read afresh: both may be answers kept from an earlier read while
the database was unchanged (``kit.answers``), and must never be staler than a read. The same
through the API with bearer tokens (signed-in users of each kind of seat), whose whole answers
are kept while the database and the token's clock allow (``kit.kept_responses``): read between
and during the writers' bursts, while time passes (a token's last use is noted each minute).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeAlias, TypeVar

import pytest
from fastapi.testclient import TestClient
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
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from shieldwall.access.model import PUBLIC, Actor, Role
from shieldwall.app import create_app
from shieldwall.assistance import queries
from shieldwall.assistance.table_imports import import_table
from shieldwall.assistance.tables import Delivery, LedgerEntry, Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.delegations.model import DelegationKind
from shieldwall.importers.tables import Sheet, sheets
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import DomainError
from shieldwall.kit.settings import Settings
from tests.conftest import NOW, SETUP, SeededCopies
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
REQUESTS = Bundle("requests")
LEVELS = ["own", "partner", "addressees", "members", "council", "public"]
# The summaries compared for each reader: by every key, and by a few the pages use.
GROUPINGS = [
    ["member", "kind"],
    ["partner", "area", "request"],
    ["item", "month"],
    ["member", "kind", "area", "item", "month", "request", "partner"],
    [],
]
# Readers: a member, another, the partner, the contributor, the public, the secretariat.
READERS = [
    ("DEU", DelegationKind.MEMBER),
    ("NOR", DelegationKind.MEMBER),
    ("UKR", DelegationKind.PARTNER),
    ("EUU", DelegationKind.CONTRIBUTOR),
    (None, None),
    ("SEC", DelegationKind.SECRETARIAT),
]
# Readers through the API, signed in with a bearer token: users of the seeded council.
API_READERS = ["deu", "nor", "ukr", "euu", "sec"]


def offer_ids() -> st.SearchStrategy[int]:
    """Mostly offers that exist, sometimes ids that do not."""
    return st.one_of(OFFERS, OFFERS, unknown_ids)


class LedgerMachine(RuleBasedStateMachine):
    new_database: ClassVar[NewDatabase]
    scratch: ClassVar[Path]  # where the imported files are written
    offers = OFFERS
    deliveries = DELIVERIES

    @initialize()
    def open_database(self) -> None:
        url, self.cleanup = self.new_database()
        self.ctx = open_test_platform(url, FixedClock(NOW))
        self.refusals = 0
        self.imports = itertools.count()
        self.app = create_app(Settings(database_url=url), self.ctx.clock)
        self.client = TestClient(self.app)
        self.tokens = {name: self._token(name) for name in API_READERS}

    def _token(self, username: str) -> str:
        who = self.ctx.access.actor_for(username)
        secret, _info = self.ctx.access.issue_token(
            who, kind="personal", name="stateful", scopes=who.scopes, expires_in=None
        )
        return secret

    def teardown(self) -> None:
        if hasattr(self, "ctx"):
            self.app.state.platform.engine.dispose()
            self.ctx.engine.dispose()
            self.cleanup()

    def api_get(self, username: str, path: str) -> Any:
        response = self.client.get(
            path, headers={"Authorization": f"Bearer {self.tokens[username]}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

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
        level=st.sampled_from([None, None, *LEVELS]),
    )
    def make_offer(
        self,
        member: str,
        item: str | None,
        quantity: int,
        kind: str,
        value: int | None,
        level: str | None,
    ) -> MultipleResults[int]:
        created = self.attempt(
            self.ctx.assistance.make_offer,
            member=member,
            kind=kind,
            quantity=quantity,
            item=item,
            area=None if item else "demining",
            value_cents=value,
            releasability=level,
        )
        return multiple() if created is None else multiple(created)

    @rule(
        target=REQUESTS,
        item=st.sampled_from(["patriot", "155mm-round", "demining-kit"]),
        addressees=st.sampled_from([[], [], ["DEU"], ["DEU", "USA"], ["NOR"]]),
        level=st.sampled_from([None, "addressees", "members", "public"]),
    )
    def file_request(
        self, item: str, addressees: list[str], level: str | None
    ) -> MultipleResults[int]:
        created = self.attempt(
            self.ctx.assistance.file_request,
            partner="UKR",
            title="Wanted",
            area=None,
            item=item,
            quantity=50,
            value_cents=None,
            priority="high",
            need_by=None,
            justification="the front needs it",
            addressees=addressees,
            releasability=level,
        )
        return multiple() if created is None else multiple(created)

    @rule(
        target=OFFERS,
        request_id=REQUESTS,
        member=st.sampled_from(["DEU", "USA", "NOR", "FRA"]),
        quantity=st.integers(1, 30),
        level=st.sampled_from([None, *LEVELS]),
    )
    def answer_request(
        self, request_id: int, member: str, quantity: int, level: str | None
    ) -> MultipleResults[int]:
        created = self.attempt(
            self.ctx.assistance.make_offer,
            member=member,
            kind="arm",
            quantity=quantity,
            request_id=request_id,
            releasability=level,
        )
        return multiple() if created is None else multiple(created)

    @rule(offer_id=offer_ids(), level=st.sampled_from(LEVELS))
    def widen(self, offer_id: int, level: str) -> None:
        self.attempt(self.ctx.assistance.widen, "offer", offer_id, level)

    @rule(
        rows=st.lists(
            st.tuples(
                st.sampled_from(["DEU", "USA", "FRA", "QQQ"]),
                st.sampled_from(["155mm-round", "demining-kit"]),
                st.integers(0, 20),
                st.sampled_from(["", "partner", "members", "public"]),
                st.integers(0, 2),
            ),
            min_size=1,
            max_size=6,
        ),
        skip_bad=st.booleans(),
    )
    def import_offers(self, rows: list[tuple[str, str, int, str, int]], skip_bad: bool) -> None:
        """A table of offers, some accepted and committed, written by the table import."""
        n = next(self.imports)
        lines = [
            "key,member,kind,item,quantity,offered_on,accepted_on,committed_quantity,"
            "committed_on,releasability"
        ]
        for i, (member, item, quantity, level, step) in enumerate(rows):
            accepted = "2024-03-10" if step else ""
            committed = (str(max(quantity - 1, 0)), "2024-03-20") if step == 2 else ("", "")
            lines.append(
                f"I{n}-{i},{member},equip,{item},{quantity},2024-03-05,{accepted},"
                f"{committed[0]},{committed[1]},{level}"
            )
        content = "\r\n".join(lines) + "\r\n"
        path = self.scratch / f"import-{n}.csv"
        path.write_text(content, encoding="utf-8", newline="")

        def run(actor: Actor) -> None:
            with self.ctx.unit_of_work() as uow:
                import_table(
                    uow,
                    actor,
                    lambda: _sheets(path),
                    file_name=path.name,
                    sha256=hashlib.sha256(content.encode()).hexdigest(),
                    skip_bad=skip_bad,
                )

        self.attempt(run)

    @rule(
        members=st.lists(st.sampled_from(["DEU", "USA", "FRA", "POL"]), min_size=2, max_size=4),
        widen_to=st.sampled_from([None, "members", "public"]),
    )
    def concurrent_writers(self, members: list[str], widen_to: str | None) -> None:
        """Writers at once, each in a thread on its own connection: each makes an offer, has it
        accepted and committed, and maybe widens it; the roll-ups they share must add up."""
        failures: list[BaseException] = []

        def write(member: str) -> None:
            try:
                start.wait()
                a = self.ctx.assistance
                offer = a.make_offer(
                    SETUP, member=member, kind="train", quantity=5, item="155mm-round"
                )
                a.accept(SETUP, offer)
                a.commit(SETUP, offer, 3)
                if widen_to is not None:
                    a.widen(SETUP, "offer", offer, widen_to)
            except BaseException as exc:  # reported in the test's own thread
                failures.append(exc)

        def read(username: str) -> None:
            try:
                start.wait()
                for _ in range(4):
                    self.api_get(username, "/api/v1/ledger/summary?group_by=member,kind")
            except BaseException as exc:  # reported in the test's own thread
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(m,)) for m in members]
        threads += [threading.Thread(target=read, args=(u,)) for u in ("deu", "ukr")]
        start = threading.Barrier(len(threads))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures

    @rule(reader=st.sampled_from(READERS), keys=st.sampled_from(GROUPINGS))
    def a_reader_sees_what_the_entries_give(
        self, reader: tuple[str | None, DelegationKind | None], keys: list[str]
    ) -> None:
        """Also the reader's offers list: a reading session's summary and list may be answers
        kept from an earlier read (``kit.answers``), so each must equal a read made afresh
        after every write before it, the concurrent writers' included."""
        with self.ctx.reading() as s:
            who = _reader(s, *reader)
            got = queries.ledger_summary(s, who, keys)
            expected = _hand_written_summary(s, who, keys)
            offers = queries.list_offers(s, who, limit=1000)
        assert _as_cents(got, keys) == expected
        with self.ctx.unit_of_work(writes=False) as uow:  # a session that keeps no answer
            assert offers == queries.list_offers(uow.session, who, limit=1000)

    @rule(username=st.sampled_from(API_READERS), keys=st.sampled_from(GROUPINGS))
    def an_api_reader_sees_what_the_entries_give(self, username: str, keys: list[str]) -> None:
        """Its summary and offers list through the API, which may be whole answers kept from
        an earlier request, equal the hand-written GROUP BY and a read afresh."""
        summary = self.api_get(username, f"/api/v1/ledger/summary?group_by={','.join(keys)}")
        page = self.api_get(username, "/api/v1/offers?limit=1000")
        with self.ctx.unit_of_work(writes=False) as uow:  # a session that keeps no answer
            who = self.ctx.access.actor_for(username)
            assert _as_cents(summary["rows"], keys) == _hand_written_summary(uow.session, who, keys)
            total, offers = queries.list_offers(uow.session, who, limit=1000)
        assert page["total"] == total
        assert [_offer_line(o) for o in page["items"]] == [_offer_line(o) for o in offers]

    @rule(seconds=st.integers(min_value=0, max_value=90))
    def time_passes(self, seconds: int) -> None:
        """Past a minute, a token's next use is noted (a write); a kept answer does not
        outlive its token's minute."""
        assert isinstance(self.ctx.clock, FixedClock)
        self.ctx.clock.advance(dt.timedelta(seconds=seconds))

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
    def rollups_equal_the_entries(self) -> None:
        if not hasattr(self, "ctx"):
            return
        with self.ctx.reading() as s:
            assert _stored_rollups(s) == _rollups_from_entries(s)
            assert _stored_offer_balances(s) == _offer_balances_from_entries(s)

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


# ---- the expected answers, written here over the entries --------------------------------------

MEASURE_NAMES = ("offered", "committed", "delivered")


def _sheets(path: Path) -> list[Sheet]:
    return sheets(path, None)


def _nonzero(d: dict[Any, dict[str, tuple[int, int]]]) -> dict[Any, dict[str, tuple[int, int]]]:
    """Keys whose sums are not all zero, with their non-zero measures."""
    out = {}
    for key, measures in d.items():
        kept = {m: v for m, v in measures.items() if v != (0, 0)}
        if kept:
            out[key] = kept
    return out


def _rollups_from_entries(s: Session) -> dict[Any, dict[str, tuple[int, int]]]:
    """Every grain's roll-up as a GROUP BY over the entries and their offers' levels."""
    rows = s.execute(
        text(
            "SELECT e.member_id, e.partner_id, e.kind, e.area_id, e.item_id, e.month,"
            " e.request_id, o.releasability, e.measure, SUM(e.quantity), SUM(e.value_cents)"
            " FROM ledger_entry e JOIN offer o ON o.id = e.offer_id"
            " GROUP BY e.member_id, e.partner_id, e.kind, e.area_id, e.item_id, e.month,"
            " e.request_id, o.releasability, e.measure"
        )
    ).all()
    out: dict[Any, dict[str, tuple[int, int]]] = {}
    for member, partner, kind, area, item, month, request, level, measure, q, c in rows:
        for grain, item_k, month_k in ((0, item or 0, month), (1, 0, month), (2, 0, "")):
            key = (grain, member, partner, kind, area, item_k, month_k, request or 0, level)
            was = out.setdefault(key, {}).get(measure, (0, 0))
            out[key][measure] = (was[0] + int(q), was[1] + int(c))
    return _nonzero(out)


def _stored_rollups(s: Session) -> dict[Any, dict[str, tuple[int, int]]]:
    out: dict[Any, dict[str, tuple[int, int]]] = {}
    for r in s.execute(text("SELECT * FROM ledger_rollup")).mappings():
        key = tuple(
            r[k]
            for k in (
                "grain",
                "member_id",
                "partner_id",
                "kind",
                "area_id",
                "item_id",
                "month",
                "request_id",
                "releasability",
            )
        )
        out[key] = {
            m: (r[f"{m}_quantity"], (r[f"{m}_cents_hi"] << 32) + r[f"{m}_cents_lo"])
            for m in MEASURE_NAMES
        }
    return _nonzero(out)


def _offer_balances_from_entries(s: Session) -> dict[Any, dict[str, tuple[int, int]]]:
    out: dict[Any, dict[str, tuple[int, int]]] = {}
    for offer, measure, q, c in s.execute(
        text(
            "SELECT offer_id, measure, SUM(quantity), SUM(value_cents) FROM ledger_entry"
            " GROUP BY offer_id, measure"
        )
    ):
        out.setdefault(offer, {})[measure] = (int(q), int(c))
    return _nonzero(out)


def _stored_offer_balances(s: Session) -> dict[Any, dict[str, tuple[int, int]]]:
    out = {}
    for r in s.execute(text("SELECT * FROM offer_balance")).mappings():
        out[r["offer_id"]] = {
            m: (r[f"{m}_quantity"], (r[f"{m}_cents_hi"] << 32) + r[f"{m}_cents_lo"])
            for m in MEASURE_NAMES
        }
    return _nonzero(out)


def _reader(s: Session, code: str | None, kind: DelegationKind | None) -> Actor:
    if code is None:
        return PUBLIC
    delegation_id = s.scalar(text("SELECT id FROM delegation WHERE code = :c"), {"c": code})
    return Actor(f"reader-{code}", code, delegation_id, kind, Role.OFFICER)


# Who may read an entry: its offer's level (DESIGN, "Releasability"), written out as SQL. :d is
# the reader's delegation; a member may be an addressee; everyone in the council but a
# contributor reads what is released to the council.
VISIBLE = """
    o.releasability = 'public'
    OR o.member_id = :d
    OR (o.partner_id = :d AND o.releasability <> 'own')
    OR (:member AND o.releasability IN ('addressees', 'members', 'council', 'public')
        AND (o.request_id IN (SELECT id FROM assistance_request WHERE to_all_members)
             OR o.request_id IN (SELECT request_id FROM request_addressee
                                 WHERE delegation_id = :d)))
    OR (:member AND o.releasability IN ('members', 'council', 'public'))
    OR (:council AND o.releasability IN ('council', 'public'))
"""
COLUMNS = {
    "member": "e.member_id",
    "partner": "e.partner_id",
    "kind": "e.kind",
    "area": "e.area_id",
    "item": "e.item_id",
    "month": "e.month",
    "request": "e.request_id",
}


def _hand_written_summary(s: Session, reader: Actor, keys: list[str]) -> dict[Any, Any]:
    """key values → per measure (quantity, cents), over the entries ``reader`` may see."""
    dims = [COLUMNS[k] for k in keys]
    where = "1 = 1"
    params: dict[str, Any] = {}
    if reader.delegation_id is None and not reader.system:
        where = "o.releasability = 'public'"
    elif not reader.sees_everything:
        where = VISIBLE
        params = {
            "d": reader.delegation_id,
            "member": reader.delegation_kind == DelegationKind.MEMBER,
            "council": reader.delegation_kind != DelegationKind.CONTRIBUTOR,
        }
    select_dims = "".join(f"{d}, " for d in dims)
    group = f"GROUP BY {', '.join(dims)}, e.measure" if dims else "GROUP BY e.measure"
    rows = s.execute(
        text(
            f"SELECT {select_dims} e.measure, SUM(e.quantity), SUM(e.value_cents)"
            f" FROM ledger_entry e JOIN offer o ON o.id = e.offer_id WHERE {where} {group}"
        ),
        params,
    ).all()
    names: dict[str, dict[int, str]] = {
        key: {i: code for i, code in s.execute(text(f"SELECT id, code FROM {table}"))}
        for key, table in (
            ("member", "delegation"),
            ("partner", "delegation"),
            ("area", "capability_area"),
            ("item", "capability_item"),
        )
    }
    out: dict[Any, dict[str, tuple[int, int]]] = {}
    for r in rows:
        key = tuple(
            names[k].get(v) if k in names and v is not None else v
            for k, v in zip(keys, r[: len(keys)], strict=True)
        )
        measure, q, c = r[len(keys) :]
        out.setdefault(key, {})[measure] = (int(q), int(c))
    return _nonzero(out)


def _offer_line(offer: dict[str, Any]) -> tuple[Any, ...]:
    """What an offers list says of an offer, in the JSON's types."""
    return tuple(
        offer[k]
        for k in ("id", "member", "state", "quantity", "committed_quantity", "delivered_quantity")
    )


def _as_cents(rows: list[dict[str, Any]], keys: list[str]) -> dict[Any, Any]:
    """The app's summary rows in the same shape: key values → per measure (quantity, cents)."""
    out = {
        tuple(r[k] for k in keys): {
            m: (r[f"{m}_quantity"], round(r[f"{m}_eur"] * 100)) for m in MEASURE_NAMES
        }
        for r in rows
    }
    return _nonzero(out)


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
    LedgerMachine.scratch = tmp_path
    LedgerMachine.TestCase.settings = RUN
    LedgerMachine.TestCase().runTest()


@pytest.mark.postgres
def test_ledger_invariants_on_postgresql(
    seeded_copies: SeededCopies, pg_cluster: Cluster, tmp_path: Path
) -> None:
    def new_database() -> tuple[str, Callable[[], None]]:
        name = seeded_copies.take()  # a fresh copy of the seeded database, made ahead
        return pg_cluster.url(name), lambda: seeded_copies.give_back(name)

    LedgerMachine.new_database = staticmethod(new_database)
    LedgerMachine.scratch = tmp_path
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
