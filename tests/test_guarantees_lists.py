"""Finding instruments, obligations and declared events over real HTTP, on SQLite and
PostgreSQL: each filter, search, sort, a bad parameter, and downloads equal to the view.

The scene (the platform's clock: 2 April 2024, 12:00 UTC):

- instruments: DEU "Agreement on security cooperation between Germany and Ukraine", signed
  2024-02-16 for 10 years; USA "Bilateral security agreement United States–Ukraine", signed
  2024-01-12 for 10 years; FRA "Interim arrangement France–Ukraine", signed 2024-03-01, valid
  until 2024-03-31 (ended: not in force). Each binds its signatory to consult within 24 hours
  of an armed attack (USA within 48 hours).
- an armed attack on Ukraine, 2024-04-02 05:00 UTC, declared by Ukraine: it opens DEU's duty
  (due 2024-04-03 05:00) and USA's (due 2024-04-04 05:00); FRA's instrument no longer binds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import openpyxl
import pytest

from shieldwall.guarantees.tables import Instrument
from tests.conftest import actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser

DEU_TITLE = "Agreement on security cooperation between Germany and Ukraine"
USA_TITLE = "Bilateral security agreement United States–Ukraine"
FRA_TITLE = "Interim arrangement France–Ukraine"


@dataclass
class Scene:
    deu: int
    usa: int
    fra: int
    trigger: int


@pytest.fixture
def scene(seeded: Context) -> Scene:
    g = seeded.guarantees

    def instrument(
        user: str,
        title: str,
        signed: dt.date,
        hours: int,
        years: int | None = None,
        until: dt.date | None = None,
    ) -> int:
        who = actor(seeded, user)
        found: int = g.create_instrument(
            who,
            member=user.upper(),
            title=title,
            signed_on=signed,
            duration_years=years,
            valid_until=until,
        )
        g.add_obligation(who, found, trigger="armed attack", action="consult", within_hours=hours)
        return found

    deu = instrument("deu", DEU_TITLE, dt.date(2024, 2, 16), 24, years=10)
    usa = instrument("usa", USA_TITLE, dt.date(2024, 1, 12), 48, years=10)
    fra = instrument("fra", FRA_TITLE, dt.date(2024, 3, 1), 24, until=dt.date(2024, 3, 31))
    trigger = seeded.obligations.declare_trigger(
        actor(seeded, "ukr"),
        kind="armed attack",
        occurred_at=dt.datetime(2024, 4, 2, 5, 0, tzinfo=dt.UTC),
        description="Massive missile strikes on Kyiv at dawn.",
    )
    return Scene(deu, usa, fra, trigger)


@pytest.fixture
def sec(server: LiveServer) -> Browser:
    return Browser(server, "sec")


def instruments(b: Browser, query: str = "") -> list[str]:
    """The titles the instruments list shows, in its order."""
    page = b.get(f"/instruments{query}")
    assert page.status_code == 200, page.text
    return re.findall(r'<a href="/instruments/\d+">([^<]+)</a>', page.text)


def obligations(b: Browser, query: str = "") -> list[str]:
    """The members of the rows the obligations list shows, in its order."""
    page = b.get(f"/obligations{query}")
    assert page.status_code == 200, page.text
    table = page.text.split('id="obligations-table"')[1] if "obligations-table" in page.text else ""
    return re.findall(r'<th scope="row">([A-Z]{3})</th>', table)


def _csv(b: Browser, path: str) -> list[list[str]]:
    response = b.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(b: Browser, path: str) -> list[list[object]]:
    response = b.get(path)
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


# ---- instruments ---------------------------------------------------------------------------------


def test_instruments_are_filtered_sorted_and_searched(scene: Scene, sec: Browser) -> None:
    # By signing date, the earliest first (the default), then the latest first.
    assert instruments(sec) == [USA_TITLE, DEU_TITLE, FRA_TITLE]
    assert instruments(sec, "?sort=-signed") == [FRA_TITLE, DEU_TITLE, USA_TITLE]
    assert instruments(sec, "?sort=title") == [DEU_TITLE, USA_TITLE, FRA_TITLE]
    # By holder; in force or not (France's arrangement ended on 31 March).
    assert instruments(sec, "?member=DEU") == [DEU_TITLE]
    assert instruments(sec, "?in_force=yes") == [USA_TITLE, DEU_TITLE]
    assert instruments(sec, "?in_force=no") == [FRA_TITLE]
    # By dates: signed from 1 February; a term ending by the end of 2030.
    assert instruments(sec, "?signed_from=2024-02-01") == [DEU_TITLE, FRA_TITLE]
    assert instruments(sec, "?ends_to=2030-12-31") == [FRA_TITLE]
    # A title or a signatory's name searched, in any case.
    assert instruments(sec, "?q=SECURITY") == [USA_TITLE, DEU_TITLE]
    assert instruments(sec, "?q=france") == [FRA_TITLE]
    assert instruments(sec, "?q=germany&in_force=no") == []
    assert "No instrument you may see matches this view." in sec.get("/instruments?q=zz").text


def test_a_bad_parameter_of_the_instruments_list_is_named(scene: Scene, sec: Browser) -> None:
    bad_sort = sec.get("/instruments?sort=colour")
    assert bad_sort.status_code == 422 and "sort" in bad_sort.text
    bad_day = sec.get("/instruments?signed_from=yesterday&q=cooperation")
    assert bad_day.status_code == 422 and "Signed from" in bad_day.text
    # The form comes back with what was typed, the field marked and tied to the message.
    assert 'value="cooperation"' in bad_day.text
    assert 'name="signed_from" value="yesterday" aria-invalid="true"' in bad_day.text
    assert sec.get("/instruments?in_force=maybe").status_code == 422


def test_the_instruments_download_is_the_view(scene: Scene, sec: Browser) -> None:
    rows = _csv(sec, "/instruments?in_force=yes&sort=-signed&format=csv")
    assert rows[0][:8] == [
        "Signatory",
        "Signatory's name",
        "Instrument",
        "Signed",
        "Valid from",
        "Term ends",
        "Ends",
        "In force",
    ]
    assert [r[:4] + r[5:8] for r in rows[1:]] == [
        ["DEU", "Germany", DEU_TITLE, "2024-02-16", "2034-02-16", "2034-02-16", "yes"],
        ["USA", "United States", USA_TITLE, "2024-01-12", "2034-01-12", "2034-01-12", "yes"],
    ]
    sheet = _xlsx(sec, "/instruments?in_force=no&format=xlsx")
    assert sheet[0][2] == "Instrument"
    assert [(r[0], r[2], r[3], r[7]) for r in sheet[1:]] == [
        ("FRA", FRA_TITLE, dt.datetime(2024, 3, 1), "no")
    ]
    french = sec.client.get("/instruments?format=csv", headers={"Accept-Language": "fr"})
    assert french.content.decode("utf-8-sig").startswith("Signataire,Nom du signataire,Instrument")


def test_a_member_lists_only_the_instruments_it_may_see(
    scene: Scene, seeded: Context, server: LiveServer
) -> None:
    with seeded.unit_of_work() as uow:
        found = uow.session.get(Instrument, scene.fra)
        assert found is not None
        found.releasability = "own"  # France's arrangement: its own and the secretariat's
    deu = Browser(server, "deu")
    assert instruments(deu) == [USA_TITLE, DEU_TITLE]
    assert FRA_TITLE not in deu.get("/instruments?format=csv").text
    assert FRA_TITLE in instruments(Browser(server, "fra"))


# ---- obligations and events ----------------------------------------------------------------------


def test_obligations_are_filtered_sorted_and_searched(scene: Scene, sec: Browser) -> None:
    assert obligations(sec) == ["DEU", "USA"]
    assert obligations(sec, "?sort=-due") == ["USA", "DEU"]
    assert obligations(sec, "?member=USA") == ["USA"]
    assert obligations(sec, "?state=open&trigger=armed+attack") == ["DEU", "USA"]
    assert obligations(sec, "?state=met") == []
    assert obligations(sec, "?trigger=year+end") == []
    assert obligations(sec, "?due_to=2024-04-03") == ["DEU"]
    assert obligations(sec, "?due_from=2024-04-04") == ["USA"]
    assert obligations(sec, "?q=united+states") == ["USA"]
    page = sec.get("/obligations").text
    assert "due in 17 hours" in page and "due in 41 hours" in page
    assert sec.get("/obligations?state=late").status_code == 422


def test_the_obligations_download_is_the_view(scene: Scene, sec: Browser) -> None:
    rows = _csv(sec, "/obligations?sort=-due&format=csv")
    assert rows[0] == [
        "Obligation",
        "Member",
        "Instrument",
        "Duty",
        "Started by",
        "Deadline",
        "State",
    ]
    assert [(r[1], r[2], r[4], r[6]) for r in rows[1:]] == [
        ("USA", USA_TITLE, "armed attack", "open"),
        ("DEU", DEU_TITLE, "armed attack", "open"),
    ]
    ukrainian = sec.client.get(
        "/obligations?member=DEU&format=xlsx", headers={"Accept-Language": "uk"}
    )
    sheet = [
        list(r)
        for r in openpyxl.load_workbook(io.BytesIO(ukrainian.content), read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    ]
    assert sheet[0][:2] == ["Зобов’язання за угодою", "Держава-член"]
    assert [(r[1], r[4], r[6]) for r in sheet[1:]] == [("DEU", "збройний напад", "відкрито")]


def test_declared_events_are_listed_filtered_and_downloaded(scene: Scene, sec: Browser) -> None:
    page = sec.get("/triggers").text
    assert f'href="/triggers/{scene.trigger}"' in page and "Armed attack on UKR" in page
    assert (
        f'href="/triggers/{scene.trigger}"' not in sec.get("/triggers?kind=threat+of+attack").text
    )
    assert f'href="/triggers/{scene.trigger}"' in sec.get("/triggers?q=kyiv").text
    assert f'href="/triggers/{scene.trigger}"' not in sec.get("/triggers?from=2024-04-03").text
    rows = _csv(sec, "/triggers?format=csv")
    assert rows[0] == ["#", "Event", "Occurred", "Declared by", "Open", "Met", "Overdue"]
    assert [r[1:2] + r[3:] for r in rows[1:]] == [["armed attack", "UKR", "2", "0", "0"]]
