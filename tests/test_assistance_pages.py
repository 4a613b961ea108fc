"""Requests and offers as people work with them, over real HTTP (signed in as a browser is),
on SQLite and PostgreSQL: a request's coverage counts every offer without naming the donors a
reader may not see; every step that cannot be taken back is confirmed first; a refused form
comes back with what was typed and names the field by its label; need-by dates are kept ahead
and read as deadlines; quantities are counted in each language. The expected answers are
written out by hand."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx

from shieldwall.assistance import words
from shieldwall.kit.i18n import using_locale
from tests.conftest import Delegations, actor, problem_of
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser


def _text(page: httpx.Response) -> str:
    """The page's text without tags, as a person reads it."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def _hidden(page: httpx.Response, form_id: str) -> dict[str, str]:
    """The hidden fields of one form of the page (what a confirmation posts back)."""
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page.text, re.S)
    assert form is not None, page.text[:3000]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))
    return {name: html.unescape(value) for name, value in fields}


def _rounds_request(ctx: Context, quantity: int = 100) -> int:
    """UKR asks all members for 155mm rounds."""
    request: int = ctx.assistance.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title="Rounds for the front",
        area=None,
        item="155mm-round",
        quantity=quantity,
        value_cents=None,
        priority="high",
        need_by=dt.date(2024, 4, 30),
        justification="counter-battery fire",
    )
    return request


def _committed_offer(ctx: Context, request_id: int, member: str, quantity: int) -> int:
    """``member`` offers ``quantity`` rounds against the request, released to the partner only
    (the default), the partner accepts and the member commits."""
    offer: int = ctx.assistance.make_offer(
        actor(ctx, member.lower()),
        member=member,
        kind="arm",
        quantity=quantity,
        request_id=request_id,
    )
    ctx.assistance.accept(actor(ctx, "ukr"), offer)
    ctx.assistance.commit(actor(ctx, member.lower()), offer)
    return offer


# ---- coverage a donor can act on -----------------------------------------------------------


def test_partner_and_addressed_member_see_the_same_coverage_without_the_donor(
    api: Delegations, seeded: Context
) -> None:
    request = _rounds_request(seeded)
    _committed_offer(seeded, request, "DEU", 30)  # released to UKR alone: USA may not see it
    usa_api = api.as_("usa").get(f"/api/v1/requests/{request}")
    ukr_api = api.as_("ukr").get(f"/api/v1/requests/{request}")
    assert usa_api.status_code == ukr_api.status_code == 200
    for body in (usa_api.json(), ukr_api.json()):
        assert body["committed_quantity"] == 30
        assert body["committed_eur"] == 105_000.0  # 30 × €3,500
        assert body["status"] == "partially covered"
        assert body["coverage"] == 0.3
    assert usa_api.json()["committed_unseen_quantity"] == 30
    assert ukr_api.json()["committed_unseen_quantity"] == 0
    assert "DEU" not in usa_api.text and "Germany" not in usa_api.text
    # The member's list of offers against the request is empty: it sees none of them.
    offers = api.as_("usa").get("/api/v1/offers", params={"request_id": request}).json()
    assert offers["total"] == 0

    usa_page = Browser(api.server, "usa").get(f"/requests/{request}")
    ukr_page = Browser(api.server, "ukr").get(f"/requests/{request}")
    assert usa_page.status_code == ukr_page.status_code == 200
    for page in (usa_page, ukr_page):
        assert "30 rounds of 100 rounds" in _text(page)
        assert "partially covered" in _text(page)
    assert "30 rounds more committed by members not shown to you." in _text(usa_page)
    assert "not shown to you" not in _text(ukr_page)
    assert "DEU" not in usa_page.text and "Germany" not in usa_page.text
    assert "Germany" in _text(ukr_page)  # the partner sees the offer and its member


# ---- act safely: confirm first -------------------------------------------------------------


def test_commit_changes_nothing_until_confirmed(api: Delegations, seeded: Context) -> None:
    request = _rounds_request(seeded)
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=40, request_id=request
    )
    seeded.assistance.accept(actor(seeded, "ukr"), offer)
    deu = Browser(api.server, "deu")
    asked = deu.post(f"/offers/{offer}/act", {"action": "commit", "quantity": "30"})
    assert asked.status_code == 200
    assert "Commit 155mm round, 30 rounds, €105,000, to Ukraine?" in _text(asked)
    assert "Nothing has changed yet." in _text(asked)
    state = api.as_("deu").get(f"/api/v1/offers/{offer}").json()
    assert state["state"] == "accepted" and state["committed_quantity"] == 0
    fields = _hidden(asked, "confirm-form")
    assert fields["confirmed"] == "yes" and fields["quantity"] == "30"
    assert fields["csrf_token"] == deu.csrf
    done = deu.client.post(f"/offers/{offer}/act", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/offers/{offer}?done=commit"
    state = api.as_("deu").get(f"/api/v1/offers/{offer}").json()
    assert state["state"] == "committed" and state["committed_quantity"] == 30


def test_a_confirmed_delivery_is_recorded_once(api: Delegations, seeded: Context) -> None:
    request = _rounds_request(seeded)
    offer = _committed_offer(seeded, request, "DEU", 20)
    deu = Browser(api.server, "deu")
    page = deu.get(f"/offers/{offer}")
    key = _hidden(page, "delivery-form")["idempotency_key"]
    asked = deu.post(
        f"/offers/{offer}/act",
        {"action": "record_delivery", "quantity": "5", "note": "by rail", "idempotency_key": key},
    )
    assert "Record a delivery to Ukraine: 155mm round, 5 rounds, delivered on 2024-04-02?" in _text(
        asked
    )
    assert api.as_("deu").get("/api/v1/deliveries").json() == []
    fields = _hidden(asked, "confirm-form")
    assert fields["idempotency_key"] == key and fields["note"] == "by rail"
    for _twice in range(2):  # a double click on Confirm records one delivery
        sent = deu.client.post(f"/offers/{offer}/act", data=fields, follow_redirects=False)
        assert sent.status_code == 303
    deliveries = api.as_("deu").get("/api/v1/deliveries").json()
    assert [(d["quantity"], d["note"]) for d in deliveries] == [(5, "by rail")]


def test_the_partner_confirms_receipt_after_reading_what_it_confirms(
    api: Delegations, seeded: Context
) -> None:
    request = _rounds_request(seeded)
    offer = _committed_offer(seeded, request, "DEU", 20)
    delivery = seeded.assistance.record_delivery(actor(seeded, "deu"), offer, quantity=4)
    ukr = Browser(api.server, "ukr")
    asked = ukr.post(f"/offers/{offer}/act", {"action": "confirm", "delivery_id": str(delivery)})
    words_ = _text(asked)
    assert "Confirm receipt from Germany: 155mm round, 4 rounds, delivered on 2024-04-02?" in words_
    assert "The delivery enters the ledger: €14,000 delivered." in words_
    assert api.as_("ukr").get(f"/api/v1/offers/{offer}").json()["delivered_quantity"] == 0
    ukr.client.post(f"/offers/{offer}/act", data=_hidden(asked, "confirm-form"))
    assert api.as_("ukr").get(f"/api/v1/offers/{offer}").json()["delivered_quantity"] == 4
    # A delivery of another offer is not settled from this offer's page.
    other = _committed_offer(seeded, request, "USA", 10)
    stray = seeded.assistance.record_delivery(actor(seeded, "usa"), other, quantity=1)
    refused = ukr.post(f"/offers/{offer}/act", {"action": "confirm", "delivery_id": str(stray)})
    assert refused.status_code == 422
    assert f"Delivery: delivery {stray} is not a delivery of this offer" in _text(refused)


def test_ending_a_request_is_confirmed_first(api: Delegations, seeded: Context) -> None:
    request = _rounds_request(seeded)
    ukr = Browser(api.server, "ukr")
    asked = ukr.post(f"/requests/{request}/act", {"action": "withdraw", "reason": "met at home"})
    assert f"Withdraw request {request}, “Rounds for the front”?" in _text(asked)
    assert "Reason: met at home" in _text(asked)
    assert api.as_("ukr").get(f"/api/v1/requests/{request}").json()["state"] == "active"
    ukr.client.post(f"/requests/{request}/act", data=_hidden(asked, "confirm-form"))
    assert api.as_("ukr").get(f"/api/v1/requests/{request}").json()["state"] == "withdrawn"


def test_a_step_that_would_be_refused_says_why_before_asking(
    api: Delegations, seeded: Context
) -> None:
    request = _rounds_request(seeded)
    offer = _committed_offer(seeded, request, "DEU", 20)
    deu = Browser(api.server, "deu")
    refused = deu.post(
        f"/offers/{offer}/act",
        {"action": "record_delivery", "quantity": "5", "delivered_on": "2024-04-09", "note": "x"},
    )
    assert refused.status_code == 422
    assert "Delivered on: the date is in the future" in _text(refused)
    assert "delivered_on:" not in refused.text
    assert 'value="2024-04-09"' in refused.text and 'value="x"' in refused.text
    assert "confirm-form" not in refused.text


# ---- errors keep what was typed --------------------------------------------------------------


def test_an_invalid_offer_form_keeps_what_was_typed(api: Delegations, seeded: Context) -> None:
    request = _rounds_request(seeded)
    deu = Browser(api.server, "deu")
    typed = {
        "action": "offer",
        "kind": "equip",
        "quantity": "forty",
        "value_eur": "8000000",
        "description": "Skynex guns",
        "conditions": "training included",
    }
    refused = deu.post(f"/requests/{request}/act", typed)
    assert refused.status_code == 422
    assert re.search(r"Quantity: ", _text(refused))
    for value in ("8000000", "Skynex guns", "training included"):
        assert f'value="{value}"' in refused.text
    assert 'value="forty"' in refused.text
    assert re.search(r'<option value="equip" selected>', refused.text)
    assert re.search(r'id="o-quantity"[^>]*aria-invalid="true"', refused.text)
    # Every field of the form has a label of its own.
    form = re.search(r'<form [^>]*id="offer-form".*?</form>', refused.text, re.S)
    assert form is not None
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', form.group(0))
    labels = set(re.findall(r'<label for="([^"]+)"', form.group(0)))
    assert ids and set(ids) <= labels


# ---- deadlines ------------------------------------------------------------------------------


def test_a_past_need_by_is_refused_in_the_api_and_the_page(
    api: Delegations, seeded: Context
) -> None:
    body = {
        "partner": "UKR",
        "title": "Kits",
        "item": "demining-kit",
        "quantity": 2,
        "need_by": "2024-04-01",
        "justification": "fields",
    }
    refused = problem_of(api.as_("ukr").post("/api/v1/requests", json=body), 422)
    assert refused["errors"] == [{"field": "need_by", "message": "the date has passed"}]
    assert api.as_("ukr").get("/api/v1/requests").json() == []
    ukr = Browser(api.server, "ukr")
    page = ukr.post(
        "/requests/new",
        {
            "title": "Kits",
            "what": "item:demining-kit",
            "quantity": "2",
            "need_by": "2024-04-01",
            "justification": "fields",
        },
    )
    assert page.status_code == 422
    assert "Need by: the date has passed" in _text(page)
    assert 'value="Kits"' in page.text and 'value="2024-04-01"' in page.text
    assert api.as_("ukr").get("/api/v1/requests").json() == []


def test_deadlines_read_as_days_left(api: Delegations, seeded: Context) -> None:
    today = dt.date(2024, 4, 2)
    assert words.due_text(dt.date(2024, 4, 5), today) == "due in 3 days"
    assert words.due_text(dt.date(2024, 4, 3), today) == "due in 1 day"
    assert words.due_text(today, today) == "due today"
    assert words.due_text(dt.date(2024, 3, 31), today) == "overdue by 2 days"
    assert words.arrival_text(dt.date(2024, 4, 5), today) == "3 days late"
    assert words.arrival_text(dt.date(2024, 4, 1), today) == "in time"
    with using_locale("fr"):
        assert words.due_text(dt.date(2024, 4, 5), today) == "échéance dans 3 jours"
        assert words.due_text(dt.date(2024, 3, 31), today) == "en retard de 2 jours"
    with using_locale("uk"):
        assert words.due_text(dt.date(2024, 4, 5), today) == "строк через 3 дні"
        assert words.due_text(dt.date(2024, 3, 31), today) == "прострочено на 2 дні"
    # On the request's page and in the API, by the platform's clock (2024-04-02).
    request = _rounds_request(seeded)  # need by 2024-04-30
    assert api.as_("ukr").get(f"/api/v1/requests/{request}").json()["days_left"] == 28
    page = Browser(api.server, "ukr").get(f"/requests/{request}")
    assert "Need by 2024-04-30 due in 28 days" in _text(page)


# ---- units counted in every language ------------------------------------------------------


def test_units_are_counted_in_english_french_and_ukrainian() -> None:
    assert words.quantity_text(1, "round") == "1 round"
    assert words.quantity_text(7, "system") == "7 systems"
    assert words.quantity_text(120, "missile") == "120 missiles"
    assert words.quantity_text(4, "aircraft") == "4 aircraft"
    assert words.quantity_text(3, "widget") == "3 × widget"
    assert words.quantity_text(2_000_000, "EUR") == "€2M"
    with using_locale("fr"):
        assert words.quantity_text(1, "missile") == "1 missile"
        assert words.quantity_text(3, "missile") == "3 missiles"
        assert words.quantity_text(1_000_000, "round") == "1\u202f000\u202f000 d’obus"
    with using_locale("uk"):
        assert words.quantity_text(1, "missile") == "1 ракета"
        assert words.quantity_text(3, "missile") == "3 ракети"
        assert words.quantity_text(5, "missile") == "5 ракет"
        assert words.quantity_text(21, "missile") == "21 ракета"
        assert words.quantity_text(11, "missile") == "11 ракет"


def test_an_offer_reads_its_quantity_apart_from_its_value(
    server: LiveServer, seeded: Context
) -> None:
    """An offer of a capability area has no unit: its page said "100, 298,89 M € le …" in
    French and "100, 298,89 млн EUR, …" in Ukrainian, the comma of the list read as a decimal
    comma (one number, "100,298,89")."""
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"),
        member="DEU",
        kind="arm",
        area="demining",
        quantity=100,
        value_cents=298_890_000_00,
    )
    day = seeded.clock.now().date().isoformat()
    deu = Browser(server, "deu")
    try:
        for language, expected in (
            ("en", f"100 (€298.89M) on {day}"),
            ("fr", f"100 (298,89\u00a0M\u00a0€) le {day}"),
            ("uk", f"100 (298,89\u00a0млн\u00a0EUR), {day}"),
        ):
            deu.client.headers["Accept-Language"] = language
            page = deu.get(f"/offers/{offer}")
            offered = re.search(r'<dd id="offered">(.*?)</dd>', page.text, re.S)
            assert offered is not None, page.text[:2000]
            assert html.unescape(offered.group(1)) == expected
    finally:
        deu.client.close()
