"""The obligations' pages over real HTTP, signed in as a browser is (session cookie and CSRF
token), on SQLite and PostgreSQL. What each page should show and offer is written out from the
brief: the partner (or the chair) declares an event in two steps — the form, then a page that
says what it opens, for whom and by when, and the consultation it convenes — and only the
confirmation declares; an invalid form comes back with what was typed and the field named by
its label; a member records a report as met with evidence; nobody else gets a form."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from shieldwall.obligations.tables import DueItem, TriggerEvent
from tests.conftest import NOW, actor
from tests.guarantees_fixtures import CONSULT_24H, instrument_with_obligation
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser, _forms, _text

FORM = {
    "kind": "armed attack",
    "occurred_at": "2024-04-02T08:00",
    "time_zone": "Europe/Kyiv",
    "description": "Massive missile strikes on Kyiv.\nThe grid is down.",
    "partner": "UKR",
    "releasability": "council",
    "idempotency_key": "form-1",
}


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


def _count(ctx: Context, table: type[TriggerEvent] | type[DueItem]) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _instruments(ctx: Context) -> None:
    instrument_with_obligation(ctx, "DEU", clauses=[CONSULT_24H, ("year end", "report", 720)])
    instrument_with_obligation(ctx, "USA", clauses=[("armed attack", "consult", 48)])


def test_the_partner_declares_after_seeing_what_it_opens(
    browsers: dict[str, Browser], seeded: Context
) -> None:
    _instruments(seeded)
    ukr = browsers["ukr"]
    form = ukr.get("/triggers/new")
    assert form.status_code == 200 and "declare-form" in _forms(form)
    assert "Partner: Ukraine (UKR)" in _text(form)
    review = ukr.post("/triggers/new", FORM)
    assert review.status_code == 200, review.text
    text = _text(review)
    # 08:00 in Kyiv is 05:00 UTC; Germany consults within 24 h, the United States within 48 h.
    assert "Declare the armed attack on UKR of 2024-04-02 05:00 UTC?" in text
    assert (
        "This opens 2 obligations for DEU, USA, due by 2024-04-04 05:00 UTC at the latest:" in text
    )
    assert (
        "DEU: consult the partner: attend the crisis consultation by 2024-04-03 05:00 UTC "
        "(Agreement on security cooperation between UKR and DEU)" in text
    )
    assert (
        "USA: consult the partner: attend the crisis consultation by 2024-04-04 05:00 UTC" in text
    )
    assert (
        "It convenes a crisis consultation of the council, to be held by 2024-04-03 05:00 UTC."
        in text
    )
    assert (_count(seeded, TriggerEvent), _count(seeded, DueItem)) == (0, 0)  # only tried
    # Changing it brings back the form with what was typed.
    back = ukr.post("/triggers/new", {**FORM, "change": "yes"})
    assert "Massive missile strikes on Kyiv.\nThe grid is down.</textarea>" in back.text
    done = ukr.post("/triggers/new", {**FORM, "confirmed": "yes"})
    assert done.status_code == 303, done.text
    # (PostgreSQL's sequences do not roll back: the tried declaration used an id.)
    location = done.headers["location"]
    assert re.fullmatch(r"/triggers/\d+\?done=declared", location)
    again = ukr.post("/triggers/new", {**FORM, "confirmed": "yes"})  # sent twice: once
    assert again.headers["location"] == location
    assert (_count(seeded, TriggerEvent), _count(seeded, DueItem)) == (1, 2)
    page = _text(ukr.get(location))
    assert "Event declared: the obligations' clocks have started" in page
    assert "Crisis consultation after the armed attack on UKR of 2024-04-02 — requested" in page
    assert "to be held by 2024-04-03 05:00 UTC (due in 17 hours)" in page
    assert re.search(r"DEU Agreement on security cooperation between UKR and DEU Consult the "
                     r"partner: attend the crisis consultation 2024-04-03 05:00 UTC "
                     r"due in 17 hours open",
                     page)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": ""}, "What happened: use one of armed attack, threat of attack"),
        ({"occurred_at": "2024-04-02T13:00", "time_zone": "UTC"},
         "When it occurred: an event is declared once it has happened, not before"),
        ({"occurred_at": "soon"}, "When it occurred: give a date and a time"),
        ({"time_zone": "Kyiv"}, "Time zone: no time zone 'Kyiv'; use an IANA name"),
        ({"description": "  "}, "Description: say what happened"),
    ],
)  # fmt: skip
def test_an_invalid_declaration_names_the_field(
    browsers: dict[str, Browser], seeded: Context, change: dict[str, str], message: str
) -> None:
    page = browsers["ukr"].post("/triggers/new", {**FORM, **change})
    assert page.status_code == 422
    assert message in _text(page)
    assert 'aria-invalid="true"' in page.text
    assert _count(seeded, TriggerEvent) == 0


def test_who_gets_which_form(browsers: dict[str, Browser], seeded: Context) -> None:
    _instruments(seeded)
    # The chair declares for the only partner.
    assert "Partner: Ukraine (UKR)" in _text(browsers["sec"].get("/triggers/new"))
    for user in ("deu", "ukr-viewer"):
        form = browsers[user].get("/triggers/new")
        assert "declare-form" not in _forms(form), user
        assert "your account may not" in _text(form)
        refused = browsers[user].post("/triggers/new", {**FORM, "confirmed": "yes"})
        assert refused.status_code == 403, user
    assert 'id="declare"' in browsers["ukr"].get("/triggers").text
    assert 'id="declare"' not in browsers["deu"].get("/triggers").text
    assert _count(seeded, TriggerEvent) == 0


def test_a_member_records_a_report_from_its_page(
    browsers: dict[str, Browser], seeded: Context
) -> None:
    _instrument, [report] = instrument_with_obligation(
        seeded, "DEU", valid_from=dt.date(2023, 1, 1), clauses=[("year end", "report", 2400)]
    )
    # The report on 2023, due 100 days after the year's end: 10 April 2024.
    assert seeded.obligations.open_year_end(report, 2023)
    deu = browsers["deu"]
    page = deu.get("/obligations/1")
    assert "met-form" in _forms(page)
    assert "2024-04-10 00:00 UTC — due in 7 days" in _text(page)
    for user in ("usa", "ukr", "deu-viewer"):
        assert "met-form" not in _forms(browsers[user].get("/obligations/1")), user
    empty = deu.post("/obligations/1/met", {"evidence": " "})
    assert empty.status_code == 422 and "Evidence: say how the obligation was met" in _text(empty)
    evidence = {"evidence": "Report to the council, 1 April 2024"}
    # Recording a duty as met cannot be undone: the page asks first, and asking changes nothing.
    asked = deu.post("/obligations/1/met", evidence)
    assert asked.status_code == 200
    assert "Record “Report on implementation for 2023” of DEU as met?" in _text(asked)
    assert "The record keeps this evidence: “Report to the council, 1 April 2024”" in _text(asked)
    assert "met-form" in _forms(deu.get("/obligations/1"))
    done = deu.post("/obligations/1/met", {**evidence, "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/obligations/1?done=met"
    page = deu.get("/obligations/1?done=met")
    text = _text(page)
    assert "Obligation recorded as met." in text and "Report to the council, 1 April 2024" in text
    assert "met-form" not in _forms(page)
    listed = _text(deu.get("/obligations?state=met"))
    assert (
        "Page 1 of 1 · 1 obligation" in listed  # the listing kit's pager
        and "Report on implementation for 2023" in listed
    )
    assert "No obligation you may see matches" in _text(deu.get("/obligations?state=overdue"))


def test_an_obligation_a_reader_may_not_see_is_not_found(
    browsers: dict[str, Browser], seeded: Context
) -> None:
    instrument_with_obligation(seeded, "DEU", releasability="own")
    seeded.obligations.declare_trigger(
        actor(seeded, "ukr"),
        kind="armed attack",
        occurred_at=NOW - dt.timedelta(hours=1),
        description="Strikes.",
    )
    assert browsers["deu"].get("/obligations/1").status_code == 200
    assert browsers["fra"].get("/obligations/1").status_code == 404
    assert browsers["fra"].get("/triggers/1").status_code == 200  # the event is the council's
    assert "It opened no obligation you may see." in _text(browsers["fra"].get("/triggers/1"))
    assert browsers["fra"].get("/triggers/2").status_code == 404


def test_every_page_renders(browsers: dict[str, Browser], seeded: Context) -> None:
    _instruments(seeded)
    browsers["ukr"].post("/triggers/new", {**FORM, "confirmed": "yes"})
    for user in ("ukr", "deu", "sec", "fra"):
        for path in ("/triggers", "/triggers/1", "/obligations", "/obligations/1", "/compliance"):
            response = browsers[user].get(path)
            assert response.status_code == 200, (user, path)
