"""Security guarantees over real HTTP (the live server), on SQLite and PostgreSQL: the JSON
routes, their problem+json answers, and a contributor (the EU) that holds instruments and
makes offers but does not sit in the council."""

from __future__ import annotations

from typing import Any

from tests.conftest import Delegations, problem_of
from tests.platform import TestPlatform as Context

AGREEMENT = {
    "member": "DEU",
    "title": "Agreement on security cooperation and long-term support",
    "signed_on": "2024-02-16",
    "place": "Berlin",
    "duration_years": 10,
    "termination_notice_months": 6,
    "sources": ["https://www.auswaertiges-amt.de/", "https://www.ukrinform.net/"],
}


def _created(api: Delegations, who: str = "deu", **extra: Any) -> dict[str, Any]:
    response = api.as_(who).post("/api/v1/instruments", json={**AGREEMENT, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_instrument_from_creation_to_fulfilment(api: Delegations) -> None:
    deu, sec, ukr = api.as_("deu"), api.as_("sec"), api.as_("ukr")
    created = _created(api)
    assert (created["ends_on"], created["in_force"], created["valid_until"]) == (
        "2034-02-16",
        True,
        "2034-02-16",
    )
    assert created["sources"] == AGREEMENT["sources"]
    path = f"/api/v1/instruments/{created['id']}"
    rate = sec.post(
        "/api/v1/exchange-rates",
        json={
            "currency": "USD",
            "rate_on": "2024-02-16",
            "units_per_eur": "1.0773",
            "source": "ECB",
        },
    )
    assert rate.status_code == 201, rate.text
    assert rate.json()["units_per_eur"] == 1.0773
    amount = deu.put(
        f"{path}/amounts",
        json={
            "year": 2024,
            "category": "air defence",
            "amount": "1077300",
            "currency": "USD",
            "rate_on": "2024-02-16",
            "basis": "military (more than)",
        },
    )
    assert amount.status_code == 200, amount.text
    [stated] = amount.json()["amounts"]
    # $1,077,300 at 1.0773 to the euro: €1,000,000 exactly.
    assert (stated["eur"], stated["rate"]["rate_on"], stated["rate"]["source"]) == (
        1_000_000.0,
        "2024-02-16",
        "ECB",
    )
    obligation = deu.post(
        f"{path}/obligations",
        json={"trigger": "armed attack", "action": "consult", "within_hours": 24},
    )
    assert obligation.status_code == 201, obligation.text
    assert [(o["trigger"], o["within_hours"]) for o in obligation.json()["obligations"]] == [
        ("armed attack", 24)
    ]
    offer = deu.post(
        "/api/v1/offers",
        json={"member": "DEU", "kind": "arm", "quantity": 100, "item": "155mm-round"},
    ).json()["id"]
    assert ukr.post(f"/api/v1/offers/{offer}/accept").status_code == 200
    assert deu.post(f"/api/v1/offers/{offer}/commit", json={}).status_code == 200
    linked = deu.put(f"/api/v1/offers/{offer}/instrument", json={"instrument_id": created["id"]})
    assert linked.status_code == 200, linked.text
    assert (linked.json()["instrument_id"], linked.json()["year"]) == (created["id"], None)
    detail = deu.get(path).json()
    # 100 rounds at €3,500 committed toward 2024: 0 delivered of €1m promised.
    assert detail["fulfilment"] == [
        {
            "year": 2024,
            "promised_eur": 1_000_000.0,
            "promised": [{"currency": "USD", "amount": 1_077_300.0}],
            "committed_eur": 350_000.0,
            "delivered_eur": 0.0,
            "percent_fulfilled": 0.0,
        }
    ]
    unlinked = deu.delete(f"/api/v1/offers/{offer}/instrument")
    assert unlinked.status_code == 204 and unlinked.content == b""
    assert deu.get(path).json()["offers"] == []
    problem_of(deu.delete(f"/api/v1/offers/{offer}/instrument"), 409)
    notice = ukr.post(f"{path}/notice", json={"given_on": "2024-03-31"})
    assert notice.status_code == 200, notice.text
    assert (notice.json()["notice_given_by"], notice.json()["ends_on"]) == ("UKR", "2024-09-30")
    twice = problem_of(deu.post(f"{path}/notice", json={"given_on": "2024-04-01"}), 409)
    assert twice["rule"] == "a termination notice is given once"


def test_refusals_are_problem_json_naming_the_field(api: Delegations) -> None:
    deu, sec = api.as_("deu"), api.as_("sec")
    created = _created(api)
    path = f"/api/v1/instruments/{created['id']}"
    no_rate = problem_of(
        deu.put(
            f"{path}/amounts",
            json={
                "year": 2024,
                "category": "armour",
                "amount": 5,
                "currency": "GBP",
                "rate_on": "2024-01-12",
            },
        ),
        422,
    )
    assert no_rate["errors"] == [
        {"field": "rate_on", "message": "no GBP rate is recorded on 2024-01-12: record it first"}
    ]
    bad_category = problem_of(
        deu.put(f"{path}/amounts", json={"year": 2024, "category": "tanks", "amount": 5}), 422
    )
    assert bad_category["errors"][0]["field"].endswith("category")
    decimals = problem_of(
        deu.put(f"{path}/amounts", json={"year": 2024, "category": "armour", "amount": "5.001"}),
        422,
    )
    assert decimals["errors"][0]["field"].endswith("amount")
    other = problem_of(
        api.as_("fra").put(
            f"{path}/amounts", json={"year": 2024, "category": "armour", "amount": 5}
        ),
        403,
    )
    assert other["detail"].startswith("FRA may not amend an instrument")
    problem_of(deu.get("/api/v1/instruments/999999"), 404)
    future = problem_of(deu.post(f"{path}/notice", json={"given_on": "2099-01-01"}), 422)
    assert future["errors"] == [{"field": "given_on", "message": "2099-01-01 is in the future"}]
    unknown = problem_of(deu.get("/api/v1/instruments", params={"member": "XXX"}), 422)
    assert unknown["errors"][0]["field"] == "member"
    rate = problem_of(
        sec.post(
            "/api/v1/exchange-rates",
            json={"currency": "EUR", "rate_on": "2024-01-12", "units_per_eur": 1, "source": "x"},
        ),
        422,
    )
    assert rate["errors"] == [{"field": "currency", "message": "amounts in euros need no rate"}]
    assert deu.get(path).json()["amounts"] == []


def test_creates_replay_their_idempotency_key(api: Delegations) -> None:
    deu = api.as_("deu")
    key = {"Idempotency-Key": "agreement-1"}
    first = deu.post("/api/v1/instruments", json=AGREEMENT, headers=key)
    again = deu.post("/api/v1/instruments", json=AGREEMENT, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    changed = deu.post("/api/v1/instruments", json={**AGREEMENT, "place": "Kyiv"}, headers=key)
    problem_of(changed, 422)
    assert deu.get("/api/v1/instruments").json()["total"] == 1


def test_lists_filter_and_follow_releasability(api: Delegations) -> None:
    council = _created(api)
    partner_only = _created(api, releasability="partner", title="Side letter")
    listed = {i["id"] for i in api.as_("deu").get("/api/v1/instruments").json()["items"]}
    assert listed == {council["id"], partner_only["id"]}
    seen_by_fra = api.as_("fra").get("/api/v1/instruments").json()
    assert [i["id"] for i in seen_by_fra["items"]] == [council["id"]]
    problem_of(api.as_("fra").get(f"/api/v1/instruments/{partner_only['id']}"), 404)
    assert api.as_("ukr").get(f"/api/v1/instruments/{partner_only['id']}").status_code == 200
    by_member = api.as_("sec").get("/api/v1/instruments", params={"member": "USA"}).json()
    assert by_member["total"] == 0
    in_force = api.as_("sec").get("/api/v1/instruments", params={"in_force_on": "2024-02-15"})
    assert in_force.json()["total"] == 0  # signed the next day


def test_burden_sharing_and_rates_over_http(api: Delegations) -> None:
    deu = api.as_("deu")
    created = _created(api)
    deu.put(
        f"/api/v1/instruments/{created['id']}/amounts",
        json={"year": 2024, "category": "not broken down", "amount": 7_000_000_000},
    )
    response = deu.get("/api/v1/burden-sharing", params={"year": 2024})
    assert response.status_code == 200, response.text
    shared = response.json()
    assert shared["gdp_source"] == (
        "Kiel Institute, Ukraine Support Tracker, Release 29 (04/2026), column gdp"
    )
    assert [(r["member"], r["promised_eur"], r["gdp_eur_billion"]) for r in shared["rows"]] == [
        ("DEU", 7_000_000_000.0, 3601.74999999994)
    ]
    problem_of(deu.get("/api/v1/burden-sharing", params={"year": 1800}), 422)
    assert deu.get("/api/v1/exchange-rates").json() == []


def test_the_pathway_and_the_invitation_question(api: Delegations) -> None:
    sec, ukr, deu = api.as_("sec"), api.as_("ukr"), api.as_("deu")
    step = sec.post(
        "/api/v1/pathway",
        json={
            "kind": "condition",
            "title": "Democratic and security-sector reforms",
            "due_on": "2025-06-30",
        },
    )
    assert step.status_code == 201, step.text
    step_id = step.json()["id"]
    evidence = ukr.patch(f"/api/v1/pathway/{step_id}", json={"evidence": "Law on the SBU adopted"})
    assert evidence.json()["evidence"] == "2024-04-02 (UKR): Law on the SBU adopted"
    refused = problem_of(ukr.patch(f"/api/v1/pathway/{step_id}", json={"status": "met"}), 403)
    assert refused["detail"].startswith("UKR may not keep the membership pathway")
    problem_of(sec.patch(f"/api/v1/pathway/{step_id}", json={}), 422)
    assert (
        sec.patch(f"/api/v1/pathway/{step_id}", json={"status": "in progress"}).json()["status"]
        == "in progress"
    )
    question = ukr.post(
        "/api/v1/pathway/invitation-question",
        json={"step_id": step_id, "text": "The allies invite Ukraine to join the alliance."},
    )
    assert question.status_code == 201, question.text
    proposal = question.json()["proposal"]
    assert proposal["state"] == "in discussion"
    tabled = deu.get(f"/api/v1/proposals/{proposal['id']}").json()
    assert (tabled["tabled_by"], tabled["title"]) == ("UKR", "Invitation to join the alliance")
    again = problem_of(
        ukr.post("/api/v1/pathway/invitation-question", json={"step_id": step_id, "text": "again"}),
        409,
    )
    assert again["rule"] == "the invitation question is tabled once, again only once withdrawn"
    [listed] = deu.get("/api/v1/pathway").json()
    assert listed["proposal"]["id"] == proposal["id"]


def test_a_contributor_reads_its_own_and_public_records_and_convenes_nothing(
    api: Delegations, seeded: Context
) -> None:
    """The EU (a contributor) sees its own records and public ones: nothing at `members` or
    `council`. It makes offers and holds instruments, but cannot convene the council."""
    euu, deu = api.as_("euu"), api.as_("deu")
    offers = {}
    for level in ("partner", "members", "council", "public"):
        made = deu.post(
            "/api/v1/offers",
            json={
                "member": "DEU",
                "kind": "arm",
                "quantity": 1,
                "item": "patriot",
                "releasability": level,
            },
        )
        offers[level] = made.json()["id"]
    seen = {o["id"] for o in euu.get("/api/v1/offers").json()["items"]}
    assert seen == {offers["public"]}
    for level in ("partner", "members", "council"):
        problem_of(euu.get(f"/api/v1/offers/{offers[level]}"), 404)
    own = euu.post(
        "/api/v1/offers",
        json={
            "member": "EUU",
            "kind": "finance",
            "quantity": 1,
            "area": "air-defence",
            "value_eur": "5000000000",
        },
    )
    assert own.status_code == 201, own.text
    assert {o["id"] for o in euu.get("/api/v1/offers").json()["items"]} == {
        offers["public"],
        own.json()["id"],
    }
    eu_instrument = _created(
        api, "euu", member="EUU", title="Joint security commitments", duration_years=None
    )
    council_instrument = _created(api)
    listed = {i["id"] for i in euu.get("/api/v1/instruments").json()["items"]}
    assert listed == {eu_instrument["id"]} and council_instrument["id"] not in listed
    convene = problem_of(
        euu.post("/api/v1/meetings", json={"title": "Consultation", "level": "ambassadors"}), 403
    )
    assert convene["detail"] == (
        "EUU may not convene the council for EUU: EUU does not sit in the council"
    )
    table = problem_of(euu.post("/api/v1/proposals", json={"title": "t", "text": "x"}), 403)
    assert "EUU does not sit in the council" in table["detail"]
    assert euu.get("/api/v1/meetings").json()["total"] == 0
