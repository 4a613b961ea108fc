"""Schemathesis over the whole API: no server error, no undocumented status code, every
response as documented (status, content type, body schema)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from shieldwall.access.model import Audience
from shieldwall.app import create_app
from shieldwall.envelope.service import ComponentIn
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from shieldwall.routes_policy import ROUTES
from tests.conftest import NOW, actor
from tests.guarantees_fixtures import instrument_with_obligation
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform

if TYPE_CHECKING:  # schemathesis names its case type only for type checkers
    from schemathesis.specs.openapi.schemas import OpenApiCase

BEARER: dict[str, str] = {}  # the signed-in user's token for the current parametrisation

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def seed_ledger(ctx: Context) -> None:
    """Records in every state, so that generated ids 1, 2, … reach real resources."""
    a = ctx.assistance
    request = a.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title="Rounds",
        area=None,
        item="155mm-round",
        quantity=1000,
        value_cents=None,
        priority="high",
        need_by=None,
        justification="front",
    )
    ukr = actor(ctx, "ukr")
    for member in ("DEU", "USA", "FRA", "POL"):
        who = actor(ctx, member.lower())
        offer = a.make_offer(who, member=member, kind="arm", quantity=100, request_id=request)
        a.accept(ukr, offer)
        a.commit(who, offer)
        a.record_delivery(who, offer, quantity=10)
    a.make_offer(
        actor(ctx, "nor"),
        member="NOR",
        kind="finance",
        quantity=1,
        area="demining",
        value_cents=100_000,
    )
    # A capability package and a planned tranche, so that the envelope's routes reach them.
    ctx.envelope.define_package(
        actor(ctx, "sec"),
        code="artillery",
        name="Artillery",
        area="artillery",
        units_needed=2,
        components=[ComponentIn("155mm-round", "arm", 100, per_month=True)],
    )
    ctx.envelope.plan_delivery(
        actor(ctx, "deu"), 1, quantity=10, expected_on=NOW.date() + dt.timedelta(days=30)
    )
    # A meeting and a proposal of the council, so that their routes reach real records too.
    ctx.council.convene(ukr, title="Consultation", level="ambassadors", crisis=True, reason="r")
    ctx.council.table_proposal(actor(ctx, "deu"), title="Statement", text="Allies condemn.")
    # An instrument with an amount, an obligation and a linked offer, and a pathway step.
    g, deu = ctx.guarantees, actor(ctx, "deu")
    instrument = g.create_instrument(
        deu, member="DEU", title="Agreement", signed_on=dt.date(2024, 2, 16), duration_years=10
    )
    g.set_amount(
        deu, instrument, year=2024, category="air defence", amount=Decimal(7), currency="EUR"
    )
    g.add_obligation(deu, instrument, trigger="armed attack", action="consult", within_hours=24)
    g.link_offer(deu, 1, instrument, None)
    g.add_step(actor(ctx, "sec"), kind="condition", title="Reforms")
    # An instrument whose duty to consult an armed attack opened, so that the obligations'
    # routes do too.
    instrument_with_obligation(ctx, "DEU")
    ctx.obligations.declare_trigger(
        ukr, kind="armed attack", occurred_at=NOW - dt.timedelta(hours=1), description="Strikes."
    )


@pytest.fixture(params=["sec", "deu", "ukr"])
def signed_in_as(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# The chair's run is schemathesis's default: every operation, valid (positive) and invalid
# (negative) data. The other users' runs send valid data only, to the operations that read the
# credential. An invalid request is refused (422) while FastAPI validates it, after the credential
# is read and before any handler runs, so that refusal is the same whoever sends it (each user here
# holds the read and write scopes); only the handler's answer (what the user may see and do)
# depends on who asks, and valid data is what reaches it. The chair may do the most, so an
# invalid request that validation let through would reach furthest in its run. The public
# operations never read the credential: their answers are the same for everyone.
PUBLIC_OPERATIONS = [
    f"{method} {path}"
    for (method, path), rule in ROUTES.items()
    if rule.audience == Audience.PUBLIC
]  # POST /api/v1/auth/token, GET /api/v1/public/summary, GET /healthz; the pages are not in it
VALID_ONLY = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "positive"},
        "operations": [{"include-name": PUBLIC_OPERATIONS, "enabled": False}],
    }
)


@pytest.fixture
def api_schema(seeded_sqlite_url: str, signed_in_as: str) -> Iterator[OpenApiSchema]:
    clock = FixedClock(NOW)
    ctx = open_test_platform(seeded_sqlite_url, clock)
    seed_ledger(ctx)
    who = actor(ctx, signed_in_as)
    # A password-flow token: the personal-token routes cannot revoke it mid-run.
    secret, _info = ctx.access.issue_token(
        who, kind="oauth", name="schemathesis", scopes=who.scopes, expires_in=None
    )
    app = create_app(Settings(database_url=seeded_sqlite_url), clock)
    # The OpenAPI document is built here, before it is served: built on the first request, it
    # took longer than schemathesis waits for it (10 s) on a loaded machine.
    app.openapi()
    with LiveServer(app) as live:
        BEARER["token"] = secret
        config = None if signed_in_as == "sec" else VALID_ONLY  # None: the default
        yield schemathesis.openapi.from_url(f"{live.url}/openapi.json", config=config)
    ctx.engine.dispose()
    app.state.platform.engine.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: OpenApiCase) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {BEARER['token']}"}, checks=CHECKS)


def test_openapi_documents_every_error_as_problem_json(sqlite_url: str) -> None:
    public = {"/api/v1/auth/token", "/api/v1/public/summary", "/healthz"}
    app = create_app(Settings(database_url=sqlite_url), FixedClock(NOW))
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "422" in codes, f"{method} {path} does not document 422"
            if "{" in path:
                assert "404" in codes, f"{method} {path} does not document 404"
            if path not in public:
                assert {"401", "403"} <= codes, f"{method} {path} does not document 401/403"
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    app.state.platform.engine.dispose()
