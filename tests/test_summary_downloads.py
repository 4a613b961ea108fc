"""Every list and summary downloads as CSV, XLSX and JSON (issue 11), over real HTTP, on
SQLite and PostgreSQL: each file parsed and compared with the figures the page shows or the
API's JSON, stated here from the scenes; only what the reader may see (a member never gets
another member's partner-only figures, in any format); headed in the reader's language;
a table or format that is not one is named.

Scenes: the assistance lists' (tests/test_find_pages.py: O1 DEU 1 Patriot battery €1bn, partner
only, delivered; O2 FRA 4,000 rounds €14m, partner only, offered; O3 USA 6,000 rounds €21m,
public, committed, 3,000 delivered; O4 POL demining €400,000, council, offered), compliance's
(tests/test_compliance.py) and the envelope's (tests/test_envelope.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from shieldwall.kit.clock import FixedClock
from tests.conftest import TLS, Delegations, problem_of
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_compliance import _story
from tests.test_council_pages import Browser
from tests.test_envelope import Scene as EnvelopeScene
from tests.test_find_pages import Scene, build_scene

FORMATS = ("csv", "xlsx", "json")


def _value(cell: Any) -> Any:
    """A cell as a comparable value: numbers as floats (CSV holds them as text), days and
    instants as naive UTC (XLSX holds no time zone), empty as None."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, dt.date):
        return _instant(cell)
    try:
        return float(cell)
    except ValueError:
        pass
    try:
        return _instant(dt.datetime.fromisoformat(cell))
    except ValueError:
        return cell


def _instant(day: dt.date) -> dt.datetime:
    if not isinstance(day, dt.datetime):
        return dt.datetime(day.year, day.month, day.day)
    if day.tzinfo is None:
        return day
    return day.astimezone(dt.UTC).replace(tzinfo=None)


def table(response: httpx.Response, fmt: str) -> tuple[list[str], list[list[Any]]]:
    """A download's header (its labels) and rows, whatever its format."""
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["content-disposition"].endswith(f'.{fmt}"')
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        return lines[0], [[_value(c) for c in r] for r in lines[1:]]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        found = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        width = len(found[0])  # a row's empty cells at its end are not stored: pad them
        return [str(c) for c in found[0]], [
            [_value(c) for c in r] + [None] * (width - len(r)) for r in found[1:]
        ]
    assert response.headers["content-type"] == "application/vnd.shieldwall.table+json"
    body = json.loads(response.content)
    keys = [c["key"] for c in body["columns"]]
    return [c["label"] for c in body["columns"]], [
        [_value(row[k]) for k in keys] for row in body["rows"]
    ]


def same_in_every_format(get: Any, path: str) -> tuple[list[str], list[list[Any]]]:
    """The download of ``path`` in the three formats: the same header and rows in each."""
    sep = "&" if "?" in path else "?"
    found = [table(get(f"{path}{sep}format={fmt}"), fmt) for fmt in FORMATS]
    assert found[0] == found[1] == found[2], path
    return found[0]


def in_columns(get: Any, path: str, answer: list[dict[str, Any]]) -> list[list[Any]]:
    """The API's JSON rows, each as a list in the download's columns (its JSON's keys)."""
    sep = "&" if "?" in path else "?"
    keys = [c["key"] for c in get(f"{path}{sep}format=json").json()["columns"]]
    return [[_value(row[k]) for k in keys] for row in answer]


def by_first(rows: list[list[Any]]) -> dict[Any, list[Any]]:
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def scene(server: LiveServer, seeded: Context, clock: FixedClock) -> Scene:
    return build_scene(seeded, clock)


# ---- lists: JSON beside CSV and XLSX --------------------------------------------------------


def test_every_list_downloads_as_json_too(server: LiveServer, scene: Scene) -> None:
    s = scene
    ukr = Browser(server, "ukr")
    page = ukr.get("/offers?kind=arm").text
    assert 'href="/offers?kind=arm&amp;format=json" download class="export-json">JSON</a>' in page
    header, rows = same_in_every_format(ukr.get, "/offers?kind=arm&sort=-value")
    assert header[:4] == ["Offer", "Member", "Member code", "Kind"]
    assert [(r[0], r[2], r[11]) for r in rows] == [(s.o1, "DEU", 1e9), (s.o3, "USA", 21e6)]
    body = ukr.get("/offers?kind=arm&sort=-value&format=json").json()
    first = body["rows"][0]
    assert first["id"] == s.o1 and first["value"] == 1_000_000_000  # a number, not text
    assert first["offered_on"] == "2024-03-21T09:00:00+00:00"  # an instant, ISO 8601
    assert body["columns"][0] == {"key": "id", "label": "Offer"}
    # The requests and deliveries too, every row of the view, in its order.
    _h, requests = same_in_every_format(ukr.get, "/requests?sort=-priority")
    assert [r[0] for r in requests] == [s.r3, s.r2, s.r1]
    deliveries = ukr.get("/deliveries?member=USA&format=json").json()["rows"]
    assert [(d["date"], d["quantity"]) for d in deliveries] == [
        ("2024-03-30", 1000),
        ("2024-03-29", 2000),
    ]
    # In French, the labels; the keys stay the same.
    french = ukr.client.get("/requests?format=json", headers={"Accept-Language": "fr"}).json()
    assert french["columns"][:2] == [
        {"key": "id", "label": "Demande"},
        {"key": "title", "label": "Titre"},
    ]
    # France never gets DEU's partner-only offer, in JSON either.
    fra = Browser(server, "fra")
    offers = fra.get("/offers?format=json").json()["rows"]
    assert [o["id"] for o in offers] == [s.o2, s.o3, s.o4]
    assert "DEU" not in fra.get("/offers?format=json").text
    problem = fra.get("/offers?format=pdf")
    assert problem.status_code == 422
    assert "is not a download format: use csv, xlsx or json" in problem.text
    ukr.client.close()
    fra.client.close()


# ---- the dashboard and the public page ------------------------------------------------------

MEMBERS_HEADER = [
    "Member",
    "Offered (EUR)",
    "Committed (EUR)",
    "Delivered (EUR)",
    "Gap (EUR)",
    "Delivered share, %",
]


def test_the_dashboards_tables_download_as_shown(server: LiveServer, scene: Scene) -> None:
    ukr = Browser(server, "ukr")
    page = ukr.get("/").text
    for name in ("totals", "coverage", "members"):
        assert f'href="/?table={name}&amp;format=xlsx" download' in page
    header, members = same_in_every_format(ukr.get, "/?table=members")
    assert header == MEMBERS_HEADER
    # O1 €1bn committed and delivered; O3 €21m committed, 3,000 of 6,000 rounds delivered;
    # O2 and O4 only offered.
    assert by_first(members) == {
        "DEU": [1e9, 1e9, 1e9, 0.0, 100.0],
        "USA": [21e6, 21e6, 10.5e6, 10.5e6, 50.0],
        "FRA": [14e6, 0.0, 0.0, 0.0, None],
        "POL": [400_000.0, 0.0, 0.0, 0.0, None],
    }
    # The members as the page lists them, in its order: most committed first.
    assert [m[0] for m in members][:2] == ["DEU", "USA"]
    assert page.index(">DEU</th>") < page.index(">USA</th>")
    _h, totals = same_in_every_format(ukr.get, "/?table=totals")
    assert totals == [[1_035_400_000.0, 1_021_000_000.0, 1_010_500_000.0, 10002.0, 6001.0, 3001.0]]
    _h, coverage = same_in_every_format(ukr.get, "/?table=coverage")
    # R1 asks 2 batteries (€2bn), 1 committed; R2 10,000 rounds (€35m), 6,000 committed
    # (€21m), 3,000 delivered; R3 €1m of demining, nothing committed.
    areas = {r[0]: r[2:] for r in coverage}
    assert areas["air-defence"] == [1.0, 2e9, 1e9, 1e9, 0.5]
    assert areas["artillery"] == [1.0, 35e6, 21e6, 10.5e6, 0.6]
    assert areas["demining"] == [1.0, 1e6, 0.0, 0.0, 0.0]
    # France sees its own offer, the public and the council's: never DEU's partner-only one.
    fra = Browser(server, "fra")
    _h, seen = same_in_every_format(fra.get, "/?table=members")
    assert sorted(m[0] for m in seen) == ["FRA", "POL", "USA"]
    for fmt in ("csv", "json"):
        assert "DEU" not in fra.get(f"/?table=members&format={fmt}").text
    _h, fra_totals = same_in_every_format(fra.get, "/?table=totals")
    assert fra_totals == [[35_400_000.0, 21_000_000.0, 10_500_000.0, 10001.0, 6000.0, 3000.0]]
    # Headed in the reader's language.
    french = fra.client.get("/?table=members&format=csv", headers={"Accept-Language": "fr"})
    assert table(french, "csv")[0] == [
        "Membre",
        "Offert (EUR)",
        "Engagé (EUR)",
        "Livré (EUR)",
        "Écart (EUR)",
        "Part livrée, %",
    ]
    # A table that is not one is named.
    wrong = fra.get("/?table=colour&format=csv")
    assert wrong.status_code == 422
    assert "there is no table &#39;colour&#39; to download" in wrong.text
    ukr.client.close()
    fra.client.close()


def test_the_dashboards_delivered_share_is_per_cent_in_every_language(
    server: LiveServer, scene: Scene
) -> None:
    # USA: €21m committed, €10.5m delivered: 50 %, as burden-sharing writes its shares (the
    # page's cell with its sign, the download's label ending in "%", the figure in per cent).
    ukr = Browser(server, "ukr")
    for language, label, cell in (
        ("en", "Delivered share, %", "50%"),
        ("fr", "Part livrée, %", "50 %"),
        ("uk", "Частка поставленого, %", "50%"),
    ):
        asked = {"Accept-Language": language}
        page = ukr.client.get("/", headers=asked).text
        row = re.search(r'<th scope="row">USA</th>(.*?)</tr>', page, flags=re.S)
        assert row is not None, page[:500]
        cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
        assert cells[-1].replace("\u202f", " ").replace("\xa0", " ") == cell, cells
        body = ukr.client.get("/?table=members&format=json", headers=asked).json()
        assert body["columns"][-1] == {"key": "delivered_share", "label": label}
        assert {r["member"]: r["delivered_share"] for r in body["rows"]}["USA"] == 50.0
    ukr.client.close()


def test_the_public_page_downloads_only_public_figures(server: LiveServer, scene: Scene) -> None:
    with httpx.Client(verify=TLS, base_url=server.url, timeout=30) as visitor:
        page = visitor.get("/public").text
        assert 'href="/public?table=members&amp;format=csv" download' in page
        header, members = same_in_every_format(visitor.get, "/public?table=members")
        # Only O3 is public: USA, €21m committed, half delivered.
        assert header == ["Member", "Committed (EUR)", "Delivered (EUR)", "Delivered share, %"]
        assert members == [["USA", 21e6, 10.5e6, 50.0]]
        _h, totals = same_in_every_format(visitor.get, "/public?table=totals")
        assert totals == [[21e6, 21e6, 10.5e6, 6000.0, 6000.0, 3000.0]]
        # The API's public summary: the same rows as its JSON, in each format.
        api_rows = visitor.get("/api/v1/public/summary?group_by=member").json()["rows"]
        header, rows = same_in_every_format(visitor.get, "/api/v1/public/summary?group_by=member")
        assert header[0] == "Member"
        assert rows == in_columns(visitor.get, "/api/v1/public/summary?group_by=member", api_rows)


# ---- the API's ledger summary ---------------------------------------------------------------


def test_the_ledger_summary_downloads_as_the_api_answers(api: Delegations, scene: Scene) -> None:
    deu = api.as_("deu")
    path = "/api/v1/ledger/summary?group_by=member,kind"
    rows = deu.get(path).json()["rows"]
    header, found = same_in_every_format(deu.get, path)
    assert header[:3] == ["Member", "Kind", "Offered (EUR)"]
    assert found == in_columns(deu.get, path, rows)
    # DEU sees its own, the public and the council's offers: not FRA's partner-only one.
    assert sorted(r[0] for r in found) == ["DEU", "POL", "USA"]
    problem = problem_of(deu.get(path + "&format=pdf"), 422)
    assert "format" in json.dumps(problem)


# ---- compliance, burden-sharing, an instrument's fulfilment ---------------------------------


def test_compliance_and_burden_downloads(
    api: Delegations, seeded: Context, clock: FixedClock, server: LiveServer
) -> None:
    germany, _france = _story(seeded, clock)
    deu = api.as_("deu")
    for path in ("/api/v1/compliance", "/api/v1/compliance/members"):
        answer = deu.get(path).json()
        header, rows = same_in_every_format(deu.get, path)
        assert [r[0] for r in rows] == [a["member"] for a in answer]
        assert [r[-4:] for r in rows] == [
            [float(a["met"]), float(a["overdue"]), float(a["met_late"]), float(a["open"])]
            for a in answer
        ]
    _h, instruments = same_in_every_format(deu.get, "/api/v1/compliance")
    # Germany's 2024: €10m promised, €3.5m committed, 400 rounds (€1.4m) delivered: 14%;
    # France's instrument is its own: not in DEU's file.
    assert [r[:8] for r in instruments] == [
        ["DEU", float(germany), GERMANY_TITLE, 2024.0, 10e6, "EUR 10000000.00", 3.5e6, 1.4e6],
        ["DEU", float(germany), GERMANY_TITLE, 2025.0, 5e6, "EUR 5000000.00", 0.0, 0.7e6],
    ]
    assert [r[8] for r in instruments] == [14.0, 14.0]
    sec = Browser(server, "sec")
    _h, members = same_in_every_format(sec.get, "/compliance?table=compliance-members")
    # Germany's two years, €15m; France's £2m at 0.85 to the euro (the secretariat sees both).
    assert [(m[0], m[1], m[2]) for m in members] == [("DEU", 1.0, 15e6), ("FRA", 1.0, 2_352_941.18)]
    assert members[1][3] == "GBP 2000000.00"
    page = sec.get("/compliance").text
    assert 'href="/compliance?table=compliance&amp;format=json" download' in page
    # Burden-sharing: the page's file and the API's are the API's rows.
    answer = deu.get("/api/v1/burden-sharing").json()["rows"]
    header, burden = same_in_every_format(deu.get, "/api/v1/burden-sharing")
    assert header[:4] == ["Member", "Name", "Kind", "Committed (EUR)"]
    # Its shares are per cent (the README: a share is a fraction unless its label ends in "%").
    assert (header[4], header[6]) == ("Share of the committed, %", "Share of the delivered, %")
    assert [r[4] for r in burden if r[0] == "DEU"] == [100.0]
    assert [(r[0], r[3], r[5]) for r in burden] == [
        (a["member"], a["committed_eur"], a["delivered_eur"]) for a in answer
    ]
    assert ("DEU", 3.5e6, 2.1e6) in [(r[0], r[3], r[5]) for r in burden]
    browser = Browser(server, "deu")
    assert same_in_every_format(browser.get, "/burden-sharing")[1] == burden
    # An instrument's fulfilment per year, as its page shows it.
    header, years = same_in_every_format(browser.get, f"/instruments/{germany}?table=fulfilment")
    assert header[0] == "Year"
    assert years == [
        [2024.0, 10e6, "EUR 10000000.00", 3.5e6, 1.4e6, 14.0],
        [2025.0, 5e6, "EUR 5000000.00", 0.0, 0.7e6, 14.0],
    ]
    sec.client.close()
    browser.client.close()


GERMANY_TITLE = "Agreement on security cooperation between UKR and DEU"


# ---- the envelope ---------------------------------------------------------------------------


def test_readiness_downloads_as_the_envelope_shows_it(
    api: Delegations, seeded: Context, server: LiveServer
) -> None:
    EnvelopeScene(seeded, api)
    sec = Browser(server, "sec")
    page = sec.get("/envelope").text
    assert 'href="/envelope?table=readiness-packages&amp;format=csv" download' in page
    header, packages = same_in_every_format(sec.get, "/envelope?table=readiness-packages")
    assert header[:5] == ["Code", "Package", "Area", "Readiness", "Units ready"]
    patriot = by_first(packages)["patriot-battery"]
    # 40%, 0 of 2 units, limited by its interceptors (tests/test_envelope.py).
    assert patriot[2:5] == [0.4, 0.0, 2.0]
    assert patriot[5] == (
        "limited by munitions (PAC-3 MSE interceptor): 24 of 60 missiles in the last 3 months"
    )
    _h, areas = same_in_every_format(sec.get, "/envelope?table=readiness-areas")
    assert by_first(areas)["air-defence"][1:3] == [1.0, 0.4]
    # The API's envelope, as a file: the same figures.
    via_api = same_in_every_format(api.as_("sec").get, "/api/v1/envelope?table=readiness-areas")
    assert via_api[1] == areas
    # France may not see the interceptors' offer: 0% in its file too.
    fra = Browser(server, "fra")
    _h, seen = same_in_every_format(fra.get, "/envelope?table=readiness-packages")
    assert by_first(seen)["patriot-battery"][2] == 0.0
    sec.client.close()
    fra.client.close()


# ---- the CLI's export of the lists ----------------------------------------------------------


def test_the_cli_exports_the_lists(seeded: Context, scene: Scene, tmp_path: Path) -> None:
    from shieldwall.cli import app

    db = seeded.engine.url.render_as_string(False)
    runner = CliRunner()
    requests = runner.invoke(
        app, ["export", "-", "--what", "requests", "--format", "json", "--db", db]
    )
    assert requests.exit_code == 0, requests.output
    assert [r["id"] for r in json.loads(requests.stdout)] == [scene.r1, scene.r2, scene.r3]
    offers = runner.invoke(app, ["export", "-", "--what", "offers", "--format", "csv", "--db", db])
    assert offers.exit_code == 0, offers.output
    read = list(csv.DictReader(io.StringIO(offers.stdout)))
    assert [(int(r["id"]), r["member_code"]) for r in read] == [
        (scene.o1, "DEU"),
        (scene.o2, "FRA"),
        (scene.o3, "USA"),
        (scene.o4, "POL"),
    ]
    out = tmp_path / "deliveries.xlsx"
    done = runner.invoke(
        app, ["export", str(out), "--what", "deliveries", "--format", "xlsx", "--db", db]
    )
    assert done.exit_code == 0, done.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert [r[5] for r in sheet.iter_rows(min_row=2, values_only=True)] == [1000, 2000, 1]


# ---- money: every download writes euros to the cent -------------------------------------------

CENTS = re.compile(r"-?\d+\.\d\d")


def euro_cells(response: httpx.Response, fmt: str) -> dict[str, list[Any]]:
    """The cells of a download's amounts in EUR (its columns labelled "… (EUR)", or keyed
    "…_eur" where the keys head the file), by label, as the file holds them: CSV's text,
    JSON's number as written, XLSX's cell."""
    assert response.status_code == 200, response.text[:2000]
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        heads, rows = lines[0], lines[1:]
    elif fmt == "json":
        body = json.loads(response.content, parse_float=str)
        heads = [c["key"] if c["key"].endswith("_eur") else c["label"] for c in body["columns"]]
        rows = [list(r.values()) for r in body["rows"]]
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        found = list(book.worksheets[0].iter_rows())
        heads, rows = [str(c.value) for c in found[0]], [list(r) for r in found[1:]]
    money = [i for i, h in enumerate(heads) if h.endswith(("(EUR)", "_eur"))]
    assert money, heads
    return {heads[i]: [r[i] for r in rows] for i in money}


def assert_to_the_cent(response: httpx.Response, fmt: str) -> dict[str, list[Any]]:
    cells = euro_cells(response, fmt)
    for label, column in cells.items():
        for cell in column:
            if fmt == "xlsx":
                if cell.value is not None:
                    assert isinstance(cell.value, int | float), (label, cell.value)
                    assert cell.number_format == "#,##0.00", (label, cell.number_format)
            elif cell not in ("", None):
                assert isinstance(cell, str) and CENTS.fullmatch(cell), (label, cell)
    return cells


def test_every_download_writes_euros_to_the_cent(
    api: Delegations, seeded: Context, clock: FixedClock, server: LiveServer, tmp_path: Path
) -> None:
    # The compliance story: DEU offers and commits 1,000 rounds (€3,500,000: two entries) and
    # delivers 400 and 200 (€1,400,000 and €700,000) toward its €10m for 2024; France
    # promises £2m, €2,352,941.18.
    germany, _france = _story(seeded, clock)
    sec = Browser(server, "sec")
    pages = (
        "/offers",
        "/deliveries",
        "/?table=totals",
        "/?table=coverage",
        "/?table=members",
        "/compliance?table=compliance",
        "/compliance?table=compliance-members",
        "/burden-sharing",
        "/instruments",
        f"/instruments/{germany}?table=fulfilment",
        "/api/v1/ledger/summary?group_by=member",
        "/api/v1/compliance",
        "/api/v1/compliance/members",
        "/api/v1/burden-sharing",
    )
    by_api = api.as_("sec")
    for path in pages:
        get = by_api.get if path.startswith("/api/") else sec.get
        sep = "&" if "?" in path else "?"
        for fmt in FORMATS:
            assert_to_the_cent(get(f"{path}{sep}format={fmt}"), fmt)
    members = assert_to_the_cent(sec.get("/compliance?table=compliance-members&format=csv"), "csv")
    assert members["Promised (EUR)"] == ["15000000.00", "2352941.18"]
    summary = assert_to_the_cent(by_api.get("/api/v1/ledger/summary?format=json"), "json")
    assert summary == {
        "offered_eur": ["3500000.00"],
        "committed_eur": ["3500000.00"],
        "delivered_eur": ["2100000.00"],
    }
    entries = assert_to_the_cent(by_api.get("/api/v1/ledger/export.csv"), "csv")
    assert entries["value_eur"] == ["3500000.00", "3500000.00", "1400000.00", "700000.00"]
    sec.client.close()
    # The CLI's files, headed by the columns' keys: the same rule.
    from shieldwall.cli import app

    db = seeded.engine.url.render_as_string(False)
    for what in ("entries", "summary", "offers", "deliveries"):
        for fmt in ("csv", "json"):
            done = CliRunner().invoke(
                app, ["export", "-", "--what", what, "--format", fmt, "--db", db]
            )
            assert done.exit_code == 0, done.output
            if fmt == "json":  # the bare array of rows
                rows = json.loads(done.stdout, parse_float=str)
            else:
                rows = list(csv.DictReader(io.StringIO(done.stdout)))
            amounts = [r[k] for r in rows for k in r if k.endswith("_eur") or k == "value"]
            assert amounts, (what, rows)
            assert all(isinstance(a, str) and CENTS.fullmatch(a) for a in amounts), amounts
        out = tmp_path / f"{what}.xlsx"
        done = CliRunner().invoke(
            app, ["export", str(out), "--what", what, "--format", "xlsx", "--db", db]
        )
        assert done.exit_code == 0, done.output
        sheet = openpyxl.load_workbook(out).worksheets[0]
        head = [str(c.value) for c in next(sheet.iter_rows())]
        money = [i for i, h in enumerate(head) if h.endswith("_eur") or h == "value"]
        assert money, head
        for row in sheet.iter_rows(min_row=2):
            assert all(row[i].number_format == "#,##0.00" for i in money), (what, head)
