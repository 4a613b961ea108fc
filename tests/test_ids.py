"""Ids are 64-bit everywhere: a record with id 2^62, the largest the API documents, is read
and acted on through the API and the pages on PostgreSQL (whose id columns were 32-bit);
2^62 + 1 and 2^63 are 422 wherever an id is given; the migrations and the models agree."""

from __future__ import annotations

import re

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from shieldwall import tables
from shieldwall.kit.db import Base
from tests.conftest import PASSWORD, TLS, Delegations, problem_of
from tests.platform import TestPlatform as Context

TOP = 2**62
# Tables that get one record in the walk below start at 2^62; the others near it.
ONE_RECORD = ("assistance_request", "offer", "delivery")
SEVERAL = ("ledger_entry", "audit_record", "idempotency_record", "web_session", "api_token")


def ids_from_the_top(seeded: Context) -> None:
    with seeded.engine.begin() as conn:
        for table in (*ONE_RECORD, *SEVERAL):
            start = TOP - 1 if table in ONE_RECORD else TOP - 1000
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                {"t": table, "v": start},
            )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_record_with_id_2_to_the_62_is_readable_and_actable(
    api: Delegations, seeded: Context
) -> None:
    ids_from_the_top(seeded)
    ukr, deu = api.as_("ukr"), api.as_("deu")
    request = ukr.post(
        "/api/v1/requests",
        json={
            "partner": "UKR",
            "title": "Rounds",
            "item": "155mm-round",
            "quantity": 10,
            "justification": "front",
        },
    )
    assert request.status_code == 201, request.text
    assert request.json()["id"] == TOP
    body = {"member": "DEU", "kind": "arm", "quantity": 10, "request_id": TOP}
    key = {"Idempotency-Key": "at-the-top"}
    offer = deu.post("/api/v1/offers", json=body, headers=key)
    assert offer.status_code == 201, offer.text
    assert offer.json()["id"] == TOP and offer.json()["request_id"] == TOP
    assert deu.post("/api/v1/offers", json=body, headers=key).json()["id"] == TOP
    assert ukr.post(f"/api/v1/offers/{TOP}/accept").json()["state"] == "accepted"
    assert deu.post(f"/api/v1/offers/{TOP}/commit", json={}).json()["state"] == "committed"
    delivery = deu.post(f"/api/v1/offers/{TOP}/deliveries", json={"quantity": 4})
    assert delivery.status_code == 201 and delivery.json()["id"] == TOP
    assert ukr.get(f"/api/v1/deliveries/{TOP}").json()["offer_id"] == TOP
    assert [d["id"] for d in ukr.get("/api/v1/deliveries", params={"offer_id": TOP}).json()] == [
        TOP
    ]
    entries = ukr.get("/api/v1/ledger/entries", params={"offer_id": TOP}).json()
    assert entries["total"] == 2 and all(e["id"] > 2**31 for e in entries["items"])
    assert ukr.get(f"/api/v1/requests/{TOP}").json()["committed_quantity"] == 10
    # The partner confirms the delivery from the offer's page, as a browser does.
    browser = httpx.Client(verify=TLS, base_url=api.server.url, timeout=30)
    form = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    browser.post(
        "/login", data={"username": "ukr", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    page = browser.get(f"/offers/{TOP}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf is not None
    fields = {"csrf_token": csrf.group(1), "action": "confirm", "delivery_id": str(TOP)}
    asked = browser.post(f"/offers/{TOP}/act", data=fields)
    assert asked.status_code == 200 and "Yes, confirm receipt" in asked.text, asked.text
    confirmed = browser.post(
        f"/offers/{TOP}/act", data={**fields, "confirmed": "yes"}, follow_redirects=False
    )
    assert confirmed.status_code == 303, confirmed.text
    assert ukr.get(f"/api/v1/offers/{TOP}").json()["delivered_quantity"] == 4
    fix = api.as_("sec").post(
        "/api/v1/ledger/corrections",
        json={"offer_id": TOP, "measure": "offered", "quantity_delta": 1, "reason": "recount"},
    )
    assert fix.status_code == 201 and fix.json()["offer_id"] == TOP


@pytest.mark.parametrize("wrong", [TOP + 1, 2**63, 2**64])
def test_ids_above_2_to_the_62_are_422_everywhere(api: Delegations, wrong: int) -> None:
    sec = api.as_("sec")
    for path in (f"/api/v1/offers/{wrong}", f"/api/v1/requests/{wrong}"):
        assert problem_of(sec.get(path), 422)["errors"][0]["field"].endswith("_id")
    problem_of(sec.post(f"/api/v1/deliveries/{wrong}/confirm"), 422)
    problem_of(sec.get("/api/v1/ledger/entries", params={"offer_id": wrong}), 422)
    problem_of(sec.delete(f"/api/v1/auth/tokens/{wrong}"), 422)
    body = problem_of(
        api.as_("deu").post(
            "/api/v1/offers",
            json={"member": "DEU", "kind": "arm", "quantity": 1, "request_id": wrong},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "request_id"
    body = problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={"offer_id": wrong, "measure": "offered", "quantity_delta": 1, "reason": "r"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "offer_id"


def test_the_models_agree_with_the_migrations(seeded: Context) -> None:
    """Autogenerate finds nothing to change: 64-bit ids in the models are 64-bit in the
    migrated database (BIGINT on PostgreSQL, INTEGER — 64-bit — on SQLite)."""
    assert tables  # every feature's tables are in the metadata
    engine = create_engine(seeded.engine.url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        if engine.dialect.name == "postgresql":
            narrow = conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type = 'integer' "
                    "AND table_name <> 'alembic_version'"
                )
            ).all()
            assert narrow == []
            limits = conn.execute(text("SELECT DISTINCT max_value FROM pg_sequences")).all()
            assert limits == [(TOP,)]
    engine.dispose()
