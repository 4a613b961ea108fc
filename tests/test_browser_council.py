"""The council's journey in Debian's Chromium, driven by Playwright, on a phone-sized screen
(390 px): Ukraine convenes a crisis consultation with two requests on its agenda; Germany and
the United States find it under "Needs you now"; the chair schedules and holds it; they answer
the requests with offers; the chair records the outcomes and minutes and closes it after
confirming. A proposal circulated under silence is adopted once its deadline passes. On every
council page: no console error, nothing wider than the screen, and a label for every field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect

from shieldwall.council import scheduled
from shieldwall.kit.clock import FixedClock
from tests.conftest import NOW, PASSWORD, patriot_request
from tests.conftest import actor as seeded_actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context

pytestmark = pytest.mark.browser

# axe-core, from the axe-playwright-python package (never copied here): every page of the journey.
AXE = Axe()
PHONE: ViewportSize = {"width": 390, "height": 844}

# Fields without a label that names them, checked directly (axe-core's "label" rule too, below),
# so that a failure names the field.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(el => !el.closest('.scroll'))
  .map(el => el.tagName + (el.id ? '#' + el.id : ''))"""


class Journey:
    """One browser tab on a phone-sized screen, collecting console errors as it goes."""

    def __init__(self, browser: Browser, base: str, locale: str | None = None) -> None:
        # ``locale`` is the browser's language (its Accept-Language header).
        self.context = browser.new_context(viewport=PHONE, locale=locale)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def sign_in(self, username: str) -> Page:
        page = self.page
        self.context.clear_cookies()
        page.goto(f"{self.base}/login")
        # By the fields' names, so that it signs in whatever the browser's language.
        login = page.locator("form[action='/login']")
        login.locator("input[name=username]").fill(username)
        login.locator("input[name=password]").fill(PASSWORD)
        login.locator("button[type=submit]").click()
        expect(page.locator("#whoami")).to_contain_text(username)
        return page

    def check(self) -> None:
        """The council page on screen: no console error, every field labelled, nothing
        wider than the screen (wide tables scroll inside their own box)."""
        page = self.page
        page.wait_for_load_state("load")
        assert self.errors == [], (page.url, self.errors)
        assert page.evaluate(UNLABELLED) == [], page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
        assert page.evaluate(WIDER_THAN_SCREEN) == [], page.url
        audit = AXE.run(page)
        assert audit.violations_count == 0, (page.url, audit.generate_report())


@pytest.fixture
def journey(browser: Browser, server: LiveServer) -> Iterator[Journey]:
    walk = Journey(browser, server.url)
    yield walk
    walk.context.close()


def _request(seeded: Context, title: str) -> int:
    return patriot_request(seeded, title, ["DEU", "USA"])


def _convene(journey: Journey, kyiv: int, odesa: int) -> str:
    """Ukraine convenes the crisis consultation; the meeting's address."""
    page = journey.sign_in("ukr")
    page.goto(f"{journey.base}/meetings")
    journey.check()
    page.locator("#convene").click()
    journey.check()
    expect(page.locator("#convene-rules")).to_contain_text("nobody can block it")
    form = page.locator("#convene-form")
    form.get_by_label("Title").fill("Air defence after the strikes of 1 April")
    form.get_by_label("Level").select_option("ambassadors")
    form.get_by_label(re.compile("^This is a crisis consultation")).check()
    form.get_by_label(re.compile("^Reason")).fill("Massive missile strikes on the power grid")
    form.get_by_label(f"#{kyiv} Patriot battery for Kyiv").check()
    form.get_by_label(f"#{odesa} Patriot battery for Odesa").check()
    form.get_by_role("button", name="Convene the council").click()
    expect(page.locator("#done")).to_contain_text("Meeting convened")
    expect(page.locator("#hold-by")).to_contain_text("2024-04-09 12:00 UTC")
    journey.check()
    return page.url.split("?")[0]


def _members_see_it(journey: Journey, meeting_url: str) -> None:
    """The members the requests are addressed to find the meeting under "Needs you now" on
    their landing page, and among the crisis consultations."""
    for username in ("deu", "usa"):
        page = journey.sign_in(username)
        expect(page).to_have_title(re.compile("Dashboard"))
        needs = page.locator("section.needs-you")
        waiting = needs.get_by_role("link", name=re.compile("Air defence after the strikes"))
        expect(waiting).to_contain_text("Crisis consultation")
        assert journey.errors == [], journey.errors
        waiting.click()
        expect(page).to_have_url(meeting_url)
        journey.check()
        page.goto(f"{journey.base}/meetings?kind=crisis")
        journey.check()
        row = page.locator("#meetings-table tbody tr").filter(has_text="Air defence")
        expect(row).to_contain_text("crisis consultation")


def _chair_schedules_and_holds(journey: Journey, meeting_url: str, clock: FixedClock) -> None:
    page = journey.sign_in("sec")
    page.goto(meeting_url)
    journey.check()
    form = page.locator("#schedule-form")
    form.get_by_label(re.compile("^Starts at")).fill("2024-04-02T15:00")
    form.get_by_label(re.compile("^Time zone")).fill("Europe/Brussels")
    form.get_by_label(re.compile("^Place")).fill("NATO Headquarters, Brussels")
    form.get_by_label("Chair").fill("Secretary General")
    form.get_by_role("button", name="Schedule").click()
    expect(page.locator("#done")).to_contain_text("Meeting scheduled.")
    # In the chair's time zone (UTC), the meeting's own beside it.
    expect(page.locator("#when")).to_contain_text(
        "2024-04-02 13:00 UTC (local time: 2024-04-02 15:00 Europe/Brussels)"
    )
    journey.check()
    # Half an hour into the meeting (a browser session lasts 12 hours on the same clock).
    clock.set(dt.datetime(2024, 4, 2, 13, 30, tzinfo=dt.UTC))
    page.reload()
    form = page.locator("#hold-form")
    for delegation in ("Ukraine (UKR)", "Germany (DEU)", "United States (USA)"):
        form.get_by_label(delegation, exact=True).check()
    form.get_by_label("Represented by (UKR)").fill("Minister of Foreign Affairs")
    form.get_by_role("button", name="Record as held").click()
    expect(page.locator("#confirm")).to_contain_text("Attended: DEU, UKR (Minister of Foreign")
    journey.check()
    page.get_by_role("button", name="Yes, record it as held").click()
    expect(page.locator("#done")).to_contain_text("Meeting recorded as held")
    expect(page.locator("#hold-by")).to_contain_text("held in time")
    expect(page.locator("#attendance")).to_contain_text("Minister of Foreign Affairs")
    journey.check()


def _members_offer(journey: Journey, meeting_url: str) -> None:
    for username, item in (
        ("deu", "Patriot battery for Kyiv"),
        ("usa", "Patriot battery for Odesa"),
    ):
        page = journey.sign_in(username)
        page.goto(meeting_url)
        journey.check()
        page.locator("#agenda").get_by_role("link", name=item).click()
        offer = page.locator("#offer-form")
        offer.get_by_label(re.compile("^Quantity")).fill("1")
        offer.get_by_label("Description").fill(f"Patriot battery from {username.upper()}")
        offer.get_by_role("button", name="Make an offer").click()
        expect(page.locator("#done")).to_contain_text("Offer made")
        assert journey.errors == [], journey.errors


def _chair_closes(journey: Journey, meeting_url: str) -> None:
    page = journey.sign_in("sec")
    page.goto(meeting_url)
    for n, outcome in ((1, "DEU offered a battery for Kyiv"), (2, "USA offered one for Odesa")):
        page.get_by_label(f"Outcome of item {n}").fill(outcome)
        page.locator("form.outcome-form").nth(n - 1).get_by_role("button").click()
        expect(page.locator("#done")).to_contain_text("Outcome of the agenda item recorded.")
        journey.check()
    page.get_by_label(re.compile("^Minutes of the meeting")).fill(
        "Allies condemned the strikes.\nDEU and USA offered Patriot batteries."
    )
    page.get_by_role("button", name="Record the minutes").click()
    expect(page.locator("#done")).to_contain_text("Minutes recorded.")
    journey.check()
    page.get_by_role("button", name="Close the meeting…").click()
    expect(page.locator("#confirm-question")).to_contain_text("Close meeting")
    journey.check()
    page.get_by_role("button", name="Yes, close the meeting").click()
    expect(page.locator("#done")).to_contain_text("Meeting closed")
    expect(page.locator("h1")).to_contain_text("closed")
    expect(page.locator("#minutes")).to_contain_text("DEU and USA offered Patriot batteries.")
    expect(page.locator("#actions")).to_have_count(0)
    journey.check()


def _silence_adopts(journey: Journey, seeded: Context, clock: FixedClock) -> None:
    page = journey.sign_in("deu")
    page.goto(f"{journey.base}/proposals")
    journey.check()
    page.get_by_role("link", name="Table a proposal").click()
    form = page.locator("#proposal-form")
    form.get_by_label(re.compile("^Title")).fill("Statement on the strikes of 1 April")
    form.get_by_label(re.compile("^Text to be decided")).fill("The council condemns the strikes.")
    form.get_by_role("button", name="Table the proposal").click()
    expect(page.locator("#done")).to_contain_text("Proposal tabled.")
    journey.check()
    proposal_url = page.url.split("?")[0]

    page = journey.sign_in("sec")
    page.goto(proposal_url)
    page.get_by_label(re.compile("^Silence deadline")).fill("2024-04-05T12:00")
    page.get_by_role("button", name="Circulate under silence").click()
    expect(page.locator("#confirm-question")).to_contain_text("under the silence procedure?")
    journey.check()
    page.get_by_role("button", name="Yes, circulate under silence").click()
    expect(page.locator("#proposal-state")).to_have_text("under silence")
    expect(page.locator("#silence-deadline")).to_contain_text("2024-04-05 12:00 UTC")
    journey.check()

    clock.set(dt.datetime(2024, 4, 5, 12, 0, 1, tzinfo=dt.UTC))
    assert scheduled.adopt_silences(seeded) == 1
    page = journey.sign_in("deu")  # days later: a new session
    page.goto(proposal_url)
    expect(page.locator("#proposal-state")).to_have_text("adopted")
    expect(page.locator("#outcome")).to_contain_text("under the silence procedure")
    expect(page.locator("#outcome")).to_contain_text("2024-04-05 12:00 UTC")
    journey.check()


def test_the_council_journey(journey: Journey, seeded: Context, clock: FixedClock) -> None:
    assert clock.now() == NOW
    kyiv = _request(seeded, "Patriot battery for Kyiv")
    odesa = _request(seeded, "Patriot battery for Odesa")
    meeting_url = _convene(journey, kyiv, odesa)
    _members_see_it(journey, meeting_url)
    _chair_schedules_and_holds(journey, meeting_url, clock)
    _members_offer(journey, meeting_url)
    _chair_closes(journey, meeting_url)
    _silence_adopts(journey, seeded, clock)


@pytest.mark.parametrize(
    ("locale", "meetings", "state", "proposals"),
    [
        ("fr-FR", "Réunions du conseil", "demandée", "Propositions"),
        ("uk-UA", "Засідання ради", "скликано", "Пропозиції рішень"),
    ],
)
def test_the_council_pages_in_french_and_ukrainian_on_a_phone(
    browser: Browser,
    server: LiveServer,
    seeded: Context,
    locale: str,
    meetings: str,
    state: str,
    proposals: str,
) -> None:
    """The lists with their filters, a meeting and a proposal, in the browser's language: the
    longer French and Ukrainian words still fit 390 px, every field is labelled, axe is clean."""
    meeting = seeded.council.convene(
        seeded_actor(seeded, "ukr"),
        title="Strikes on Odesa",
        level="ambassadors",
        crisis=True,
        reason="port strikes",
    )
    proposal = seeded.council.table_proposal(
        seeded_actor(seeded, "deu"), title="Statement", text="We stand with Ukraine."
    )
    walk = Journey(browser, server.url, locale=locale)
    try:
        page = walk.sign_in("sec")
        page.goto(f"{walk.base}/meetings?kind=crisis")
        expect(page.locator("h1")).to_have_text(meetings)
        expect(page.locator("#meetings-table")).to_contain_text(state)
        walk.check()
        page.goto(f"{walk.base}/meetings/{meeting}")
        walk.check()
        page.goto(f"{walk.base}/proposals")
        expect(page.locator("h1")).to_have_text(proposals)
        walk.check()
        page.goto(f"{walk.base}/proposals/{proposal}")
        walk.check()
    finally:
        walk.context.close()
