"""The guarantees' and the obligations' pages and notices in the reader's language, and their
deadlines in words. Expected texts are written out by hand, in French and in Ukrainian."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from shieldwall.access.service import AccessService
from shieldwall.access.tables import UserAccount
from shieldwall.guarantees.deadlines import deadline, relative_day
from shieldwall.kit.i18n import using_locale
from shieldwall.notifications.tables import Notification
from tests.conftest import NOW, actor
from tests.guarantees_fixtures import instrument_with_obligation
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser

# ---- deadlines in words ---------------------------------------------------------------------

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("locale", "due", "expected"),
    [
        ("en", NOW + 17 * H, "due in 17 hours"),
        ("en", NOW + 1 * H, "due in 1 hour"),
        ("en", NOW + dt.timedelta(minutes=5), "due in 1 hour"),
        ("en", NOW + 3 * D + 2 * H, "due in 3 days"),
        ("en", NOW + 47 * H, "due in 47 hours"),
        ("en", NOW, "overdue by 1 hour"),
        ("en", NOW - 5 * D, "overdue by 5 days"),
        ("en", NOW.date() + 3 * D, "due in 3 days"),
        ("en", NOW.date(), "due today"),
        ("en", NOW.date() - 1 * D, "overdue by 1 day"),
        ("en", NOW + 1_200 * D, "due in 1,200 days"),
        ("fr", NOW + 17 * H, "échéance dans 17 heures"),
        ("fr", NOW + 1 * H, "échéance dans 1 heure"),
        ("fr", NOW - 5 * D, "en retard de 5 jours"),
        ("fr", NOW.date(), "échéance aujourd’hui"),
        ("fr", NOW + 1_200 * D, "échéance dans 1\u202f200 jours"),
        ("uk", NOW + 21 * H, "строк через 21 годину"),
        ("uk", NOW + 3 * H, "строк через 3 години"),
        ("uk", NOW + 17 * H, "строк через 17 годин"),
        ("uk", NOW - 2 * D, "прострочено на 2 дні"),
        ("uk", NOW.date() - 5 * D, "прострочено на 5 днів"),
        ("uk", NOW.date() + 21 * D, "строк через 21 день"),
    ],
)
def test_a_deadline_in_words(locale: str, due: dt.date | dt.datetime, expected: str) -> None:
    with using_locale(locale):
        assert deadline(due, NOW) == expected


@pytest.mark.parametrize(
    ("locale", "day", "expected"),
    [
        ("en", dt.date(2024, 4, 2), "today"),
        ("en", dt.date(2024, 4, 12), "in 10 days"),
        ("en", dt.date(2024, 9, 30), "in 6 months"),
        ("en", dt.date(2034, 2, 16), "in 10 years"),
        ("en", dt.date(2024, 3, 31), "2 days ago"),
        ("fr", dt.date(2024, 9, 30), "dans 6 mois"),
        ("fr", dt.date(2023, 4, 2), "il y a 12 mois"),
        ("uk", dt.date(2024, 9, 30), "через 6 місяців"),
        ("uk", dt.date(2034, 2, 16), "через 10 років"),
        ("uk", dt.date(2024, 4, 3), "через 1 день"),
    ],
)
def test_an_end_relative_to_today(locale: str, day: dt.date, expected: str) -> None:
    with using_locale(locale):
        assert relative_day(day, NOW.date()) == expected


def test_no_deadline_reads_as_nothing() -> None:
    assert deadline(None, NOW) == "" and relative_day(None, NOW.date()) == ""


# ---- pages in French and in Ukrainian -------------------------------------------------------


@pytest.fixture
def deu_page(server: LiveServer) -> Iterator[Browser]:
    browser = Browser(server, "deu")
    yield browser
    browser.client.close()


def _agreement(seeded: Context) -> int:
    deu = actor(seeded, "deu")
    found: int = seeded.guarantees.create_instrument(
        deu,
        member="DEU",
        title="Agreement on security cooperation",
        signed_on=dt.date(2024, 2, 16),
        duration_years=10,
        termination_notice_months=6,
    )
    seeded.guarantees.set_amount(
        deu, found, year=2024, category="air defence", amount=Decimal(7), currency="EUR"
    )
    seeded.guarantees.add_obligation(
        deu, found, trigger="armed attack", action="consult", within_hours=24
    )
    return found


def _text(response: httpx.Response) -> str:
    """The page's text as read: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "Réalisation par année",
                "Montants",
                "défense aérienne",  # the category air defence
                "attaque armée",  # the trigger
                "consulter",
                "24 heures",
                "Préavis de résiliation 6 mois",
                "Prend fin le 2034-02-16 (dans 10 ans)",
                "Donner un préavis de résiliation",
            ],
        ),
        (
            "uk",
            [
                "Виконання за роками",
                "Суми",
                "протиповітряна оборона",
                "збройний напад",
                "провести консультації",
                "24 години",
                "Повідомлення про припинення 6 місяців",
                "Завершується 2034-02-16 (через 10 років)",
                "Надіслати повідомлення про припинення",
            ],
        ),
    ],
)
def test_an_instrument_page_in_the_readers_language(
    seeded: Context, deu_page: Browser, language: str, expected: list[str]
) -> None:
    agreement = _agreement(seeded)
    page = deu_page.client.get(f"/instruments/{agreement}", headers={"Accept-Language": language})
    assert page.status_code == 200
    assert page.headers["content-language"] == language
    assert f'<html lang="{language}">' in page.text
    text = _text(page)
    for words in expected:
        assert words in text, words
    assert "Fulfilment per year" not in text and "air defence" not in text


@pytest.mark.parametrize(
    ("language", "heading", "in_force"),
    [
        ("fr", "Instruments de sécurité", "En vigueur"),
        ("uk", "Безпекові інструменти (угоди)", "Чинний"),
    ],
)
def test_the_instruments_list_in_the_readers_language(
    seeded: Context, deu_page: Browser, language: str, heading: str, in_force: str
) -> None:
    _agreement(seeded)
    page = deu_page.client.get("/instruments", headers={"Accept-Language": language})
    assert re.search(rf"<h1>\s*{re.escape(heading)}\s*</h1>", page.text)
    assert f'<th scope="col">{in_force}</th>' in page.text


def test_an_obligation_notice_reaches_a_ukrainian_reader_in_ukrainian(seeded: Context) -> None:
    """DEU's head reads the platform in Ukrainian (Kyiv time), its viewer in English (UTC): the
    notice an armed attack sends each is written in the reader's own language and time zone."""
    instrument_with_obligation(seeded, "DEU", title="Agreement DEU–UKR")
    head = actor(seeded, "deu")
    with seeded.unit_of_work() as uow:
        AccessService(uow).choose_language(head, "uk", "Europe/Kyiv")
    seeded.obligations.declare_trigger(
        actor(seeded, "ukr"),
        kind="armed attack",
        occurred_at=dt.datetime(2024, 4, 2, 5, 0, tzinfo=dt.UTC),
        description="Strikes on Kyiv.",
    )
    with seeded.reading() as s:
        got = {
            user: (subject, body)
            for user, subject, body in s.execute(
                select(UserAccount.username, Notification.subject, Notification.body)
                .join(UserAccount, UserAccount.id == Notification.user_id)
                .where(Notification.link.like("/triggers/%"))
            ).all()
        }
    assert got["deu"] == (
        "Оголошено подію «Збройний напад» щодо UKR: ваші зобов’язання мають бути виконані",
        "Розпочато відлік строків ваших зобов’язань:\n"
        "- Провести консультації з партнером: взяти участь у кризових консультаціях "
        "до 2024-04-03 08:00 EEST (Agreement DEU–UKR)",
    )
    assert got["deu-viewer"] == (
        "Armed attack on UKR declared: your obligations are due",
        "Your obligations' clocks have started:\n"
        "- Consult the partner: attend the crisis consultation by 2024-04-03 05:00 UTC "
        "(Agreement DEU–UKR)",
    )
