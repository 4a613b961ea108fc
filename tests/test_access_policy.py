"""Who may see and do what, route by route, through the app over real HTTP.

The routes are enumerated from the app's router: a route without a declared rule fails here.
The expected answers are written out by hand below, from the README's "Who may see and do
what": what each reader sees at each releasability level, and which user may take each action.
Nothing here asks the code under test (``may_see``, ``policy.allowed``) what to expect.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from shieldwall.access.model import Audience, Releasability
from shieldwall.app import create_app
from shieldwall.assistance.policy import Action
from shieldwall.assistance.tables import CapabilityItem
from shieldwall.council.policy import Action as CouncilAction
from shieldwall.council.service import AgendaEntry
from shieldwall.council.tables import AgendaItem
from shieldwall.envelope.policy import Action as EnvelopeAction
from shieldwall.envelope.service import ComponentIn
from shieldwall.guarantees.policy import Action as GuaranteesAction
from shieldwall.kit.settings import Settings
from shieldwall.matching import queries as matching_queries
from shieldwall.matching.policy import Action as MatchingAction
from shieldwall.matching.service import run_matching
from shieldwall.obligations.policy import Action as ObligationsAction
from shieldwall.obligations.tables import DueItem
from shieldwall.routes_policy import ROUTES
from tests.conftest import NOW, SETUP, USERS, Delegations, actor
from tests.guarantees_fixtures import instrument_with_obligation
from tests.platform import TestPlatform as Context
from tests.test_envelope import add_items, committed


def app_routes(url: str) -> set[tuple[str, str]]:
    app = create_app(Settings(database_url=url))
    found = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path is not None
        for method in (route.methods or ())
        if method != "HEAD"
    }
    app.state.platform.engine.dispose()
    return found


def test_every_route_has_a_declared_rule(sqlite_url: str) -> None:
    found = app_routes(sqlite_url)
    assert found - ROUTES.keys() == set(), "routes without a declared rule"
    assert ROUTES.keys() - found == set(), "declared rules without a route"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_signed_out_callers_get_401_or_the_sign_in_page(api: Delegations) -> None:
    client = api.anonymous
    for (method, path), rule in ROUTES.items():
        response = client.request(method, concrete(path), follow_redirects=False)
        where = f"{method} {path}"
        if rule.audience in (Audience.SIGNED_IN, Audience.SECRETARIAT):
            assert response.status_code == 401, where
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"] == "Bearer", where
        elif rule.audience in (Audience.PAGE, Audience.PAGE_SECRETARIAT):
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/login"), where
        elif (method, path) == ("POST", "/login"):
            assert response.status_code == 403, "a sign-in post without its CSRF token"
        else:
            assert response.status_code not in (401, 403), where


def test_secretariat_routes_per_role(api: Delegations) -> None:
    for (method, path), rule in ROUTES.items():
        if rule.audience != Audience.SECRETARIAT:
            continue
        for username, (delegation, _role) in USERS.items():
            status = api.as_(username).request(method, concrete(path)).status_code
            assert status == (200 if delegation == "SEC" else 403), (username, path)


def test_bad_credentials_are_clear_401s(api: Delegations) -> None:
    for header in ("Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer"):
        response = api.anonymous.get("/api/v1/offers", headers={"Authorization": header})
        assert response.status_code == 401
        body = response.json()
        assert body["detail"] and "not-a-token" not in response.text
    bad = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "deu", "password": "wrong-password-here"}
    )
    assert bad.status_code == 401 and bad.json()["detail"] == "wrong username or password"
    assert "wrong-password-here" not in bad.text


# ---- reads: the releasability ladder ------------------------------------------------------
#
# README, "Who may see and do what": `own` is its delegation and the secretariat; `partner`
# adds the partner; `addressees` adds the named members; `members` every member delegation;
# `council` every delegation of the council; `public` anyone. A record a reader may not see
# answers 404. The answers below are written out by hand from those words.

Y, N = True, False

OFFER_LEVELS = (
    Releasability.PARTNER,
    Releasability.ADDRESSEES,
    Releasability.MEMBERS,
    Releasability.COUNCIL,
    Releasability.PUBLIC,
)
# DEU's offers to UKR, one at each level, all answering a request addressed to DEU and USA.
# fmt: off
OFFER_SEEN_BY: dict[str | None, tuple[bool, bool, bool, bool, bool]] = {
    #              partner addressees members council public
    "sec":        (Y,      Y,         Y,      Y,      Y),  # the secretariat sees every record
    "ukr":        (Y,      Y,         Y,      Y,      Y),  # the partner the offers are made to
    "ukr-viewer": (Y,      Y,         Y,      Y,      Y),  # a viewer reads as its delegation
    "deu":        (Y,      Y,         Y,      Y,      Y),  # the member that made them
    "deu-viewer": (Y,      Y,         Y,      Y,      Y),
    "usa":        (N,      Y,         Y,      Y,      Y),  # a member the request is addressed to
    "fra":        (N,      N,         Y,      Y,      Y),  # a member it is not addressed to
    "swe":        (N,      N,         Y,      Y,      Y),  # the same, seated since March 2024
    None:         (N,      N,         N,      N,      Y),  # the public, signed out
}
# fmt: on

REQUEST_LEVELS = (
    Releasability.ADDRESSEES,
    Releasability.MEMBERS,
    Releasability.COUNCIL,
    Releasability.PUBLIC,
)
# UKR's requests: the one at `addressees` is addressed to DEU and USA, the others to USA.
# fmt: off
REQUEST_SEEN_BY: dict[str, tuple[bool, bool, bool, bool]] = {
    #              addressees members council public
    "sec":        (Y,         Y,      Y,      Y),
    "ukr":        (Y,         Y,      Y,      Y),  # the partner that filed them
    "ukr-viewer": (Y,         Y,      Y,      Y),
    "deu":        (Y,         Y,      Y,      Y),  # named among the addressees
    "deu-viewer": (Y,         Y,      Y,      Y),
    "usa":        (Y,         Y,      Y,      Y),
    "fra":        (N,         Y,      Y,      Y),  # not named: a member, so from `members` on
    "swe":        (N,         Y,      Y,      Y),
}
# fmt: on
READERS = list(REQUEST_SEEN_BY)


@dataclass(frozen=True)
class Released:
    offers: dict[Releasability, int]
    deliveries: dict[Releasability, int]
    requests: dict[Releasability, int]
    quantity: dict[Releasability, int]


@pytest.fixture
def released(seeded: Context) -> Released:
    """A request addressed to DEU and USA, and DEU's offers against it at every level."""
    ukr, deu = actor(seeded, "ukr"), actor(seeded, "deu")
    a = seeded.assistance
    request: int = a.file_request(
        ukr,
        partner="UKR",
        title="Rounds",
        area=None,
        item="155mm-round",
        quantity=10_000,
        value_cents=None,
        priority="high",
        need_by=None,
        justification="front",
        addressees=["DEU", "USA"],
    )
    offers: dict[Releasability, int] = {}
    deliveries: dict[Releasability, int] = {}
    quantity: dict[Releasability, int] = {}
    for n, level in enumerate(OFFER_LEVELS, start=1):
        quantity[level] = 10 * n
        offer: int = a.make_offer(
            deu,
            member="DEU",
            kind="arm",
            quantity=quantity[level],
            request_id=request,
            releasability=level.value,
        )
        a.accept(ukr, offer)
        a.commit(deu, offer)
        deliveries[level] = a.record_delivery(deu, offer, quantity=1)
        offers[level] = offer
    requests = {Releasability.ADDRESSEES: request}
    for level in REQUEST_LEVELS[1:]:
        requests[level] = a.file_request(
            ukr,
            partner="UKR",
            title=f"Kits ({level.value})",
            area=None,
            item="demining-kit",
            quantity=5,
            value_cents=None,
            priority="low",
            need_by=None,
            justification="fields",
            addressees=["USA"],
            releasability=level.value,
        )
    return Released(offers, deliveries, requests, quantity)


def test_the_read_tables_answer_for_every_reader() -> None:
    assert set(OFFER_SEEN_BY) == {*READERS, None}
    assert set(READERS) <= set(USERS)


def test_the_public_reads_only_public_totals(api: Delegations, released: Released) -> None:
    public = api.anonymous.get("/api/v1/public/summary", params={"group_by": "kind"}).json()
    seen = [lvl for lvl, sees in zip(OFFER_LEVELS, OFFER_SEEN_BY[None], strict=True) if sees]
    assert seen == [Releasability.PUBLIC]
    assert (
        sum(r["offered_quantity"] for r in public["rows"])
        == released.quantity[Releasability.PUBLIC]
    )


def test_reads_follow_releasability_everywhere(api: Delegations, released: Released) -> None:
    for username in READERS:
        client = api.as_(username)
        seen = [
            lvl for lvl, sees in zip(OFFER_LEVELS, OFFER_SEEN_BY[username], strict=True) if sees
        ]
        expected = {released.offers[lvl] for lvl in seen}
        for level, offer in released.offers.items():
            status = client.get(f"/api/v1/offers/{offer}").status_code
            assert status == (200 if level in seen else 404), (username, level)
            delivery = released.deliveries[level]
            status = client.get(f"/api/v1/deliveries/{delivery}").status_code
            assert status == (200 if level in seen else 404), (username, level, "delivery")
        listed = {o["id"] for o in client.get("/api/v1/offers").json()["items"]}
        assert listed == expected, username
        entries = client.get("/api/v1/ledger/entries", params={"limit": 1000}).json()["items"]
        assert {e["offer_id"] for e in entries} == expected, username
        summary = client.get("/api/v1/ledger/summary").json()["rows"]
        offered = sum(r["offered_quantity"] for r in summary)
        assert offered == sum(released.quantity[lvl] for lvl in seen), username
        exported = client.get("/api/v1/ledger/export.csv").text.splitlines()
        assert exported[0].startswith("id,entry_type,measure,offer_id")
        offer_column = exported[0].split(",").index("offer_id")
        assert {int(line.split(",")[offer_column]) for line in exported[1:]} == expected
        deliveries = client.get("/api/v1/deliveries").json()
        assert {d["offer_id"] for d in deliveries} == expected, username
        # A request's committed total counts every offer answering it, whoever reads it; the
        # part from offers its reader may not see is told apart (and never named).
        request = client.get(f"/api/v1/requests/{released.requests[Releasability.ADDRESSEES]}")
        if request.status_code == 200:
            body = request.json()
            assert body["committed_quantity"] == sum(released.quantity.values())
            assert body["committed_unseen_quantity"] == sum(
                released.quantity[lvl] for lvl in OFFER_LEVELS if lvl not in seen
            )
            assert body["offered_quantity"] == sum(released.quantity[lvl] for lvl in seen)
        visible = {
            released.requests[lvl]
            for lvl, sees in zip(REQUEST_LEVELS, REQUEST_SEEN_BY[username], strict=True)
            if sees
        }
        for level, request_id in released.requests.items():
            status = client.get(f"/api/v1/requests/{request_id}").status_code
            assert status == (200 if request_id in visible else 404), (username, level)
        listed_requests = {r["id"] for r in client.get("/api/v1/requests").json()}
        assert listed_requests == visible, username


# ---- writes: the declared permissions -----------------------------------------------------


def _offer(ctx: Context, state: str) -> int:
    """A DEU offer to UKR, released to the council, brought to ``state``."""
    a, deu, ukr = ctx.assistance, actor(ctx, "deu"), actor(ctx, "ukr")
    offer: int = a.make_offer(
        deu, member="DEU", kind="arm", quantity=5, item="155mm-round", releasability="council"
    )
    if state in ("accepted", "committed"):
        a.accept(ukr, offer)
    if state == "committed":
        a.commit(deu, offer)
    return offer


def _delivery(ctx: Context) -> int:
    offer = _offer(ctx, "committed")
    delivery: int = ctx.assistance.record_delivery(actor(ctx, "deu"), offer, quantity=1)
    return delivery


def _request(ctx: Context) -> int:
    request: int = ctx.assistance.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title="Kits",
        area=None,
        item="demining-kit",
        quantity=5,
        value_cents=None,
        priority="low",
        need_by=None,
        justification="fields",
        releasability="council",
    )
    return request


def _meeting(ctx: Context, state: str) -> int:
    """A meeting UKR convened (released to the council), brought to ``state`` by the chair."""
    c, sec = ctx.council, actor(ctx, "sec")
    meeting: int = c.convene(
        actor(ctx, "ukr"),
        title="Consultation",
        level="ambassadors",
        agenda=[AgendaEntry("Air defence")],
    )
    if state in ("scheduled", "held"):
        c.schedule(sec, meeting, starts_at=NOW + dt.timedelta(days=1), place="Brussels")
    if state == "held":
        c.hold(sec, meeting, attendance={"UKR": "ambassador"}, held_at=NOW)
    return meeting


def _closable(ctx: Context) -> int:
    """A held meeting with its minutes and an outcome for its one agenda item."""
    meeting, sec = _meeting(ctx, "held"), actor(ctx, "sec")
    ctx.council.record_minutes(sec, meeting, "Met.")
    with ctx.reading() as s:
        items = s.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting)).all()
    for item in items:
        ctx.council.record_item_outcome(sec, meeting, item, "Noted")
    return meeting


def _item(ctx: Context, meeting: int) -> int:
    found: int = ctx.council.add_agenda_item(actor(ctx, "sec"), meeting, AgendaEntry("More"))
    return found


def _proposal(ctx: Context, state: str = "in discussion") -> int:
    """A proposal DEU tabled, released to the council."""
    proposal: int = ctx.council.table_proposal(actor(ctx, "deu"), title="Statement", text="t")
    if state == "under silence":
        ctx.council.circulate(actor(ctx, "sec"), proposal, deadline=NOW + dt.timedelta(days=1))
    return proposal


def _instrument(ctx: Context) -> int:
    """DEU's agreement with UKR, released to the council."""
    found: int = ctx.guarantees.create_instrument(
        actor(ctx, "deu"), member="DEU", title="Agreement", signed_on=dt.date(2024, 2, 16)
    )
    return found


def _linked(ctx: Context) -> int:
    """A DEU offer (released to the council) linked to DEU's agreement."""
    offer = _offer(ctx, "offered")
    ctx.guarantees.link_offer(actor(ctx, "deu"), offer, _instrument(ctx))
    return offer


def _step(ctx: Context) -> int:
    """A condition on UKR's pathway, released to the council."""
    found: int = ctx.guarantees.add_step(actor(ctx, "sec"), kind="condition", title="Reforms")
    return found


def _report_due(ctx: Context) -> int:
    """DEU's report on 2023 under an agreement in force since 2023, open (due 31 January 2024,
    so it would be met late)."""
    _instrument, [obligation] = instrument_with_obligation(
        ctx, "DEU", valid_from=dt.date(2023, 1, 1), clauses=[("year end", "report", 720)]
    )
    assert ctx.obligations.open_year_end(obligation, 2023)
    with ctx.reading() as s:
        found = s.scalar(select(DueItem.id).where(DueItem.obligation_id == obligation))
    assert found is not None
    return found


_ATTACK = {
    "kind": "armed attack",
    "occurred_at": "2024-04-02T05:00:00Z",
    "description": "Missile strikes",
}


def _crew_offer(ctx: Context) -> int:
    """A DEU offer of air-defence crew training, released to the council and committed."""
    with ctx.reading() as s:
        known = s.scalar(select(CapabilityItem.id).where(CapabilityItem.code == "ad-crew"))
    if known is None:
        add_items(ctx)
    return committed(ctx, "DEU", "ad-crew", 6)


def _tranche(ctx: Context) -> int:
    tranche: int = ctx.envelope.plan_delivery(
        actor(ctx, "deu"), _crew_offer(ctx), quantity=2, expected_on=NOW.date()
    )
    return tranche


def _package(ctx: Context) -> int:
    package: int = ctx.envelope.define_package(
        actor(ctx, "sec"),
        code=f"p-{next(_PACKAGES)}",
        name="Package",
        area="demining",
        units_needed=1,
        components=[ComponentIn("demining-kit", "equip", 1)],
    )
    return package


def _public_line(ctx: Context) -> int:
    """A fresh line of Germany's, seen by everyone, so that refusals are 403 (a line the
    actor may not see is 404 first)."""
    line: int = ctx.matching.declare_availability(
        actor(ctx, "deu"),
        member="DEU",
        item="155mm-round",
        quantity=5,
        available_from=NOW.date(),
        releasability="public",
    )
    return line


def _matched(ctx: Context, *, sent: bool = False) -> tuple[int, int]:
    """A run after UKR asks all members for 10 more rounds and DEU declares 10: the run, and
    its proposal of DEU's new line (sent to DEU if ``sent``)."""
    ctx.assistance.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title="Rounds",
        area=None,
        item="155mm-round",
        quantity=10,
        value_cents=None,
        priority="high",
        need_by=None,
        justification="the front",
    )
    line = ctx.matching.declare_availability(
        actor(ctx, "deu"), member="DEU", item="155mm-round", quantity=10, available_from=NOW.date()
    )
    sec = actor(ctx, "sec")
    run = ctx.matching.start_run(sec)
    run_matching(ctx, sec, run)
    with ctx.reading() as s:
        # Earlier cases' requests are as open as this one: the new line serves one of them.
        [proposal] = [
            p["id"]
            for p in matching_queries.proposals(s, sec, run_id=run)
            if p["availability_id"] == line
        ]
    if sent:
        ctx.matching.send(sec, proposal)
    return run, proposal


_PACKAGES = itertools.count(1)
_PACKAGE_BODY = {
    "name": "Demining team",
    "area": "demining",
    "units_needed": 1,
    "components": [{"item": "demining-kit", "kind": "equip", "quantity_per_unit": 10}],
}
# The method of a case that is not a POST (the envelope's PATCH and DELETE routes).
Build = Callable[[Context], tuple[str, dict[str, Any] | None]]
_MEETING = {"title": "Consultation", "level": "ambassadors"}
# name → (the permission its route declares, how to build the call on a fresh record)
CASES: dict[
    str,
    tuple[
        Action
        | CouncilAction
        | EnvelopeAction
        | GuaranteesAction
        | ObligationsAction
        | MatchingAction,
        Build,
    ],
] = {
    "declare trigger": (ObligationsAction.DECLARE_TRIGGER, lambda c: ("/api/v1/triggers", _ATTACK)),
    "record met": (
        ObligationsAction.RECORD_MET,
        lambda c: (f"/api/v1/obligations/{_report_due(c)}/met", {"evidence": "Report of 15 Jan"}),
    ),
    "record an instrument": (
        GuaranteesAction.CREATE_INSTRUMENT,
        lambda c: (
            "/api/v1/instruments",
            {"member": "DEU", "title": "Agreement", "signed_on": "2024-02-16"},
        ),
    ),
    "set an amount": (
        GuaranteesAction.AMEND_INSTRUMENT,
        lambda c: (
            f"/api/v1/instruments/{_instrument(c)}/amounts",
            {"year": 2024, "category": "air defence", "amount": "7000000000"},
        ),
    ),
    "add an obligation": (
        GuaranteesAction.AMEND_INSTRUMENT,
        lambda c: (
            f"/api/v1/instruments/{_instrument(c)}/obligations",
            {"trigger": "armed attack", "action": "consult", "within_hours": 24},
        ),
    ),
    "give notice": (
        GuaranteesAction.GIVE_NOTICE,
        lambda c: (f"/api/v1/instruments/{_instrument(c)}/notice", {"given_on": "2024-04-01"}),
    ),
    "link an offer": (
        GuaranteesAction.LINK_OFFER,
        lambda c: (
            f"/api/v1/offers/{_offer(c, 'offered')}/instrument",
            {"instrument_id": _instrument(c)},
        ),
    ),
    "unlink an offer": (
        GuaranteesAction.LINK_OFFER,
        lambda c: (f"/api/v1/offers/{_linked(c)}/instrument", None),
    ),
    "record a rate": (
        GuaranteesAction.RECORD_RATE,
        lambda c: (
            "/api/v1/exchange-rates",
            {"currency": "GBP", "rate_on": "2024-01-12", "units_per_eur": "0.86", "source": "x"},
        ),
    ),
    "add a pathway step": (
        GuaranteesAction.KEEP_PATHWAY,
        lambda c: ("/api/v1/pathway", {"kind": "milestone", "title": "Interoperability"}),
    ),
    "add evidence": (
        GuaranteesAction.ADD_EVIDENCE,
        lambda c: (f"/api/v1/pathway/{_step(c)}", {"evidence": "A law was passed"}),
    ),
    "table the invitation question": (
        GuaranteesAction.TABLE_QUESTION,
        lambda c: (
            "/api/v1/pathway/invitation-question",
            {"step_id": _step(c), "text": "Invite Ukraine"},
        ),
    ),
    "convene": (CouncilAction.CONVENE, lambda c: ("/api/v1/meetings", _MEETING)),
    "schedule": (
        CouncilAction.CHAIR,
        lambda c: (
            f"/api/v1/meetings/{_meeting(c, 'requested')}/schedule",
            {"starts_at": "2024-04-05T10:00:00Z", "place": "Brussels"},
        ),
    ),
    "add agenda item": (
        CouncilAction.ADD_AGENDA_ITEM,
        lambda c: (f"/api/v1/meetings/{_meeting(c, 'requested')}/agenda", {"title": "Drones"}),
    ),
    "hold": (
        CouncilAction.CHAIR,
        lambda c: (
            f"/api/v1/meetings/{_meeting(c, 'scheduled')}/hold",
            {"attendance": [{"delegation": "UKR"}]},
        ),
    ),
    "minutes": (
        CouncilAction.CHAIR,
        lambda c: (f"/api/v1/meetings/{_meeting(c, 'held')}/minutes", {"minutes": "Met."}),
    ),
    "item outcome": (
        CouncilAction.CHAIR,
        lambda c: (
            (lambda m: f"/api/v1/meetings/{m}/agenda/{_item(c, m)}/outcome")(_meeting(c, "held")),
            {"outcome": "Noted"},
        ),
    ),
    "close": (CouncilAction.CHAIR, lambda c: (f"/api/v1/meetings/{_closable(c)}/close", None)),
    "table proposal": (
        CouncilAction.TABLE_PROPOSAL,
        lambda c: ("/api/v1/proposals", {"title": "Statement", "text": "t"}),
    ),
    "state position": (
        CouncilAction.STATE_POSITION,
        lambda c: (f"/api/v1/proposals/{_proposal(c)}/positions", {"stance": "support"}),
    ),
    "circulate": (
        CouncilAction.CIRCULATE,
        lambda c: (
            f"/api/v1/proposals/{_proposal(c)}/silence",
            {"deadline": "2024-04-05T12:00:00Z"},
        ),
    ),
    "consensus": (
        CouncilAction.RECORD_CONSENSUS,
        lambda c: (f"/api/v1/proposals/{_proposal(c)}/consensus", {}),
    ),
    "withdraw proposal": (
        CouncilAction.WITHDRAW_PROPOSAL,
        lambda c: (f"/api/v1/proposals/{_proposal(c)}/withdraw", {"reason": "r"}),
    ),
    "file request": (
        Action.FILE_REQUEST,
        lambda c: (
            "/api/v1/requests",
            {
                "partner": "UKR",
                "title": "t",
                "item": "demining-kit",
                "quantity": 1,
                "justification": "j",
            },
        ),
    ),
    "withdraw request": (
        Action.WITHDRAW_REQUEST,
        lambda c: (f"/api/v1/requests/{_request(c)}/withdraw", {"reason": "r"}),
    ),
    "close request": (
        Action.CLOSE_REQUEST,
        lambda c: (f"/api/v1/requests/{_request(c)}/close", {"reason": "r"}),
    ),
    "widen request": (
        Action.WIDEN_RELEASABILITY,
        lambda c: (f"/api/v1/requests/{_request(c)}/releasability", {"releasability": "public"}),
    ),
    "make an offer": (
        Action.MAKE_OFFER,
        lambda c: (
            "/api/v1/offers",
            {"member": "DEU", "kind": "arm", "quantity": 1, "item": "patriot"},
        ),
    ),
    "accept": (
        Action.ANSWER_OFFER,
        lambda c: (f"/api/v1/offers/{_offer(c, 'offered')}/accept", None),
    ),
    "decline": (
        Action.ANSWER_OFFER,
        lambda c: (f"/api/v1/offers/{_offer(c, 'offered')}/decline", {"reason": "r"}),
    ),
    "withdraw offer": (
        Action.MANAGE_OFFER,
        lambda c: (f"/api/v1/offers/{_offer(c, 'offered')}/withdraw", {"reason": "r"}),
    ),
    "commit": (
        Action.MANAGE_OFFER,
        lambda c: (f"/api/v1/offers/{_offer(c, 'accepted')}/commit", {}),
    ),
    "cancel": (
        Action.MANAGE_OFFER,
        lambda c: (f"/api/v1/offers/{_offer(c, 'committed')}/cancel", {"reason": "r"}),
    ),
    "widen offer": (
        Action.WIDEN_RELEASABILITY,
        lambda c: (
            f"/api/v1/offers/{_offer(c, 'offered')}/releasability",
            {"releasability": "public"},
        ),
    ),
    "record delivery": (
        Action.RECORD_DELIVERY,
        lambda c: (f"/api/v1/offers/{_offer(c, 'committed')}/deliveries", {"quantity": 1}),
    ),
    "confirm delivery": (
        Action.SETTLE_DELIVERY,
        lambda c: (f"/api/v1/deliveries/{_delivery(c)}/confirm", None),
    ),
    "reject delivery": (
        Action.SETTLE_DELIVERY,
        lambda c: (f"/api/v1/deliveries/{_delivery(c)}/reject", {"reason": "r"}),
    ),
    "correct ledger": (
        Action.CORRECT_LEDGER,
        lambda c: (
            "/api/v1/ledger/corrections",
            {
                "offer_id": _offer(c, "committed"),
                "measure": "offered",
                "quantity_delta": 1,
                "reason": "r",
            },
        ),
    ),
    "define package": (
        EnvelopeAction.DEFINE_PACKAGE,
        lambda c: (
            "/api/v1/capability-packages",
            {**_PACKAGE_BODY, "code": f"team-{next(_PACKAGES)}"},
        ),
    ),
    "change package": (
        EnvelopeAction.DEFINE_PACKAGE,
        lambda c: (f"/api/v1/capability-packages/{_package(c)}", {"units_needed": 2}),
    ),
    "plan delivery": (
        EnvelopeAction.PLAN_DELIVERY,
        lambda c: (
            "/api/v1/planned-deliveries",
            {"offer_id": _crew_offer(c), "quantity": 1, "expected_on": "2024-05-01"},
        ),
    ),
    "re-plan delivery": (
        EnvelopeAction.PLAN_DELIVERY,
        lambda c: (
            f"/api/v1/planned-deliveries/{_tranche(c)}",
            {"expected_on": "2024-06-01", "reason": "r"},
        ),
    ),
    "remove tranche": (
        EnvelopeAction.PLAN_DELIVERY,
        lambda c: (f"/api/v1/planned-deliveries/{_tranche(c)}?reason=r", None),
    ),
    "declare availability": (
        MatchingAction.DECLARE_AVAILABILITY,
        lambda c: (
            "/api/v1/availability",
            {"member": "DEU", "item": "155mm-round", "quantity": 5, "available_from": "2024-05-01"},
        ),
    ),
    "withdraw availability": (
        MatchingAction.WITHDRAW_AVAILABILITY,
        lambda c: (f"/api/v1/availability/{_public_line(c)}/withdraw", {"reason": "r"}),
    ),
    "run matching": (
        MatchingAction.RUN_MATCHING,
        lambda c: ("/api/v1/matching/runs?wait=true", {}),
    ),
    "send a run's proposals": (
        MatchingAction.SEND_PROPOSAL,
        lambda c: (f"/api/v1/matching/runs/{_matched(c)[0]}/send", None),
    ),
    "send a proposal": (
        MatchingAction.SEND_PROPOSAL,
        lambda c: (f"/api/v1/matching/proposals/{_matched(c)[1]}/send", None),
    ),
    "confirm a proposal": (
        MatchingAction.ANSWER_PROPOSAL,
        lambda c: (f"/api/v1/matching/proposals/{_matched(c, sent=True)[1]}/confirm", None),
    ),
    "decline a proposal": (
        MatchingAction.ANSWER_PROPOSAL,
        lambda c: (
            f"/api/v1/matching/proposals/{_matched(c, sent=True)[1]}/decline",
            {"reason": "needed at home"},
        ),
    ),
}

# Who may take each action on UKR's requests and on DEU's offers to UKR, by hand from the
# README ("Permissions"): the partner files and withdraws requests, accepts or declines offers
# and confirms deliveries; a member makes, commits, withdraws and cancels its own offers and
# records their deliveries; the secretariat corrects the ledger and closes requests; the author
# may widen who sees a record; viewers only read. Everyone else gets 403.
ACTORS = ("sec", "sec-staff", "ukr", "ukr-viewer", "deu", "deu-viewer", "usa", "fra")
_CHAIR = frozenset({"sec", "sec-staff"})
_SEATED = frozenset({"ukr", "deu", "usa", "fra"})
# The routes that are not POSTs, and the bodies that differ by caller (the secretariat records
# a notice and names who gave it; a party gives its own).
METHODS = {
    "set an amount": "PUT",
    "link an offer": "PUT",
    "unlink an offer": "DELETE",
    "add evidence": "PATCH",
    "change package": "PATCH",
    "re-plan delivery": "PATCH",
    "remove tranche": "DELETE",
}
BODY_FOR = {
    ("give notice", "sec"): {"by": "DEU"},
    ("give notice", "sec-staff"): {"by": "UKR"},
}
MAY: dict[str, frozenset[str]] = {
    # The signatory records and amends its instruments, and links its offers to them, or the
    # secretariat does; either party gives notice, or the secretariat records it; the
    # secretariat keeps the rates and the pathway; the partner adds evidence to the pathway
    # and tables the invitation question, as the chair may.
    "record an instrument": _CHAIR | {"deu"},
    "set an amount": _CHAIR | {"deu"},
    "add an obligation": _CHAIR | {"deu"},
    "give notice": _CHAIR | {"deu", "ukr"},
    "link an offer": _CHAIR | {"deu"},
    "unlink an offer": _CHAIR | {"deu"},
    "record a rate": _CHAIR,
    "add a pathway step": _CHAIR,
    "add evidence": _CHAIR | {"ukr"},
    "table the invitation question": _CHAIR | {"ukr"},
    # Any delegation convenes, for itself; nobody approves. The chair schedules, holds and
    # records; the convener and the chair add to the agenda. Proposals are tabled by any
    # delegation for itself; member and partner delegations state positions; the chair
    # circulates under silence and records consensus; the tabling delegation or the chair
    # withdraws a proposal.
    "convene": _SEATED | _CHAIR,
    "schedule": _CHAIR,
    "add agenda item": _CHAIR | {"ukr"},
    "hold": _CHAIR,
    "minutes": _CHAIR,
    "item outcome": _CHAIR,
    "close": _CHAIR,
    "table proposal": _SEATED | _CHAIR,
    "state position": _SEATED,
    "circulate": _CHAIR,
    "consensus": _CHAIR,
    "withdraw proposal": _CHAIR | {"deu"},
    "file request": frozenset({"ukr"}),
    "withdraw request": frozenset({"ukr"}),
    # The README names the secretariat; the partner that filed a request may close it too.
    "close request": frozenset({"sec", "sec-staff", "ukr"}),
    "widen request": frozenset({"ukr"}),
    "make an offer": frozenset({"deu"}),
    "accept": frozenset({"ukr"}),
    "decline": frozenset({"ukr"}),
    "withdraw offer": frozenset({"deu"}),
    "commit": frozenset({"deu"}),
    "cancel": frozenset({"deu"}),
    "widen offer": frozenset({"deu"}),
    "record delivery": frozenset({"deu"}),
    "confirm delivery": frozenset({"ukr"}),
    "reject delivery": frozenset({"ukr"}),
    "correct ledger": frozenset({"sec", "sec-staff"}),
    # The partner declares events for itself, the chair for it (the only partner); the member
    # bound, or the secretariat, records a report as met.
    "declare trigger": frozenset({"ukr", "sec", "sec-staff"}),
    "record met": frozenset({"deu", "sec", "sec-staff"}),
    # The partner or the secretariat defines and changes capability packages; the member
    # whose offer it is, or the secretariat, plans, re-plans and removes its deliveries.
    "define package": frozenset({"sec", "sec-staff", "ukr"}),
    "change package": frozenset({"sec", "sec-staff", "ukr"}),
    "plan delivery": frozenset({"sec", "sec-staff", "deu"}),
    "re-plan delivery": frozenset({"sec", "sec-staff", "deu"}),
    "remove tranche": frozenset({"sec", "sec-staff", "deu"}),
    # A member declares and withdraws its own availability, or the secretariat does; only the
    # secretariat runs the clearing house and sends proposals; only the member a proposal was
    # sent to confirms or declines it.
    "declare availability": frozenset({"sec", "sec-staff", "deu"}),
    "withdraw availability": frozenset({"sec", "sec-staff", "deu"}),
    "run matching": frozenset({"sec", "sec-staff"}),
    "send a run's proposals": frozenset({"sec", "sec-staff"}),
    "send a proposal": frozenset({"sec", "sec-staff"}),
    "confirm a proposal": frozenset({"deu"}),
    "decline a proposal": frozenset({"deu"}),
}


# Who cannot even see the record a case acts on: 404, its existence not revealed, before any
# question of permission (a proposal is seen by the secretariat, and by its member once sent).
_NOT_DEU = frozenset({"ukr", "ukr-viewer", "usa", "fra"})
UNSEEN: dict[str, frozenset[str]] = {
    "send a proposal": _NOT_DEU | {"deu", "deu-viewer"},
    "confirm a proposal": _NOT_DEU,
    "decline a proposal": _NOT_DEU,
}


def test_every_write_route_is_covered_by_a_case() -> None:
    covered = {action for action, _build in CASES.values()}
    declared = {rule.action for rule in ROUTES.values() if rule.action}
    assert declared - {Action.EDIT_CATALOGUE} <= {str(a) for a in covered}
    assert MAY.keys() == CASES.keys() and UNSEEN.keys() <= CASES.keys()
    assert all(who <= set(ACTORS) for who in MAY.values())


@pytest.mark.parametrize("name", list(CASES))
def test_writes_follow_the_declared_permissions(
    api: Delegations, seeded: Context, name: str
) -> None:
    _action, build = CASES[name]
    for username in ACTORS:
        path, body = build(seeded)
        if (name, username) in BODY_FOR:
            body = {**(body or {}), **BODY_FOR[(name, username)]}
        method = METHODS.get(name, "POST")
        response = api.as_(username).request(method, path, json=body)
        if username in MAY[name]:
            assert response.status_code in (200, 201, 204), (username, path, response.text)
        elif username in UNSEEN.get(name, ()):
            assert response.status_code == 404, (username, path, response.text)
            assert response.json()["detail"].endswith("does not exist"), response.text
        else:
            assert response.status_code == 403, (username, path, response.text)
            delegation, _role = USERS[username]
            assert response.json()["detail"].startswith(f"{delegation} may not "), response.text


def test_tokens_are_scoped_revocable_and_shown_once(api: Delegations) -> None:
    deu = api.as_("deu")
    created = deu.post("/api/v1/auth/tokens", json={"name": "reporting", "scopes": ["read"]})
    assert created.status_code == 201
    secret, token_id = created.json()["token"], created.json()["id"]
    listed = deu.get("/api/v1/auth/tokens").json()
    assert all("token" not in t for t in listed) and token_id in [t["id"] for t in listed]
    with httpx.Client(
        base_url=api.server.url, headers={"Authorization": f"Bearer {secret}"}
    ) as scoped:
        assert scoped.get("/api/v1/auth/me").json()["scopes"] == ["read"]
        assert scoped.get("/api/v1/offers").status_code == 200
        refused = scoped.post(
            "/api/v1/offers",
            json={"member": "DEU", "kind": "arm", "quantity": 1, "item": "patriot"},
        )
        assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
        assert deu.delete(f"/api/v1/auth/tokens/{token_id}").json()["revoked_at"]
        revoked = scoped.get("/api/v1/offers")
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    other = api.as_("usa").delete(f"/api/v1/auth/tokens/{token_id}")
    assert other.status_code == 404


def test_password_flow_token(api: Delegations, seeded: Context) -> None:
    response = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "usa", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = api.anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["delegation"] == "USA"
    seeded.access.disable_user(SETUP, "usa")
    after = api.anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


def test_failed_sign_ins_are_throttled_per_account(api: Delegations) -> None:
    for _ in range(5):
        bad = api.anonymous.post(
            "/api/v1/auth/token", data={"username": "fra", "password": "not-it-at-all"}
        )
        assert bad.status_code == 401
    blocked = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "fra", "password": "correct-horse-battery"}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "try again after" in blocked.json()["detail"]
    # Another account from the same address is not locked out by FRA's failures.
    ok = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "nor", "password": "correct-horse-battery"}
    )
    assert ok.status_code == 200
