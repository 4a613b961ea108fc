"""Many clients at once, through the real HTTP server, on SQLite and on PostgreSQL.

Each test fires the same transition (or two conflicting ones) N times at once from an async
client; the server answers them from its thread pool, so they really overlap. Exactly the
allowed number succeed, every loser gets 409 naming the record's current state or the rule,
nothing answers 5xx, and afterwards the ledger's rules hold (DESIGN rule 2: the rules are
checked inside the write lock), each change is audited once, and the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, func, select, text

from shieldwall.access.model import ALL_SCOPES
from shieldwall.access.tables import LoginFailure
from shieldwall.access.web import SESSION_COOKIE
from shieldwall.app import create_app
from shieldwall.assistance.tables import AssistanceRequest, Delivery, LedgerEntry, Offer
from shieldwall.audit.service import verify_chain
from shieldwall.audit.tables import AuditRecord
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.conftest import PASSWORD, Delegations, actor, problem_of, run_async
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context

T = TypeVar("T")
N = 30  # clients per race: more than the server's 40 worker threads would only queue


@dataclass(frozen=True)
class Call:
    """One HTTP request of a race: who sends it, where, with what."""

    user: str
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    method: str = "POST"


def race(api: Delegations, calls: Sequence[Call]) -> list[httpx.Response]:
    """Send every call at once (an asyncio.gather over one async client); the answers in the
    order of the calls."""
    auth = {c.user: api.as_(c.user).headers["Authorization"] for c in calls}

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
        async with httpx.AsyncClient(base_url=api.server.url, timeout=60, limits=limits) as c:
            return list(
                await asyncio.gather(
                    *(
                        c.request(
                            call.method,
                            call.path,
                            json=call.body,
                            headers={"Authorization": auth[call.user], **(call.headers or {})},
                        )
                        for call in calls
                    )
                )
            )

    return run_async(send_all)


def statuses(responses: Sequence[httpx.Response]) -> Counter[int]:
    found = Counter(r.status_code for r in responses)
    assert not [s for s in found if s >= 500], [r.text for r in responses if r.status_code >= 500]
    return found


def winners(responses: Sequence[httpx.Response], expected: int = 1) -> list[httpx.Response]:
    """The successful answers (``expected`` of them); every other answer is a 409 naming the
    record's current state or the rule it would break."""
    won = [r for r in responses if r.status_code in (200, 201)]
    counted = statuses(responses)
    assert len(won) == expected, counted
    for lost in (r for r in responses if r.status_code not in (200, 201)):
        body = problem_of(lost, 409)
        assert body.get("current_state") or body.get("rule"), body
    return won


def audited(ctx: Context, action: str) -> int:
    """How many audit records of ``action`` there are; the chain verifies."""
    with ctx.reading() as s:
        _count, broken = verify_chain(s)
        assert broken is None, broken
        return int(s.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


def entries(ctx: Context, offer_id: int) -> list[tuple[str, str, int, int]]:
    """The offer's ledger entries: (type, measure, quantity, value in cents)."""
    with ctx.reading() as s:
        rows = s.execute(
            select(
                LedgerEntry.entry_type,
                LedgerEntry.measure,
                LedgerEntry.quantity,
                LedgerEntry.value_cents,
            )
            .where(LedgerEntry.offer_id == offer_id)
            .order_by(LedgerEntry.id)
        ).all()
    return [(str(t), str(m), int(q), int(v)) for t, m, q, v in rows]


def balances_hold(ctx: Context, offer_id: int) -> dict[str, tuple[int, int]]:
    """Per measure, the summed (quantity, value); 0 ≤ delivered ≤ committed ≤ offered, and the
    deliveries recorded and awaiting confirmation fit in the commitment too."""
    sums: dict[str, tuple[int, int]] = {m: (0, 0) for m in ("offered", "committed", "delivered")}
    for _type, measure, quantity, value in entries(ctx, offer_id):
        q, v = sums[measure]
        sums[measure] = (q + quantity, v + value)
    offered, committed, delivered = sums["offered"], sums["committed"], sums["delivered"]
    for i in (0, 1):
        assert 0 <= delivered[i] <= committed[i] <= offered[i], sums
    with ctx.reading() as s:
        pending = s.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(
                Delivery.offer_id == offer_id, Delivery.state == "recorded"
            )
        )
    assert delivered[0] + int(pending or 0) <= committed[0], (sums, pending)
    return sums


def offer_state(ctx: Context, offer_id: int) -> str:
    with ctx.reading() as s:
        return str(s.scalar(select(Offer.state).where(Offer.id == offer_id)))


# ---- set-ups, each through the services in units of work of their own ----------------------


def token_of(ctx: Context, username: str) -> str:
    secret, _info = ctx.access.issue_token(
        actor(ctx, username), kind="personal", name="test", scopes=ALL_SCOPES, expires_in=None
    )
    return str(secret)


def an_offer(ctx: Context, quantity: int = 10, member: str = "deu") -> int:
    offer: int = ctx.assistance.make_offer(
        actor(ctx, member),
        member=member.upper(),
        kind="arm",
        item="155mm-round",
        quantity=quantity,
    )
    return offer


def an_accepted_offer(ctx: Context, quantity: int = 10) -> int:
    offer = an_offer(ctx, quantity)
    ctx.assistance.accept(actor(ctx, "ukr"), offer)
    return offer


def a_committed_offer(ctx: Context, quantity: int = 10) -> int:
    offer = an_accepted_offer(ctx, quantity)
    ctx.assistance.commit(actor(ctx, "deu"), offer)
    return offer


def a_recorded_delivery(ctx: Context) -> tuple[int, int]:
    offer = a_committed_offer(ctx, 10)
    delivery: int = ctx.assistance.record_delivery(actor(ctx, "deu"), offer, quantity=4)
    return offer, delivery


# ---- offers ----------------------------------------------------------------------------------


def test_one_offer_is_accepted_once(api: Delegations, seeded: Context) -> None:
    offer = an_offer(seeded)
    responses = race(api, [Call("ukr", f"/api/v1/offers/{offer}/accept")] * N)
    winners(responses)
    assert {r.json()["current_state"] for r in responses if r.status_code == 409} == {"accepted"}
    assert offer_state(seeded, offer) == "accepted"
    assert audited(seeded, "offer.accept") == 1
    balances_hold(seeded, offer)


def test_one_commitment_per_offer(api: Delegations, seeded: Context) -> None:
    offer = an_accepted_offer(seeded, quantity=10)
    responses = race(api, [Call("deu", f"/api/v1/offers/{offer}/commit", {"quantity": 10})] * N)
    winners(responses)
    assert balances_hold(seeded, offer)["committed"] == (10, 10 * 3_500_00)
    assert [e[0] for e in entries(seeded, offer)] == ["offered", "committed"]
    assert audited(seeded, "offer.commit") == 1


def test_one_withdrawal_per_offer(api: Delegations, seeded: Context) -> None:
    offer = an_offer(seeded)
    call = Call("deu", f"/api/v1/offers/{offer}/withdraw", {"reason": "needed at home"})
    winners(race(api, [call] * N))
    assert balances_hold(seeded, offer)["offered"] == (0, 0)
    assert [e[0] for e in entries(seeded, offer)] == ["offered", "withdrawn"]
    assert offer_state(seeded, offer) == "withdrawn"
    assert audited(seeded, "offer.withdraw") == 1


def test_one_cancellation_per_offer(api: Delegations, seeded: Context) -> None:
    offer = a_committed_offer(seeded)
    call = Call("deu", f"/api/v1/offers/{offer}/cancel", {"reason": "stocks are gone"})
    winners(race(api, [call] * N))
    assert balances_hold(seeded, offer)["committed"] == (0, 0)
    assert [e[0] for e in entries(seeded, offer)] == ["offered", "committed", "cancelled"]
    assert audited(seeded, "offer.cancel") == 1


def test_accept_raced_by_withdraw(api: Delegations, seeded: Context) -> None:
    """Withdrawing is allowed before and after acceptance, so one withdrawal always wins and
    an acceptance wins only if it came first; the offered quantity never goes below zero."""
    offer = an_offer(seeded)
    calls = [
        Call("ukr", f"/api/v1/offers/{offer}/accept")
        if i % 2
        else Call("deu", f"/api/v1/offers/{offer}/withdraw", {"reason": "needed at home"})
        for i in range(N)
    ]
    responses = race(api, calls)
    statuses(responses)
    accepted = [r for r, c in zip(responses, calls, strict=True) if "accept" in c.path]
    withdrawn = [r for r, c in zip(responses, calls, strict=True) if "withdraw" in c.path]
    assert sum(r.status_code == 200 for r in withdrawn) == 1
    assert sum(r.status_code == 200 for r in accepted) <= 1
    for lost in (r for r in responses if r.status_code != 200):
        assert problem_of(lost, 409)["current_state"] in ("accepted", "withdrawn")
    assert offer_state(seeded, offer) == "withdrawn"
    assert balances_hold(seeded, offer)["offered"] == (0, 0)
    assert [e[0] for e in entries(seeded, offer)] == ["offered", "withdrawn"]
    assert audited(seeded, "offer.withdraw") == 1


# ---- deliveries ------------------------------------------------------------------------------


def test_deliveries_never_exceed_the_commitment(api: Delegations, seeded: Context) -> None:
    offer = a_committed_offer(seeded, quantity=5)
    call = Call("deu", f"/api/v1/offers/{offer}/deliveries", {"quantity": 1})
    responses = race(api, [call] * N)
    winners(responses, expected=5)
    assert {problem_of(r, 409)["rule"] for r in responses if r.status_code == 409} == {
        "delivered ≤ committed"
    }
    balances_hold(seeded, offer)
    assert audited(seeded, "delivery.record") == 5


def test_one_delivery_is_confirmed_once(api: Delegations, seeded: Context) -> None:
    offer, delivery = a_recorded_delivery(seeded)
    winners(race(api, [Call("ukr", f"/api/v1/deliveries/{delivery}/confirm")] * N))
    assert balances_hold(seeded, offer)["delivered"] == (4, 4 * 3_500_00)
    assert [e[0] for e in entries(seeded, offer)] == ["offered", "committed", "delivered"]
    assert audited(seeded, "delivery.confirm") == 1


def test_confirm_raced_by_reject(api: Delegations, seeded: Context) -> None:
    offer, delivery = a_recorded_delivery(seeded)
    calls = [
        Call("ukr", f"/api/v1/deliveries/{delivery}/confirm")
        if i % 2
        else Call("ukr", f"/api/v1/deliveries/{delivery}/reject", {"reason": "not received"})
        for i in range(N)
    ]
    (won,) = winners(race(api, calls))
    final = won.json()["state"]
    assert final in ("confirmed", "rejected")
    with seeded.reading() as s:
        assert s.scalar(select(Delivery.state).where(Delivery.id == delivery)) == final
    delivered = balances_hold(seeded, offer)["delivered"][0]
    assert delivered == (4 if final == "confirmed" else 0)
    assert audited(seeded, "delivery.confirm") + audited(seeded, "delivery.reject") == 1


def test_confirm_raced_by_cancel(api: Delegations, seeded: Context) -> None:
    """Settling locks the delivery, then its offer; cancelling locks the offer and refuses
    while a delivery awaits confirmation: no deadlock, and a cancellation only after it."""
    offer, delivery = a_recorded_delivery(seeded)
    calls = [
        Call("ukr", f"/api/v1/deliveries/{delivery}/confirm")
        if i % 2
        else Call("deu", f"/api/v1/offers/{offer}/cancel", {"reason": "stocks are gone"})
        for i in range(N)
    ]
    responses = race(api, calls)
    statuses(responses)
    confirmed = [r for r, c in zip(responses, calls, strict=True) if "confirm" in c.path]
    cancelled = [r for r, c in zip(responses, calls, strict=True) if "cancel" in c.path]
    assert sum(r.status_code == 200 for r in confirmed) == 1
    assert sum(r.status_code == 200 for r in cancelled) <= 1
    sums = balances_hold(seeded, offer)
    assert sums["delivered"][0] == 4
    if any(r.status_code == 200 for r in cancelled):
        assert sums["committed"][0] == 4 and offer_state(seeded, offer) == "cancelled"
    assert audited(seeded, "delivery.confirm") == 1


# ---- requests --------------------------------------------------------------------------------


def a_request(ctx: Context) -> int:
    request: int = ctx.assistance.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title="Rounds",
        area=None,
        item="155mm-round",
        quantity=1000,
        value_cents=None,
        priority="high",
        need_by=None,
        justification="the front",
    )
    return request


def test_one_withdrawal_per_request(api: Delegations, seeded: Context) -> None:
    request = a_request(seeded)
    call = Call("ukr", f"/api/v1/requests/{request}/withdraw", {"reason": "covered elsewhere"})
    winners(race(api, [call] * N))
    with seeded.reading() as s:
        assert s.scalar(select(AssistanceRequest.state).where(AssistanceRequest.id == request)) == (
            "withdrawn"
        )
    assert audited(seeded, "request.withdraw") == 1


def test_no_offer_answers_a_request_after_its_withdrawal(api: Delegations, seeded: Context) -> None:
    request = a_request(seeded)
    calls = [
        Call(
            "deu",
            "/api/v1/offers",
            {"member": "DEU", "kind": "arm", "request_id": request, "quantity": 1},
        )
        if i % 2
        else Call("ukr", f"/api/v1/requests/{request}/withdraw", {"reason": "covered elsewhere"})
        for i in range(N)
    ]
    responses = race(api, calls)
    statuses(responses)
    for lost in (r for r in responses if r.status_code not in (200, 201)):
        assert problem_of(lost, 409)["current_state"] == "withdrawn"
    # The audit log is in commit order: every offer made against the request came before
    # its withdrawal.
    with seeded.reading() as s:
        log = s.execute(
            select(AuditRecord.action, AuditRecord.record_id)
            .where(AuditRecord.action.in_(["offer.make", "request.withdraw"]))
            .order_by(AuditRecord.id)
        ).all()
        answering = {str(o) for o in s.scalars(select(Offer.id).where(Offer.request_id == request))}
    actions = [action for action, record in log if action != "offer.make" or record in answering]
    assert actions.count("request.withdraw") == 1
    assert actions[-1] == "request.withdraw", actions
    made = sum(r.status_code == 201 for r in responses)
    assert made == len(answering) == actions.count("offer.make")


# ---- access ----------------------------------------------------------------------------------


def test_one_revocation_per_token(api: Delegations, seeded: Context) -> None:
    created = api.as_("deu").post("/api/v1/auth/tokens", json={"name": "ci", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    call = Call("deu", f"/api/v1/auth/tokens/{created.json()['id']}", method="DELETE")
    responses = race(api, [call] * N)
    assert statuses(responses) == Counter({200: N})  # revoking a revoked token is no error
    assert len({r.json()["revoked_at"] for r in responses}) == 1
    assert audited(seeded, "token.revoke") == 1


# ---- idempotency keys ------------------------------------------------------------------------

OFFER = {"member": "DEU", "kind": "arm", "item": "155mm-round", "quantity": 7}


def offers_of(ctx: Context, member_code: str) -> list[int]:
    member = select(Delegation.id).where(Delegation.code == member_code).scalar_subquery()
    with ctx.reading() as s:
        return list(s.scalars(select(Offer.id).where(Offer.member_id == member).order_by(Offer.id)))


def test_the_same_key_fifty_times_at_once_creates_once(api: Delegations, seeded: Context) -> None:
    call = Call("deu", "/api/v1/offers", OFFER, {"Idempotency-Key": "deu-7-rounds"})
    responses = race(api, [call] * 50)
    assert statuses(responses) == Counter({201: 50})
    assert len({r.json()["id"] for r in responses}) == 1
    assert offers_of(seeded, "DEU") == [responses[0].json()["id"]]
    assert audited(seeded, "offer.make") == 1


def test_the_same_delivery_key_at_once_records_once(api: Delegations, seeded: Context) -> None:
    offer = a_committed_offer(seeded, quantity=10)
    call = Call(
        "deu", f"/api/v1/offers/{offer}/deliveries", {"quantity": 3}, {"Idempotency-Key": "d-1"}
    )
    responses = race(api, [call] * N)
    assert statuses(responses) == Counter({201: N})
    assert len({r.json()["id"] for r in responses}) == 1
    assert audited(seeded, "delivery.record") == 1


# ---- sign-in ---------------------------------------------------------------------------------


def sign_in_burst(api: Delegations, username: str, password: str, n: int) -> list[httpx.Response]:
    """``n`` password-flow sign-ins for ``username`` at once."""

    async def sign_ins() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=n)
        async with httpx.AsyncClient(base_url=api.server.url, timeout=120, limits=limits) as c:
            form = {"username": username, "password": password}
            return list(
                await asyncio.gather(*(c.post("/api/v1/auth/token", data=form) for _ in range(n)))
            )

    return run_async(sign_ins)


def failures_of(ctx: Context, username: str) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).where(LoginFailure.username == username)) or 0)


def test_a_burst_of_wrong_passwords_gets_the_limit_of_checks(
    api: Delegations, seeded: Context
) -> None:
    limit = seeded.settings.login_failures_per_account
    responses = sign_in_burst(api, "deu", "not-the-password", 40)
    counted = statuses(responses)
    assert set(counted) <= {401, 429}, counted
    assert counted[401] <= limit, counted
    # Every real password check of a wrong password leaves one failure behind.
    assert failures_of(seeded, "deu") == counted[401]
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)


def test_right_passwords_at_once_sign_in_and_leave_no_failure(
    api: Delegations, seeded: Context
) -> None:
    # Attempts under way count against the limit until their password proves right, so as
    # many as the limit may be under way at once for one account.
    limit = seeded.settings.login_failures_per_account
    responses = sign_in_burst(api, "usa", PASSWORD, limit)
    assert statuses(responses) == Counter({200: limit})
    assert failures_of(seeded, "usa") == 0


# ---- a database too busy to answer -----------------------------------------------------------


@contextmanager
def held(database_url: str, offer: int) -> Iterator[None]:
    """Another process holds what changing ``offer`` needs: SQLite's write lock, or the
    offer's row on PostgreSQL."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text("SELECT id FROM offer WHERE id = :id FOR UPDATE"), {"id": offer})
        yield
        conn.rollback()
    engine.dispose()


def test_a_change_that_cannot_get_its_lock_answers_503(
    seeded: Context, database_url: str, clock: FixedClock
) -> None:
    offer = an_offer(seeded)
    ukr = {"Authorization": f"Bearer {token_of(seeded, 'ukr')}"}
    app = create_app(Settings(database_url=database_url, busy_timeout_seconds=0.2), clock)
    with LiveServer(app) as live, held(database_url, offer):
        # Reading is not held up by the writer (WAL on SQLite); accepting waits, then gives up.
        assert httpx.get(f"{live.url}/api/v1/public/summary").status_code == 200
        response = httpx.post(f"{live.url}/api/v1/offers/{offer}/accept", headers=ukr, timeout=30)
    app.state.platform.engine.dispose()
    body = problem_of(response, 503)
    assert int(response.headers["Retry-After"]) >= 1
    assert body["retry_after"] >= 1 and "busy" in body["detail"]
    assert offer_state(seeded, offer) == "offered"


def test_pages_are_read_while_a_writer_holds_the_lock(
    seeded: Context, database_url: str, clock: FixedClock
) -> None:
    offer = an_offer(seeded)
    cookie, _info = seeded.access.start_session(actor(seeded, "ukr"))
    app = create_app(Settings(database_url=database_url, busy_timeout_seconds=0.2), clock)
    with LiveServer(app) as live, held(database_url, offer):
        # The session behind the cookie is looked up without the write lock.
        page = httpx.get(f"{live.url}/", cookies={SESSION_COOKIE: cookie}, timeout=30)
    app.state.platform.engine.dispose()
    assert page.status_code == 200 and "Dashboard" in page.text
