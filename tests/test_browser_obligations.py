"""The obligations' journey in Debian's Chromium, driven by Playwright, on a phone-sized screen
(390 px): Ukraine declares an armed attack on /triggers/new and confirms what it opens; the
obligations open with their deadlines; Germany finds its duty under "Needs you now"; the chair
records the crisis consultation held with Germany and the United States attending; the
scheduler runs on the server's clock; the obligations show as met; the compliance page draws
its chart with no request leaving 127.0.0.1. On every page: no console error, every field
labelled, nothing wider than the screen, and axe-core finds no violation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Request, expect

from shieldwall.kit.clock import FixedClock
from shieldwall.scheduler import run_once
from tests.conftest import NOW
from tests.guarantees_fixtures import instrument_with_obligation, promise
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_browser_council import Journey
from tests.test_browser_pages import follow_nav

pytestmark = pytest.mark.browser

DEU_TITLE = "Agreement on security cooperation between UKR and DEU"


class LocalJourney(Journey):
    """The council's journey, noting every request the browser makes."""

    def __init__(self, browser: Browser, base: str) -> None:
        super().__init__(browser, base)
        self.requested: list[str] = []
        self.page.on("request", self._requested)

    def _requested(self, request: Request) -> None:
        self.requested.append(request.url)


@pytest.fixture
def journey(browser: Browser, server: LiveServer) -> Iterator[LocalJourney]:
    walk = LocalJourney(browser, server.url)
    yield walk
    walk.context.close()


def _declare(journey: LocalJourney) -> str:
    """Ukraine declares the attack of 08:00 Kyiv time (05:00 UTC); the event's address."""
    page = journey.sign_in("ukr")
    follow_nav(page, "Obligations")
    journey.check()
    page.get_by_role("link", name="Declared events").click()
    journey.check()
    page.locator("#declare").click()
    journey.check()
    form = page.locator("#declare-form")
    form.get_by_label(re.compile("^What happened")).select_option("armed attack")
    form.get_by_label(re.compile("^When it occurred")).fill("2024-04-02T08:00")
    form.get_by_label(re.compile("^Time zone")).fill("Europe/Kyiv")
    form.get_by_label(re.compile("^Description")).fill(
        "Massive missile and drone strikes on Kyiv and Lviv at dawn."
    )
    form.get_by_role("button", name="Review what this opens").click()
    expect(page.locator("#confirm-question")).to_have_text(
        "Declare the armed attack on UKR of 2024-04-02 05:00 UTC?"
    )
    consequences = page.locator("#consequences")
    expect(consequences).to_contain_text(
        "This opens 2 obligations for DEU, USA, due by 2024-04-03 05:00 UTC at the latest"
    )
    expect(consequences).to_contain_text(
        "It convenes a crisis consultation of the council, to be held by 2024-04-03 05:00 UTC."
    )
    journey.check()
    page.get_by_role("button", name="Yes, declare it").click()
    expect(page.locator("#done")).to_contain_text("the obligations' clocks have started")
    rows = page.locator("#due-items tbody tr")
    expect(rows).to_have_count(2)
    for n, member in enumerate(("DEU", "USA")):
        expect(rows.nth(n)).to_contain_text(member)
        expect(rows.nth(n)).to_contain_text("2024-04-03 05:00")
        expect(rows.nth(n)).to_contain_text("due in 17 hours")
        expect(rows.nth(n)).to_contain_text("open")
    journey.check()
    return page.url.split("?")[0]


def _germany_sees_it(journey: LocalJourney) -> str:
    """Germany's landing page lists its duty; the obligation's address."""
    page = journey.sign_in("deu")
    expect(page).to_have_title(re.compile("Dashboard"))
    needs = page.locator("section.needs-you")
    line = needs.locator("li").filter(has_text=f"{DEU_TITLE}: armed attack of 2024-04-02")
    expect(line).to_contain_text(
        "Obligation due: Consult the partner: attend the crisis consultation by "
        "2024-04-03 05:00 UTC"
    )
    expect(line).to_contain_text("17 h left")
    journey.check()
    line.get_by_role("link").click()
    expect(page.locator("#state")).to_have_text("open")
    expect(page.locator("#deadline")).to_contain_text("2024-04-03 05:00 UTC")
    expect(page.locator("#met-form")).to_have_count(0)  # met by attending, not by a form
    journey.check()
    return page.url


def _chair_holds_it(journey: LocalJourney, trigger_url: str, clock: FixedClock) -> None:
    page = journey.sign_in("sec")
    page.goto(trigger_url)
    journey.check()
    page.locator("#consultation").get_by_role("link").click()
    expect(page.locator("#hold-by")).to_contain_text("2024-04-03 05:00 UTC")
    journey.check()
    form = page.locator("#schedule-form")
    form.get_by_label(re.compile("^Starts at")).fill("2024-04-02T15:00")
    form.get_by_label(re.compile("^Time zone")).fill("Europe/Brussels")
    form.get_by_label(re.compile("^Place")).fill("NATO Headquarters, Brussels")
    form.get_by_role("button", name="Schedule").click()
    expect(page.locator("#done")).to_contain_text("Meeting scheduled.")
    clock.set(dt.datetime(2024, 4, 2, 13, 30, tzinfo=dt.UTC))  # half an hour into it
    page.reload()
    form = page.locator("#hold-form")
    for delegation in ("Ukraine (UKR)", "Germany (DEU)", "United States (USA)"):
        form.get_by_label(delegation, exact=True).check()
    form.get_by_role("button", name="Record as held").click()
    page.get_by_role("button", name="Yes, record it as held").click()  # it cannot be undone
    expect(page.locator("#done")).to_contain_text("Meeting recorded as held")
    expect(page.locator("#hold-by")).to_contain_text("held in time")
    journey.check()


def _met(journey: LocalJourney, obligation_url: str) -> None:
    page = journey.sign_in("deu")
    page.goto(obligation_url)
    expect(page.locator("#state")).to_have_text("met")
    # (the meeting's id: PostgreSQL's sequences keep the one the tried declaration took)
    expect(page.locator("#evidence")).to_have_text(
        re.compile(r"^attended meeting \d+ held at 2024-04-02 13:30 UTC$")
    )
    journey.check()
    follow_nav(page, "Obligations")
    rows = page.locator("#obligations-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="met")).to_have_count(2)
    journey.check()
    follow_nav(page, "Dashboard")
    expect(page.locator("section.needs-you")).not_to_contain_text(DEU_TITLE)
    journey.check()


def _compliance(journey: LocalJourney) -> None:
    page = journey.sign_in("sec")
    follow_nav(page, "Compliance")
    expect(page.locator("#compliance-chart .main-svg").first).to_be_visible()
    table = page.locator("#members-table")
    expect(table.locator("tbody tr").filter(has_text="DEU")).to_contain_text("€10M")
    journey.check()


def test_the_obligations_journey(
    journey: LocalJourney, seeded: Context, clock: FixedClock, server: LiveServer
) -> None:
    assert clock.now() == NOW
    germany, _ = instrument_with_obligation(seeded, "DEU")
    instrument_with_obligation(seeded, "USA")
    promise(
        seeded, germany, 2024, amount_minor=10_000_000_00, currency="EUR", eur_cents=10_000_000_00
    )
    trigger_url = _declare(journey)
    obligation_url = _germany_sees_it(journey)
    _chair_holds_it(journey, trigger_url, clock)
    # The scheduler, on the server's clock (the same object), as `shieldwall serve` runs it.
    done = run_once(seeded)
    assert (done["settle consultations"], done["mark obligations overdue"]) == (2, 0)
    _met(journey, obligation_url)
    _compliance(journey)
    assert all(url.startswith(server.url) for url in journey.requested), [
        url for url in journey.requested if not url.startswith(server.url)
    ]
