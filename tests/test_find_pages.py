"""Finding things in the assistance lists over real HTTP, on SQLite and PostgreSQL: sorting,
each filter, search, a page past the end, a bad parameter, downloads equal to the view, and
visibility (a member never sees another's offer it may not see, on the page or in a download).

The scene, filed and offered on known days (the clock is set before each step):

- R1 "Patriot battery for Kyiv": 2 batteries, critical, needed by 2024-06-01, to all members,
  filed 2024-03-01; R2 "155mm rounds for the front": 10,000 rounds, high, by 2024-05-01, to
  DEU, FRA and USA, filed 2024-03-10; R3 "Demining: 50% of the fields": €1,000,000, low, no date,
  to POL, filed 2024-03-20.
- O1 DEU arms 1 Patriot battery against R1 (released to the partner only), committed and
  delivered on 2024-03-28; O2 FRA equips 4,000 rounds against R2 (partner only), offered;
  O3 USA arms 6,000 rounds against R2 (public), committed, 2,000 delivered on 2024-03-29 and
  1,000 on 2024-03-30; O4 POL equips demining worth €400,000 against R3 (council), offered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest

from shieldwall.assistance import listings, queries
from shieldwall.kit.clock import FixedClock
from tests.conftest import actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser


@dataclass
class Scene:
    r1: int
    r2: int
    r3: int
    o1: int
    o2: int
    o3: int
    o4: int


def _at(clock: FixedClock, day: str) -> None:
    clock.set(dt.datetime.fromisoformat(day + "T09:00:00+00:00"))


def build_scene(ctx: Context, clock: FixedClock) -> Scene:
    a = ctx.assistance
    ukr = actor(ctx, "ukr")

    def request(day: str, **fields: object) -> int:
        _at(clock, day)
        base: dict[str, object] = {"area": None, "item": None, "quantity": None}
        base.update(value_cents=None, need_by=None, justification="needed", addressees=[])
        found: int = a.file_request(ukr, partner="UKR", **{**base, **fields})  # type: ignore[arg-type]
        return found

    r1 = request(
        "2024-03-01",
        title="Patriot battery for Kyiv",
        item="patriot",
        quantity=2,
        priority="critical",
        need_by=dt.date(2024, 6, 1),
        justification="the grid is struck every night",
    )
    r2 = request(
        "2024-03-10",
        title="155mm rounds for the front",
        item="155mm-round",
        quantity=10_000,
        priority="high",
        need_by=dt.date(2024, 5, 1),
        addressees=["DEU", "FRA", "USA"],
    )
    r3 = request(
        "2024-03-20",
        title="Demining: 50% of the fields",
        area="demining",
        value_cents=1_000_000_00,
        priority="low",
        addressees=["POL"],
    )

    def offer(day: str, member: str, **fields: object) -> int:
        _at(clock, day)
        made: int = a.make_offer(actor(ctx, member.lower()), member=member, **fields)  # type: ignore[arg-type]
        return made

    o1 = offer("2024-03-21", "DEU", kind="arm", quantity=1, request_id=r1)
    o2 = offer("2024-03-22", "FRA", kind="equip", quantity=4000, request_id=r2)
    o3 = offer(
        "2024-03-23", "USA", kind="arm", quantity=6000, request_id=r2, releasability="public"
    )
    o4 = offer(
        "2024-03-24",
        "POL",
        kind="equip",
        quantity=1,
        request_id=r3,
        value_cents=400_000_00,
        description="mine-clearing vehicles",
        releasability="council",
    )
    _at(clock, "2024-04-01")
    for member, o in (("deu", o1), ("usa", o3)):
        a.accept(ukr, o)
        a.commit(actor(ctx, member), o)
    for member, o, n, day in (
        ("deu", o1, 1, dt.date(2024, 3, 28)),
        ("usa", o3, 2000, dt.date(2024, 3, 29)),
        ("usa", o3, 1000, dt.date(2024, 3, 30)),
    ):
        delivery = a.record_delivery(actor(ctx, member), o, quantity=n, delivered_on=day)
        a.confirm_delivery(ukr, delivery)
    return Scene(r1, r2, r3, o1, o2, o3, o4)


@pytest.fixture
def scene(server: LiveServer, seeded: Context, clock: FixedClock) -> Scene:
    return build_scene(seeded, clock)


def ids(page: str) -> list[int]:
    """The records of a list page, in the order shown."""
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page)]


def entries(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-entry="(\d+)"', page)]


def listed(b: Browser, path: str) -> list[int]:
    response = b.get(path)
    assert response.status_code == 200, response.text[:2000]
    return ids(response.text)


# ---- sorting --------------------------------------------------------------------------------


def test_offers_and_requests_sort_by_their_columns(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    assert listed(ukr, "/offers") == [s.o1, s.o2, s.o3, s.o4]
    # Values: O1 one Patriot battery €1bn, O3 6,000 rounds €21m, O2 4,000 rounds €14m, O4 €400k.
    assert listed(ukr, "/offers?sort=-value") == [s.o1, s.o3, s.o2, s.o4]
    assert listed(ukr, "/offers?sort=value") == [s.o4, s.o2, s.o3, s.o1]
    assert listed(ukr, "/offers?sort=member") == [s.o2, s.o1, s.o4, s.o3]  # France, Germany, …
    # 3000, 1, 0, 0: ties by id, in the same direction
    assert listed(ukr, "/offers?sort=-delivered") == [s.o3, s.o1, s.o4, s.o2]
    assert listed(ukr, "/offers?sort=committed") == [s.o2, s.o4, s.o1, s.o3]  # 0, 0, 1, 6000
    assert listed(ukr, "/offers?sort=item") == [s.o2, s.o3, s.o4, s.o1]  # 155mm, mine, Patriot
    assert listed(ukr, "/requests?sort=-priority") == [s.r3, s.r2, s.r1]
    assert listed(ukr, "/requests?sort=title") == [s.r2, s.r3, s.r1]
    assert listed(ukr, "/requests?sort=need_by") == [s.r2, s.r1, s.r3]  # no date last
    assert listed(ukr, "/requests?sort=-filed") == [s.r3, s.r2, s.r1]
    # open R3 first, then the partially covered R1 (id 1 before 2) and R2
    assert listed(ukr, "/requests?sort=status") == [s.r3, s.r1, s.r2]
    page = ukr.get("/offers?sort=-value").text
    assert 'aria-sort="descending"' in page
    assert '<a href="/offers?sort=value" class="sort" data-sort="value">' in page
    ukr.client.close()


# ---- filters and search ---------------------------------------------------------------------


def test_each_offer_filter(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    assert listed(ukr, "/offers?member=USA") == [s.o3]
    assert listed(ukr, "/offers?kind=equip") == [s.o2, s.o4]
    assert listed(ukr, "/offers?area=artillery") == [s.o2, s.o3]
    assert listed(ukr, "/offers?state=committed") == [s.o3]  # partly delivered
    assert listed(ukr, "/offers?state=delivered") == [s.o1]
    assert listed(ukr, "/offers?state=offered") == [s.o2, s.o4]
    assert listed(ukr, f"/offers?request={s.r2}") == [s.o2, s.o3]
    assert listed(ukr, "/offers?from=2024-03-22&to=2024-03-23") == [s.o2, s.o3]
    # A submitted form sends its empty fields too: the page sends the browser on to the
    # same view without them, a URL worth bookmarking.
    sent_on = ukr.get("/offers?q=&member=USA&kind=&from=&sort=-value")
    assert sent_on.status_code == 303
    assert sent_on.headers["location"] == "/offers?member=USA&sort=-value"
    assert ukr.get("/requests?status=&q=").headers["location"] == "/requests"
    page = ukr.get("/offers?member=USA&sort=-value").text
    # The form keeps the view: the member chosen, the sort, and a link that clears the filter.
    assert '<option value="USA" selected>United States (USA)</option>' in page
    assert '<input type="hidden" name="sort" value="-value">' in page
    assert 'href="/offers?sort=-value" id="offer-filters-clear"' in page
    ukr.client.close()


def test_each_request_filter(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    assert listed(ukr, "/requests?status=open") == [s.r3]
    assert listed(ukr, "/requests?status=partially+covered") == [s.r1, s.r2]
    assert listed(ukr, "/requests?priority=high") == [s.r2]
    assert listed(ukr, "/requests?area=demining") == [s.r3]
    assert listed(ukr, "/requests?member=POL") == [s.r1, s.r3]  # R1 is to all members
    assert listed(ukr, "/requests?filed_from=2024-03-10") == [s.r2, s.r3]
    assert listed(ukr, "/requests?filed_to=2024-03-10") == [s.r1, s.r2]
    assert listed(ukr, "/requests?need_from=2024-05-15") == [s.r1]
    assert listed(ukr, "/requests?need_to=2024-05-01") == [s.r2]
    # France does not see DEU's offer on R1, yet R1's status counts every offer answering it
    # (README, releasability): to France too, R1 is partially covered.
    fra = Browser(server, "fra")
    assert listed(fra, "/requests?status=partially+covered") == [s.r1, s.r2]
    assert listed(fra, "/requests?status=open") == []
    ukr.client.close()
    fra.client.close()


def test_search_by_text(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    assert listed(ukr, "/offers?q=155MM") == [s.o2, s.o3]
    assert listed(ukr, "/offers?q=vehicles") == [s.o4]  # its description
    assert listed(ukr, "/offers?q=patriot+battery") == [s.o1]
    assert listed(ukr, "/requests?q=kyiv") == [s.r1]
    assert listed(ukr, "/requests?q=struck") == [s.r1]  # the justification's text
    assert listed(ukr, "/requests?q=50%25") == [s.r3]
    assert listed(ukr, "/requests?q=%25") == [s.r3]  # % is a character, not a wildcard
    assert listed(ukr, "/requests?q=_") == []
    assert entries_of(ukr, "/deliveries?q=united") == entries_of(ukr, "/deliveries?member=USA")
    assert len(entries_of(ukr, "/deliveries?q=united")) == 2
    ukr.client.close()


def entries_of(b: Browser, path: str) -> list[int]:
    return entries(b.get(path).text)


def test_a_page_past_the_end_shows_the_last(server: LiveServer, scene: Scene) -> None:
    ukr = Browser(server, "ukr")
    page = ukr.get("/offers?page=99&kind=equip")
    assert page.status_code == 200
    assert ids(page.text) == [scene.o2, scene.o4]
    assert "Page 1 of 1 · 2 offers" in page.text
    ukr.client.close()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/offers?sort=colour", "Sort by (sort): there is no column &#39;colour&#39;"),
        ("/requests?filed_from=2024-02-30", "Filed from (filed_from): &#39;2024-02-30&#39;"),
        ("/offers?member=XXX", "Member (member): &#39;XXX&#39; is not one of the choices"),
        ("/deliveries?page=two", "Page (page): &#39;two&#39; is not a page number"),
        ("/offers?format=pdf", "Download (format): &#39;pdf&#39; is not a download format"),
    ],
)
def test_a_bad_parameter_is_named(server: LiveServer, scene: Scene, path: str, words: str) -> None:
    ukr = Browser(server, "ukr")
    response = ukr.get(path)
    assert response.status_code == 422
    assert words in response.text
    ukr.client.close()


def test_the_list_in_ukrainian_and_french(server: LiveServer, scene: Scene) -> None:
    ukr = Browser(server, "ukr")
    uk = ukr.client.get("/offers", headers={"Accept-Language": "uk"}).text
    assert "Сторінка 1 з 1 · 4 пропозиції" in uk  # 4: the "few" form
    assert 'value="committed" >зобов’язано</option>' in uk  # the state, in Ukrainian
    fr = ukr.client.get("/deliveries", headers={"Accept-Language": "fr"}).text
    assert "Page 1 sur 1 · 3 livraisons" in fr
    assert "Télécharger cette vue :" in fr
    ukr.client.close()


def test_a_bad_parameter_keeps_what_was_typed(server: LiveServer, scene: Scene) -> None:
    ukr = Browser(server, "ukr")
    response = ukr.get("/requests?q=kyiv&priority=high&filed_from=2024-02-30")
    assert response.status_code == 422
    page = response.text
    assert '<p class="error" id="error" role="alert">Filed from (filed_from):' in page
    assert 'name="q" value="kyiv"' in page
    assert '<option value="high" selected>high</option>' in page
    assert (
        'name="filed_from" value="2024-02-30" aria-invalid="true" aria-describedby="error">' in page
    )
    assert ids(page) == []  # nothing is listed for a view that means nothing
    ukr.client.close()


def test_a_bad_parameter_in_french(server: LiveServer, scene: Scene) -> None:
    ukr = Browser(server, "ukr")
    response = ukr.client.get("/offers?sort=colour", headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert "Trier par (sort) : aucune colonne" in response.text
    ukr.client.close()


# ---- downloads ------------------------------------------------------------------------------


def _csv(b: Browser, path: str) -> list[list[str]]:
    response = b.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(b: Browser, path: str) -> list[list[object]]:
    response = b.get(path)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book.worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_downloads_are_the_filtered_view(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    view = "/offers?kind=arm&sort=-value"
    assert listed(ukr, view) == [s.o1, s.o3]
    rows = _csv(ukr, view + "&format=csv")
    assert rows[0][:4] == ["Offer", "Member", "Member code", "Kind"]
    assert [(r[0], r[1], r[2], r[11]) for r in rows[1:]] == [
        (str(s.o1), "Germany", "DEU", "1000000000.00"),
        (str(s.o3), "United States", "USA", "21000000.00"),
    ]
    sheet = _xlsx(ukr, view + "&format=xlsx")
    assert sheet[0][0] == "Offer" and sheet[0][11] == "Value (EUR)"
    assert [(r[0], r[2], r[8], r[11]) for r in sheet[1:]] == [
        (s.o1, "DEU", 1, 1_000_000_000),
        (s.o3, "USA", 6000, 21_000_000),
    ]
    assert sheet[1][12] == dt.datetime(2024, 3, 21, 9, 0)  # offered on: a date, in UTC
    # Every row of the view, not only the page shown; in the viewer's language.
    requests = _csv(ukr, "/requests?sort=-priority&format=csv")
    assert [int(r[0]) for r in requests[1:]] == [s.r3, s.r2, s.r1]
    french = ukr.client.get("/requests?format=xlsx", headers={"Accept-Language": "fr"})
    header = next(
        openpyxl.load_workbook(io.BytesIO(french.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert header[:3] == ("Demande", "Titre", "Domaine capacitaire")
    deliveries = _xlsx(ukr, "/deliveries?member=USA&format=xlsx")
    assert [(r[0], r[2], r[5]) for r in deliveries[1:]] == [
        (dt.datetime(2024, 3, 30), "USA", 1000),
        (dt.datetime(2024, 3, 29), "USA", 2000),
    ]
    assert entries_of(ukr, "/deliveries?member=USA") == [r[10] for r in deliveries[1:]]
    ukr.client.close()


# ---- visibility -----------------------------------------------------------------------------


def test_a_member_never_sees_an_offer_it_may_not_see(server: LiveServer, scene: Scene) -> None:
    s = scene
    fra = Browser(server, "fra")
    # DEU's offer O1 is released to the partner only: France sees its own, the public and the
    # council's offers, on the page, sorted or searched, and in either download.
    assert listed(fra, "/offers") == [s.o2, s.o3, s.o4]
    assert listed(fra, "/offers?sort=-value") == [s.o3, s.o2, s.o4]
    assert listed(fra, "/offers?q=patriot") == []
    assert listed(fra, "/offers?member=DEU") == []
    assert [int(r[0]) for r in _csv(fra, "/offers?format=csv")[1:]] == [s.o2, s.o3, s.o4]
    assert _xlsx(fra, "/offers?member=DEU&format=xlsx")[1:] == []
    assert "DEU" not in fra.get("/offers?format=csv").text
    # Nor its delivery: France sees O3's two deliveries only.
    deliveries = _csv(fra, "/deliveries?format=csv")
    assert [r[2] for r in deliveries[1:]] == ["USA", "USA"]
    assert len(entries_of(fra, "/deliveries")) == 2
    # R1 is addressed to all members, so France may filter by it: no offer it may see answers it.
    assert listed(fra, f"/offers?request={s.r1}") == []
    fra.client.close()


def test_the_status_in_sql_agrees_with_the_requests_own(
    server: LiveServer, seeded: Context, scene: Scene, clock: FixedClock
) -> None:
    """The list filters by status in SQL (``listings.request_status_column``); for every
    reader it finds the requests whose status the request's view (``model.request_status``)
    gives, withdrawn and closed ones included."""
    ukr = actor(seeded, "ukr")
    base: dict[str, Any] = {"area": None, "item": "155mm-round", "quantity": 10}
    extra: dict[str, Any] = {
        "value_cents": None,
        "priority": "low",
        "need_by": None,
        "justification": "spare",
        "addressees": [],
    }
    withdrawn = seeded.assistance.file_request(ukr, partner="UKR", title="w", **base, **extra)
    closed = seeded.assistance.file_request(ukr, partner="UKR", title="c", **base, **extra)
    seeded.assistance.withdraw_request(ukr, withdrawn, "no longer needed")
    seeded.assistance.close_request(actor(seeded, "sec"), closed, "met otherwise")
    seen_by = {}
    for username in ("ukr", "fra", "deu", "pol", "sec"):
        reader = actor(seeded, username)
        listing, statement = listings.requests_listing(reader)
        with seeded.reading() as s:
            views = {v.id: v.status for v in queries.list_requests(s, reader)}
            for status in listings.STATUSES:
                view = listing.parse({"status": status})
                found = [row[0].id for row in view.all(s, statement(view))]
                assert found == sorted(i for i, st in views.items() if st == status), username
        seen_by[username] = views
    # The scene's own answers, stated: what each reader's statuses are.
    assert seen_by["ukr"] == {
        scene.r1: "partially covered",
        scene.r2: "partially covered",
        scene.r3: "open",
        withdrawn: "withdrawn",
        closed: "closed",
    }
    # DEU's commitment is not France's to see, yet it counts in R1's status (README,
    # releasability: a request's coverage is a fact about the request).
    assert seen_by["fra"][scene.r1] == "partially covered"
