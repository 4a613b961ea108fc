"""A catalogue item with no reference price (issue 11: Kiel values a donor's category, never a
weapon, so the weapons read from Kiel carry no price): the catalogue says so, an offer or a
request of it must state its value — refused, naming ``value_eur``, without one — and its
page shows no "each". Over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from shieldwall.access.model import Actor
from tests.conftest import Delegations, problem_of
from tests.platform import TestPlatform as Context

SETUP = Actor("system:test", system=True)


def test_an_item_without_a_price_needs_a_value(api: Delegations, seeded: Context) -> None:
    seeded.assistance.add_item(
        SETUP,
        code="raven",
        name="RAVEN Ground Based Air Defence System",
        area="air-defence",
        unit="system",
        reference_unit_value_cents=None,
        price_date=None,
    )
    catalogue = api.as_("deu").get("/api/v1/catalogue").json()
    raven = next(i for a in catalogue for i in a["items"] if i["code"] == "raven")
    assert (raven["reference_unit_value_eur"], raven["price_date"]) == (None, None)
    deu = api.as_("deu")
    offer = {"member": "DEU", "kind": "arm", "item": "raven", "quantity": 13}
    refused = problem_of(deu.post("/api/v1/offers", json=offer), 422)
    assert refused["errors"][0]["field"] == "value_eur"
    assert "has no reference unit value: give the value in EUR" in refused["errors"][0]["message"]
    # With its value stated (Kiel's for the United Kingdom's air defence row), it is offered.
    made = deu.post("/api/v1/offers", json={**offer, "value_eur": 90750})
    assert made.status_code == 201, made.text
    assert (made.json()["quantity"], made.json()["value_eur"]) == (13, 90750)
    ask = {
        "partner": "UKR",
        "title": "RAVEN systems",
        "item": "raven",
        "quantity": 2,
        "priority": "high",
        "justification": "short-range air defence",
    }
    ukr = api.as_("ukr")
    assert problem_of(ukr.post("/api/v1/requests", json=ask), 422)["errors"][0]["field"] == (
        "value_eur"
    )
    assert ukr.post("/api/v1/requests", json={**ask, "value_eur": 20000}).status_code == 201
