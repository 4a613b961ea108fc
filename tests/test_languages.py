"""Languages and time zones over real HTTP, on SQLite and PostgreSQL: a page is in the browser's
language (``Accept-Language``) until the viewer chooses one; a signed-in user's choice of
language and time zone is stored with the user and follows it to a fresh browser; a choice that
is not offered is refused naming the field, and changes nothing. Numbers and times are written
for the language and the zone (by hand: 150000 is 150,000 in English, 150 000 in French)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from shieldwall.kit.i18n import (
    format_eur,
    format_moment,
    format_number,
    negotiate,
    using_locale,
)
from tests.conftest import TLS, Delegations
from tests.liveserver import LiveServer
from tests.test_council_pages import Browser

NBSP = "\u00a0"
NNBSP = "\u202f"


def test_the_browsers_language_is_used_until_one_is_chosen(server: LiveServer) -> None:
    with httpx.Client(verify=TLS, base_url=server.url, timeout=30) as client:
        french = client.get("/settings", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        assert "Langue et fuseau horaire" in french.text
        assert french.headers["Content-Language"] == "fr"
        assert '<html lang="fr"' in french.text
        english = client.get("/settings", headers={"Accept-Language": "de-DE, pl;q=0.8"})
        assert "Language and time zone" in english.text
        chosen = client.post("/settings", data={"locale": "uk"})
        assert chosen.status_code == 303
        again = client.get("/settings", headers={"Accept-Language": "fr"})
        assert "Мова та часовий пояс" in again.text and again.headers["Content-Language"] == "uk"


def test_a_users_choice_is_stored_and_follows_it(server: LiveServer) -> None:
    first = Browser(server, "deu")
    try:
        saved = first.post("/settings", {"locale": "fr", "time_zone": "Europe/Kyiv"})
        assert saved.status_code == 303, saved.text
    finally:
        first.client.close()
    second = Browser(server, "deu")  # a fresh browser: no cookie until it signs in
    try:
        page = second.get("/settings")
        assert "Langue et fuseau horaire" in page.text
        assert "<option selected>Europe/Kyiv</option>" in page.text
    finally:
        second.client.close()


def test_a_choice_not_offered_is_refused_naming_the_field(server: LiveServer) -> None:
    browser = Browser(server, "deu")
    try:
        wrong = browser.post("/settings", {"locale": "en", "time_zone": "Mars/Olympus"})
        assert wrong.status_code == 422
        assert "Time zone: &#39;Mars/Olympus&#39; is not a time zone" in wrong.text
        unknown = browser.post("/settings", {"locale": "xx", "time_zone": "UTC"})
        assert unknown.status_code == 422 and "Language: use one of en, fr, uk" in unknown.text
        assert "Language and time zone" in browser.get("/settings").text  # still English
    finally:
        browser.client.close()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9", "uk"),
        ("de;q=1, fr;q=0.4, uk;q=0.5", "uk"),
        ("fr;q=0", "en"),
        ("fr;q=abc, uk", "uk"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_best_offered_language_of_a_browser(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_numbers_amounts_and_times_are_written_for_the_locale() -> None:
    moment = dt.datetime(2024, 7, 11, 12, 30, tzinfo=dt.UTC)
    with using_locale("en", "Europe/Kyiv"):
        assert format_number(150000) == "150,000"
        assert format_eur(16_000_000) == "€16M"
        assert format_eur(938_100) == "€938,100"
        assert format_moment(moment) == "2024-07-11 15:30 EEST"
    with using_locale("fr", "UTC"):
        assert format_number(150000) == f"150{NNBSP}000"
        assert format_eur(938_100) == f"938{NNBSP}100{NBSP}€"
        assert format_moment(moment) == "2024-07-11 12:30 UTC"
    with using_locale("uk"):
        assert format_eur(16_000_000) == f"16{NBSP}млн{NBSP}EUR"


@pytest.mark.parametrize(
    ("body", "field", "french"),
    [
        (b"{bad json", "body", "le corps n'est pas du JSON valide"),
        (b'{"title": "\\ud800"}', "title", "donnez du texte : ce n'est pas de l'Unicode"),
        (b"[" * 100_000 + b"]" * 100_000, None, "le corps n'a pas pu être lu comme du JSON"),
    ],
    ids=["not-json", "lone-surrogate", "nested-too-deep"],
)
def test_an_unreadable_body_is_refused_in_the_language_of_the_exchange(
    api: Delegations, body: bytes, field: str | None, french: str
) -> None:
    """A body that is not JSON named a field "1"; a lone surrogate and a body nested past the
    parser's depth were refused in Pydantic's and Starlette's English."""
    refused = api.as_("deu").post(
        "/api/v1/meetings",
        content=body,
        headers={"Content-Type": "application/json", "Accept-Language": "fr"},
    )
    problem = refused.json()
    assert refused.status_code == (422 if field else 400), problem
    assert problem["detail"].startswith(f"{field}: {french}" if field else french), problem


def test_a_limit_is_written_as_the_readers_language_writes_numbers(api: Delegations) -> None:
    """A limit of the API's schema was written as Python writes it: "give at most 8760.0" for
    a crisis consultation's hours, "4611686018427387904" for an id, in every language."""
    deu = api.as_("deu")
    crisis = {"title": "x", "level": "summit", "crisis": True, "reason": "r"}
    for language, expected in (
        ("en", "hold_within_hours: give at most 8,760"),
        ("fr", "hold_within_hours: indiquez au plus 8\u202f760"),
        ("uk", "hold_within_hours: вкажіть щонайбільше 8\u00a0760"),
    ):
        refused = deu.post(
            "/api/v1/meetings",
            json={**crisis, "hold_within_hours": 9000},
            headers={"Accept-Language": language},
        )
        assert (refused.status_code, refused.json()["detail"]) == (422, expected)
    too_far = deu.get("/api/v1/offers", params={"request_id": 2**62 + 1})
    assert too_far.json()["detail"] == "request_id: give at most 4,611,686,018,427,387,904"
