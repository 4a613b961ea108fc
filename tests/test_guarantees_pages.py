"""The guarantees' pages over real HTTP, signed in as a browser is (session cookie and CSRF
token), on SQLite and PostgreSQL: each page offers only the forms its reader may use; an
invalid form comes back with what was typed and a message naming the field by its label;
notice to terminate is given only after confirming."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from decimal import Decimal

import pytest

from shieldwall.access.model import Actor
from shieldwall.guarantees import queries
from tests.conftest import actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[dict[str, Browser]]:
    opened: dict[str, Browser] = {}

    class Lazy(dict[str, Browser]):
        def __missing__(self, username: str) -> Browser:
            opened[username] = Browser(server, username)
            self[username] = opened[username]
            return opened[username]

    yield Lazy()
    for b in opened.values():
        b.client.close()


def _agreement(seeded: Context, releasability: str | None = None) -> int:
    deu: Actor = actor(seeded, "deu")
    found: int = seeded.guarantees.create_instrument(
        deu,
        member="DEU",
        title="Agreement on security cooperation",
        signed_on=dt.date(2024, 2, 16),
        duration_years=10,
        termination_notice_months=6,
        releasability=releasability,
    )
    seeded.guarantees.set_amount(
        deu, found, year=2024, category="air defence", amount=Decimal(7), currency="EUR"
    )
    return found


def test_each_reader_is_offered_only_what_it_may_do(
    seeded: Context, browsers: dict[str, Browser]
) -> None:
    agreement = _agreement(seeded)
    page = f"/instruments/{agreement}"
    deu = browsers["deu"].get(page).text
    for form in ("amount-form", "obligation-form", "link-form", "notice-form"):
        assert f'id="{form}"' in deu, form
    ukr = browsers["ukr"].get(page).text
    assert 'id="notice-form"' in ukr and 'id="amount-form"' not in ukr
    fra = browsers["fra"].get(page)
    assert fra.status_code == 200 and 'id="actions"' not in fra.text
    assert browsers["fra"].get("/instruments/999").status_code == 404
    listed = browsers["fra"].get("/instruments").text
    assert "Agreement on security cooperation" in listed and "€7" in listed


def test_an_invalid_form_comes_back_naming_the_field(
    seeded: Context, browsers: dict[str, Browser]
) -> None:
    agreement = _agreement(seeded)
    deu = browsers["deu"]
    refused = deu.post(
        f"/instruments/{agreement}/act",
        {
            "action": "amount",
            "year": "2025",
            "category": "armour",
            "amount": "12.5",
            "currency": "GBP",
        },
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Date of the exchange rate: give the date of the GBP rate to convert at" in text
    assert 'value="12.5"' in text and 'aria-invalid="true"' in text
    bad_year = deu.post(
        f"/instruments/{agreement}/act",
        {"action": "amount", "year": "twenty", "category": "armour", "amount": "1"},
    )
    assert "Year: give a whole number, like 24" in html.unescape(bad_year.text)


def test_notice_is_given_after_confirming(seeded: Context, browsers: dict[str, Browser]) -> None:
    agreement = _agreement(seeded)
    ukr = browsers["ukr"]
    asked = ukr.post(
        f"/instruments/{agreement}/act", {"action": "notice", "given_on": "2024-03-31"}
    )
    assert asked.status_code == 200
    text = html.unescape(asked.text)
    assert "Give notice to terminate “Agreement on security cooperation” (DEU)?" in text
    assert "the instrument sets 6 months of notice, so it ends on 2024-09-30" in text
    with seeded.reading() as s:
        assert (
            queries.get_instrument(s, actor(seeded, "sec"), agreement, dt.date(2024, 4, 2))[
                "notice_given_on"
            ]
            is None
        )  # only tried, and rolled back
    given = ukr.post(
        f"/instruments/{agreement}/act",
        {"action": "notice", "given_on": "2024-03-31", "confirmed": "yes"},
    )
    assert given.status_code == 303
    shown = html.unescape(ukr.get(given.headers["location"]).text)
    assert "Notice recorded" in shown and "takes effect 2024-09-30" in shown
    again = ukr.post(
        f"/instruments/{agreement}/act", {"action": "notice", "given_on": "2024-04-01"}
    )
    assert again.status_code == 409
    assert "notice was already given on 2024-03-31" in html.unescape(again.text)


def test_the_pathway_page(seeded: Context, browsers: dict[str, Browser]) -> None:
    sec, ukr = browsers["sec"], browsers["ukr"]
    assert 'id="no-steps"' in sec.get("/pathway").text
    added = sec.post(
        "/pathway/act", {"action": "add", "kind": "milestone", "title": "Interoperability"}
    )
    assert added.status_code == 303
    page = ukr.get("/pathway").text
    assert "Interoperability" in page and 'id="add-step-form"' not in page
    assert 'id="up-status"' not in page  # the partner adds evidence, not status
    step = seeded.guarantees.add_step(actor(seeded, "sec"), kind="condition", title="Reforms")
    refused = ukr.post("/pathway/act", {"action": "update", "step_id": str(step), "status": "met"})
    assert refused.status_code == 403
    assert "UKR may not keep the membership pathway" in html.unescape(refused.text)
    evidence = ukr.post(
        "/pathway/act", {"action": "update", "step_id": str(step), "evidence": "Law adopted"}
    )
    assert evidence.status_code == 303
    assert "2024-04-02 (UKR): Law adopted" in ukr.get("/pathway").text
    assert "Interoperability" not in browsers["euu"].get("/pathway").text  # not in the council


def test_an_amount_and_an_obligation_are_set_after_confirming(
    seeded: Context, browsers: dict[str, Browser]
) -> None:
    """Setting a year's amount replaces the one stated before, and an obligation stays once
    added: each is asked first, naming what it does, and asking changes nothing."""
    agreement = _agreement(seeded)  # EUR 7 for air defence in 2024
    deu = browsers["deu"]
    form = {"action": "amount", "year": "2024", "category": "air defence", "amount": "9"}
    asked = deu.post(f"/instruments/{agreement}/act", form)
    assert asked.status_code == 200
    text = html.unescape(asked.text)
    assert (
        "Set the 2024 amount of “Agreement on security cooperation” for air defence to EUR 9?"
        in text
    )
    assert "It replaces the amount stated so far: EUR 7 (€7)." in text
    assert "In euros: €9; fulfilment and burden-sharing count it from then on." in text
    sec = actor(seeded, "sec")
    with seeded.reading() as s:
        amounts = queries.get_instrument(s, sec, agreement, dt.date(2024, 4, 2))["amounts"]
    assert [a["amount"] for a in amounts] == [Decimal(7)]  # only tried
    done = deu.post(f"/instruments/{agreement}/act", {**form, "confirmed": "yes"})
    assert done.status_code == 303
    with seeded.reading() as s:
        amounts = queries.get_instrument(s, sec, agreement, dt.date(2024, 4, 2))["amounts"]
    assert [a["amount"] for a in amounts] == [Decimal(9)]

    clause = {
        "action": "obligation",
        "trigger": "year end",
        "obligation_action": "report",
        "within_hours": "2400",
    }
    asked = deu.post(f"/instruments/{agreement}/act", clause)
    text = html.unescape(asked.text)
    assert (
        "Add to “Agreement on security cooperation” the obligation to report within 2,400 hours "
        "(year end)?" in text
    )
    assert "Each year's end while the instrument binds opens it for DEU" in text
    with seeded.reading() as s:
        assert queries.get_instrument(s, sec, agreement, dt.date(2024, 4, 2))["obligations"] == []
    assert (
        deu.post(f"/instruments/{agreement}/act", {**clause, "confirmed": "yes"}).status_code == 303
    )
    with seeded.reading() as s:
        obligations = queries.get_instrument(s, sec, agreement, dt.date(2024, 4, 2))["obligations"]
    assert [(o["trigger"], o["action"], o["within_hours"]) for o in obligations] == [
        ("year end", "report", 2400)
    ]
