"""Security guarantees in Debian's Chromium, driven by Playwright, on a phone-sized screen
(390 px): the United Kingdom sets an amount on its agreement, adds an obligation, links an
offer and gives notice after confirming; the chair reads burden-sharing, whose Plotly chart
renders from the app's own copy of plotly.js, and keeps the membership pathway. On every page:
axe-core finds no violation, no console error, nothing wider than the screen, every field
labelled — and no request leaves 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Request, expect

from shieldwall.access.model import Actor
from shieldwall.importers.kiel import GDP_SOURCE
from tests.conftest import NOW, PASSWORD, SETUP, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_browser_council import Journey

pytestmark = pytest.mark.browser


class Watched(Journey):
    """A journey that also records the host of every request the page makes."""

    def __init__(self, browser: Browser, base: str) -> None:
        super().__init__(browser, base)
        self.hosts: set[str] = set()
        self.page.on("request", self._request)

    def _request(self, request: Request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            self.hosts.add(url.hostname or "")


@pytest.fixture
def journey(browser: Browser, server: LiveServer) -> Iterator[Watched]:
    walk = Watched(browser, server.url)
    yield walk
    walk.context.close()


def _the_uk(seeded: Context) -> tuple[Actor, int, int]:
    """GBR's agreement (GBP 2.5bn for 2024 at 0.86), consult within 24 hours; a committed
    offer of 1,000 rounds, 400 delivered; its id and the offer's."""
    seeded.delegations.seat_delegation(SETUP, code="GBR", name="United Kingdom", kind="member")
    # The UK's GDP as the shipped Kiel release gives it (the seed records the others').
    seeded.delegations.record_gdp(SETUP, "GBR", "2647.56154520574", GDP_SOURCE)
    seeded.access.add_user(
        SETUP, username="gbr", delegation="GBR", role="officer", password=PASSWORD
    )
    g, gbr, sec, ukr = (
        seeded.guarantees,
        actor(seeded, "gbr"),
        actor(seeded, "sec"),
        actor(seeded, "ukr"),
    )
    g.record_rate(
        sec,
        currency="GBP",
        rate_on=dt.date(2024, 1, 12),
        units_per_eur=Decimal("0.86"),
        source="ECB euro reference rate",
    )
    agreement = g.create_instrument(
        gbr,
        member="GBR",
        title="Agreement on Security Co-operation between the UK and Ukraine",
        signed_on=dt.date(2024, 1, 12),
        place="Kyiv",
        duration_years=10,
        until_accession=True,
        termination_notice_months=6,
        sources="https://www.gov.uk/ https://www.pravda.com.ua/",
    )
    g.set_amount(
        gbr,
        agreement,
        year=2024,
        category="not broken down",
        amount=Decimal("2500000000"),
        currency="GBP",
        rate_on=dt.date(2024, 1, 12),
        basis="military",
    )
    a = seeded.assistance
    rounds = a.make_offer(gbr, member="GBR", kind="arm", quantity=1000, item="155mm-round")
    a.accept(ukr, rounds)
    a.commit(gbr, rounds)
    a.confirm_delivery(ukr, a.record_delivery(gbr, rounds, quantity=400))
    g.link_offer(gbr, rounds, agreement, None)
    other = a.make_offer(gbr, member="GBR", kind="equip", quantity=10, item="demining-kit")
    return gbr, agreement, other


def _the_uk_amends(journey: Watched, agreement: int, other: int) -> None:
    page = journey.sign_in("gbr")
    page.goto(f"{journey.base}/instruments")
    journey.check()
    row = page.locator("#instruments-table tbody tr").filter(has_text="Security Co-operation")
    expect(row).to_contain_text("2034-01-12")
    expect(row).to_contain_text("€2.91B")  # £2.5bn at 0.86
    row.get_by_role("link").click()
    expect(page).to_have_url(f"{journey.base}/instruments/{agreement}")
    expect(page.locator("#amounts")).to_contain_text("0.86 GBP to the euro on 2024-01-12")
    expect(page.locator("#fulfilment")).to_contain_text("€1.4M")  # 400 of 1,000 at €3,500
    journey.check()
    form = page.locator("#amount-form")
    form.get_by_label(re.compile("^Year")).fill("2025")
    form.get_by_label(re.compile("^Category")).select_option("air defence")
    form.get_by_label(re.compile("^Amount, as stated")).fill("3000000000")
    form.get_by_role("button", name="Set the amount").click()
    expect(page.locator("#confirm-question")).to_have_text(
        "Set the 2025 amount of “Agreement on Security Co-operation between the UK and Ukraine” "
        "for air defence to EUR 3,000,000,000?"
    )
    expect(page.locator("#confirm")).to_contain_text(
        "No amount is stated for that year and category yet."
    )
    journey.check()
    page.get_by_role("button", name="Yes, set the amount").click()
    expect(page.locator("#done")).to_contain_text("Amount set")
    expect(page.locator("#fulfilment")).to_contain_text("2025")
    journey.check()
    form = page.locator("#obligation-form")
    form.get_by_label(re.compile("^Trigger")).select_option("armed attack")
    form.get_by_label(re.compile("^Within")).fill("24")
    form.get_by_role("button", name="Add the obligation").click()
    expect(page.locator("#confirm")).to_contain_text(
        "Each armed attack declared while the instrument binds opens it for GBR"
    )
    page.get_by_role("button", name="Yes, add the obligation").click()
    expect(page.locator("#obligations")).to_contain_text("armed attack")
    journey.check()
    form = page.locator("#link-form")
    form.get_by_label(re.compile("^Offer")).select_option(str(other))
    form.get_by_label(re.compile("^Counts toward the year")).fill("2024")
    form.get_by_role("button", name="Link the offer").click()
    expect(page.locator("#linked-offers")).to_contain_text(f"#{other}")
    journey.check()


def _the_uk_gives_notice(journey: Watched, agreement: int) -> None:
    page = journey.page
    form = page.locator("#notice-form")
    form.get_by_label(re.compile("^Notice given on")).fill("2024-03-31")
    form.get_by_role("button", name="Give notice…").click()
    expect(page.locator("#confirm-question")).to_contain_text("Give notice to terminate")
    journey.check()
    page.get_by_role("button", name="Yes, give notice").click()
    expect(page.locator("#done")).to_contain_text("Notice recorded")
    expect(page.locator("#notice-given")).to_contain_text("takes effect 2024-09-30")
    expect(page.locator("#ends-on")).to_contain_text("2024-09-30")
    expect(page.locator("#notice-form")).to_have_count(0)  # notice is given once
    journey.check()


def _burden_sharing(journey: Watched) -> None:
    page = journey.sign_in("sec")
    page.goto(f"{journey.base}/burden-sharing")
    expect(page.locator("#burden-chart.js-plotly-plot")).to_be_visible()
    expect(page.locator("#burden-chart .main-svg").first).to_be_visible()
    table = page.locator("#burden-table")
    expect(table).to_contain_text("GBR")
    expect(table).to_contain_text("100%")  # its share, in the locale's percent format
    expect(page.locator("#gdp-source")).to_contain_text(
        "Kiel Institute, Ukraine Support Tracker, Release 29 (04/2026), column gdp"
    )
    journey.check()
    page.get_by_label("Year").select_option("2023")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#no-burden")).to_be_visible()
    journey.check()


def _the_pathway(journey: Watched) -> None:
    page = journey.page
    page.goto(f"{journey.base}/pathway")
    expect(page.locator("#no-steps")).to_be_visible()
    journey.check()
    form = page.locator("#add-step-form")
    form.get_by_label(re.compile("^Kind")).select_option("condition")
    form.get_by_label(re.compile("^Title")).fill("Democratic and security-sector reforms")
    form.get_by_role("button", name="Add the step").click()
    expect(page.locator("#done")).to_contain_text("Step added")
    journey.check()
    form = page.locator("#question-form")
    form.get_by_label(re.compile("^Text of the proposal")).fill("The allies invite Ukraine.")
    form.get_by_role("button", name="Table the question").click()
    # Tabling puts it before the whole council: asked once more, naming the step and the text.
    expect(page.locator("#confirm-question")).to_have_text(
        "Table the invitation question in the council?"
    )
    expect(page.locator("#confirm")).to_contain_text("The allies invite Ukraine.")
    journey.check()
    page.get_by_role("button", name="Yes, table the question").click()
    expect(page.locator("#pathway-table")).to_contain_text("in discussion")
    journey.check()


def test_the_guarantees_journey(journey: Watched, seeded: Context) -> None:
    assert seeded.clock.now() == NOW
    _gbr, agreement, other = _the_uk(seeded)
    _the_uk_amends(journey, agreement, other)
    _the_uk_gives_notice(journey, agreement)
    _burden_sharing(journey)
    _the_pathway(journey)
    assert journey.hosts == {"127.0.0.1"}, journey.hosts
