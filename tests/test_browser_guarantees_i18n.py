"""The guarantees' and the obligations' pages in Ukrainian and in French, in Debian's Chromium
on a phone-sized screen (390 px): Ukraine's delegation reads the platform in Ukrainian (Kyiv
time), Germany's in French (Paris time). Longer words must still fit: on every page no console
error, every field labelled, nothing wider than the screen, and axe-core finds no violation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from shieldwall.access.service import AccessService
from tests.conftest import actor
from tests.guarantees_fixtures import instrument_with_obligation
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_browser_council import Journey

pytestmark = pytest.mark.browser

TITLE = "Agreement on security cooperation between UKR and DEU"


@pytest.fixture
def journey(browser: Browser, server: LiveServer) -> Iterator[Journey]:
    walk = Journey(browser, server.url)
    yield walk
    walk.context.close()


def _scene(seeded: Context) -> tuple[int, int]:
    """Germany's instrument, its duty to consult opened by an armed attack at 05:00 UTC on
    2 April 2024 (due 05:00 UTC the next day); the languages chosen. (instrument, trigger)"""
    instrument, _obligations = instrument_with_obligation(seeded, "DEU")
    ukr, deu = actor(seeded, "ukr"), actor(seeded, "deu")
    with seeded.unit_of_work() as uow:
        AccessService(uow).choose_language(ukr, "uk", "Europe/Kyiv")
        AccessService(uow).choose_language(deu, "fr", "Europe/Paris")
    trigger = seeded.obligations.declare_trigger(
        ukr,
        kind="armed attack",
        occurred_at=dt.datetime(2024, 4, 2, 5, 0, tzinfo=dt.UTC),
        description="Масовані ракетні удари по Києву.",
    )
    return instrument, trigger


def test_the_guarantees_pages_in_ukrainian_and_in_french(journey: Journey, seeded: Context) -> None:
    instrument, trigger = _scene(seeded)
    page = journey.sign_in("ukr")
    base = journey.base

    page.goto(f"{base}/instruments")
    expect(page.locator("h1")).to_have_text("Безпекові інструменти (угоди)")
    expect(page.locator("#instruments-table")).to_contain_text("2034-01-12")
    journey.check()
    page.goto(f"{base}/instruments/{instrument}")
    expect(page.locator("#obligations")).to_contain_text("збройний напад")
    expect(page.locator("#ends-on")).to_contain_text("через 10 років")
    journey.check()
    page.goto(f"{base}/triggers/{trigger}")
    expect(page.locator("h1")).to_contain_text("Збройний напад: UKR")
    # 05:00 UTC the next day is 08:00 in Kyiv (summer time), 17 hours from the clock's noon.
    expect(page.locator("#due-items")).to_contain_text("2024-04-03 08:00 EEST")
    expect(page.locator("#due-items")).to_contain_text("строк через 17 годин")
    journey.check()
    page.goto(f"{base}/obligations?member=DEU")
    expect(page.locator("#obligations-table")).to_contain_text("відкрито")
    journey.check()
    page.goto(f"{base}/pathway")
    expect(page.locator("h1")).to_have_text("Дорожня карта до членства")
    journey.check()

    page = journey.sign_in("deu")
    page.goto(f"{base}/obligations")
    expect(page.locator("h1")).to_have_text("Obligations")
    expect(page.locator("#obligations-table")).to_contain_text("2024-04-03 07:00 CEST")
    expect(page.locator("#obligations-table")).to_contain_text("échéance dans 17 heures")
    journey.check()
    page.locator("#obligations-table tbody a").first.click()
    expect(page.locator("#state")).to_have_text("ouverte")
    journey.check()
    page.goto(f"{base}/triggers")
    expect(page.locator("#triggers-table")).to_contain_text("Attaque armée contre UKR")
    journey.check()
