"""The envelope, the kernel's errors and sign-in in the viewer's language, over real HTTP on
SQLite and PostgreSQL; the list of planned deliveries (filters, search, sort, downloads, how
each tranche's date reads); and the confirmation an irreversible change asks for first.

The scene is tests/test_envelope.py's (today is 2024-04-02: a Patriot battery package at 40%,
limited by its interceptors, 24 of 60 in the last 3 months). Every expected text is written
here by hand, in English, French and Ukrainian."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import load_workbook

from shieldwall.kit.clock import FixedClock
from tests.conftest import TLS, Delegations, problem_of
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import HTML, Browser, _csrf, _text
from tests.test_envelope import Scene

NBSP = "\u00a0"  # French writes "40 %" with a no-break space
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
UK = {"Accept-Language": "uk-UA,uk;q=0.9"}


@pytest.fixture
def scene(seeded: Context, api: Delegations) -> Scene:
    return Scene(seeded, api)


@pytest.fixture
def sec(server: LiveServer) -> Iterator[Browser]:
    browser = Browser(server, "sec")
    yield browser
    browser.client.close()


def _row(page: httpx.Response, pattern: str) -> str:
    found = re.search(pattern, page.text, re.S)
    assert found is not None, pattern
    return _text(httpx.Response(200, text=found.group(1))).strip()


# ---- the envelope page in French and Ukrainian ------------------------------------------------


def test_the_envelope_page_in_french(sec: Browser, scene: Scene) -> None:
    page = sec.client.get("/envelope", headers=FR)
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    text = _text(page)
    assert "L'enveloppe de dissuasion" in text
    assert "Disponibilité opérationnelle par domaine capacitaire" in text
    assert "Disponibilité opérationnelle au 2024-04-02" in text
    row = _row(page, r'<tr data-package="patriot-battery">(.*?)</tr>')
    assert "0 sur 2" in row
    assert f'<td class="num readiness">40{NBSP}%</td>' in page.text
    assert (
        "limité par : munitions (PAC-3 MSE interceptor) : 24 sur 60 missiles "
        "au cours des 3 derniers mois"
    ) in row
    assert "The deterrent envelope" not in text and "Readiness" not in text
    # The chart is titled as its table is, its axis written as the table writes percentages.
    found = re.search(r'data-figure="([^"]+)"', page.text)
    assert found is not None
    layout = json.loads(html.unescape(found.group(1)))["layout"]
    assert (
        'aria-label="Disponibilité opérationnelle par domaine capacitaire, mois par mois"'
        in page.text
    )
    assert layout["yaxis"]["title"]["text"] == "Disponibilité opérationnelle"
    assert layout["yaxis"]["ticktext"] == [f"{n}{NBSP}%" for n in (0, 20, 40, 60, 80, 100)]
    assert layout["xaxis"]["tickformat"] == "%Y-%m"
    assert 'aria-describedby="series-caption"' in page.text


def test_the_envelope_page_in_ukrainian(sec: Browser, scene: Scene) -> None:
    page = sec.client.get("/envelope", headers=UK)
    assert page.status_code == 200 and page.headers["Content-Language"] == "uk"
    text = _text(page)
    assert "Сукупна спроможність стримування" in text
    assert "Готовність за сферами спроможностей" in text
    row = _row(page, r'<tr data-package="patriot-battery">(.*?)</tr>')
    assert "0 з 2" in row
    assert (
        "обмежено: боєприпаси (PAC-3 MSE interceptor): 24 з 60 ракет за останні 3 місяці"
    ) in row
    # A wrong date is refused naming the field by the label the page shows, in Ukrainian.
    wrong = sec.client.get("/envelope?as_of=2024-02-30", headers=UK)
    assert wrong.status_code == 422
    assert "Станом на: вкажіть дату у форматі РРРР-ММ-ДД" in _text(wrong)


def test_without_a_language_the_envelope_is_in_english(sec: Browser, scene: Scene) -> None:
    page = sec.get("/envelope")
    assert page.headers["Content-Language"] == "en"
    assert "The deterrent envelope" in _text(page)
    assert "limited by munitions (PAC-3 MSE interceptor): 24 of 60 missiles" in _text(page)


# ---- problem+json in the request's language ----------------------------------------------------


def test_a_problem_is_written_in_the_requests_language(api: Delegations, scene: Scene) -> None:
    ukr = api.as_("ukr")
    english = problem_of(ukr.get("/api/v1/capability-packages/999"), 404)
    assert (english["title"], english["detail"]) == (
        "Not found",
        "capability package 999 does not exist",
    )
    french = problem_of(ukr.get("/api/v1/capability-packages/999", headers=FR), 404)
    assert (french["title"], french["detail"]) == (
        "Introuvable",
        "l'ensemble capacitaire 999 n'existe pas",
    )
    nowhere = problem_of(api.anonymous.get("/api/v1/nothing-here", headers=FR), 404)
    assert nowhere["detail"] == "il n'y a rien à l'adresse /api/v1/nothing-here"


def test_a_refused_field_is_named_and_explained_in_french(api: Delegations, scene: Scene) -> None:
    body = {
        "code": "fpv",
        "name": "FPV",
        "area": "air-defence",
        "units_needed": 0,
        "components": [{"item": "pac-3", "kind": "arm", "quantity_per_unit": 1}],
    }
    sent = api.as_("ukr").post("/api/v1/capability-packages", json=body, headers=FR)
    french = problem_of(sent, 422)
    assert french["title"] == "Saisie non valide"
    assert french["errors"] == [{"field": "units_needed", "message": "indiquez au moins 1"}]
    assert french["detail"] == "units_needed: indiquez au moins 1"
    english = problem_of(api.as_("ukr").post("/api/v1/capability-packages", json=body), 422)
    assert english["title"] == "Invalid input"
    assert english["errors"] == [{"field": "units_needed", "message": "give at least 1"}]
    # Our own validators' words, without Pydantic's "Value error, ".
    bad_day = api.as_("ukr").get("/api/v1/envelope?as_of=2024-02-30", headers=FR)
    assert problem_of(bad_day, 422)["detail"] == "as_of: indiquez une date au format AAAA-MM-JJ"
    # A refusal names the rule in French: who may, and what.
    refused = problem_of(
        api.as_("deu").post(
            "/api/v1/capability-packages", json={**body, "units_needed": 1}, headers=FR
        ),
        403,
    )
    assert refused["title"] == "Non autorisé"
    assert refused["detail"] == (
        "DEU ne peut pas définir ou modifier un ensemble capacitaire : seul(e) le partenaire "
        "concerné ou le secrétariat le peut"
    )


# ---- sign-in -------------------------------------------------------------------------------------


def test_a_wrong_password_is_said_in_ukrainian(server: LiveServer) -> None:
    with httpx.Client(
        verify=TLS, base_url=server.url, timeout=30, headers={**HTML, **UK}
    ) as client:
        login = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "username": "deu",
                "password": "not the password",
                "csrf_token": _csrf(login.text),
            },
        )
    assert answer.status_code == 401
    assert "Неправильне ім’я користувача або пароль." in _text(answer)
    assert "Wrong username or password" not in _text(answer)


# ---- the list of planned deliveries -----------------------------------------------------------


def _plan(api: Delegations, who: str, offer: int, quantity: int, on: str, note: str = "") -> int:
    sent = api.as_(who).post(
        "/api/v1/planned-deliveries",
        json={"offer_id": offer, "quantity": quantity, "expected_on": on, "note": note},
    )
    assert sent.status_code == 201, sent.text
    found: int = sent.json()["id"]
    return found


@pytest.fixture
def planned(api: Delegations, scene: Scene, clock: FixedClock) -> tuple[int, int]:
    """Germany's 3 crews expected on 10 June and the United States' 36 interceptors on 15 May;
    then the platform's clock moves to 20 May, so the interceptors are 5 days late (a browser
    signs in after that: a session opened on 2 April has expired by then)."""
    crews = _plan(api, "deu", scene.crews, 3, "2024-06-10", "second course")
    interceptors = _plan(api, "usa", scene.interceptors, 36, "2024-05-15")
    clock.set(dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC))
    return crews, interceptors


def _tranche_rows(page: httpx.Response) -> list[list[str]]:
    assert page.status_code == 200, _text(page)[:2000]
    rows = re.findall(r'<tr data-tranche="\d+">(.*?)</tr>', page.text, re.S)
    return [
        [
            _text(httpx.Response(200, text=c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_the_list_says_when_each_tranche_is_due(
    planned: tuple[int, int], sec: Browser, scene: Scene
) -> None:
    crews, interceptors = planned
    rows = _tranche_rows(sec.get("/planned-deliveries"))
    assert rows == [
        [
            str(interceptors),
            "United States (USA)",
            "PAC-3 MSE interceptor",
            "2024-05-15 overdue by 5 days",
            "36",
            "36",
            "committed",
            str(scene.interceptors),
            "",
        ],
        [
            str(crews),
            "Germany (DEU)",
            "Air-defence crew training",
            "2024-06-10 due in 21 days",
            "3",
            "3",
            "committed",
            str(scene.crews),
            "second course",
        ],
    ]
    french = _tranche_rows(sec.client.get("/planned-deliveries", headers=FR))
    assert [r[3] for r in french] == [
        "2024-05-15 en retard de 5 jours",
        "2024-06-10 échéance dans 21 jours",
    ]
    ukrainian = _tranche_rows(sec.client.get("/planned-deliveries", headers=UK))
    assert [r[3] for r in ukrainian] == [
        "2024-05-15 прострочено на 5 днів",
        "2024-06-10 строк через 21 день",
    ]


def test_the_list_is_filtered_searched_and_sorted(
    planned: tuple[int, int], sec: Browser, server: LiveServer
) -> None:
    crews, interceptors = planned

    def ids(query: str, browser: Browser = sec) -> list[int]:
        return [int(r[0]) for r in _tranche_rows(browser.get(f"/planned-deliveries?{query}"))]

    assert ids("") == [interceptors, crews]
    assert ids("sort=-expected_on") == [crews, interceptors]
    assert ids("member=DEU") == [crews]
    assert ids("package=patriot-battery") == [interceptors, crews]
    assert ids("area=training") == [crews]
    assert ids("state=committed") == [interceptors, crews]
    assert ids("from=2024-06-01") == [crews]
    assert ids("to=2024-05-31") == [interceptors]
    assert ids("q=interceptor") == [interceptors]
    assert ids("q=second+course") == [crews]
    nothing = sec.get("/planned-deliveries?state=delivered")
    assert "No planned delivery you may see matches this view." in _text(nothing)
    wrong = sec.get("/planned-deliveries?from=2024-13-01")
    assert wrong.status_code == 422 and "Expected from (from)" in _text(wrong)
    # France may see Germany's offer (released to the council), not the United States' one.
    france = Browser(server, "fra")
    try:
        assert ids("", france) == [crews]
    finally:
        france.client.close()


def test_the_lists_downloads_hold_exactly_the_view(
    planned: tuple[int, int], sec: Browser, scene: Scene
) -> None:
    crews, interceptors = planned
    sent = sec.get("/planned-deliveries?member=USA&format=csv")
    assert sent.status_code == 200
    assert sent.headers["content-disposition"] == 'attachment; filename="planned-deliveries.csv"'
    lines = list(csv.reader(io.StringIO(sent.text.lstrip("\ufeff"))))
    assert lines == [
        [
            "Tranche",
            "Member",
            "Member code",
            "Item",
            "Capability area",
            "Expected on",
            "Planned",
            "Outstanding",
            "Due",
            "Offer state",
            "Offer",
            "Note",
        ],
        [
            str(interceptors),
            "United States",
            "USA",
            "PAC-3 MSE interceptor",
            "Air defence",
            "2024-05-15",
            "36",
            "36",
            "overdue by 5 days",
            "committed",
            str(scene.interceptors),
            "",
        ],
    ]
    book = sec.client.get("/planned-deliveries?sort=-expected_on&format=xlsx", headers=FR)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).active
    assert sheet is not None
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0][:6] == [
        "Tranche",
        "Membre",
        "Code du membre",
        "Article",
        "Domaine capacitaire",
        "Prévu le",
    ]
    assert [(r[0], r[5], r[6], r[8]) for r in table[1:]] == [
        (crews, dt.datetime(2024, 6, 10), 3, "échéance dans 21 jours"),
        (interceptors, dt.datetime(2024, 5, 15), 36, "en retard de 5 jours"),
    ]


# ---- confirmation of what cannot be undone ----------------------------------------------------


def test_removing_a_packages_component_is_confirmed_first(
    api: Delegations, scene: Scene, server: LiveServer
) -> None:
    ukr = Browser(server, "ukr")
    path = f"/capability-packages/{scene.package}"
    form = {
        "name": "Patriot battery",
        "units_needed": "2",
        "sustain_window_months": "3",
        "rows": "2",
        "item_0": "pac-3",
        "kind_0": "arm",
        "quantity_0": "10",
        "per_month_0": "yes",
        "item_1": "patriot",
        "kind_1": "equip",
        "quantity_1": "1",
    }
    try:
        asked = ukr.post(f"{path}/act", form)
        assert asked.status_code == 200
        text = _text(asked)
        assert "Remove components from the package?" in text
        assert (
            "Saving removes 1 component from the package: Air-defence crew training. "
            "Its readiness will no longer count it."
        ) in text
        # What was typed stays in the form; nothing has changed yet.
        assert (
            'id="c-qty-0" name="quantity_0" inputmode="numeric" size="6" value="10"' in asked.text
        )
        kept = api.as_("ukr").get(f"/api/v1{path}").json()
        assert sorted(c["item"] for c in kept["components"]) == ["ad-crew", "pac-3", "patriot"]
        done = ukr.post(f"{path}/act", {**form, "confirmed": "yes"})
        assert done.status_code == 303 and done.headers["location"] == f"{path}?done=change"
        changed = api.as_("ukr").get(f"/api/v1{path}").json()
        assert sorted(c["item"] for c in changed["components"]) == ["pac-3", "patriot"]
    finally:
        ukr.client.close()
