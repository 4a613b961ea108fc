"""Compliance per instrument and year, and per member, through ``GET /api/v1/compliance``,
``GET /api/v1/compliance/members`` and the ``/compliance`` page, on SQLite and PostgreSQL.

By hand. Germany's agreement promises €10,000,000.00 for 2024 and €5,000,000.00 for 2025; its
offer of 1,000 155mm rounds (€3,500 each) is linked to it: committed in full on 2 April 2024
(€3,500,000.00), 400 delivered that day (€1,400,000.00) and 200 on 1 February 2025
(€700,000.00): 14.0% of each year's promise. France's promises £2,000,000.00 for 2024, at
0.85 pounds to the euro €2,352,941.18 (the amount stored beside it), with nothing committed.
An armed attack on 2 April 2024: Germany attends the consultation in time, France does not
(one met, one overdue, in 2024); Germany's report on 2024 is overdue on 1 February 2025 (it
counts toward 2024)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from shieldwall.assistance.tables import Delivery
from shieldwall.kit.clock import FixedClock
from shieldwall.obligations import scheduled
from shieldwall.obligations.tables import TriggerEvent
from tests.conftest import Delegations, actor
from tests.guarantees_fixtures import CONSULT_24H, instrument_with_obligation, link_offer, promise
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser, _text

GERMANY = "Agreement on security cooperation between UKR and DEU"
FRANCE = "Agreement on security cooperation between UKR and FRA"


def _story(seeded: Context, clock: FixedClock) -> tuple[int, int]:
    deu, ukr, sec = actor(seeded, "deu"), actor(seeded, "ukr"), actor(seeded, "sec")
    germany, _ = instrument_with_obligation(
        seeded, "DEU", clauses=[CONSULT_24H, ("year end", "report", 720)]
    )
    france, _ = instrument_with_obligation(seeded, "FRA", releasability="own")
    promise(
        seeded, germany, 2024, amount_minor=10_000_000_00, currency="EUR", eur_cents=10_000_000_00
    )
    promise(
        seeded, germany, 2025, amount_minor=5_000_000_00, currency="EUR", eur_cents=5_000_000_00
    )
    promise(seeded, france, 2024, amount_minor=2_000_000_00, currency="GBP", eur_cents=2_352_941_18)
    a = seeded.assistance
    offer = a.make_offer(deu, member="DEU", kind="arm", quantity=1000, item="155mm-round")
    a.accept(ukr, offer)
    a.commit(deu, offer)
    a.confirm_delivery(ukr, a.record_delivery(deu, offer, quantity=400))
    link_offer(seeded, offer, germany, None)
    trigger = seeded.obligations.declare_trigger(
        ukr,
        kind="armed attack",
        occurred_at=dt.datetime(2024, 4, 2, 5, 0, tzinfo=dt.UTC),
        description="Strikes.",
    )
    with seeded.reading() as s:
        meeting = s.scalar(select(TriggerEvent.meeting_id).where(TriggerEvent.id == trigger))
    assert meeting is not None
    seeded.council.schedule(
        sec, meeting, starts_at=dt.datetime(2024, 4, 2, 18, 0, tzinfo=dt.UTC), place="HQ"
    )
    clock.set(dt.datetime(2024, 4, 2, 18, 30, tzinfo=dt.UTC))
    seeded.council.hold(sec, meeting, attendance={"UKR": "", "DEU": ""})
    assert scheduled.settle_consultations(seeded) == 1
    clock.set(dt.datetime(2025, 2, 1, 12, 0, tzinfo=dt.UTC))
    assert scheduled.open_year_ends(seeded) == 1
    assert scheduled.mark_overdue(seeded) == 2  # France's consultation, Germany's report
    a.confirm_delivery(ukr, a.record_delivery(deu, offer, quantity=200))
    with seeded.reading() as s:
        assert len(s.scalars(select(Delivery.id)).all()) == 2
    return germany, france


def _row(
    member: str, instrument: int, title: str, year: int, promised: float, **rest: Any
) -> dict[str, Any]:
    """A row as the API answers it: in EUR, as every summary (promised per currency too)."""
    return {
        "member": member,
        "instrument_id": instrument,
        "instrument": title,
        "year": year,
        "promised_eur": promised,
        "promised": rest.pop("currencies", [{"currency": "EUR", "amount": promised}]),
        "committed_eur": rest.pop("committed", 0.0),
        "delivered_eur": rest.pop("delivered", 0.0),
        "percent_fulfilled": rest.pop("percent", 0.0),
        "met": rest.pop("met", 0),
        "overdue": rest.pop("overdue", 0),
        "met_late": 0,
        "open": 0,
        **rest,
    }


def test_compliance_per_instrument_year_and_member(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    germany, france = _story(seeded, clock)
    deu_2024 = _row(
        "DEU", germany, GERMANY, 2024, 10_000_000.0,
        committed=3_500_000.0, delivered=1_400_000.0, percent=14.0, met=1, overdue=1,
    )  # fmt: skip
    deu_2025 = _row("DEU", germany, GERMANY, 2025, 5_000_000.0, delivered=700_000.0, percent=14.0)
    gbp = [{"currency": "GBP", "amount": 2_000_000.0}]
    fra_2024 = _row("FRA", france, FRANCE, 2024, 2_352_941.18, currencies=gbp, overdue=1)
    sec = api.as_("sec")
    assert sec.get("/api/v1/compliance").json() == [deu_2024, deu_2025, fra_2024]
    assert sec.get("/api/v1/compliance", params={"year": 2025}).json() == [deu_2025]
    assert sec.get("/api/v1/compliance", params={"member": "fra"}).json() == [fra_2024]
    assert sec.get("/api/v1/compliance", params={"instrument_id": germany}).json() == [
        deu_2024,
        deu_2025,
    ]
    members = sec.get("/api/v1/compliance/members").json()
    assert members == [
        {
            "member": "DEU",
            "instruments": 1,
            "promised_eur": 15_000_000.0,
            "promised": [{"currency": "EUR", "amount": 15_000_000.0}],
            "committed_eur": 3_500_000.0,
            "delivered_eur": 2_100_000.0,
            "percent_fulfilled": 14.0,
            "met": 1,
            "overdue": 1,
            "met_late": 0,
            "open": 0,
        },
        {
            "member": "FRA",
            "instruments": 1,
            "promised_eur": 2_352_941.18,
            "promised": [{"currency": "GBP", "amount": 2_000_000.0}],
            "committed_eur": 0.0,
            "delivered_eur": 0.0,
            "percent_fulfilled": 0.0,
            "met": 0,
            "overdue": 1,
            "met_late": 0,
            "open": 0,
        },
    ]


def test_compliance_counts_only_what_its_reader_may_see(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    """France's agreement is its own; Germany's offer is released to the partner only."""
    germany, france = _story(seeded, clock)
    assert [(r["member"], r["year"]) for r in api.as_("deu").get("/api/v1/compliance").json()] == [
        ("DEU", 2024),
        ("DEU", 2025),
    ]
    seen_by_france = api.as_("fra").get("/api/v1/compliance").json()
    assert [
        (r["member"], r["year"], r["committed_eur"], r["delivered_eur"]) for r in seen_by_france
    ] == [("DEU", 2024, 0, 0), ("DEU", 2025, 0, 0), ("FRA", 2024, 0, 0)]
    bad = api.as_("sec").get("/api/v1/compliance", params={"member": "XYZ"})
    assert bad.status_code == 422 and "member" in bad.text
    assert api.as_("sec").get("/api/v1/compliance", params={"year": 1800}).status_code == 422
    assert api.anonymous.get("/api/v1/compliance").status_code == 401
    del germany, france


def test_the_compliance_page(api: Delegations, seeded: Context, clock: FixedClock) -> None:
    _story(seeded, clock)
    browser = Browser(api.server, "sec")
    try:
        page = browser.get("/compliance")
        assert page.status_code == 200
        assert 'id="compliance-chart"' in page.text
        assert '<script src="/static/plotly.min.js"></script>' in page.text
        text = _text(page)
        # As stated, in its currency; fulfilled, in the locale's percent format (Babel)
        assert "£2,000,000" in text and "14%" in text
        assert "€15M" in text  # Germany's promise over both years
        year = _text(browser.get("/compliance?year=2025"))
        assert GERMANY in year and FRANCE not in year
        nothing = browser.get("/compliance?year=1999")
        assert 'id="no-compliance"' in nothing.text
    finally:
        browser.client.close()
