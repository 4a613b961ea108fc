"""The council in the reader's language and time zone, its deadlines in words, its lists found
by filter, search and sort, and its irreversible steps confirmed first. Every expected text is
written out here by hand (the catalogues' French and Ukrainian, the clock's arithmetic)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from shieldwall.access.service import AccessService
from shieldwall.access.tables import UserAccount
from shieldwall.council import pages
from shieldwall.kit.i18n import using_locale
from shieldwall.notifications.tables import Notification
from tests.conftest import NOW, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser, _text

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def sec(server: LiveServer) -> Iterator[Browser]:
    chair = Browser(server, "sec")
    yield chair
    chair.client.close()


def _in(b: Browser, language: str, path: str) -> httpx.Response:
    """A page as a browser that asks for ``language`` (Accept-Language) reads it."""
    return b.client.get(path, headers={"accept-language": language})


# ---- deadlines and times in words ------------------------------------------------------------


def _meeting(hold_by: dt.datetime | None, *, held: bool = False, late: bool = False) -> Any:
    return {
        "hold_by": hold_by,
        "held_at": NOW if held else None,
        "held_in_time": not late,
        "late": late,
    }


@pytest.mark.parametrize(
    ("meeting", "reads"),
    [
        (_meeting(None), None),
        (_meeting(NOW + 7 * DAY), "due in 7 days"),
        (_meeting(NOW + 5 * HOUR + dt.timedelta(minutes=59)), "5 h left"),  # rounded down
        (
            _meeting(NOW - 6 * HOUR, late=True),
            "late: not held within its time limit, overdue by 6 h",
        ),
        (
            _meeting(NOW - 3 * DAY, late=True),
            "late: not held within its time limit, overdue by 3 days",
        ),
        (_meeting(NOW + DAY, held=True), "held in time"),
        (_meeting(NOW - DAY, held=True, late=True), "held late, after its time limit"),
    ],
)
def test_a_consultations_time_limit_reads(meeting: Any, reads: str | None) -> None:
    assert pages.hold_status(meeting, NOW) == reads


@pytest.mark.parametrize(
    ("locale", "at", "reads"),
    [
        ("en", NOW + 3 * DAY + 20 * HOUR, "in 3 days"),  # rounded down: never later than it is
        ("en", NOW + 5 * HOUR + dt.timedelta(minutes=30), "in 5 hours"),
        ("en", NOW - 2 * DAY - HOUR, "2 days ago"),
        ("fr", NOW + 3 * DAY, "dans 3 jours"),
        ("fr", NOW - 5 * HOUR, "il y a 5 heures"),
        ("uk", NOW + 3 * DAY, "через 3 дні"),
        ("uk", NOW - 5 * HOUR, "5 годин тому"),
    ],
)
def test_a_meetings_day_reads_from_now(locale: str, at: dt.datetime, reads: str) -> None:
    with using_locale(locale):
        assert pages.from_now(at, NOW) == reads


@pytest.mark.parametrize(
    ("locale", "hours", "reads"),
    [
        ("en", 168, "7 days"),
        ("en", 24, "1 day"),
        ("en", 36, "36 hours"),
        ("en", 1, "1 hour"),
        ("fr", 168, "7 jours"),
        ("fr", 36, "36 heures"),
        ("uk", 168, "7 днів"),
        ("uk", 24, "1 день"),
        ("uk", 36, "36 годин"),
        ("uk", 2, "2 години"),
    ],
)
def test_a_time_limit_reads(locale: str, hours: int, reads: str) -> None:
    with using_locale(locale):
        assert pages.duration(dt.timedelta(hours=hours)) == reads


def test_a_moment_in_a_meetings_own_zone() -> None:
    # 08:00 UTC on 5 April 2024 is 10:00 in Brussels (summer time) and 11:00 in Kyiv.
    at = dt.datetime(2024, 4, 5, 8, 0, tzinfo=dt.UTC)
    assert pages.in_zone(at, "Europe/Brussels") == "2024-04-05 10:00 Europe/Brussels"
    assert pages.in_zone(at, "Europe/Kyiv") == "2024-04-05 11:00 Europe/Kyiv"


# ---- pages in French and Ukrainian -------------------------------------------------------------


def test_the_meetings_in_french_and_a_proposal_in_ukrainian(sec: Browser, seeded: Context) -> None:
    seeded.council.convene(
        actor(seeded, "ukr"),
        title="Strikes on Odesa",
        level="ambassadors",
        crisis=True,
        reason="port strikes",
        hold_within_hours=24,
    )
    proposal: int = seeded.council.table_proposal(
        actor(seeded, "deu"), title="Statement", text="We stand with Ukraine."
    )
    french = _in(sec, "fr-FR,fr;q=0.9", "/meetings")
    assert french.headers["content-language"] == "fr"
    words = _text(french)
    assert "Réunions du conseil" in words
    assert "demandée" in words and "consultation de crise" in words  # its state and kind
    assert "ambassadeurs" in words  # its level
    assert "1 réunion." in words
    assert "en retard" not in words
    # 24 hours from 2024-04-02 12:00 UTC: due in 1 day (the shared deadline words).
    assert "2024-04-03 12:00 UTC" in words

    ukrainian = _in(sec, "uk", f"/proposals/{proposal}")
    assert ukrainian.headers["content-language"] == "uk"
    words = _text(ukrainian)
    assert "Пропозиції" in words  # the crumbs
    assert "на обговоренні" in words  # its state
    assert "Розіслати за процедурою мовчазної згоди" in words  # the chair's form
    assert "Зафіксувати консенсус" in words

    english = _text(sec.get("/meetings"))  # no Accept-Language: English
    assert "Meetings of the council" in english and "requested" in english


def test_a_refusal_names_the_field_in_french(sec: Browser, seeded: Context) -> None:
    proposal: int = seeded.council.table_proposal(
        actor(seeded, "deu"), title="Statement", text="We stand with Ukraine."
    )
    refused = sec.client.post(
        f"/proposals/{proposal}/act",
        data={"action": "circulate", "deadline": "demain", "csrf_token": sec.csrf},
        headers={"accept-language": "fr"},
    )
    assert refused.status_code == 422
    words = _text(refused)
    # The label the French form shows, then the French message (joined by ``access.forms``).
    assert "Échéance de la procédure tacite" in words
    assert "indiquez une date et une heure, par exemple 2024-04-05 10:00" in words
    assert 'value="demain"' in refused.text  # what was typed is kept


# ---- a notice in its reader's language ---------------------------------------------------------


def test_a_crisis_consultation_reaches_a_french_reader_in_french(seeded: Context) -> None:
    """FRA's head reads in French, in Paris time; USA's in English, in UTC."""
    fra = actor(seeded, "fra")
    with seeded.unit_of_work() as uow:
        AccessService(uow).choose_language(fra, "fr", "Europe/Paris")
    seeded.council.convene(
        actor(seeded, "ukr"),
        title="Strikes on Odesa",
        level="ambassadors",
        crisis=True,
        reason="port strikes",
        hold_within_hours=24,
    )
    with seeded.reading() as s:
        got = {
            name: (subject, body)
            for name, subject, body in s.execute(
                select(UserAccount.username, Notification.subject, Notification.body).join(
                    UserAccount, UserAccount.id == Notification.user_id
                )
            )
        }
    # 2024-04-03 12:00 UTC is 14:00 in Paris (CEST).
    assert got["fra"] == (
        "Consultation de crise convoquée par UKR : Strikes on Odesa",
        "Ukraine a convoqué le conseil au niveau ambassadeurs. "
        "La réunion doit se tenir avant le 2024-04-03 14:00 CEST.",
    )
    assert got["usa"] == (
        "Crisis consultation convened by UKR: Strikes on Odesa",
        "Ukraine convened the council at ambassadors level. "
        "It must be held by 2024-04-03 12:00 UTC.",
    )


# ---- irreversible steps are confirmed ----------------------------------------------------------


def test_breaking_silence_is_confirmed_first(server: LiveServer, seeded: Context) -> None:
    sec = actor(seeded, "sec")
    proposal: int = seeded.council.table_proposal(sec, title="Statement", text="Allies condemn.")
    seeded.council.circulate(sec, proposal, deadline=NOW + 2 * DAY)
    fra = Browser(server, "fra")
    objection = {"action": "position", "stance": "object", "reason": "Not yet."}
    asked = fra.post(f"/proposals/{proposal}/act", objection)
    assert asked.status_code == 200
    words = _text(asked)
    assert f"Break silence on proposal {proposal}, “Statement”?" in words
    assert "the proposal is not adopted at its deadline and returns to discussion" in words
    assert "Reason: Not yet." in words
    assert "under silence" in _text(fra.get(f"/proposals/{proposal}"))  # nothing done yet
    done = fra.post(f"/proposals/{proposal}/act", {**objection, "confirmed": "yes"})
    assert done.status_code == 303
    page = _text(fra.get(done.headers["location"]))
    assert "Returned to discussion because FRA broke silence: Not yet." in page
    # Support under silence changes nothing irreversible: no confirmation. (FRA lifts its
    # objection first: silence is not circulated over one standing.)
    seeded.council.state_position(actor(seeded, "fra"), proposal, stance="abstain")
    seeded.council.circulate(sec, proposal, deadline=NOW + 2 * DAY)
    supported = fra.post(f"/proposals/{proposal}/act", {"action": "position", "stance": "support"})
    assert supported.status_code == 303
    fra.client.close()


# ---- the lists: filters, search, sort and downloads --------------------------------------------


def _council_records(seeded: Context) -> dict[str, int]:
    ukr, deu, sec = actor(seeded, "ukr"), actor(seeded, "deu"), actor(seeded, "sec")
    ids = {
        "crisis": seeded.council.convene(
            ukr, title="Strikes on Odesa", level="ambassadors", crisis=True, reason="r"
        ),
        "ministers": seeded.council.convene(
            deu, title="Air defence pledges", level="defence ministers"
        ),
        "summit": seeded.council.convene(sec, title="Vilnius summit", level="summit"),
        "silence": seeded.council.table_proposal(
            sec, title="Statement on Odesa", text="Allies condemn the strikes."
        ),
        "talk": seeded.council.table_proposal(
            deu, title="Training mission", text="Train pilots in Romania."
        ),
    }
    seeded.council.circulate(sec, ids["silence"], deadline=NOW + 3 * DAY)
    return ids


def test_meetings_filtered_sorted_and_downloaded(sec: Browser, seeded: Context) -> None:
    ids = _council_records(seeded)
    by_title = _text(sec.get("/meetings?sort=title"))
    order = [
        by_title.index(t) for t in ("Air defence pledges", "Strikes on Odesa", "Vilnius summit")
    ]
    assert order == sorted(order)
    reversed_ = _text(sec.get("/meetings?sort=-title"))
    assert reversed_.index("Vilnius summit") < reversed_.index("Air defence pledges")
    convened = _text(sec.get("/meetings?convened_by=DEU"))
    assert "Air defence pledges" in convened and "Strikes on Odesa" not in convened
    regular = _text(sec.get("/meetings?kind=regular&q=summit"))
    assert "1 meeting matches these filters." in regular and "Vilnius summit" in regular
    # Dates: all were convened on 2024-04-02; none on or after the 3rd.
    assert "3 meetings match" in _text(sec.get("/meetings?from=2024-04-02&to=2024-04-02"))
    assert "No meeting you may see matches" in _text(sec.get("/meetings?from=2024-04-03"))

    csv = sec.get("/meetings?kind=crisis&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("#,Meeting,Level,Convened by,State,Crisis consultation")
    assert (
        len(lines) == 2
        and f"{ids['crisis']},Strikes on Odesa,ambassadors,UKR,requested" in lines[1]
    )

    xlsx = sec.get("/meetings?sort=title&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [r[:3] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == [
        (ids["ministers"], "Air defence pledges", "defence ministers"),
        (ids["crisis"], "Strikes on Odesa", "ambassadors"),
        (ids["summit"], "Vilnius summit", "summit"),
    ]
    # The download's labels and words are the reader's language.
    french = _in(sec, "fr", "/meetings?kind=crisis&format=csv").text.lstrip("\ufeff")
    assert french.splitlines()[0].startswith("#,Réunion,Niveau,Convoquée par,État")
    assert "ambassadeurs" in french and "demandée" in french


def test_proposals_filtered_by_procedure_and_searched_in_their_text(
    sec: Browser, seeded: Context
) -> None:
    ids = _council_records(seeded)
    silence = _text(sec.get("/proposals?procedure=silence"))
    assert "Statement on Odesa" in silence and "Training mission" not in silence
    assert "due in 3 days" in silence
    found = _text(sec.get("/proposals?q=pilots"))  # in the text, not the title
    assert "Training mission" in found and "Statement on Odesa" not in found
    discussed = _text(sec.get("/proposals?state=in+discussion"))
    assert "Training mission" in discussed and "Statement on Odesa" not in discussed
    csv = sec.get("/proposals?procedure=silence&format=csv").text.lstrip("\ufeff").splitlines()
    assert len(csv) == 2 and csv[1].startswith(f"{ids['silence']},Statement on Odesa,decision,SEC")
    assert sec.get("/proposals?procedure=vote").status_code == 422
