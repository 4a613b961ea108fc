"""One supported range of dates, 1900-01-01 to 2199-12-31, for every date and instant the
platform is given: API bodies, query filters (the audit filters too), page forms. Years 1 and
9999 — the edges of Python's datetime, which a UTC offset pushes over — are 422, not 500."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import PASSWORD, TLS, Delegations, actor, problem_of
from tests.platform import TestPlatform as Context

EDGES = [
    "0001-01-01",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00Z",
    "9999-12-31",
    "9999-12-31T23:00-05:00",
    "9999-12-31T23:59:59.999999",
    "1899-12-31T23:59:59Z",
    "2200-01-01",
]


@pytest.mark.parametrize("when", EDGES)
def test_audit_filters_outside_the_supported_dates_are_422(api: Delegations, when: str) -> None:
    for name in ("since", "until"):
        body = problem_of(api.as_("sec").get("/api/v1/audit", params={name: when}), 422)
        assert [e["field"] for e in body["errors"]] == [name], body


def test_audit_filters_inside_the_supported_dates_answer(api: Delegations) -> None:
    sec = api.as_("sec")
    for when in ("1900-01-01", "1900-01-01T00:00+01:00", "2199-12-31T23:59:59-05:00"):
        assert sec.get("/api/v1/audit", params={"since": when}).status_code == 200, when
        assert sec.get("/api/v1/audit", params={"until": when}).status_code == 200, when


def test_dates_in_bodies_outside_the_range_are_422_naming_the_field(
    api: Delegations, seeded: Context
) -> None:
    ukr, sec, deu = api.as_("ukr"), api.as_("sec"), api.as_("deu")
    request = {
        "partner": "UKR",
        "title": "Kits",
        "item": "demining-kit",
        "quantity": 1,
        "justification": "fields",
    }
    for day in ("0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"):
        body = problem_of(ukr.post("/api/v1/requests", json={**request, "need_by": day}), 422)
        assert body["errors"][0]["field"] == "need_by" and "1900-01-01" in body["detail"]
    assert (
        ukr.post("/api/v1/requests", json={**request, "need_by": "2199-12-31"}).status_code == 201
    )
    # The range's first day is within it, but a need-by date already passed is refused too.
    past = problem_of(ukr.post("/api/v1/requests", json={**request, "need_by": "1900-01-01"}), 422)
    assert past["errors"] == [{"field": "need_by", "message": "the date has passed"}]
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=5, item="155mm-round"
    )
    seeded.assistance.accept(actor(seeded, "ukr"), offer)
    seeded.assistance.commit(actor(seeded, "deu"), offer)
    body = problem_of(
        deu.post(
            f"/api/v1/offers/{offer}/deliveries", json={"quantity": 1, "delivered_on": "0001-01-01"}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "delivered_on"
    body = problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={
                "offer_id": offer,
                "measure": "offered",
                "quantity_delta": 1,
                "reason": "r",
                "occurred_on": "9999-12-31",
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "occurred_on"


def test_month_filters_outside_the_range_are_422(api: Delegations) -> None:
    deu = api.as_("deu")
    for month in ("0001-01", "9999-12", "1899-12", "2200-01"):
        for name in ("month_from", "month_to"):
            problem_of(deu.get("/api/v1/ledger/entries", params={name: month}), 422)
            problem_of(deu.get("/api/v1/ledger/summary", params={name: month}), 422)
    assert deu.get("/api/v1/ledger/entries", params={"month_from": "1900-01"}).status_code == 200


def _browser(api: Delegations, username: str) -> httpx.Client:
    client = httpx.Client(
        verify=TLS, base_url=api.server.url, timeout=30, headers={"Accept": "text/html"}
    )
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_the_audit_page_refuses_dates_outside_the_range(api: Delegations) -> None:
    sec = _browser(api, "sec")
    assert sec.get("/audit", params={"since": "2024-01-01"}).status_code == 200
    for when in ("9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00"):
        page = sec.get("/audit", params={"since": when})
        assert page.status_code == 422 and "1900-01-01" in page.text


def test_page_forms_refuse_dates_outside_the_range(api: Delegations) -> None:
    client = _browser(api, "ukr")
    page = client.get("/requests/new")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    for day in ("0001-01-01", "9999-12-31"):
        filed = client.post(
            "/requests/new",
            data={
                "csrf_token": csrf.group(1),
                "what": "item:demining-kit",
                "quantity": "2",
                "title": "Kits",
                "need_by": day,
                "justification": "fields",
            },
        )
        assert filed.status_code == 422 and "1900-01-01" in filed.text, day


def test_the_kernel_reads_instants_within_the_range() -> None:
    """``kit.dates.parse_instant``: what the audit filters should parse with (their route
    names the field then; until then the database layer refuses the instant, as ``instant``)."""
    import datetime as dt

    from shieldwall.kit.dates import parse_instant
    from shieldwall.kit.errors import InvalidInput

    assert parse_instant("since", "2024-03-01T12:00+01:00") == dt.datetime(
        2024, 3, 1, 11, 0, tzinfo=dt.UTC
    )
    assert parse_instant("since", "2024-03-01") == dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    for text in ("9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00", "yesterday", "2024-02-30"):
        with pytest.raises(InvalidInput) as refused:
            parse_instant("since", text)
        assert refused.value.extra["errors"][0]["field"] == "since"
