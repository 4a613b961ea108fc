"""The assistance ledger through real HTTP, on SQLite and on PostgreSQL, each call made by the
delegation whose business it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shieldwall.kit.clock import FixedClock
from tests.conftest import Delegations, actor, problem_of, schema_head
from tests.platform import TestPlatform as Context


def file_patriot_request(api: Delegations, **extra: object) -> dict[str, Any]:
    body = {
        "partner": "UKR",
        "title": "Patriot batteries",
        "item": "patriot",
        "quantity": 3,
        "priority": "critical",
        "need_by": "2024-09-01",
        "justification": "Protect cities",
        **extra,
    }
    response = api.as_("ukr").post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_offer(api: Delegations, **fields: Any) -> dict[str, Any]:
    member = str(fields["member"]).lower()
    response = api.as_(member).post("/api/v1/offers", json={"kind": "arm", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_offer_lifecycle_to_delivery(api: Delegations) -> None:
    ukr, deu = api.as_("ukr"), api.as_("deu")
    request = file_patriot_request(api)
    assert request["status"] == "open"
    assert request["requested_eur"] == 3_000_000_000
    offer = make_offer(api, member="DEU", request_id=request["id"], quantity=2)
    assert offer["state"] == "offered" and offer["releasability"] == "partner"
    assert offer["item"] == "patriot" and offer["value_eur"] == 2_000_000_000
    assert ukr.post(f"/api/v1/offers/{offer['id']}/accept").json()["state"] == "accepted"
    committed = deu.post(f"/api/v1/offers/{offer['id']}/commit", json={}).json()
    assert committed["state"] == "committed" and committed["committed_quantity"] == 2
    request = ukr.get(f"/api/v1/requests/{request['id']}").json()
    assert request["status"] == "partially covered"
    assert request["gap_quantity"] == 1 and request["coverage"] == pytest.approx(2 / 3, 1e-3)

    delivery = deu.post(
        f"/api/v1/offers/{offer['id']}/deliveries",
        json={"quantity": 1, "delivered_on": "2024-03-30"},
    ).json()
    assert delivery["state"] == "recorded"
    # Recorded is not delivered until the partner confirms.
    assert deu.get(f"/api/v1/offers/{offer['id']}").json()["delivered_quantity"] == 0
    assert ukr.post(f"/api/v1/deliveries/{delivery['id']}/confirm").json()["state"] == "confirmed"
    second = deu.post(f"/api/v1/offers/{offer['id']}/deliveries", json={"quantity": 1}).json()
    ukr.post(f"/api/v1/deliveries/{second['id']}/confirm")
    final = deu.get(f"/api/v1/offers/{offer['id']}").json()
    assert final["state"] == "delivered"
    assert final["delivered_quantity"] == 2 and final["delivered_eur"] == 2_000_000_000

    entries = deu.get("/api/v1/ledger/entries", params={"offer_id": offer["id"]}).json()
    assert [e["entry_type"] for e in entries["items"]] == [
        "offered",
        "committed",
        "delivered",
        "delivered",
    ]
    assert entries["items"][2]["occurred_on"] == "2024-03-30"


def test_partial_commit_and_cancel_keep_the_balances(api: Delegations) -> None:
    fra, ukr = api.as_("fra"), api.as_("ukr")
    offer = make_offer(api, member="FRA", item="155mm-round", quantity=1000)
    ukr.post(f"/api/v1/offers/{offer['id']}/accept")
    fra.post(f"/api/v1/offers/{offer['id']}/commit", json={"quantity": 600})
    d = fra.post(f"/api/v1/offers/{offer['id']}/deliveries", json={"quantity": 250}).json()
    # Cancelling with a delivery awaiting confirmation is refused whole.
    refused = problem_of(
        fra.post(f"/api/v1/offers/{offer['id']}/cancel", json={"reason": "stocks"}), 409
    )
    assert "awaiting confirmation" in refused["detail"]
    ukr.post(f"/api/v1/deliveries/{d['id']}/confirm")
    cancelled = fra.post(
        f"/api/v1/offers/{offer['id']}/cancel", json={"reason": "Stocks needed at home"}
    ).json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["state_reason"] == "Stocks needed at home"
    assert cancelled["committed_quantity"] == 250 and cancelled["delivered_quantity"] == 250
    assert cancelled["offered_quantity"] == 1000
    assert cancelled["committed_eur"] == cancelled["delivered_eur"] == 875_000


def test_decline_and_withdraw_take_the_offer_off_the_table(api: Delegations) -> None:
    ukr = api.as_("ukr")
    a = make_offer(api, member="POL", item="155mm-round", quantity=100)
    b = make_offer(api, member="USA", item="155mm-round", quantity=100)
    assert (
        ukr.post(f"/api/v1/offers/{a['id']}/decline", json={"reason": "Wrong calibre lot"}).json()[
            "offered_quantity"
        ]
        == 0
    )
    ukr.post(f"/api/v1/offers/{b['id']}/accept")
    withdrawn = (
        api.as_("usa").post(f"/api/v1/offers/{b['id']}/withdraw", json={"reason": "needed"}).json()
    )
    assert withdrawn["state"] == "withdrawn" and withdrawn["offered_quantity"] == 0
    summary = api.as_("sec").get("/api/v1/ledger/summary").json()
    assert summary["rows"] == [
        {
            "offered_eur": 0.0,
            "committed_eur": 0.0,
            "delivered_eur": 0.0,
            "offered_quantity": 0,
            "committed_quantity": 0,
            "delivered_quantity": 0,
        }
    ]


def test_illegal_transition_is_409_naming_state_and_action(api: Delegations) -> None:
    deu, ukr = api.as_("deu"), api.as_("ukr")
    offer = make_offer(api, member="DEU", item="patriot", quantity=1)
    body = problem_of(deu.post(f"/api/v1/offers/{offer['id']}/commit", json={}), 409)
    assert body["current_state"] == "offered" and body["action"] == "commit"
    assert "offered" in body["detail"] and "commit" in body["detail"]
    ukr.post(f"/api/v1/offers/{offer['id']}/decline", json={"reason": "no crews yet"})
    body = problem_of(ukr.post(f"/api/v1/offers/{offer['id']}/accept"), 409)
    assert body["current_state"] == "declined" and body["action"] == "accept"


def test_unknown_ids_are_404(api: Delegations) -> None:
    client = api.as_("sec")
    for method, path in (
        ("GET", "/api/v1/offers/999"),
        ("POST", "/api/v1/offers/999/accept"),
        ("GET", "/api/v1/requests/999"),
        ("GET", "/api/v1/deliveries/999"),
        ("POST", "/api/v1/deliveries/999/confirm"),
    ):
        body = problem_of(client.request(method, path), 404)
        assert "999" in body["detail"]


def test_validation_errors_name_the_fields_and_change_nothing(api: Delegations) -> None:
    deu, sec = api.as_("deu"), api.as_("sec")
    before = sec.get("/api/v1/ledger/entries").json()["total"]
    body = problem_of(
        deu.post("/api/v1/offers", json={"member": "DEU", "kind": "bribe", "quantity": 0}), 422
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"kind", "quantity"} <= fields
    body = problem_of(
        deu.post(
            "/api/v1/offers",
            json={"member": "XYZ", "kind": "arm", "quantity": 1, "item": "patriot"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "member"
    body = problem_of(
        api.as_("ukr").post(
            "/api/v1/requests",
            json={"partner": "UKR", "title": "x", "area": "demining", "justification": "why"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "value_eur"
    body = problem_of(deu.get("/api/v1/ledger/summary", params={"group_by": "member,colour"}), 422)
    assert "colour" in body["detail"] and body["errors"][0]["field"] == "group_by"
    body = problem_of(deu.post("/api/v1/offers/1/decline", json={"reason": "  "}), 422)
    assert body["errors"][0]["field"] == "reason"
    body = problem_of(
        deu.post(
            "/api/v1/offers",
            json={
                "member": "DEU",
                "kind": "arm",
                "quantity": 1,
                "item": "patriot",
                "releasability": "own",
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "releasability" and "widen" in body["detail"]
    # JSON true is not a quantity, a number is not a date, and "5" is not a number.
    for wrong, field in (
        ({"quantity": True}, "quantity"),
        ({"quantity": "5"}, "quantity"),
        ({"quantity": 1, "value_eur": True}, "value_eur"),
    ):
        body = problem_of(
            deu.post(
                "/api/v1/offers", json={"member": "DEU", "kind": "arm", "item": "patriot", **wrong}
            ),
            422,
        )
        assert body["errors"][0]["field"] == field
    body = problem_of(
        api.as_("ukr").post(
            "/api/v1/requests",
            json={
                "partner": "UKR",
                "title": "x",
                "item": "patriot",
                "quantity": 1,
                "need_by": 0,
                "justification": "why",
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "need_by"
    # JSON true is no number of seconds for a matching run (schemathesis found it taken as 1 s).
    for limit in (True, "5", 0):
        body = problem_of(
            sec.post("/api/v1/matching/runs", json={"time_limit_seconds": limit}), 422
        )
        assert body["errors"][0]["field"] == "time_limit_seconds"
    assert sec.get("/api/v1/matching/runs").json() == []
    assert sec.get("/api/v1/ledger/entries").json()["total"] == before


def test_rules_of_requests_and_membership(api: Delegations, clock: FixedClock) -> None:
    named = file_patriot_request(api, addressees=["USA", "DEU"])
    assert named["to_all_members"] is False and named["addressees"] == ["DEU", "USA"]
    # FRA is not addressed, and the request is released to its addressees: it does not exist
    # for France.
    body = problem_of(
        api.as_("fra").post(
            "/api/v1/offers",
            json={"member": "FRA", "kind": "arm", "quantity": 1, "request_id": named["id"]},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "request_id"
    api.as_("ukr").post(
        f"/api/v1/requests/{named['id']}/releasability", json={"releasability": "members"}
    )
    body = problem_of(
        api.as_("fra").post(
            "/api/v1/offers",
            json={"member": "FRA", "kind": "arm", "quantity": 1, "request_id": named["id"]},
        ),
        409,
    )
    assert "FRA" in body["detail"] and body["rule"]
    body = problem_of(
        api.as_("deu").post(
            "/api/v1/offers",
            json={
                "member": "DEU",
                "kind": "arm",
                "quantity": 1,
                "request_id": named["id"],
                "item": "155mm-round",
            },
        ),
        409,
    )
    assert body["rule"] == "an offer against a request is in the request's area"
    clock.set(dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
    body = problem_of(
        api.as_("swe").post(
            "/api/v1/offers",
            json={"member": "SWE", "kind": "arm", "quantity": 1, "item": "patriot"},
        ),
        409,
    )
    assert "not a member" in body["detail"] and "2024-01-10" in body["detail"]
    clock.set(dt.datetime(2024, 3, 8, tzinfo=dt.UTC))
    make_offer(api, member="SWE", item="patriot", quantity=1)
    withdrawn = (
        api.as_("ukr")
        .post(f"/api/v1/requests/{named['id']}/withdraw", json={"reason": "Covered bilaterally"})
        .json()
    )
    assert withdrawn["status"] == "withdrawn"
    body = problem_of(
        api.as_("usa").post(
            "/api/v1/offers",
            json={"member": "USA", "kind": "arm", "quantity": 1, "request_id": named["id"]},
        ),
        409,
    )
    assert body["current_state"] == "withdrawn"


def test_deliveries_cannot_exceed_the_commitment(api: Delegations) -> None:
    usa = api.as_("usa")
    offer = make_offer(api, member="USA", item="155mm-round", quantity=10)
    api.as_("ukr").post(f"/api/v1/offers/{offer['id']}/accept")
    usa.post(f"/api/v1/offers/{offer['id']}/commit", json={"quantity": 5})
    usa.post(f"/api/v1/offers/{offer['id']}/deliveries", json={"quantity": 4})
    body = problem_of(
        usa.post(f"/api/v1/offers/{offer['id']}/deliveries", json={"quantity": 2}), 409
    )
    assert body["rule"] == "delivered ≤ committed"
    body = problem_of(
        usa.post(
            f"/api/v1/offers/{offer['id']}/deliveries",
            json={"quantity": 1, "delivered_on": "2030-01-01"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "delivered_on"
    assert len(usa.get("/api/v1/deliveries", params={"offer_id": offer["id"]}).json()) == 1


def test_idempotency_key_creates_once(api: Delegations) -> None:
    nor = api.as_("nor")
    body = {
        "member": "NOR",
        "kind": "finance",
        "quantity": 1,
        "area": "demining",
        "value_eur": "1250000.50",
    }
    first = nor.post("/api/v1/offers", json=body, headers={"Idempotency-Key": "nor-1"})
    again = nor.post("/api/v1/offers", json=body, headers={"Idempotency-Key": "nor-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["value_eur"] == 1_250_000.50
    assert nor.get("/api/v1/offers", params={"member": "NOR"}).json()["total"] == 1
    other = nor.post(
        "/api/v1/offers", json={**body, "quantity": 2}, headers={"Idempotency-Key": "nor-1"}
    )
    assert "nor-1" in problem_of(other, 422)["detail"]
    ukr = api.as_("ukr")
    request = {
        "partner": "UKR",
        "title": "Kits",
        "item": "demining-kit",
        "quantity": 5,
        "justification": "fields",
    }
    r1 = ukr.post("/api/v1/requests", json=request, headers={"Idempotency-Key": "r"}).json()
    r2 = ukr.post("/api/v1/requests", json=request, headers={"Idempotency-Key": "r"}).json()
    assert r1["id"] == r2["id"] and len(ukr.get("/api/v1/requests").json()) == 1


def test_corrections_are_new_entries_and_keep_the_rules(api: Delegations) -> None:
    sec, deu = api.as_("sec"), api.as_("deu")
    offer = make_offer(api, member="DEU", item="155mm-round", quantity=100)
    api.as_("ukr").post(f"/api/v1/offers/{offer['id']}/accept")
    deu.post(f"/api/v1/offers/{offer['id']}/commit", json={})
    fix = sec.post(
        "/api/v1/ledger/corrections",
        json={
            "offer_id": offer["id"],
            "measure": "committed",
            "quantity_delta": -10,
            "value_delta_eur": "-35000",
            "reason": "Ten rounds double-counted",
        },
    )
    assert fix.status_code == 201, fix.text
    assert fix.json()["entry_type"] == "correction" and fix.json()["quantity"] == -10
    body = problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={
                "offer_id": offer["id"],
                "measure": "offered",
                "quantity_delta": -95,
                "reason": "too much",
            },
        ),
        409,
    )
    assert body["rule"] == "delivered ≤ committed ≤ offered"
    problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={"offer_id": offer["id"], "measure": "offered", "quantity_delta": 1},
        ),
        422,
    )
    # Members do not correct the ledger, not even for their own offers.
    problem_of(
        deu.post(
            "/api/v1/ledger/corrections",
            json={
                "offer_id": offer["id"],
                "measure": "offered",
                "quantity_delta": 1,
                "reason": "more",
            },
        ),
        403,
    )
    types = [
        e["entry_type"]
        for e in deu.get("/api/v1/ledger/entries", params={"offer_id": offer["id"]}).json()["items"]
    ]
    assert types == ["offered", "committed", "correction"]
    assert deu.get(f"/api/v1/offers/{offer['id']}").json()["committed_quantity"] == 90


def test_summary_groups_and_totals_match_entries(api: Delegations) -> None:
    ukr, sec = api.as_("ukr"), api.as_("sec")
    o1 = make_offer(api, member="DEU", item="155mm-round", quantity=100)
    o2 = make_offer(api, member="USA", item="patriot", quantity=1)
    make_offer(api, member="USA", kind="train", area="air-defence", quantity=5, value_eur="50")
    for o in (o1, o2):
        ukr.post(f"/api/v1/offers/{o['id']}/accept")
        api.as_(o["member"].lower()).post(f"/api/v1/offers/{o['id']}/commit", json={})
    rows = sec.get("/api/v1/ledger/summary", params={"group_by": "member,kind"}).json()["rows"]
    by = {(r["member"], r["kind"]): r for r in rows}
    assert by[("DEU", "arm")]["committed_eur"] == 350_000
    assert by[("USA", "arm")]["offered_eur"] == 1_000_000_000
    train = by[("USA", "train")]
    assert train["offered_quantity"] == 5 and train["offered_eur"] == 50
    entries = sec.get("/api/v1/ledger/entries", params={"limit": 1000}).json()["items"]
    total = sec.get("/api/v1/ledger/summary").json()["rows"][0]
    for measure in ("offered", "committed", "delivered"):
        assert total[f"{measure}_eur"] == pytest.approx(
            sum(e["value_eur"] for e in entries if e["measure"] == measure)
        )
    by_month = sec.get("/api/v1/ledger/summary", params={"group_by": "month,area"}).json()
    assert {r["month"] for r in by_month["rows"]} == {"2024-04"}
    filtered = sec.get(
        "/api/v1/ledger/summary", params={"group_by": "member", "kind": "train"}
    ).json()["rows"]
    assert [r["member"] for r in filtered] == ["USA"]
    # Rows come in the order of the codes they show, not of the seating (DEU, USA, FRA).
    make_offer(api, member="FRA", item="155mm-round", quantity=10)
    by_member = sec.get("/api/v1/ledger/summary", params={"group_by": "member,kind"}).json()
    assert [r["member"] for r in by_member["rows"]] == ["DEU", "FRA", "USA", "USA"]


def test_entries_are_paged_and_filtered(api: Delegations) -> None:
    sec = api.as_("sec")
    for _ in range(5):
        make_offer(api, member="DEU", item="155mm-round", quantity=1)
    make_offer(api, member="USA", item="155mm-round", quantity=1)
    page = sec.get("/api/v1/ledger/entries", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["offset"] == 2
    assert sec.get("/api/v1/ledger/entries", params={"member": "usa"}).json()["total"] == 1
    problem_of(sec.get("/api/v1/ledger/entries", params={"limit": 0}), 422)
    problem_of(sec.get("/api/v1/ledger/entries", params={"month_from": "2024-13"}), 422)


def test_ledger_rows_cannot_be_updated_or_deleted(seeded: Context) -> None:
    seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=1, item="patriot"
    )
    for statement in ("UPDATE ledger_entry SET quantity = 99", "DELETE FROM ledger_entry"):
        with pytest.raises(DBAPIError, match="append-only"), seeded.engine.begin() as conn:
            conn.execute(text(statement))


def test_healthz_reports_the_database(api: Delegations) -> None:
    body = api.anonymous.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"]["schema_revision"] == schema_head()
    assert body["database"]["backend"] in ("sqlite", "postgresql")


def test_a_query_parameter_the_request_does_not_take_is_refused_naming_it(
    api: Delegations,
) -> None:
    # A misspelt filter must not read as the whole ledger: the parameter is offer_id.
    sec = api.as_("sec")
    body = problem_of(sec.get("/api/v1/ledger/entries", params={"offer": "9"}), 422)
    assert body["errors"][0]["field"] == "offer"
    assert "offer_id" in body["detail"] and "not a parameter of this request" in body["detail"]
    assert sec.get("/api/v1/ledger/entries", params={"offer_id": "9"}).status_code == 200
    # A dependency's parameters are taken too (offset and limit of every list).
    assert sec.get("/api/v1/offers", params={"offset": "0", "limit": "5"}).status_code == 200
    body = problem_of(sec.get("/api/v1/offers", params={"memebr": "DEU"}), 422)
    assert body["errors"][0]["field"] == "memebr"
    # In the language of the exchange.
    body = problem_of(
        sec.get("/api/v1/offers", params={"memebr": "DEU"}, headers={"Accept-Language": "fr"}),
        422,
    )
    assert "not a parameter" not in body["detail"]
